"""What a `labgen check` run is told: where its schemas and chart caches are, which kinds
it skips, and which repository it works in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labgen.data.releases import DEFAULT_KUBERNETES_VERSION
from labgen.errors import LabgenError
from labgen.root import find_root

DEFAULT_PATHS = ("catalog", "overlays", "apps")
REPO_SCHEMAS = Path("schemas") / "crds"
"""A repository's own CRD schemas (`labgen schemas import`), used when present."""


@dataclass(frozen=True)
class CheckOptions:
    """How to check a tree: schemas, Kubernetes version, skipped kinds, chart caches."""

    schema_dirs: tuple[Path, ...]
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    skip_kinds: frozenset[str] = frozenset()
    """Kinds not validated, as ``Kind`` or ``group/version/Kind``."""
    assumed_crd_groups: frozenset[str] = frozenset()
    """API groups whose CRDs the cluster has before any Application syncs."""
    chart_dirs: tuple[Path, ...] = ()
    """Chart caches: ``<chart>-<version>.tgz`` (as ``helm pull`` saves them), or unpacked
    ``<chart>-<version>/`` or ``<chart>/`` directories (vendored charts)."""
    build_cache: Path | None = None
    """Where kustomize outputs are kept between runs (``labgen.buildcache``); None: every
    kustomization is built."""


def check_root(given: Path | None, paths: Sequence[Path], cwd: Path) -> Path:
    """The directory paths are relative to: the repository (``given``, else the nearest
    directory with labs/), or ``cwd`` for manifests outside a labgen repository (paths
    given, or the default paths there)."""
    if given is not None:
        return given.resolve()
    try:
        return find_root(cwd)
    except LabgenError:
        if not paths and not any((cwd / p).is_dir() for p in DEFAULT_PATHS):
            raise
        return cwd


def schema_dirs(root: Path, given: Iterable[Path]) -> tuple[Path, ...]:
    """The schema locations given, then the repository's own ``schemas/crds`` if any."""
    own = root / REPO_SCHEMAS
    return (*given, own) if own.is_dir() else tuple(given)
