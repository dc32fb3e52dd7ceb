"""All YAML I/O: specs loaded round-trip with positions, manifests dumped deterministically."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
import yaml_rs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from labgen.errors import Diagnostic, LabgenError, PathPart, format_path
from labgen.limits import MAX_MANIFEST_BYTES, size_problem, structure_problem

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


class YamlSyntaxError(LabgenError):
    """The text is not a single well-formed YAML document."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


def load_document(text: str, file: str) -> LoadedDocument:
    """Parse one YAML document round-trip, rejecting duplicate keys, keeping positions."""
    yaml = YAML(typ="rt")
    _check_spec_structure(text, file, yaml)
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
    except (ValueError, IndexError):  # ruamel's number constructors on scalars like `0_`
        raise YamlSyntaxError(_unreadable_scalar(text, file)) from None
    if len(docs) != 1:
        raise YamlSyntaxError(
            Diagnostic(file, 1, 1, "", f"expected one YAML document, found {len(docs)}")
        )
    positions: dict[tuple[PathPart, ...], Position] = {(): (1, 1)}
    data = _plain(docs[0], (), positions)
    return LoadedDocument(file=file, data=data, positions=positions)


def _unreadable_scalar(text: str, file: str) -> Diagnostic:
    """Where the scalar the constructor choked on is: compose (no construction) and try
    each number-tagged scalar alone."""
    yaml = YAML(typ="rt")
    for root in yaml.compose_all(text):
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node.value, list):
                stack.extend(
                    item
                    for pair in node.value
                    for item in (pair if isinstance(pair, tuple) else (pair,))
                )
            elif str(node.tag).endswith((":int", ":float")):
                try:
                    yaml.constructor.construct_object(node, deep=True)
                except (ValueError, IndexError):
                    mark = node.start_mark
                    message = f"invalid YAML: cannot read {node.value!r} as a number; quote it"
                    return Diagnostic(file, mark.line + 1, mark.column + 1, "", message)
    return Diagnostic(file, 1, 1, "", "invalid YAML: a scalar cannot be read")


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
    """Multi-line strings as literal blocks. Strings a YAML 1.1 reader would take for bools
    or numbers get quoted by the emitter itself (PyYAML's resolver is YAML 1.1); strings
    only YAML 1.2 or go-yaml read as numbers (``0008``, ``1e3``: kustomize reads both as
    floats) are quoted here."""
    if "\n" in data and not any(line != line.rstrip() for line in data.splitlines()):
        return dumper.represent_scalar(_STR_TAG, data, style="|")
    if _NUMBER_1_2.fullmatch(data):
        return dumper.represent_scalar(_STR_TAG, data, style="'")
    return dumper.represent_scalar(_STR_TAG, data)


_NUMBER_1_2 = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


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


