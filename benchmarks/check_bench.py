"""`labgen check` against kubeconform, as whole processes, side by side: prints figures,
asserts nothing (speed is never a test).

    .venv/bin/python benchmarks/check_bench.py [--objects 20000] [--runs 3] [--peers DIR]

One file of ``--objects`` documents, half Deployments, half Services (benchmarks/fleet.py).
Each run starts `labgen check FILE` and, when ``../shared/peers`` (or ``--peers``, or
``$LABGEN_PEERS``) holds kubeconform v0.7.0 and its Kubernetes 1.33 schemas,
`kubeconform -strict` on the same file, alternately, and measures each process: wall
time, CPU (user + system, worker processes included), the peak RSS of its largest process
and the peak PSS of all its processes (sampled every 10 ms; PSS shares pages between
forked workers fairly). kubeconform is unpacked into a cache directory, never into the
repository. Then start-up: `labgen --help` and `labgen validate` against
``python -c "import typer, pydantic, rich"``.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABGEN = Path(sys.executable).parent / "labgen"
KUBECONFORM = "kubeconform-v0.7.0.xz"
KUBECONFORM_SHA256 = "014e207747d6af63d5e4bc7b86fae79a851d89ebe7058c920271de53d8314bdd"
SCHEMAS = "kubeconform-schemas-v1.33.0-standalone-strict.tar.xz"


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    max_rss_mib: float
    """Peak RSS of the largest process (the kernel's figure for the process tree)."""
    pss_mib: float
    """Peak of the summed PSS of the process and its children (sampled)."""
    code: int


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return pids


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(command: list[str], cwd: Path) -> Run:
    """Run a command to completion, its output discarded, and measure it."""
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(_pss_kib(p) for p in _tree(process.pid)))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        peak[0] / 1024,
        process.returncode,
    )


def kubeconform(peers: Path, cache: Path) -> tuple[Path, Path] | None:
    """The kubeconform binary and its schema directory, unpacked into ``cache``."""
    if not (peers / KUBECONFORM).is_file() or not (peers / SCHEMAS).is_file():
        return None
    binary, schemas = cache / "kubeconform", cache / "k8s-schemas"
    if not binary.is_file():
        data = lzma.decompress((peers / KUBECONFORM).read_bytes())
        if hashlib.sha256(data).hexdigest() != KUBECONFORM_SHA256:
            raise SystemExit(f"{peers / KUBECONFORM}: not the kubeconform v0.7.0 build listed")
        binary.write_bytes(data)
        binary.chmod(0o755)
    if not schemas.is_dir():
        with tarfile.open(peers / SCHEMAS) as archive:
            archive.extractall(cache, filter="data")
    return binary, schemas


def _row(name: str, runs: list[Run], objects: int) -> str:
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = max(r.max_rss_mib for r in runs)
    pss = max(r.pss_mib for r in runs)
    return (
        f"{name:<24} {wall:>7.2f} {cpu:>7.2f} {rss:>9.0f} {pss:>9.0f} "
        f"{objects / wall:>10,.0f}  (exit {sorted({r.code for r in runs})})"
    )


def _median_wall(command: list[str], runs: int) -> float:
    return statistics.median(measure(command, REPO).wall for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    default_peers = Path(os.environ.get("LABGEN_PEERS", REPO.parent / "shared" / "peers"))
    parser.add_argument("--peers", type=Path, default=default_peers)
    cache_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    parser.add_argument("--cache", type=Path, default=cache_home / "labgen-bench")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    peer = kubeconform(args.peers, args.cache)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="labgen-bench-") as tmp:
        # written by another process: this one stays small, since a child's peak RSS
        # (ru_maxrss) starts from its parent's at exec
        fleet = Path(tmp) / "fleet.yaml"
        generator = Path(__file__).with_name("fleet.py")
        command = [sys.executable, str(generator), str(fleet), "--objects", str(args.objects)]
        subprocess.run(command, check=True)
        half = args.objects // 2
        print(f"{fleet.name}: {args.objects} objects ({half} Deployments, {half} Services)")
        labgen_cmd = [str(LABGEN), "check", str(fleet)]
        labgen_runs: list[Run] = []
        peer_runs: list[Run] = []
        for _ in range(args.runs):
            labgen_runs.append(measure(labgen_cmd, Path(tmp)))
            if peer is not None:
                binary, schemas = peer
                crds = args.peers.parent / "schemas" / "crds"
                peer_cmd = [str(binary), "-strict", "-summary", "-kubernetes-version", "1.33.0"]
                peer_cmd += ["-schema-location", str(schemas)]
                peer_cmd += ["-schema-location", f"{crds}/{{{{.Group}}}}/"]
                peer_cmd[-1] += "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"
                peer_runs.append(measure([*peer_cmd, str(fleet)], Path(tmp)))
        print(
            f"\n{'whole process':<24} {'wall s':>7} {'CPU s':>7} {'RSS MiB':>9} "
            f"{'PSS MiB':>9} {'objects/s':>10}"
        )
        print(_row("labgen check", labgen_runs, args.objects))
        if peer_runs:
            print(_row("kubeconform -strict", peer_runs, args.objects))
            ratio = statistics.median(r.wall for r in peer_runs) / statistics.median(
                r.wall for r in labgen_runs
            )
            memory = max(r.max_rss_mib for r in labgen_runs) / max(r.max_rss_mib for r in peer_runs)
            print(
                f"throughput ratio labgen/kubeconform: {ratio:.2f} (higher is better for "
                f"labgen); peak RSS ratio: {memory:.1f}x  (median of {args.runs} runs each)"
            )
        else:
            print(f"kubeconform not run: no {KUBECONFORM} and {SCHEMAS} in {args.peers}")
    print("\nstart-up (whole processes, median wall of 5)")
    base = _median_wall([sys.executable, "-c", "import typer, pydantic, rich"], 5)
    for name, startup in (
        ('python -c "import typer, pydantic, rich"', None),
        ("labgen --help", [str(LABGEN), "--help"]),
        ("labgen validate", [str(LABGEN), "validate"]),
    ):
        wall = base if startup is None else _median_wall(startup, 5)
        print(f"{name:<44} {wall:>6.3f} s  {wall / base:>5.1f}x")


if __name__ == "__main__":
    main()
