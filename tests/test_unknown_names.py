"""Unknown names are errors that suggest the right one (issue 18), in every library entry point."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

import fzcompare
from fzcompare import benchmark, trends
from fzcompare.catalog import load_catalog
from fzcompare.criteria import load_criteria
from fzcompare.errors import ArgumentTypeError, FzcompareError, UnknownNameError


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    return fzcompare.load("datasets/real")


@pytest.fixture(scope="module")
def demo_result() -> benchmark.BenchmarkResult:
    return benchmark.benchmark(fzcompare.load("datasets/demo"),
                               load_criteria("hubei-demo-2024"), years=2023)


TREND_FUNCTIONS = [trends.year_over_year, trends.trend, trends.summarize,
                   trends.change_significance, trends.dispersion, trends.analyze]


@pytest.mark.parametrize("function", TREND_FUNCTIONS, ids=lambda f: f.__name__)
def test_a_misspelled_indicator_code_suggests_the_code(
        real: pl.DataFrame, function: Callable[..., pl.DataFrame]) -> None:
    with pytest.raises(UnknownNameError) as caught:
        function(real, indicators=["gov_service_onlin_rate"])
    assert caught.value.message == ("unknown indicator code 'gov_service_onlin_rate'; "
                                    "did you mean gov_service_online_rate?")
    assert caught.value.details["suggestions"] == {
        "gov_service_onlin_rate": ["gov_service_online_rate"]}
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, FzcompareError)
    assert caught.value.exit_code == 2


def test_an_unknown_region_code_suggests_codes_of_the_same_province(real: pl.DataFrame) -> None:
    with pytest.raises(UnknownNameError) as caught:
        trends.year_over_year(real, regions=["429999"])
    message = caught.value.message
    assert message.startswith("unknown region code '429999'; did you mean 420000 (湖北省)")
    assert caught.value.details["unknown"] == ["429999"]


def test_a_one_digit_typo_in_a_region_code_suggests_the_nearest_code(real: pl.DataFrame) -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean 420300 \(十堰市\)"):
        trends.trend(real, regions=["420301"])


def test_a_region_name_where_a_code_belongs_suggests_its_code(real: pl.DataFrame) -> None:
    with pytest.raises(UnknownNameError) as caught:
        trends.year_over_year(real, regions=["十堰市"])
    assert caught.value.message == ("'十堰市' is a region name, not a code; "
                                    "did you mean 420300 (十堰市)?")


def test_integer_region_codes_are_normalised_not_a_polars_error(real: pl.DataFrame) -> None:
    as_int = trends.year_over_year(real, regions=[420300])  # type: ignore[list-item]  # on purpose
    as_text = trends.year_over_year(real, regions=["420300"])
    assert as_int.height > 0
    assert as_int.equals(as_text)


@pytest.mark.parametrize("bad", [-5, 4203000])
def test_an_integer_that_is_no_region_code_is_refused_clearly(real: pl.DataFrame, bad: int) -> None:
    with pytest.raises(UnknownNameError, match="not a 6-digit code"):
        trends.year_over_year(real, regions=[bad])  # type: ignore[list-item]  # on purpose


def test_a_float_region_is_a_type_error_with_a_hint(real: pl.DataFrame) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        trends.year_over_year(real, regions=[420300.0])  # type: ignore[list-item]
    assert "regions=['420300']" in (caught.value.hint or "")


def test_a_year_outside_the_data_names_the_range_and_the_nearest(real: pl.DataFrame) -> None:
    with pytest.raises(UnknownNameError) as caught:
        trends.year_over_year(real, years=[2030])
    assert caught.value.message == "year 2030 is outside the data (2020-2024); did you mean 2024?"


def test_a_single_year_instead_of_a_list_is_a_type_error(real: pl.DataFrame) -> None:
    with pytest.raises(ArgumentTypeError, match=r"years=\[2023\]"):
        trends.trend(real, years=2023)  # type: ignore[arg-type]


def test_a_well_formed_question_the_data_cannot_answer_is_empty_not_an_error(
        real: pl.DataFrame) -> None:
    in_data = set(real["region_code"].to_list())
    absent = next(code for code in fzcompare.load_regions()["region_code"].to_list()
                  if code.startswith("42") and code not in in_data)
    assert trends.year_over_year(real, regions=[absent]).height == 0
    assert trends.year_over_year(real, regions=[absent, "420300"]).height > 0


def test_benchmark_of_a_year_outside_the_data_suggests_the_last_year() -> None:
    demo = fzcompare.load("datasets/demo")
    with pytest.raises(UnknownNameError) as caught:
        benchmark.benchmark(demo, load_criteria("hubei-demo-2024"), years=2030)
    assert caught.value.message == "year 2030 is outside the data (2019-2024); did you mean 2024?"


def test_what_it_would_take_for_an_unknown_region_suggests_one(
        demo_result: benchmark.BenchmarkResult) -> None:
    with pytest.raises(UnknownNameError, match=r"unknown region code '429999'; did you mean 4290"):
        benchmark.what_it_would_take(demo_result, regions=["429999"])
    with pytest.raises(UnknownNameError, match="did you mean 2023"):
        benchmark.what_it_would_take(demo_result, year=2031)
    by_int = benchmark.what_it_would_take(demo_result, regions=[420300])  # type: ignore[list-item]
    assert by_int.equals(benchmark.what_it_would_take(demo_result, regions=["420300"]))


def test_an_unknown_rubric_id_suggests_the_bundled_one() -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_criteria("hubei-demo-2023")
    assert caught.value.message.endswith("did you mean hubei-demo-2024?")
    assert caught.value.exit_code == 2


def test_catalog_indicator_suggests_the_code() -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_catalog().indicator("gov_service_onlin_rate")
    assert "did you mean gov_service_online_rate?" in caught.value.message


@pytest.mark.parametrize("domain", [99, "99", "0"])
def test_an_unknown_domain_names_the_valid_numbers(domain: int | str) -> None:
    with pytest.raises(UnknownNameError) as caught:
        load_catalog().in_domain(domain)
    assert caught.value.message.startswith(f"unknown domain '{domain}'")
    assert caught.value.hint == "domains are numbered 1-8; see fzcompare.load_catalog().domains"


def test_a_domain_by_number_or_name_gives_its_indicators() -> None:
    catalog = load_catalog()
    name = catalog.domains.filter(pl.col("domain") == 8)["name_zh"].item()
    by_number = catalog.in_domain(8)
    assert by_number.height > 0 and set(by_number["domain"].to_list()) == {8}
    assert catalog.in_domain(name).equals(by_number)


def test_a_misspelled_domain_name_suggests_the_name() -> None:
    catalog = load_catalog()
    name = catalog.domains.filter(pl.col("domain") == 8)["name_en"].item()
    with pytest.raises(UnknownNameError, match=f"did you mean {name}"):
        catalog.in_domain(name[:-1] + "x")


def test_the_cli_catalog_of_an_unknown_domain_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.cli import main

    assert main(["dataset", "catalog", "--domain", "99"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown domain '99'" in captured.err and "numbered 1-8" in captured.err
    assert main(["dataset", "catalog", "--domain", "8"]) == 0
    import io

    listed = pl.read_csv(io.StringIO(capsys.readouterr().out))
    assert listed.height > 0 and set(listed["domain"].to_list()) == {8}
