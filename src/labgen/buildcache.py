"""kustomize builds remembered by what they read, so that `labgen check` and `labgen diff`
run `kubectl kustomize` only where an input changed.

A build's inputs are every file under its directory, every file its kustomization names,
and the inputs of every kustomization it names, recursively (kustomize's default load
restrictor keeps a build inside those directories). Their digest (git blob ids, so a
working tree and a revision with the same files agree) and the identity of the kubectl
that builds them make the key. A build that reads anything else (a remote base, a path
outside the repository, a symlinked directory) has no key and always runs.

Outputs are kept on disk between runs (``$LABGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/labgen``, else ``~/.cache/labgen``) as the documents kustomize printed,
in JSON (read back ten times faster than YAML); a failed build is never kept. Entries no
run has read for ``MAX_AGE_DAYS`` are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from labgen.errors import LabgenError
from labgen.tools import find_tool
from labgen.yamlio import YamlSyntaxError, load_all_safe

CACHE_ENV = "LABGEN_CACHE_DIR"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_AGE_DAYS = 30

Inputs = tuple[frozenset[str], frozenset[str]]
"""(files, kustomization directories) a build reads, relative to the root (posix)."""


class FileView(Protocol):
    """The files of a tree by posix path relative to its root: what digests read."""

    def is_file(self, path: str) -> bool: ...

    def files_under(self, directory: str) -> list[str]: ...

    def read(self, path: str) -> bytes: ...

    def blob_id(self, path: str) -> str: ...


class UnknownInputs(LabgenError):
    """A build reads files the view cannot list (a symlinked directory)."""


def blob_id(data: bytes) -> str:
    """git's id of a file with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class DiskFiles:
    """A directory tree on disk, listed and read only where a digest needs it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._under: dict[str, list[str]] = {}
        self._blobs: dict[str, str] = {}

    def is_file(self, path: str) -> bool:
        return (self.root / path).is_file()

    def files_under(self, directory: str) -> list[str]:
        if directory not in self._under:
            top = self.root / directory
            found = []
            for here, dirs, names in os.walk(top):
                if any((Path(here) / d).is_symlink() for d in dirs):
                    raise UnknownInputs(f"a symlinked directory under {directory}")
                relative = Path(here).relative_to(self.root).as_posix()
                found += [n if relative == "." else f"{relative}/{n}" for n in names]
            self._under[directory] = sorted(found)
        return self._under[directory]

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def blob_id(self, path: str) -> str:
        if path not in self._blobs:
            self._blobs[path] = blob_id(self.read(path))
        return self._blobs[path]


class BuildInputs:
    """What each kustomization of a tree reads, and its digest."""

    def __init__(self, files: FileView) -> None:
        self.files = files
        self._inputs: dict[str, Inputs | None] = {}

    def inputs(self, directory: str) -> Inputs | None:
        """What a build of ``directory`` can read; None when it reads something this view
        does not have (a remote base, a path outside the tree), so it is always built."""
        if directory not in self._inputs:
            self._inputs[directory] = None  # a reference cycle reads as unknown
            with contextlib.suppress(UnknownInputs):
                self._inputs[directory] = self._collect(directory)
        return self._inputs[directory]

    def _collect(self, directory: str) -> Inputs | None:
        files = set(self.files.files_under(directory))
        dirs = {directory}
        kustomization = self.kustomization_file(directory)
        if kustomization is None:
            return frozenset(files), frozenset(dirs)
        try:
            documents = list(load_all_safe(self.files.read(kustomization).decode(), kustomization))
        except (YamlSyntaxError, UnicodeDecodeError):
            return frozenset(files), frozenset(dirs)  # the build reports it
        for value in _strings(documents):
            if "://" in value or value.startswith(("git@", "github.com/")) or "?ref=" in value:
                return None
            target = posixpath.normpath(posixpath.join(directory, value))
            if target.startswith("../") or target == "..":
                return None
            absolute = target.startswith("/")  # in no view: unknown if it names anything
            if self.files.is_file(target):
                if absolute:
                    return None
                files.add(target)
            elif target != directory and self.kustomization_file(target) is not None:
                if absolute:
                    return None
                nested = self.inputs(target)
                if nested is None:
                    return None
                files |= nested[0]
                dirs |= nested[1]
        return frozenset(files), frozenset(dirs)

    def kustomization_file(self, directory: str) -> str | None:
        for name in KUSTOMIZATION_FILES:
            path = name if directory == "." else f"{directory}/{name}"
            if self.files.is_file(path):
                return path
        return None

    def digest(self, directory: str) -> str | None:
        """A digest of everything a build of ``directory`` reads, or None when unknown."""
        inputs = self.inputs(directory)
        if inputs is None:
            return None
        digest = hashlib.sha256(directory.encode())
        for path in sorted(inputs[0]):
            digest.update(f"\0{path}\0{self.files.blob_id(path)}".encode())
        return digest.hexdigest()


def _strings(value: Any) -> Iterator[str]:
    """Every string in a kustomization that could name a file or directory."""
    if isinstance(value, str):
        if value and "\n" not in value and len(value) < 1024:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def cache_dir() -> Path:
    """Where build outputs are kept between runs."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "labgen"


def path_digest(path: Path | None) -> str:
    """A digest of a file, or of every file under a directory (a chart archive or an
    unpacked chart); "not cached" for None."""
    if path is None:
        return "not cached"
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"\0{file.relative_to(path.parent)}\0".encode() + file.read_bytes())
    return digest.hexdigest()


class BuildStore:
    """Tool outputs on disk, by the digest of their inputs and the tool's binary:
    ``kubectl`` (kustomize builds) and ``helm`` (chart renders)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0
        self._tools: dict[str, str] = {}

    def _path(self, tool: str, digest: str) -> Path:
        if tool not in self._tools:
            binary = find_tool(tool)
            stat = binary.stat()
            self._tools[tool] = f"{binary.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
        key = hashlib.sha256(f"{self._tools[tool]}\0{digest}".encode()).hexdigest()
        return self.directory / tool / key[:2] / key

    def get(self, tool: str, digest: str) -> list[Any] | None:
        """The documents ``tool`` output for these inputs, if they were kept."""
        path = self._path(tool, digest)
        try:
            documents = json.loads(path.read_bytes())
            os.utime(path)  # read now: kept by prune
        except (OSError, ValueError):
            return None
        if not isinstance(documents, list):
            return None
        self.hits += 1
        return documents

    def put(self, tool: str, digest: str, documents: list[Any]) -> None:
        """Keep a successful build's documents, as JSON (fast to read back), when JSON
        holds them exactly (not timestamps, binary or non-string keys); best effort: a
        cache that cannot be written only makes the next run slower."""
        try:
            text = json.dumps(documents, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return
        if json.loads(text) != documents:
            return
        path = self._path(tool, digest)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)

    def prune(self, now: float | None = None) -> int:
        """Remove the entries no run read for MAX_AGE_DAYS, at most once a day; how many."""
        now = time.time() if now is None else now
        stamp = self.directory / ".pruned"
        try:
            if now - stamp.stat().st_mtime < 86400:
                return 0
        except OSError:
            pass
        removed = 0
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp.touch()
            for entry in self.directory.glob("*/??/*"):
                if now - entry.stat().st_mtime > MAX_AGE_DAYS * 86400:
                    entry.unlink(missing_ok=True)
                    removed += 1
        except OSError:
            pass
        return removed
