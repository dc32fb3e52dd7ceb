"""Shared fixtures: the repository, upstream schemas, golden-tree updating."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from labgen.schemas import SchemaSet

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
INVALID = Path(__file__).resolve().parent / "cases" / "invalid"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/*/expected from a fresh render.",
    )


def pytest_report_header() -> list[str]:
    """The kubectl/kustomize and helm the builds in this run use (output depends on them)."""
    from labgen.tools import describe_tools

    return [f"{t.name}: {t.version} ({t.path})" for t in describe_tools()]


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def schemas_dir() -> Path:
    """Upstream CRD JSON Schemas: $LABGEN_SCHEMAS, default ../shared/schemas."""
    return Path(os.environ.get("LABGEN_SCHEMAS", REPO.parent / "shared" / "schemas"))


@pytest.fixture(scope="session")
def crd_schemas() -> Path:
    crds = schemas_dir() / "crds"
    if not crds.is_dir():
        pytest.skip(
            f"upstream CRD schemas not found at {crds}: strict validation of custom resources "
            "needs ../shared/schemas (or LABGEN_SCHEMAS pointing at a kubeconform-layout copy)"
        )
    return crds


def charts_dir() -> Path:
    """Pinned upstream Helm charts (``helm pull`` archives): $LABGEN_CHARTS, default
    ../shared/charts."""
    return Path(os.environ.get("LABGEN_CHARTS", REPO.parent / "shared" / "charts"))


@pytest.fixture(scope="session")
def chart_cache() -> Path:
    charts = charts_dir()
    if not any(charts.glob("*.tgz")):
        pytest.skip(
            f"Helm chart cache not found at {charts}: rendering the Helm sources with the real "
            "`helm template` needs ../shared/charts (or LABGEN_CHARTS pointing at a copy)"
        )
    return charts


_SCHEMA_SETS: dict[str, SchemaSet] = {}


@pytest.fixture(scope="session")
def schema_set(crd_schemas: Path) -> object:
    def get(kubernetes_version: str) -> SchemaSet:
        if kubernetes_version not in _SCHEMA_SETS:
            _SCHEMA_SETS[kubernetes_version] = SchemaSet(kubernetes_version, [crd_schemas])
        return _SCHEMA_SETS[kubernetes_version]

    return get


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A scratch repository with the shipped labs, ready to render into."""
    root = tmp_path / "repo"
    (root / "labs").mkdir(parents=True)
    for spec in sorted((REPO / "labs").glob("*.yaml")):
        shutil.copy(spec, root / "labs" / spec.name)
    return root


@pytest.fixture(scope="session")
def kubectl() -> Path:
    from labgen.tools import find_tool

    path = find_tool("kubectl")
    return path