# yaml-rs reads YAML 1.2; PyYAML (like go-yaml v2 behind kubectl) reads YAML 1.1. They
# differ on some plain scalars (1.1 booleans `yes`/`off`, `0755` octals, `1_000`, `1:20`,
# exponents without a dot) and on exotic syntax (tags, anchors, merge keys, odd flow
# collections). A stream that could contain any of these is read by PyYAML instead:
# cheap literal scans of the text plus a walk of what yaml-rs read decide, so the common
# case costs one Rust parse. tests/unit/test_yamlio.py checks the two readers agree
# whenever the fast path is taken.
_YAML11_SCALAR = (
    r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?[0-9_]*[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9_]*"
    r"|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]*)?"
    r"|[-+]?0[0-9_]+(?:\.[0-9_]*)?|[-+]?0[oObBxX][0-9a-fA-F_]*"
    r"|[-+]?[0-9a-fA-FxXoObB.:]*_[0-9a-fA-FxXoObB._:]*|[-+]?[0-9._]*:[0-9:._]*)"
)
_YAML11 = re.compile(
    "|".join(
        (
            # a plain scalar 1.1 resolves differently, as a value, item or key
            r"[:\-?][ \t]+S[ \t]*(?:#[^\n]*)?$",
            r"[:\-\[,{?][ \t]*S[ \t]*[,\]}:]",
            r"^[ \t]*S[ \t]*(?::|$)",
            # merge keys; tags, anchors, aliases, complex keys, directives, reserved
            r"<<",
            r"^[ \t\-]*:(?:[ \t]|$)",
            r"(?:^|[ \t\[{,:\-])[!&*?%@`]",
            # flow collections: colons and commas 1.2 reads and 1.1 rejects, collections
            # as keys, block indicators inside, the 1.1 `=` value key
            r"[\[{,][^\n]*?(?::[^ \t\n,\]}]|:[,\]}])",
            r"[\[{][^\n]*[\[{,:][ \t]*,",
            r"[\[{,][ \t]*:",
            r"^[ \t\-]*[\[{][^\n]*[\]}][ \t]*:",
            r"[\[{,][ \t]*[>|]",
            r"[\[{][^\n]*:[ \t]*[>|]",
            r"[:\-\[,{][ \t]*=[ \t]*(?:[,\]}]|$)",
        )
    ).replace("S", _YAML11_SCALAR),
    re.MULTILINE,
)
"""Everything that can read differently, as one pattern: for short texts and for the
lines the cheap scans single out."""
_STRINGS_1_1 = re.compile(
    r"yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9a-fA-FxXoObB.:_]*[_:][0-9a-fA-FxXoObB._:]*"
)
_FLOW = re.compile(r"[\[{](?![\]}])")
# Patterns for long texts start with a literal or a small set of characters where they can:
# the regex engine then skips ahead instead of trying every position.
_EMPTY_KEY_FIRST = re.compile(r"[ \t\-]*:(?:[ \t]|$)", re.MULTILINE)
_EMPTY_KEY = re.compile(r"\n[ \t\-]*:(?:[ \t]|$)", re.MULTILINE)
_FLOW_KEYS = (
    re.compile(r"\][ \t]*:(?:[ \t]|$)", re.MULTILINE),
    re.compile(r"\}[ \t]*:(?:[ \t]|$)", re.MULTILINE),
)
_EQUALS = re.compile(r"[:\-\[,{][ \t]*=[ \t]*(?:[,\]}]|$)", re.MULTILINE)
_LEADING_ZERO = re.compile(r"0[0-9oObBxX_]")
_INDICATOR_CONTEXT = frozenset(" \t\n[{,:-")
_NUMBER_CHARS = frozenset("0123456789abcdefABCDEFxXoObB.:_+-")
_CONTENT_LINE = re.compile(r"^(?!---|[ \t]*(?:#|$))", re.MULTILINE)
_SEPARATOR = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
_BLOCK_HEADER = re.compile(r"[ \t][>|][-+0-9]*[ \t]*(?:#[^\n]*)?$", re.MULTILINE)


_LONG_LINE = 4096
_COMMENT_FIRST = re.compile(r"\A[ \t]*#[^\n]*")
_COMMENT_LINE = re.compile(r"\n[ \t]*#[^\n]*")


def _may_read_differently(text: str) -> bool:
    """Whether the text's syntax could read differently in YAML 1.1 (before parsing)."""
    # Whole-line comments (every generated file's header has one, with backticks) hold
    # nothing either parser resolves; inside a block scalar such a line is literal text.
    # Blanking them keeps line structure for the checks below.
    if "#" in text:
        text = _COMMENT_LINE.sub("\n", _COMMENT_FIRST.sub("", text, count=1))
    if len(text) < 4096:
        return _YAML11.search(text) is not None or _empty_block_scalar(text)
    return (
        "<<" in text
        or _empty_block_scalar(text)
        or bool(_EMPTY_KEY_FIRST.match(text) or _EMPTY_KEY.search(text))
        or any(p.pattern[1] in text and p.search(text) for p in _FLOW_KEYS)
        or _has_indicator(text)
        or _flow_line_differs(text)
        or ("=" in text and _EQUALS.search(text) is not None)
        or _has_leading_zero(text)
        or _has_underscore_number(text)
    )


def _has_indicator(text: str) -> bool:
    """A tag, anchor, alias, complex key, directive or reserved indicator character."""
    for char in "!&*?%@`":
        at = text.find(char)
        while at != -1:
            if at == 0 or text[at - 1] in _INDICATOR_CONTEXT:
                return True
            at = text.find(char, at + 1)
    return False


