"""Where a built object is written: the committed file and line of each object of a
kustomization build, and of each schema error in it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from labgen.buildcache import KUSTOMIZATION_FILES
from labgen.check.discover import display
from labgen.check.files import documents_with_lines
from labgen.check.model import Report
from labgen.schemas import SchemaError
from labgen.yamlio import YamlSyntaxError, load_all_safe, load_document

Identity = tuple[str, str, str, str]


def _identity(obj: dict[str, Any]) -> Identity:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    return (
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )


class Located:
    """Where the objects of one build are written: (file, line of its document) by
    identity, the first file of the kustomization closure that declares it winning (a
    resource before a patch of it)."""

    def __init__(self, index: dict[Identity, tuple[str, int]]) -> None:
        self.index = index
        self.by_name = {(i[0], i[1], i[3]): where for i, where in reversed(index.items())}

    def find(self, obj: dict[str, Any]) -> tuple[str | None, int | None]:
        """The (file, line) an object of the build is written at, or (None, None)."""
        key = _identity(obj)
        # kustomize may have set the namespace the file leaves out
        where = self.index.get(key) or self.by_name.get((key[0], key[1], key[3]))
        return where if where else (None, None)


class Sources:
    """Which committed files a kustomization build reads: its kustomization closure
    (resources, components and bases, recursively; then patches), each file parsed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, list[tuple[Identity, tuple[str, int]]]] = {}

    def of(self, directory: Path) -> Located:
        """Where the objects of the build of ``directory`` are written."""
        index: dict[Identity, tuple[str, int]] = {}
        for file in self._closure(directory, set()):
            for identity, where in self._documents(file):
                index.setdefault(identity, where)
        return Located(index)

    def _closure(self, directory: Path, seen: set[Path]) -> list[Path]:
        if directory in seen:
            return []
        seen.add(directory)
        kustomization = next(
            (directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()), None
        )
        if kustomization is None:
            return []
        try:
            docs = list(load_all_safe(kustomization.read_text(), str(kustomization)))
        except YamlSyntaxError:
            return []  # the build reports it
        spec = docs[0] if docs and isinstance(docs[0], dict) else {}
        files: list[Path] = []
        for entry in [*_strings(spec, "resources"), *_strings(spec, "bases")]:
            files += self._entry(directory, entry, seen)
        for entry in _strings(spec, "components"):
            files += self._entry(directory, entry, seen)
        patches: list[Any] = _strings(spec, "patchesStrategicMerge")
        for key in ("patches", "patchesJson6902"):
            patches += [p.get("path") for p in spec.get(key) or [] if isinstance(p, dict)]
        for entry in patches:
            if isinstance(entry, str) and (directory / entry).is_file():
                files.append((directory / entry).resolve())
        return files

    def _entry(self, directory: Path, entry: str, seen: set[Path]) -> list[Path]:
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            return []  # remote: not in this repository
        path = (directory / entry).resolve()
        if path.is_dir():
            return self._closure(path, seen)
        return [path] if path.is_file() else []

    def _documents(self, file: Path) -> list[tuple[Identity, tuple[str, int]]]:
        if file not in self._files:
            shown = display(self.root, file)
            try:
                located = documents_with_lines(file.read_text(), shown)
            except (YamlSyntaxError, OSError, UnicodeDecodeError):
                located = []  # the build reports it
            self._files[file] = [(_identity(doc), (shown, line)) for doc, line in located]
        return self._files[file]


def _strings(spec: dict[str, Any], key: str) -> list[str]:
    return [entry for entry in spec.get(key) or [] if isinstance(entry, str)]


def locate_errors(root: Path, report: Report, copies: dict[str, Path]) -> None:
    """Give each schema error the line of its field in the committed file (or of the
    nearest enclosing field that is there: a kustomize patch may have added the rest).
    Only objects with errors are re-read, with the position-keeping loader; ``copies``
    are where streams (``<stdin>``) can be read again."""
    texts: dict[str, list[str]] = {}
    for resource in report.resources:
        if not resource.errors or resource.file is None or resource.line is None:
            continue
        if resource.file not in texts:
            file = copies.get(resource.file, root / resource.file)
            texts[resource.file] = file.read_text().splitlines(keepends=True)
        lines = texts[resource.file][resource.line - 1 :]
        end = next((i for i, x in enumerate(lines) if x.startswith("---")), len(lines))
        try:
            document = load_document("".join(lines[:end]), resource.file)
        except YamlSyntaxError:
            continue
        resource.errors = [
            replace(e, line=document.position(_offending(e))[0] + resource.line - 1)
            for e in resource.errors
        ]


_UNEXPECTED = re.compile(r"^Additional properties are not allowed \('([^']+)'")


def _offending(error: SchemaError) -> tuple[str | int, ...]:
    """The field an error is about: for an unknown field, the field itself, not the
    object holding it."""
    unexpected = _UNEXPECTED.match(error.message)
    return (*error.location, unexpected.group(1)) if unexpected else error.location
