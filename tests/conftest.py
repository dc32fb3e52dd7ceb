"""Shared fixtures: the repository, upstream schemas, golden-tree updating, the rendered
repositories the tests read, and the Hypothesis profiles."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from labgen.buildcache import CACHE_ENV
from labgen.repo import Rendered, render_repo
from labgen.schemas import SchemaSet
from labgen.write import write_tree
from labgen.yamlio import load_document

pytest_plugins = ("k8s_server",)  # the session's real kube-apiserver (fixture k8s_server)

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
INVALID = Path(__file__).resolve().parent / "cases" / "invalid"

# Hypothesis: a small profile for `make test`, a deep one for `make test-all`
# (HYPOTHESIS_PROFILE=deep). Tests set only what differs from these (deadline, health
# checks), never their own example counts.
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/*/expected from a fresh render.",
    )


TEST_BUILD_CACHE = REPO / ".pytest_cache" / "labgen-builds"


def pytest_configure(config: pytest.Config) -> None:
    """`labgen check` and `labgen diff` (run by tests), and the tests' own kustomize builds
    (``support.build``), keep builds in a cache of the test suite's own, never in the
    user's: ``.pytest_cache/labgen-builds``, kept between runs like the rest of
    ``.pytest_cache`` (a fresh clone, as in CI, builds everything). Entries are keyed by
    every file a build reads and the kubectl or helm binary (``labgen.buildcache``), so a
    test sees what the real tool outputs for exactly its inputs. ``LABGEN_TEST_CACHE=0``
    starts the run from an empty cache of its own."""
    if hasattr(config, "workerinput"):
        return  # xdist workers inherit the controller's
    if os.environ.get("LABGEN_TEST_CACHE") == "0":
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="labgen-test-cache-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(CACHE_ENV), ignore_errors=True))
    else:
        os.environ[CACHE_ENV] = str(TEST_BUILD_CACHE)


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


@dataclass(frozen=True)
class RenderedRepo:
    """A scratch repository whose labs were rendered once for the whole session.

    Shared by every test that reads it: tests must not change its files (copy ``root``
    first, as ``rendered_copy`` does)."""

    root: Path
    rendered: Rendered

    def lab_files(self, lab: str) -> dict[str, str]:
        """What lab ``lab`` owns (overlays/<lab>/, apps/<lab>/), path -> content, in memory."""
        prefixes = (f"overlays/{lab}/", f"apps/{lab}/")
        return {f.path: f.content for f in self.rendered.tree if f.path.startswith(prefixes)}


def _rendered(root: Path, specs: Iterable[Path]) -> RenderedRepo:
    (root / "labs").mkdir(parents=True)
    for spec in specs:
        name = load_document(spec.read_text(), spec.name).data["metadata"]["name"]
        shutil.copy(spec, root / "labs" / f"{name}.yaml")
    return RenderedRepo(root, render_repo(root, []))


@pytest.fixture(scope="session")
def shipped_render(tmp_path_factory: pytest.TempPathFactory) -> RenderedRepo:
    """labs/*.yaml, rendered in memory (nothing on disk but the specs)."""
    return _rendered(tmp_path_factory.mktemp("shipped"), sorted((REPO / "labs").glob("*.yaml")))


@pytest.fixture(scope="session")
def shipped_repo(shipped_render: RenderedRepo) -> RenderedRepo:
    """labs/*.yaml rendered and written: catalog/, overlays/, apps/, schemas/ on disk."""
    write_tree(shipped_render.root, shipped_render.rendered.tree, shipped_render.rendered.scopes)
    return shipped_render


@pytest.fixture(scope="session")
def golden_render(tmp_path_factory: pytest.TempPathFactory) -> RenderedRepo:
    """Every tests/golden/<case>/lab.yaml in one repository, rendered in memory (golden
    labs are named apart from each other, not from the shipped labs)."""
    return _rendered(tmp_path_factory.mktemp("golden"), sorted(GOLDEN.glob("*/lab.yaml")))


@pytest.fixture(scope="session")
def golden_repo(golden_render: RenderedRepo) -> RenderedRepo:
    """The golden labs rendered and written."""
    write_tree(golden_render.root, golden_render.rendered.tree, golden_render.rendered.scopes)
    return golden_render


@pytest.fixture
def rendered_copy(shipped_repo: RenderedRepo, tmp_path: Path) -> Path:
    """A scratch copy of the rendered shipped labs, free to change."""
    root = tmp_path / "repo"
    shutil.copytree(shipped_repo.root, root)
    return root
