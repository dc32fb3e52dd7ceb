"""Which repository `labgen check` works in and which schema locations it reads
(``labgen.check.options``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labgen.check.options import check_root, schema_dirs
from labgen.errors import LabgenError


def test_the_repository_is_the_nearest_directory_with_labs(tmp_path: Path) -> None:
    (tmp_path / "labs").mkdir()
    (tmp_path / "overlays" / "x").mkdir(parents=True)
    assert check_root(None, [], tmp_path / "overlays" / "x") == tmp_path.resolve()


def test_manifests_outside_a_repository_are_read_from_the_working_directory(
    tmp_path: Path,
) -> None:
    assert check_root(None, [Path("deploy.yaml")], tmp_path) == tmp_path
    (tmp_path / "catalog").mkdir()
    assert check_root(None, [], tmp_path) == tmp_path


def test_no_repository_no_paths_and_no_default_paths_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LabgenError, match="labs/"):
        check_root(None, [], tmp_path)


def test_the_repositorys_own_schemas_come_after_those_given(tmp_path: Path) -> None:
    given = tmp_path / "mine"
    assert schema_dirs(tmp_path, [given]) == (given,)
    (tmp_path / "schemas" / "crds").mkdir(parents=True)
    assert schema_dirs(tmp_path, [given]) == (given, tmp_path / "schemas" / "crds")