def _flow_line_differs(text: str) -> bool:
    """A line with a flow collection whose scalars YAML 1.1 may resolve differently."""
    searched = -1  # end of the last line searched: each line once
    for match in _FLOW.finditer(text):
        if match.start() <= searched:
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.start())
        searched = end if end != -1 else len(text)
        if searched - start > _LONG_LINE:
            return True  # the pattern is quadratic in a line: PyYAML reads it, linearly
        if _YAML11.search(text[start:searched]):
            return True
    return False


def _has_leading_zero(text: str) -> bool:
    """A number with a leading zero or a base prefix YAML 1.1 reads as octal or binary."""
    for match in _LEADING_ZERO.finditer(text):  # 0755, 0o17, 0b1 (not 100, 8080)
        start = match.start()
        while start > 0 and text[start - 1] in "+-":
            start -= 1
        if start == 0 or text[start - 1] in _INDICATOR_CONTEXT:
            return True
    return False


def _has_underscore_number(text: str) -> bool:
    """A number with underscores (YAML 1.1 reads ``1_000`` as 1000)."""
    at = text.find("_")
    while at != -1:  # numbers with underscores (yaml-rs reads `_0` as 0)
        start = at
        while start > 0 and text[start - 1] in _NUMBER_CHARS:
            start -= 1
        end = at
        while end < len(text) and text[end] in _NUMBER_CHARS:
            end += 1
        token = text[start:end]
        if any(c.isdigit() for c in token) and (start == 0 or text[start - 1] in " \t\n[{,"):
            return True
        at = text.find("_", end)
    return False


def _read_differently(data: Any) -> bool:
    """Whether what yaml-rs read holds a string 1.1 would resolve to a boolean or number,
    or a float 1.1 would keep a string."""
    strings: set[str] = set()
    if _collect(data, strings):
        return True  # floats are rare in manifests, and 1.1 spells them more narrowly
    return any(_STRINGS_1_1.fullmatch(s) for s in strings)


def _collect(value: Any, strings: set[str]) -> bool:
    """Add every string key and value to ``strings``; True if a float was met."""
    floats = False
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is str:
                strings.add(key)
            elif type(key) is float:
                floats = True
            floats = _collect(item, strings) or floats
    elif isinstance(value, list):
        for item in value:
            floats = _collect(item, strings) or floats
    elif type(value) is str:
        strings.add(value)
    elif type(value) is float:
        floats = True
    return floats


def _empty_block_scalar(text: str) -> bool:
    """A block scalar header with no content (yaml-rs reads it as a newline, YAML says
    the empty string)."""
    for char in "|>":
        at = text.find(char)
        while at != -1:
            if at > 0 and text[at - 1] in " \t":
                match = _BLOCK_HEADER.match(text, at - 1)
                if match and not _has_content(text, match.start(), match.end() + 1):
                    return True
            at = text.find(char, at + 1)
    return False


def _has_content(text: str, header: int, at: int) -> bool:
    """Whether the first non-blank line from ``at`` is indented deeper than the line of
    the header at ``header``."""
    start = text.rfind("\n", 0, header) + 1
    indent = _indent(text[start : header + 1])
    while at < len(text):
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        line = text[at:end]
        if line.strip():
            return _indent(line) > indent
        at = end + 1
    return False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def load_all_safe(text: str, file: str = "<stream>") -> Iterator[Any]:
    """Load a multi-document stream of plain data (tool output, committed manifests).

    Read with yaml-rs (Rust, several times faster than libyaml) unless the stream could
    read differently in YAML 1.1; then with PyYAML's C loader, the 1.1 reading Kubernetes
    tools share. Timestamps stay strings (as in Kubernetes' JSON). Duplicate keys are
    errors. Errors carry file:line:col. Larger, deeper or alias-heavier streams than
    labgen.limits allows are errors too."""
    _check_size(text, file)
    if _may_read_differently(text):
        _check_manifest_structure(text, file)
        return _load_all_pyyaml(text, file)
    try:
        data = yaml_rs.loads(text, parse_datetime=False)
    except yaml_rs.YAMLDecodeError as exc:
        if "duplicate" in str(exc):
            raise _duplicate_key(text, file, exc) from None
        # Not YAML 1.2, or not YAML at all: PyYAML reads it or says where it breaks.
        _check_manifest_structure(text, file)
        return iter(list(_load_all_pyyaml(text, file)))
    if _read_differently(data):
        return _load_all_pyyaml(text, file)
    documents = data if _several_documents(text) else [data]
    return iter([doc for doc in documents if doc is not None])


