"""The two sides of a diff: a git revision's tree, read from git (only the files a build
needs are written to a scratch directory), or the working tree as it is (untracked files
included).

Only git is needed (no network): the rendered tree is committed, so each side's desired
state is built from that side's own files.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from labgen.buildcache import blob_id
from labgen.errors import LabgenError
from labgen.tools import run_tool, traced

WORKING_TREE = "working tree"
DEFAULT_BRANCH = "main"
# What a side needs of a revision: specs, the rendered tree, and a chart cache if any.
NEEDED = ("labs", "apps", "overlays", "catalog", "charts")


class GitError(LabgenError):
    """git refused: not a repository, an unknown revision, no default branch."""


@dataclass(frozen=True)
class Side:
    """One side of the comparison: a commit, or the working tree (``commit`` None)."""

    label: str
    """As the user named it (``main``, ``HEAD~1``, ``merge base of HEAD and main``)."""
    commit: str | None = None

    @property
    def short(self) -> str:
        return self.commit[:12] if self.commit else ""

    def __str__(self) -> str:
        return f"{self.label} ({self.short})" if self.commit else self.label


def _git(root: Path, *args: str) -> str:
    try:
        proc = run_tool(["git", "-C", str(root), *args])
    except OSError as exc:
        raise GitError(f"git does not run: {exc}") from None
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        raise GitError(f"git {' '.join(args)}: {lines[-1]}")
    return proc.stdout.strip()


def repo_prefix(root: Path) -> str:
    """Where ``root`` is inside its git repository ('' at the top); a clear error when it
    is in none."""
    try:
        return _git(root, "rev-parse", "--show-prefix")
    except GitError:
        raise GitError(
            f"{root} is not in a git repository: `labgen diff` compares revisions"
        ) from None


def resolve(root: Path, ref: str) -> Side:
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        raise GitError(f"unknown revision {ref!r} (not a branch, tag or commit here)") from None
    return Side(ref, commit)


def default_branch(root: Path) -> str:
    """``origin/HEAD``'s branch when the clone has one, else ``main``."""
    try:
        return _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    except GitError:
        pass
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{DEFAULT_BRANCH}^{{commit}}")
    except GitError:
        raise GitError(
            f"no default branch: neither origin/HEAD nor {DEFAULT_BRANCH!r} exists; pass --base"
        ) from None
    return DEFAULT_BRANCH


def default_base(root: Path) -> Side:
    """The merge base of HEAD and the default branch (what a pull request is reviewed
    against)."""
    branch = default_branch(root)
    try:
        commit = _git(root, "merge-base", "HEAD", branch)
    except GitError:
        raise GitError(f"HEAD and {branch!r} have no merge base; pass --base") from None
    return Side(f"merge base of HEAD and {branch}", commit)


class Snapshot:
    """The files of one side, by path relative to the repository root (posix), each with
    its git blob id: enough to list directories, read kustomization files and digest
    build inputs without writing anything. ``ensure`` puts files on disk under ``root``
    when a tool (kubectl, helm) has to read them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def paths(self) -> dict[str, str | None]:
        """Every file (within ``NEEDED``) -> its blob id (None: not computed yet)."""
        raise NotImplementedError

    def read(self, path: str) -> bytes:
        raise NotImplementedError

    def blob_id(self, path: str) -> str:
        raise NotImplementedError

    def ensure(self, paths: Iterable[str]) -> None:
        """Make these files exist under ``root`` (nothing to do for the working tree)."""

    def is_file(self, path: str) -> bool:
        return path in self.paths()

    def files_under(self, directory: str) -> list[str]:
        prefix = directory.rstrip("/") + "/"
        return sorted(p for p in self.paths() if p.startswith(prefix))

    def is_dir(self, directory: str) -> bool:
        prefix = directory.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.paths())


class WorkingTree(Snapshot):
    """The working tree as it is: tracked, untracked and modified files alike."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._paths: dict[str, str | None] | None = None

    def paths(self) -> dict[str, str | None]:
        if self._paths is None:
            self._paths = {}
            for top in NEEDED:
                for directory, _, names in os.walk(self.root / top):
                    for name in names:
                        relative = (Path(directory) / name).relative_to(self.root).as_posix()
                        self._paths[relative] = None
        return self._paths

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def blob_id(self, path: str) -> str:
        paths = self.paths()
        cached = paths.get(path)
        if cached is None:
            paths[path] = cached = blob_id(self.read(path))
        return cached


class Revision(Snapshot):
    """A commit's files, listed by `git ls-tree` and read by `git cat-file --batch`; only
    files a build needs are written to the scratch ``root``."""

    def __init__(self, repo: Path, tree: str, root: Path) -> None:
        super().__init__(root)
        self._repo = repo
        self._paths: dict[str, str | None] = {}
        listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", tree, "--", *NEEDED)
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            _, kind, blob = meta.split()
            if kind == "blob":
                self._paths[path] = blob
        self._batch: subprocess.Popen[bytes] | None = None
        self._written: set[str] = set()

    def paths(self) -> dict[str, str | None]:
        return self._paths

    def blob_id(self, path: str) -> str:
        blob = self._paths[path]
        assert blob is not None
        return blob

    def read(self, path: str) -> bytes:
        if self._batch is None:
            self._batch = subprocess.Popen(
                traced(["git", "-C", str(self._repo), "cat-file", "--batch"]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self._batch.stdin is not None
        assert self._batch.stdout is not None
        self._batch.stdin.write(f"{self.blob_id(path)}\n".encode())
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:
            raise GitError(f"git cat-file cannot read {path}")
        data = self._batch.stdout.read(int(header[2]))
        self._batch.stdout.read(1)
        return data

    def ensure(self, paths: Iterable[str]) -> None:
        for path in sorted(set(paths) - self._written):
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.read(path))
            self._written.add(path)

    def close(self) -> None:
        if self._batch is not None:
            with self._batch:  # closes its pipes and waits for it
                pass
            self._batch = None


@contextmanager
def checkout(root: Path, side: Side, prefix: str) -> Iterator[Snapshot]:
    """The side's files: the working tree itself, or a revision read from git whose files
    are written on demand to a scratch directory removed afterwards."""
    if side.commit is None:
        yield WorkingTree(root)
        return
    with tempfile.TemporaryDirectory(prefix="labgen-diff-") as tmp:
        tree = f"{side.commit}:{prefix}" if prefix else side.commit
        revision = Revision(root, tree, Path(tmp))
        try:
            yield revision
        finally:
            revision.close()
