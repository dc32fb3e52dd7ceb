"""The CRD schemas labgen ships: in step with the release table and with a fresh import of
the upstream CRDs (``../shared/crds``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from labgen.crds import PROVENANCE, read_sources, ship_schemas
from labgen.data.releases import RELEASES, pinned_crd_groups
from labgen.schemas import SHIPPED_DIR, SchemaNotFound, SchemaSet
from labgen.yamlio import load_all_safe

REPO = Path(__file__).resolve().parents[2]
CRDS = Path(os.environ.get("LABGEN_CRDS", REPO.parent / "shared" / "crds"))

# Groups of the release table and platforms with no CRD in ../shared/crds: labgen emits no
# object of them (the next test proves it for every rendered tree), so nothing is shipped.
NOT_SHIPPED = {
    "acme.cert-manager.io": "cert-manager's ACME Orders/Challenges: made by the controller",
    "eventing.keda.sh": "KEDA's CloudEventSources: not emitted",
    "config.openshift.io": "OpenShift's cluster configuration: not emitted",
    "console.openshift.io": "OpenShift console plug-ins: not emitted",
    "operator.openshift.io": "OpenShift operator configuration: not emitted",
    "resource.nvidia.com": "the GPU Operator chart's DRA ComputeDomain CRDs: not emitted",
    "disaggregatedset.x-k8s.io": "the LWS 0.10 chart's DisaggregatedSet CRDs: not emitted",
}


def _shipped() -> dict[str, tuple[str, str]]:
    """Schema file -> (group, tag) from the provenance table."""
    rows = read_sources((SHIPPED_DIR / PROVENANCE).read_text())
    return {row.file: (row.group, row.tag) for row in rows}


def test_every_shipped_schema_has_provenance_and_nothing_else_is_shipped() -> None:
    files = {
        p.relative_to(SHIPPED_DIR).as_posix()
        for p in SHIPPED_DIR.rglob("*")
        if p.is_file() and p.name != PROVENANCE
    }
    assert files == set(_shipped())
    for row in read_sources((SHIPPED_DIR / PROVENANCE).read_text()):
        assert row.repo.startswith("https://github.com/"), row
        assert re.fullmatch(r"[0-9a-f]{40}", row.commit), row
        assert row.path, row
        assert row.tag, row


def test_shipped_groups_are_the_pinned_ones() -> None:
    shipped_groups = {group for group, _ in _shipped().values()}
    pinned = pinned_crd_groups()
    assert shipped_groups - pinned == {"argoproj.io"}, "schemas shipped for unpinned groups"
    assert {p.name for p in (SHIPPED_DIR / "argoproj.io").iterdir()} == {
        "application_v1alpha1.json",
        "appproject_v1alpha1.json",
        "argocd_v1alpha1.json",
        "argocd_v1beta1.json",
    }
    assert pinned - shipped_groups == set(NOT_SHIPPED)


def test_release_versions_match_the_shipped_crd_tags() -> None:
    """Bumping a release row means re-importing its CRDs (scripts/ship_crd_schemas.py)."""
    tags: dict[str, set[str]] = {}
    for group, tag in _shipped().values():
        tags.setdefault(group, set()).add(tag)
    for release in RELEASES.values():
        for group in release.crd_groups:
            versioned = {t for t in tags.get(group, set()) if re.fullmatch(r"v\d[\w.]*", t)}
            assert versioned <= {release.version}, (release.key, group, versioned)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _emitted_kinds() -> set[tuple[str, str]]:
    kinds = set()
    trees = [REPO / d for d in ("catalog", "overlays", "apps")]
    trees += sorted((REPO / "tests" / "golden").glob("*/expected"))
    for tree in trees:
        for path in tree.rglob("*.yaml"):
            for doc in load_all_safe(path.read_text(), str(path)):
                if isinstance(doc, dict) and "apiVersion" in doc:
                    kinds.add((str(doc["apiVersion"]), str(doc.get("kind"))))
    return kinds


def test_every_custom_resource_labgen_emits_has_a_shipped_schema() -> None:
    schemas = SchemaSet("1.33", [])
    missing = []
    for api_version, kind in sorted(_emitted_kinds()):
        if kind in ("Kustomization", "Component"):
            continue
        try:
            schemas.validator(api_version, kind)
        except SchemaNotFound as exc:
            missing.append(f"{api_version} {kind}: {exc}")
    assert not missing


def test_shipped_schemas_are_a_fresh_import(tmp_path: Path) -> None:
    if not (CRDS / "SOURCES.md").is_file():
        pytest.skip(f"upstream CRDs not found at {CRDS} (set LABGEN_CRDS): cannot re-import")
    ship_schemas(CRDS, pinned_crd_groups(), tmp_path)
    fresh, shipped = _files(tmp_path), _files(SHIPPED_DIR)
    assert sorted(fresh) == sorted(shipped)
    stale = [name for name in fresh if fresh[name] != shipped[name]]
    assert not stale, f"re-run scripts/ship_crd_schemas.py: {stale}"