def _several_documents(text: str) -> bool:
    """Whether a ``---`` separator follows a line of content: yaml-rs then returned a
    list of documents. Two linear scans (one pattern spanning lines from every line start
    was quadratic: 24 s on the 28 MB of upstream CRDs)."""
    content = _CONTENT_LINE.search(text)
    if content is None:
        return False
    end = text.find("\n", content.start())
    return end >= 0 and _SEPARATOR.search(text, end + 1) is not None


def _duplicate_key(text: str, file: str, exc: Exception) -> YamlSyntaxError:
    """A duplicate key yaml-rs found (PyYAML silently keeps the last value), positioned by
    the round-trip loader, document by document."""
    line = 0
    for chunk in re.split(r"(?m)^(?=---)", text):
        try:
            load_document(chunk.removeprefix("---"), file)
        except YamlSyntaxError as positioned:
            found = positioned.diagnostic
            if "duplicate" in found.message:
                return YamlSyntaxError(
                    Diagnostic(file, found.line + line, found.col, "", found.message)
                )
        line += chunk.count("\n")
    message = " ".join(str(exc).split("|")[0].split())
    return YamlSyntaxError(Diagnostic(file, 1, 1, "", f"invalid YAML: {message}"))


class _Loader(yaml.CSafeLoader):
    """PyYAML's YAML 1.1 reading, except that a plain ``=`` is the string "=" as in the
    Kubernetes tools (go-yaml), not YAML 1.1's ``!!value`` type, which PyYAML resolves but
    cannot construct (prometheus-operator's CRDs have ``enum: [=, ...]``)."""


def _plain_string(loader: _Loader, node: yaml.Node) -> Any:
    return loader.construct_yaml_str(node)


_Loader.add_constructor("tag:yaml.org,2002:value", _plain_string)


def _load_all_pyyaml(text: str, file: str) -> Iterator[Any]:
    try:
        yield from (doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc)
        message = f"invalid YAML: {' '.join(str(problem).split())}"
        raise YamlSyntaxError(Diagnostic(file, line, col, "", message)) from None
    except ValueError as exc:  # PyYAML's constructors on scalars such as `0b_`
        message = f"invalid YAML: unreadable scalar ({exc})"
        raise YamlSyntaxError(Diagnostic(file, 1, 1, "", message)) from None


# --- bounds on untrusted input (labgen.limits) -------------------------------------------


def _check_size(text: str, file: str) -> None:
    problem = size_problem(len(text), MAX_MANIFEST_BYTES, "a YAML stream")
    if problem is not None:
        raise YamlSyntaxError(Diagnostic(file, 1, 1, "", problem))


def _check_manifest_structure(text: str, file: str) -> None:
    """Where a stream may hold anchors, aliases or deep nesting: texts the YAML 1.1 guard
    sends to PyYAML (every anchor and alias does) and texts yaml-rs refuses (it refuses
    deep nesting). A stream yaml-rs reads needs no scan, even when PyYAML rereads it."""
    _check_structure(lambda: yaml.parse(text, Loader=yaml.CSafeLoader), file)


def _check_spec_structure(text: str, file: str, reader: YAML) -> None:
    """libyaml's events (20x cheaper than ruamel's); ruamel's own only for a text libyaml
    cannot parse (YAML 1.2 syntax), so no spec reaches the round-trip loader unscanned."""
    try:
        problem = structure_problem(yaml.parse(text, Loader=yaml.CSafeLoader), file)
    except (yaml.YAMLError, ValueError, IndexError):
        _check_structure(lambda: reader.parse(text), file)
        return
    if problem is not None:
        raise YamlSyntaxError(problem)


def _check_structure(events: Callable[[], Iterable[Any]], file: str) -> None:
    """Refuse alias bombs and absurd nesting before a loader expands or recurses into
    them; syntax errors are left to the loader, which positions them."""
    try:
        problem = structure_problem(events(), file)
    except (yaml.YAMLError, YAMLError, ValueError, IndexError):
        return
    if problem is not None:
        raise YamlSyntaxError(problem)
