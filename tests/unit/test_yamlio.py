"""The manifest reader: yaml-rs on the fast path must read exactly what PyYAML (YAML 1.1,
like the Kubernetes tools) reads; streams where the two could differ take PyYAML."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from labgen import yamlio
from labgen.yamlio import YamlSyntaxError, load_all_safe

REPO = Path(__file__).resolve().parents[2]


class _Yaml11(yaml.CSafeLoader):
    """YAML 1.1 as the Kubernetes tools (go-yaml) read it: a plain `=` is a string."""


def _string(loader: _Yaml11, node: yaml.Node) -> Any:
    return loader.construct_yaml_str(node)


_Yaml11.add_constructor("tag:yaml.org,2002:value", _string)


def _pyyaml(text: str) -> list[Any]:
    return [d for d in yaml.load_all(text, Loader=_Yaml11) if d is not None]


def _fast_path_taken(text: str) -> bool:
    return not yamlio._may_read_differently(text)


# Long streams take the cheap scans instead of the full pattern: test both.
PADDING = "".join(f"pad-{i}: value-{i}\n" for i in range(300))


# Characters plain scalars that resolve to non-strings are made of.
scalars = st.text(
    alphabet="0123456789._-+:eEoObBxXaAfFyYnNsSlLtTrRuU~ #@!%&*|>?,[]{}'\"\\=<",
    min_size=1,
    max_size=8,
).filter(lambda s: s == s.strip())  # leading blanks change the layout, not the scalar


# Cheap examples: three times the profile's count (tests/conftest.py).
@settings(max_examples=settings().max_examples * 3)
@given(
    scalars,
    st.sampled_from(["k: {}\n", "- {}\n", "k: [{}, 1]\n", "{}: v\n", "k: {{a: {}}}\n"]),
    st.booleans(),
)
def test_fast_path_reads_scalars_as_yaml_1_1_does(scalar: str, layout: str, long: bool) -> None:
    text = layout.format(scalar)
    if long:
        text = (
            (PADDING + "x:\n" + "".join(f"  {line}\n" for line in text.splitlines()))
            if (not text.startswith("-"))
            else PADDING + "x:\n" + text
        )
    try:
        expected = _pyyaml(text)
    except (yaml.YAMLError, ValueError):
        with pytest.raises(YamlSyntaxError):
            list(load_all_safe(text))
        return
    if not _fast_path_taken(text):
        return
    if any(isinstance(v, datetime.date) for v in _leaves(expected)):
        return  # timestamps: PyYAML makes dates, Kubernetes (and we) keep strings
    got = _read(text)
    # PyYAML keeps the last of duplicate keys; labgen rejects them
    assert got == expected or "duplicate key" in str(got), text


def _read(text: str) -> list[Any] | str:
    try:
        return list(load_all_safe(text))
    except YamlSyntaxError as exc:
        return str(exc)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (*_leaves(k), *_leaves(v))]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@pytest.mark.parametrize(
    "scalar", ["yes", "No", "off", "0755", "0o17", "1_000", "1:20", "1e3", "1.5e3", "On"]
)
def test_yaml_1_1_scalars_take_the_pyyaml_path(scalar: str) -> None:
    text = f"a: {scalar}\n"
    assert not _fast_path_taken(text)
    assert list(load_all_safe(text)) == _pyyaml(text)


def test_every_manifest_in_the_repository_reads_the_same_both_ways() -> None:
    files = [
        p
        for top in ("catalog", "overlays", "apps", "labs", "tests/cases/check", "tests/golden")
        for p in sorted((REPO / top).rglob("*.yaml"))
    ]
    assert len(files) > 200
    fast = 0
    for path in files:
        text = path.read_text()
        try:
            expected = _pyyaml(text)
        except yaml.YAMLError:
            continue
        fast += _fast_path_taken(text)
        assert list(load_all_safe(text)) == expected, path
    assert fast > len(files) // 2, "the fast path should be the common one"


@pytest.mark.parametrize(
    ("text", "documents"),
    [
        ("a: 1\n", [{"a": 1}]),
        ("---\na: 1\n", [{"a": 1}]),
        ("---\na: 1\n---\n", [{"a": 1}]),
        ("# lead\n---\na: 1\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
        ("- 1\n- 2\n", [[1, 2]]),
        # one document that is a list, and two that are: told apart by a separator after
        # content, not by yaml-rs' result type
        ("---\n# c\n- 1\n- 2\n", [[1, 2]]),
        ("- 1\n--- \n- 2\n", [[1], [2]]),
        ("", []),
        ("created: 2024-01-02\n", [{"created": "2024-01-02"}]),
        ("a:\n  b: >\n  c: |\n    x\n", [{"a": {"b": "", "c": "x\n"}}]),
        ("a: |-\n", [{"a": ""}]),
        # prometheus-operator's CRDs: `enum: [=, ...]` (YAML 1.1's `!!value` in PyYAML)
        ("enum:\n- =\n- '!='\n", [{"enum": ["=", "!="]}]),
        ("a: =\nb: yes\n", [{"a": "=", "b": True}]),
    ],
)
def test_documents_of_a_stream(text: str, documents: list[Any]) -> None:
    assert list(load_all_safe(text)) == documents


@pytest.mark.parametrize("long", [False, True])
def test_the_yaml_1_1_value_type_reads_as_the_string_go_yaml_reads(long: bool) -> None:
    # kube-prometheus-stack's AlertmanagerConfig CRD: `enum: [ "!=", =, ...]` as a block list
    text = "matchType:\n  enum:\n  - '!='\n  - =\n  - =~\nflow: [=, x]\n"
    padding = PADDING if long else ""
    document = next(iter(load_all_safe(padding + text)))
    assert document["matchType"] == {"enum": ["!=", "=", "=~"]}
    assert document["flow"] == ["=", "x"]


def test_duplicate_keys_are_errors_with_their_position() -> None:
    text = "x: 1\n---\na: 1\nb:\n  c: 1\n  c: 2\n"
    with pytest.raises(YamlSyntaxError) as caught:
        list(load_all_safe(text, "f.yaml"))
    assert str(caught.value).startswith("f.yaml:6:3: duplicate key")


def test_syntax_errors_have_positions() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        list(load_all_safe("a: 1\nb: [1\n", "f.yaml"))
    assert str(caught.value).startswith("f.yaml:3:1: invalid YAML")


@pytest.mark.parametrize("scalar", ["0b_", "-_", "0x_", "._"])
def test_specs_with_scalars_ruamel_cannot_construct_get_a_position(scalar: str) -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        yamlio.load_document(f"a:\n  b: {scalar}\n", "lab.yaml")
    assert str(caught.value).startswith("lab.yaml:2:6: invalid YAML: cannot read")


# Strings that YAML 1.1 leaves strings but YAML 1.2 (or go-yaml, which kustomize uses)
# reads as numbers: the writer must quote them, or kustomize turns a label into a number.
NUMBER_LIKE_STRINGS = ["0008", "0019", "1e3", "-2E-5", "0o17", "0x1F", ".5", "7.", "12"]


def test_number_like_strings_stay_strings_through_real_kustomize(tmp_path: Path) -> None:
    from support import build

    labels = {f"k{i}": value for i, value in enumerate(NUMBER_LIKE_STRINGS)}
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "numbers", "labels": labels},
        "data": labels,
    }
    (tmp_path / "cm.yaml").write_text(yamlio.dump_documents([config_map]))
    (tmp_path / "kustomization.yaml").write_text(
        yamlio.dump_data(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["cm.yaml"],
            }
        )
    )
    (built,) = build(tmp_path)
    assert built["metadata"]["labels"] == labels
    assert built["data"] == labels


@pytest.mark.parametrize(
    "tail",
    [
        "# comment first\nk: |\n" + "\n" * 60 + "next: 1\n",  # empty, after many blank lines
        "k: >-\n\n\n  text\nnext: 1\n",  # not empty: content after blank lines
        "list:\n- a\n  |\n",  # a lone header at the end
        "k: [a, b]: 1\n",  # a flow collection as a key (1.1 refuses it)
        "k: {a: b}: 1\n",
        "\n  # indented comment\n: empty key\n",
        "k: [0#,:, 1]\n",  # `#` inside a line is no comment line
    ],
)
def test_long_stream_scans_agree_with_pyyaml(tail: str) -> None:
    """The scans for long texts (block scalars, keys after flow collections, empty keys,
    comment lines) send these to PyYAML or read them as it does."""
    text = PADDING + tail
    try:
        expected = _pyyaml(text)
    except yaml.YAMLError:
        with pytest.raises(YamlSyntaxError):
            list(load_all_safe(text))
        return
    assert list(load_all_safe(text)) == expected
