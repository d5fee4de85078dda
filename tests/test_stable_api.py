"""The public API holds still: every public path of the release still imports.

The lists below are the contract (what ``__all__`` held before the stage modules became
packages); removing a name from a package's ``__all__`` fails here, adding one needs the
list updated on purpose.
"""

from __future__ import annotations

import importlib

import pytest

import fzcompare

PUBLIC: dict[str, tuple[str, ...]] = {
    "fzcompare": (
        "BenchmarkResult", "Catalog", "CatalogError", "ChartError", "CriteriaError",
        "CriteriaSet", "DatasetWriteError", "ExtractionError", "ExtractionResult",
        "FzcompareError", "KEY_COLUMNS", "OBSERVATION_SCHEMA", "SchemaError", "TrendsResult",
        "ValidationFailedError", "ValidationResult", "WriteReport", "__version__", "analyze",
        "benchmark", "charts", "check_observations", "compare_editions", "extract",
        "list_bundled_criteria", "load", "load_catalog", "load_criteria", "load_regions",
        "load_sources", "rank_robustness", "report", "scan", "synthetic", "trends", "validate",
        "what_it_would_take", "write_observations",
        "CoverageResult", "coverage", "disclosure_frame", "evidence_share",
    ),
    "fzcompare.trends": (
        "CHANGE_REASONS", "MIN_POINTS", "SERIES_REASONS", "SUMMARY_COLUMNS", "VERDICTS",
        "SeriesModel", "Tolerance", "TrendsResult", "analyze", "change_significance",
        "convergence", "dispersion", "outlook", "series_model", "summarize", "trend",
        "year_over_year",
    ),
    "fzcompare.benchmark": (
        "AGGREGATIONS", "NORMALISATIONS", "BenchmarkResult", "BenchmarkSettings",
        "CompositeResult", "RobustnessResult", "benchmark", "compare_editions", "composite",
        "rank_robustness", "what_it_would_take",
        "AttributionResult", "AuditResult", "RankUncertaintyResult", "UncertaintySettings",
        "audit", "change_attribution", "rank_uncertainty",
    ),
    "fzcompare.charts": (
        "OBSERVATION_COLUMNS", "TRENDS_COLUMNS", "ChartFont", "area_profile", "bullet_chart",
        "chart_font", "criteria_heatmap", "change_waterfall", "dispersion_chart",
        "figure_to_data_uri",
        "rank_bump", "save_png", "trend_panels", "yoy_dumbbell",
        "COVERAGE_COLUMNS", "coverage_heatmap",
    ),
    # issue 16 part A: disclosure states and coverage
    "fzcompare.coverage": (
        "CoverageResult", "common_set", "coverage", "disclosure_frame", "evidence_share",
        "report_years",
    ),
    "fzcompare.schema": (
        "DERIVED_DISCLOSURES", "DISCLOSED_STATES", "DISCLOSURE_STATES", "KEY_COLUMNS",
        "OBSERVATION_DEFAULTS", "OBSERVATION_SCHEMA", "REPORT_KINDS", "SOURCE_DEFAULTS",
        "SOURCE_SCHEMA", "STORED_DISCLOSURES", "check_observations", "conform_observations",
        "conform_sources", "with_added_columns",
    ),
}


@pytest.mark.parametrize(("module", "name"),
                         [(m, n) for m, names in PUBLIC.items() for n in names])
def test_every_public_name_still_imports(module: str, name: str) -> None:
    loaded = importlib.import_module(module)
    assert name in loaded.__all__
    assert getattr(loaded, name) is not None


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_sorted_and_every_entry_exists(module: str) -> None:
    loaded = importlib.import_module(module)
    names = list(loaded.__all__)
    isort_style = sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert names in (sorted(names), isort_style)
    assert [n for n in names if not hasattr(loaded, n)] == []


def test_the_stage_functions_keep_their_paths() -> None:
    from fzcompare.benchmark import benchmark
    from fzcompare.charts import trend_panels
    from fzcompare.trends import year_over_year

    assert benchmark.__name__ == "benchmark"
    assert trend_panels.__name__ == "trend_panels"
    assert year_over_year.__name__ == "year_over_year"
    assert fzcompare.benchmark.benchmark is benchmark


def test_the_stage_packages_are_packages_and_the_old_files_are_gone() -> None:
    for stage in ("trends", "benchmark", "charts"):
        module = importlib.import_module(f"fzcompare.{stage}")
        assert hasattr(module, "__path__"), stage
    for old in ("_trends_prepare", "_benchmark_score", "_charts_style"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"fzcompare.{old}")


def test_the_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert fzcompare.__version__ == version("fzcompare")


def test_argument_errors_are_the_root_and_the_builtin_with_a_hint() -> None:
    from fzcompare.errors import ArgumentTypeError, FzcompareError, InvalidArgumentError
    from fzcompare.trends import Tolerance

    with pytest.raises(InvalidArgumentError) as caught:
        Tolerance(relative=-0.5)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, FzcompareError)
    assert caught.value.hint
    assert caught.value.exit_code == 2
    assert issubclass(ArgumentTypeError, TypeError)
    with pytest.raises(TypeError, match="hint"):
        InvalidArgumentError("no hint given")  # type: ignore[call-arg]


def test_no_bare_builtin_raise_in_src() -> None:
    import ast
    from pathlib import Path

    src = Path(fzcompare.__file__).parent
    bare = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(call, ast.Name) and call.id in {
                        "ValueError", "TypeError", "KeyError", "RuntimeError"}:
                    bare.append(f"{path.relative_to(src)}:{node.lineno}")
    assert bare == []
