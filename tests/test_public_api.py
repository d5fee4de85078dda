"""The public surface is only the public API: every public module has an ``__all__`` that holds.

Walks every module of the package whose dotted path has no ``_`` part (narwhals'
``stable_api_test`` style): each has a sorted ``__all__`` whose names all exist, and
``dir(fzcompare)`` shows exactly its ``__all__``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import fzcompare
from fzcompare.catalog import load_catalog


def _public_modules() -> list[str]:
    names = ["fzcompare"]
    for info in pkgutil.walk_packages(fzcompare.__path__, "fzcompare."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()


def test_the_walk_finds_the_stage_modules() -> None:
    for stage in ("benchmark", "catalog", "charts", "criteria", "errors", "extract", "report",
                  "schema", "store", "synthetic", "trends", "validate"):
        assert f"fzcompare.{stage}" in PUBLIC_MODULES


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_has_an_all_whose_names_exist(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    names = list(module.__all__)
    assert len(names) == len(set(names)), f"{name}.__all__ repeats a name"
    assert [n for n in names if not hasattr(module, n)] == []
    isort_style = sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert names in (sorted(names), isort_style), f"{name}.__all__ is not sorted"


def test_dir_of_the_package_is_its_public_api() -> None:
    shown = dir(fzcompare)
    assert shown == sorted(fzcompare.__all__)
    assert [n for n in shown if n.startswith("_") and n != "__version__"] == []
    assert "annotations" not in shown


def test_the_stage_modules_in_all_are_modules() -> None:
    modules = [n for n in fzcompare.__all__ if isinstance(getattr(fzcompare, n), ModuleType)]
    assert modules == ["benchmark", "catalog", "charts", "coverage", "criteria", "errors",
                       "extract", "regions", "report", "schema", "store", "synthetic", "trends",
                       "validate"]


def test_the_catalog_prints_as_a_short_summary() -> None:
    catalog = load_catalog()
    text = str(catalog)
    assert text == repr(catalog)
    assert "\n" not in text and len(text) < 120
    assert text == (f"Catalog(version={catalog.version!r}, {catalog.indicators.height} "
                    f"indicators, {catalog.relations.height} relations, "
                    f"{catalog.domains.height} domains)")
