"""Package data: the rubrics inside the package are the ones in ``datasets/criteria``.

Bundled rubric ids resolve inside the installed package only (no lookup relative to the
checkout or the current directory), so the packaged copy must match the repository's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fzcompare.criteria import bundled_criteria_dirs, list_bundled_criteria

REPOSITORY_RUBRICS = Path(__file__).resolve().parents[1] / "datasets" / "criteria"


def test_packaged_rubrics_equal_the_repository_ones() -> None:
    packaged = Path(str(resources.files("fzcompare").joinpath("data", "criteria")))
    names = sorted(p.name for p in REPOSITORY_RUBRICS.glob("*.yaml"))
    assert names == sorted(p.name for p in packaged.glob("*.yaml"))
    for name in names:
        assert (packaged / name).read_bytes() == (REPOSITORY_RUBRICS / name).read_bytes(), name


def test_bundled_rubrics_do_not_depend_on_the_checkout() -> None:
    folders = bundled_criteria_dirs()
    assert all("datasets" not in folder.parts for folder in folders)
    assert "hubei-demo-2024" in list_bundled_criteria()["id"].to_list()
