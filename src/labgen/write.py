"""render -> disk: compare the in-memory tree with the repository and write it safely.

Ownership: ``.labgen/manifest.json`` records every file labgen wrote, its owner (the
catalog, the schema, or one lab) and its digest, like Tanka's export manifest. A render
only creates, updates and deletes files of the owners it renders; it refuses to
overwrite a file it does not own, and never deletes one.

Atomicity: all new contents are first staged beside their targets; only when every file
is staged does a journal record the renames, which are then applied. If the process dies
while staging, the previous tree is untouched; if it dies while renaming, the next run
finishes the journal before doing anything else.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from labgen.errors import WriteError
from labgen.render.tree import Tree

STATE_DIR = ".labgen"
MANIFEST = f"{STATE_DIR}/manifest.json"
JOURNAL = f"{STATE_DIR}/journal.json"
GENERATED_ROOTS = ("catalog", "overlays", "apps", "schemas")
_TMP_SUFFIX = ".labgen-tmp"

Action = Literal["created", "updated", "deleted", "unchanged"]


@dataclass(frozen=True)
class FileResult:
    path: str
    action: Action


@dataclass(frozen=True)
class Drift:
    path: str
    problem: Literal["missing", "modified", "stale", "unexpected"]
    diff: str = ""


@dataclass
class WriteReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.results if r.action == action)

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.action != "unchanged"]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        return "\0unreadable"


def load_manifest(root: Path) -> dict[str, dict[str, str]]:
    text = _read(root / MANIFEST)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError
        return {
            str(k): {"owner": str(v["owner"]), "sha256": str(v["sha256"])} for k, v in files.items()
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise WriteError(f"{MANIFEST} is damaged ({exc}); restore it from git") from None


def _manifest_text(files: dict[str, dict[str, str]]) -> str:
    return json.dumps({"version": 1, "files": dict(sorted(files.items()))}, indent=1) + "\n"


def _next_manifest(
    old: dict[str, dict[str, str]], tree: Tree, scopes: set[str]
) -> dict[str, dict[str, str]]:
    kept = {p: e for p, e in old.items() if e["owner"] not in scopes}
    kept.update({f.path: {"owner": f.owner, "sha256": digest(f.content)} for f in tree})
    return kept


def check_tree(root: Path, tree: Tree, scopes: set[str]) -> list[Drift]:
    """Every difference between ``tree`` and the files on disk, for the owners in scope."""
    drifts: list[Drift] = []
    for item in tree:
        on_disk = _read(root / item.path)
        if on_disk is None:
            drifts.append(Drift(item.path, "missing"))
        elif on_disk != item.content:
            drifts.append(Drift(item.path, "modified", _diff(item.path, on_disk, item.content)))
    old = load_manifest(root)
    for path, entry in sorted(old.items()):
        if entry["owner"] in scopes and path not in tree and (root / path).exists():
            drifts.append(Drift(path, "stale"))
    owned = set(old) | {f.path for f in tree}
    for directory in _generated_dirs(tree, scopes):
        for path in sorted(_files_under(root, directory)):
            if path not in owned:
                drifts.append(Drift(path, "unexpected"))
    expected = _manifest_text(_next_manifest(old, tree, scopes))
    if _read(root / MANIFEST) != expected:
        drifts.append(Drift(MANIFEST, "modified" if (root / MANIFEST).exists() else "missing"))
    return drifts


def _generated_dirs(tree: Tree, scopes: set[str]) -> set[str]:
    """Directories whose every file must come from the render (owned by a scope)."""
    dirs = set()
    for item in tree:
        if item.owner not in scopes:
            continue
        parts = item.path.split("/")
        if parts[0] in ("overlays", "apps") and len(parts) > 2:
            dirs.add("/".join(parts[:2]))
        elif parts[0] == "catalog":
            dirs.add("catalog")
    return dirs


def _files_under(root: Path, directory: str) -> Iterable[str]:
    base = root / directory
    if not base.is_dir():
        return
    for dirpath, _, filenames in os.walk(base):
        for name in filenames:
            yield (Path(dirpath) / name).relative_to(root).as_posix()


def _diff(path: str, old: str, new: str, limit: int = 40) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            f"{path} (on disk)",
            f"{path} (rendered)",
            lineterm="",
        )
    )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more diff lines"]
    return "\n".join(lines)


def write_tree(root: Path, tree: Tree, scopes: set[str]) -> WriteReport:
    """Bring the disk in line with ``tree`` for the owners in ``scopes``."""
    recover(root)
    old = load_manifest(root)
    report = WriteReport()
    writes: dict[str, str] = {}
    conflicts = []
    for item in tree:
        on_disk = _read(root / item.path)
        if on_disk == item.content:
            report.results.append(FileResult(item.path, "unchanged"))
        elif on_disk is None:
            writes[item.path] = item.content
            report.results.append(FileResult(item.path, "created"))
        elif item.path in old:
            writes[item.path] = item.content
            report.results.append(FileResult(item.path, "updated"))
        else:
            conflicts.append(item.path)
    if conflicts:
        raise WriteError(
            "refusing to overwrite files labgen does not own (move them away, or delete "
            "them if they are leftovers of an old render):\n"
            + "\n".join(f"  {p}" for p in conflicts)
        )
    deletions = sorted(
        p for p, e in old.items() if e["owner"] in scopes and p not in tree and (root / p).exists()
    )
    report.results.extend(FileResult(p, "deleted") for p in deletions)
    manifest = _manifest_text(_next_manifest(old, tree, scopes))
    if _read(root / MANIFEST) != manifest:
        writes[MANIFEST] = manifest
    if writes or deletions:
        _commit(root, writes, deletions)
    report.results.sort(key=lambda r: r.path)
    return report


@dataclass(frozen=True)
class _Journal:
    renames: tuple[tuple[str, str], ...]
    """(staged file, target), relative to the root; the manifest comes last."""
    deletions: tuple[str, ...]

    def dumps(self) -> str:
        return json.dumps({"renames": self.renames, "deletions": self.deletions}, indent=1)

    @classmethod
    def loads(cls, text: str) -> _Journal:
        data = json.loads(text)
        return cls(
            tuple((str(a), str(b)) for a, b in data["renames"]),
            tuple(str(p) for p in data["deletions"]),
        )


def _commit(root: Path, writes: dict[str, str], deletions: list[str]) -> None:
    staged: list[tuple[str, str]] = []
    created: list[Path] = []
    try:
        # The manifest is staged and renamed last: it never records files not in place.
        for path, content in sorted(writes.items(), key=lambda kv: (kv[0] == MANIFEST, kv[0])):
            target = root / path
            _make_dirs(target.parent, created)
            tmp = target.with_name(f".{target.name}{_TMP_SUFFIX}")
            staged.append((tmp.relative_to(root).as_posix(), path))
            _stage(tmp, content)
        # One flush of every staged file to disk before the journal names them (cheaper
        # than an fsync per file: a render writes over a thousand).
        os.sync()
    except BaseException as exc:
        for tmp_path, _ in staged:
            (root / tmp_path).unlink(missing_ok=True)
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()
        if isinstance(exc, OSError):
            # A full disk, a read-only or vanished directory: nothing was renamed yet.
            raise WriteError(f"cannot write the render ({exc}); nothing was changed") from None
        raise
    journal = _Journal(tuple(staged), tuple(deletions))
    (root / STATE_DIR).mkdir(exist_ok=True)
    _write_durably(root / JOURNAL, journal.dumps())
    _apply_journal(root, journal)


def _make_dirs(directory: Path, created: list[Path]) -> None:
    """Create ``directory`` and its missing parents, adding each to ``created`` (outermost
    first) so that a failed write can remove them again."""
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _stage(path: Path, content: str) -> None:
    path.write_text(content, encoding="utf-8", newline="\n")


def _write_durably(path: Path, content: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def recover(root: Path) -> bool:
    """Finish a render that was interrupted while renaming; True if there was one."""
    text = _read(root / JOURNAL)
    if text is None:
        return False
    try:
        journal = _Journal.loads(text)
    except (ValueError, KeyError, TypeError):
        # The journal itself was being written: nothing was renamed yet.
        (root / JOURNAL).unlink()
        return False
    _apply_journal(root, journal)
    return True


def _apply_journal(root: Path, journal: _Journal) -> None:
    for staged, target in journal.renames:
        source = root / staged
        if source.exists():
            os.replace(source, root / target)
    for path in journal.deletions:
        doomed = root / path
        doomed.unlink(missing_ok=True)
        _prune_empty_dirs(root, doomed.parent)
    (root / JOURNAL).unlink(missing_ok=True)


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    while directory != root and directory.relative_to(root).parts[0] in GENERATED_ROOTS:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
