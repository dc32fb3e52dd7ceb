"""All YAML I/O: specs loaded round-trip with positions, manifests dumped deterministically."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from labgen.errors import Diagnostic, PathPart, format_path

Position = tuple[int, int]
"""1-based (line, column)."""

# Keys Kubernetes readers expect first; everything else keeps the order it was built in.
_LEADING_KEYS = ("apiVersion", "kind", "metadata")


@dataclass(frozen=True)
class LoadedDocument:
    """A YAML document as plain data plus the position of every key and item in it."""

    file: str
    data: Any
    positions: Mapping[tuple[PathPart, ...], Position]

    def position(self, path: Iterable[PathPart]) -> Position:
        """Position of ``path`` or of its nearest ancestor that exists in the file."""
        parts = tuple(path)
        while parts:
            if parts in self.positions:
                return self.positions[parts]
            parts = parts[:-1]
        return self.positions.get((), (1, 1))

    def diagnostic(self, path: Iterable[PathPart], message: str) -> Diagnostic:
        parts = tuple(path)
        line, col = self.position(parts)
        return Diagnostic(self.file, line, col, format_path(parts), message)


class YamlSyntaxError(Exception):
    """The text is not a single well-formed YAML document."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


def load_document(text: str, file: str) -> LoadedDocument:
    """Parse one YAML document round-trip, rejecting duplicate keys, keeping positions."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        docs = list(yaml.load_all(text))
    except DuplicateKeyError as exc:
        raise YamlSyntaxError(_marked(exc, file, "duplicate key")) from None
    except MarkedYAMLError as exc:
        raise YamlSyntaxError(_marked(exc, file, "invalid YAML")) from None
    except ReaderError as exc:  # a control character: the reader knows only its offset
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: control character U+{char:04X} is not allowed"
        raise YamlSyntaxError(Diagnostic(file, line, col, "", message)) from None
    except YAMLError as exc:
        raise YamlSyntaxError(Diagnostic(file, 1, 1, "", f"invalid YAML: {exc}")) from None
    if len(docs) != 1:
        raise YamlSyntaxError(
            Diagnostic(file, 1, 1, "", f"expected one YAML document, found {len(docs)}")
        )
    positions: dict[tuple[PathPart, ...], Position] = {(): (1, 1)}
    data = _plain(docs[0], (), positions)
    return LoadedDocument(file=file, data=data, positions=positions)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _marked(exc: MarkedYAMLError, file: str, prefix: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or exc.context or "syntax error"
    text = " ".join(str(problem).split())
    if prefix == "duplicate key":
        text = text.replace("found duplicate key", "duplicate key")
        return Diagnostic(file, line, col, "", text)
    return Diagnostic(file, line, col, "", f"{prefix}: {text}")


def _plain(
    node: Any, path: tuple[PathPart, ...], positions: dict[tuple[PathPart, ...], Position]
) -> Any:
    """Convert ruamel's round-trip containers to dicts/lists, recording positions."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            line, col = node.lc.key(key)
            positions[child] = (line + 1, col + 1)
            out[key] = _plain(value, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            line, col = node.lc.item(index)
            positions[child] = (line + 1, col + 1)
            items.append(_plain(value, child, positions))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _ordered(value: Any) -> Any:
    """Leading keys first, the rest as built; None values dropped (no nulls on output)."""
    if isinstance(value, Mapping):
        keys = [k for k in _LEADING_KEYS if k in value]
        keys += [k for k in value if k not in _LEADING_KEYS]
        return {k: _ordered(value[k]) for k in keys if value[k] is not None}
    if isinstance(value, list | tuple):
        return [_ordered(v) for v in value]
    return value


class _Dumper(yaml.CSafeDumper):
    """libyaml's emitter (the pure-Python one is ~10x slower) with labgen's conventions."""


def _represent_str(dumper: _Dumper, data: str) -> yaml.ScalarNode:
    """Multi-line strings as literal blocks. Strings a YAML 1.1 reader (kubectl, Argo CD)
    would take for bools or numbers get quoted by the emitter itself: PyYAML's resolver
    is YAML 1.1."""
    if "\n" in data and not any(line != line.rstrip() for line in data.splitlines()):
        return dumper.represent_scalar(_STR_TAG, data, style="|")
    return dumper.represent_scalar(_STR_TAG, data)


_STR_TAG = "tag:yaml.org,2002:str"
_Dumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    # Block style everywhere (one field per line reads best in a PR diff), keys in the
    # order labgen built them, no line folding.
    return yaml.dump(
        _ordered(data),
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
    )


def dump_documents(documents: Iterable[Mapping[str, Any]]) -> str:
    """Dump manifests as a multi-document stream with a fixed layout."""
    return "---\n".join(_dump(doc) for doc in documents)


def dump_data(data: Any) -> str:
    """Dump one YAML document (kustomization files, values)."""
    return _dump(data)


def load_all_safe(text: str, file: str = "<stream>") -> Iterator[Any]:
    """Load a multi-document stream of plain data (tool output, committed manifests)."""
    try:
        yield from (doc for doc in yaml.load_all(text, Loader=yaml.CSafeLoader) if doc is not None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        message = f"invalid YAML: {' '.join(str(problem).split())}"
        raise YamlSyntaxError(Diagnostic(file, line, col, "", message)) from None
