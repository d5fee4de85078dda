"""The public API holds still: every public path of the release still imports.

The lists below are the contract (what ``__all__`` held before the stage modules became
packages); removing a name from a package's ``__all__`` fails here, adding one needs the
list updated on purpose.
"""

from __future__ import annotations

import importlib
import inspect

import polars as pl
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


# One meaning per argument name across the public API (issue 13): observations are
# ``observations``; ``regions`` is a selection of region codes and ``regions_table`` a regions
# table; ``year`` is one year and ``years`` a selection.
NAMED_MODULES = ("fzcompare", "fzcompare.trends", "fzcompare.benchmark", "fzcompare.charts",
                 "fzcompare.report", "fzcompare.store", "fzcompare.validate", "fzcompare.extract",
                 "fzcompare.ingest", "fzcompare.regions", "fzcompare.synthetic")


def _public_signatures() -> list[tuple[str, inspect.Signature]]:
    found: dict[str, inspect.Signature] = {}
    for module_name in NAMED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", inspect.signature(obj))
            elif inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if inspect.isfunction(value) and not attr.startswith("_"):
                        found.setdefault(f"{obj.__module__}.{value.__qualname__}",
                                         inspect.signature(value))
    return sorted(found.items())


def test_argument_names_have_one_meaning() -> None:
    signatures = _public_signatures()
    assert len(signatures) > 60
    wrong = []
    for where, signature in signatures:
        for name, parameter in signature.parameters.items():
            annotation = str(parameter.annotation)
            if name == "obs":
                wrong.append(f"{where}: obs (use observations)")
            elif name == "regions" and "DataFrame" in annotation:
                wrong.append(f"{where}: regions is a table (use regions_table)")
            elif name == "regions_table" and "DataFrame" not in annotation:
                wrong.append(f"{where}: regions_table is not a table: {annotation}")
            elif name == "year" and ("Sequence" in annotation or "Iterable" in annotation):
                wrong.append(f"{where}: year takes a selection (use years)")
    assert wrong == []


def _small_panel() -> tuple[pl.DataFrame, pl.DataFrame]:
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    return panel.observations, panel.regions


def test_a_renamed_keyword_still_works_with_a_warning_naming_the_new_one() -> None:
    from fzcompare.benchmark import benchmark
    from fzcompare.criteria import load_criteria
    from fzcompare.trends import year_over_year

    observations, regions_table = _small_panel()
    with pytest.warns(DeprecationWarning, match="'obs' is deprecated; use 'observations'"):
        old = year_over_year(obs=observations)  # type: ignore[call-arg]
    assert old.equals(year_over_year(observations=observations))

    rubric = load_criteria("hubei-demo-2024")
    with pytest.warns(DeprecationWarning) as caught:
        old_result = benchmark(observations, rubric, year=2024,  # type: ignore[call-arg]
                               regions=regions_table)
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        "benchmark(): argument 'regions' is deprecated; use 'regions_table' instead",
        "benchmark(): argument 'year' is deprecated; use 'years' instead",
    ]
    new_result = benchmark(observations, rubric, years=2024, regions_table=regions_table)
    assert old_result.totals.equals(new_result.totals)


def test_old_and_new_name_together_is_an_argument_error() -> None:
    from fzcompare.errors import ArgumentTypeError
    from fzcompare.trends import trend

    observations, _ = _small_panel()
    with pytest.raises(ArgumentTypeError, match="both 'obs' and 'observations'") as caught:
        trend(observations=observations, obs=observations)  # type: ignore[call-arg]
    assert caught.value.hint == "pass only observations= (obs= is its old name)"


def test_every_renamed_function_lists_its_old_names() -> None:
    renamed = {}
    for module_name in NAMED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            old = getattr(getattr(module, name), "__renamed_arguments__", None)
            if old is not None:
                renamed[f"{module_name}.{name}"] = old
    assert renamed["fzcompare.trends.year_over_year"] == {"obs": "observations"}
    assert renamed["fzcompare.benchmark.benchmark"] == {"year": "years",
                                                        "regions": "regions_table"}
    assert renamed["fzcompare.validate.validate"] == {"regions": "regions_table"}
    for where, old in renamed.items():
        module_name, _, name = where.rpartition(".")
        parameters = inspect.signature(
            getattr(importlib.import_module(module_name), name)).parameters
        assert all(new in parameters and gone not in parameters
                   for gone, new in old.items()), where
