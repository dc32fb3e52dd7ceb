"""Which directories `labgen check` builds: every kustomization, but not Kustomize
Components (built alone they render nothing; the kustomizations including them build them)."""

from __future__ import annotations

from pathlib import Path

from labgen.check.discover import kustomization_dirs


def _kustomization(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "kustomization.yaml").write_text(text)
    return directory


def test_components_are_built_only_where_they_are_included(tmp_path: Path) -> None:
    header = "apiVersion: kustomize.config.k8s.io/"
    base = _kustomization(tmp_path / "base", f"{header}v1beta1\nkind: Kustomization\n")
    _kustomization(tmp_path / "gpu", f"{header}v1alpha1\nkind: Component  # x1\n")
    _kustomization(tmp_path / "quoted", f'{header}v1alpha1\nkind: "Component"\n')
    # a patch that targets a kind named Component is not a Component
    patched = _kustomization(
        tmp_path / "entry",
        "resources: [../base]\ncomponents: [../gpu]\npatches:\n- target:\n    kind: Component\n",
    )
    assert kustomization_dirs(tmp_path, [Path(".")]) == sorted([base, patched])
