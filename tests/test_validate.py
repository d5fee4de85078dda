"""fzcompare.validate on the synthetic demo panel, clean and corrupted one way per fixture.

Each defect fixture checks that the right expectation catches the defect, on the right rows,
and that no error-severity expectation blames rows the defect did not touch.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from fzcompare.synthetic import SyntheticPanel, demo_panel
from fzcompare.validate import ValidationResult, validate


@dataclass(frozen=True)
class Case:
    observations: pl.DataFrame
    result: ValidationResult


@pytest.fixture(scope="module")
def panel() -> SyntheticPanel:
    return demo_panel()


@pytest.fixture(scope="module")
def clean(panel: SyntheticPanel) -> pl.DataFrame:
    return panel.observations


def run(panel: SyntheticPanel, observations: pl.DataFrame) -> ValidationResult:
    return validate(observations, sources=panel.sources, regions_table=panel.regions)


def row_of(frame: pl.DataFrame, region: str, year: int, indicator: str,
           scope: str = "全市") -> int:
    found = frame.with_row_index("i").filter(
        (pl.col("region_code") == region) & (pl.col("year") == year)
        & (pl.col("indicator_code") == indicator) & (pl.col("scope") == scope))
    assert found.height == 1, (region, year, indicator, scope)
    return int(found["i"][0])


def with_value(frame: pl.DataFrame, row: int, **changes: object) -> pl.DataFrame:
    index = pl.int_range(pl.len()) == row
    return frame.with_columns([pl.when(index).then(pl.lit(v)).otherwise(pl.col(c))
                               .cast(frame.schema[c]).alias(c) for c, v in changes.items()])


def rows_failing(result: ValidationResult, check: str) -> set[int]:
    return set(result.failing_rows.filter(pl.col("check") == check)["row_id"].to_list())


def outcome(result: ValidationResult, check: str) -> dict[str, object]:
    rows = result.outcomes.filter(pl.col("check") == check)
    assert rows.height == 1, check
    return rows.row(0, named=True)


def test_clean_panel_passes(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    result = run(panel, clean)
    assert result.verdict == "pass", result.outcomes.filter(~pl.col("success"))
    assert result.failing_rows.height == 0
    assert result.outcomes["success"].all()
    assert set(result.suites) == {"schema", "keys", "ranges", "relations", "year_over_year"}
    assert result.n_rows == clean.height


def test_bundled_real_dataset_passes() -> None:
    from fzcompare.store import dataset_regions, load, load_sources

    result = validate(load("datasets/real", check=False), sources=load_sources("datasets/real"),
                      regions_table=dataset_regions("datasets/real"))
    assert result.verdict == "pass", result.failing_rows.select("check", "reason")


def test_rate_entered_times_100(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420100", 2021, "pre_appointment_law_test_participation_rate")
    value = float(clean["value"][row])
    result = run(panel, with_value(clean, row, value=value * 100))
    assert result.verdict == "fail"
    assert rows_failing(result, "range.rate") == {row}
    assert outcome(result, "range.rate")["unexpected_count"] == 1
    assert set(result.error_row_ids) == {row}
    reason = result.failing_rows.filter(pl.col("check") == "range.rate")["reason"][0]
    assert "outside [0, 100]" in reason


def test_count_in_wan_left_unmultiplied_is_not_whole(panel: SyntheticPanel,
                                                    clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2022, "disputes_handled")
    value = float(clean["value"][row])
    result = run(panel, with_value(clean, row, value=value / 10000))
    assert rows_failing(result, "whole_number") == {row}
    assert set(result.error_row_ids) == {row}
    assert row in rows_failing(result, "yoy_jump")


def test_round_wan_count_left_unmultiplied_is_a_yoy_spike(panel: SyntheticPanel,
                                                         clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2022, "disputes_handled")
    result = run(panel, with_value(clean, row, value=5.0))  # "5万" read as 5
    assert result.verdict == "warn"
    assert rows_failing(result, "yoy_jump") == {row}
    spike = result.failing_rows.filter(pl.col("check") == "yoy_jump").row(0, named=True)
    assert spike["severity"] == "warning"
    assert "spike" in spike["reason"]


def test_first_year_outlier_is_blamed_not_its_successor(panel: SyntheticPanel,
                                                       clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2019, "disputes_handled")
    result = run(panel, with_value(clean, row, value=float(clean["value"][row]) * 10000))
    assert rows_failing(result, "yoy_jump") == {row}


def test_city_government_figure_filed_as_whole_city_duplicates_the_key(
        panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2023, "reconsideration_corrected")
    city_level = clean[row].with_columns(pl.lit(41.0).alias("value"))  # 市本级, filed as 全市
    result = run(panel, pl.concat([clean, city_level]))
    assert rows_failing(result, "key_unique") == {row, clean.height}
    assert set(result.error_row_ids) >= {row, clean.height}


def test_part_scope_above_whole_scope(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2023, "reconsideration_corrected")
    part = clean[row].with_columns(pl.lit("市本级").alias("scope"),
                                   pl.lit(float(clean["value"][row]) + 50).alias("value"))
    result = run(panel, pl.concat([clean, part]))
    assert rows_failing(result, "scope_part_le_whole") == {row, clean.height}
    assert set(result.error_row_ids) == {row, clean.height}


def test_whole_city_figure_replaced_by_city_level_figure_is_a_yoy_spike(
        panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2022, "reconsideration_applications")
    small = round(float(clean["value"][row]) * 0.05)
    result = run(panel, with_value(clean, row, value=float(small)))
    assert row in rows_failing(result, "yoy_jump")
    assert outcome(result, "yoy_jump")["severity"] == "warning"


def test_corrected_count_above_concluded(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    corrected = row_of(clean, "420300", 2023, "reconsideration_corrected")
    concluded = row_of(clean, "420300", 2023, "reconsideration_concluded")
    rate = row_of(clean, "420300", 2023, "reconsideration_correction_rate")
    bigger = float(clean["value"][concluded]) + 81
    result = run(panel, with_value(clean, corrected, value=bigger))
    check = "le.reconsideration_corrected.reconsideration_concluded"
    assert rows_failing(result, check) == {corrected, concluded}
    assert outcome(result, check)["unexpected_count"] == 1  # one relation instance
    assert rows_failing(result, "ratio.reconsideration_correction_rate") == {
        corrected, concluded, rate}
    assert set(result.error_row_ids) == {corrected, concluded, rate}
    reason = result.failing_rows.filter(pl.col("check") == check)["reason"][0]
    assert "420300 2023 全市" in reason


def test_rate_inconsistent_with_its_counts(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    rate = row_of(clean, "420300", 2023, "reconsideration_correction_rate")
    result = run(panel, with_value(clean, rate, value=19.97))
    corrected = row_of(clean, "420300", 2023, "reconsideration_corrected")
    concluded = row_of(clean, "420300", 2023, "reconsideration_concluded")
    assert rows_failing(result, "ratio.reconsideration_correction_rate") == {
        rate, corrected, concluded}


def test_rate_within_rounding_of_its_counts_passes(panel: SyntheticPanel,
                                                  clean: pl.DataFrame) -> None:
    rate = row_of(clean, "420300", 2023, "reconsideration_correction_rate")
    rounded = float(round(float(clean["value"][rate])))  # 11.97 reported as 12
    result = run(panel, with_value(clean, rate, value=rounded))
    assert rows_failing(result, "ratio.reconsideration_correction_rate") == set()


def test_unknown_region_code(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420300", 2023, "disputes_handled")
    result = run(panel, with_value(clean, row, region_code="429999"))
    assert rows_failing(result, "region_known") == {row}
    assert set(result.error_row_ids) == {row}


def test_same_figure_twice(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420500", 2020, "disputes_handled")
    result = run(panel, pl.concat([clean, clean[row]]))
    assert rows_failing(result, "key_unique") == {row, clean.height}
    assert outcome(result, "key_unique")["unexpected_count"] == 2
    assert set(result.error_row_ids) == {row, clean.height}


@pytest.mark.parametrize(("column", "bad", "check"), [
    ("qualifier", "more", "qualifier_in_set"),
    ("scope", "全城", "scope_in_set"),
    ("source_id", "nowhere", "source_known"),
    ("indicator_code", "made_up_code", "indicator_known"),
    ("value", None, "not_null.value"),
    ("value", float("nan"), "not_null.value"),
    ("value", float("inf"), "value_finite"),
    ("unit", None, "not_null.unit"),
])
def test_single_bad_cell(panel: SyntheticPanel, clean: pl.DataFrame, column: str,
                         bad: object, check: str) -> None:
    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, **{column: bad}))
    assert rows_failing(result, check) == {row}
    assert set(result.error_row_ids) == {row}


def test_bad_region_code_format(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, region_code="4206"))
    assert rows_failing(result, "region_code_format") == {row}
    assert rows_failing(result, "region_known") == {row}


def test_unmapped_codes_are_exempt(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, indicator_code="unmapped_new_figure",
                                   unit="个"))
    assert result.verdict == "pass", result.failing_rows


def test_scope_must_fit_region_level(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420322", 2021, "disputes_handled", scope="全县")
    result = run(panel, with_value(clean, row, scope="全市"))
    assert rows_failing(result, "scope_matches_region_level") == {row}


def test_unit_other_than_catalog_is_a_warning(panel: SyntheticPanel,
                                             clean: pl.DataFrame) -> None:
    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, unit="万件"))
    assert rows_failing(result, "unit_matches_catalog") == {row}
    assert result.verdict == "warn"


def test_negative_count(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, value=-3.0))
    assert rows_failing(result, "range.count") == {row}


def test_wrong_dtypes_are_read_into_the_model(panel: SyntheticPanel,
                                              clean: pl.DataFrame) -> None:
    as_text = clean.with_columns(pl.col("value").cast(pl.String()),
                                 pl.col("year").cast(pl.Int64()))
    as_text = with_value(as_text, 7, value="12万")
    result = run(panel, as_text)
    assert rows_failing(result, "not_null.value") == {7}
    assert outcome(result, "type.value")["success"]


def test_missing_column_fails_the_schema(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    result = run(panel, clean.drop("qualifier"))
    assert result.verdict == "fail"
    assert outcome(result, "columns_present")["success"] is False


def test_without_sources_the_source_check_is_skipped(clean: pl.DataFrame,
                                                     panel: SyntheticPanel) -> None:
    result = validate(clean, regions_table=panel.regions)
    skipped = outcome(result, "source_known")
    assert skipped["success"] is None
    assert "sources" in str(skipped["note"])
    assert result.verdict == "pass"


def test_synthetic_regions_need_the_regions_table(panel: SyntheticPanel) -> None:
    from fzcompare.synthetic import national_panel

    national = national_panel(n_regions=12, years=[2022, 2023], n_indicators=6)
    without = validate(national.observations, sources=national.sources)
    assert rows_failing(without, "region_known") == set(range(national.observations.height))
    with_regions = validate(national.observations, sources=national.sources,
                            regions_table=national.regions)
    assert with_regions.verdict == "pass"


def test_result_repr_html_json(panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    import json

    row = row_of(clean, "420100", 2021, "pre_appointment_law_test_participation_rate")
    bad = with_value(clean, row, value=9558.0, region_code="<b>x</b>")
    result = run(panel, bad)
    text = repr(result)
    assert text.startswith("ValidationResult(verdict=fail")
    assert "\n" not in text
    assert "<b>x</b>" not in result._repr_html_()
    data = json.loads(result.to_json(max_failing_rows=2))
    assert data["verdict"] == "fail"
    assert len(data["failing_rows"]) == 2
    assert data["failing_row_count"] == result.failing_rows.height
    assert result.to_polars().columns[:3] == ["suite", "check", "expectation"]
    assert len(result.to_pandas()) == result.outcomes.height
    from fzcompare.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError) as caught:
        result.raise_for_errors()
    assert caught.value.exit_code == 3


def test_failing_rows_have_observation_columns(panel: SyntheticPanel,
                                              clean: pl.DataFrame) -> None:
    from fzcompare.validate import FAILING_ROW_SCHEMA, OUTCOME_SCHEMA

    row = row_of(clean, "420600", 2021, "disputes_handled")
    result = run(panel, with_value(clean, row, value=-3.0))
    assert dict(result.failing_rows.schema) == FAILING_ROW_SCHEMA
    assert dict(result.outcomes.schema) == OUTCOME_SCHEMA
    failing = result.failing_rows.filter(pl.col("check") == "range.count").row(0, named=True)
    assert failing["value"] == -3.0
    assert failing["indicator_code"] == "disputes_handled"


def test_many_failing_rows_come_from_polars_and_match_gx_counts(
        panel: SyntheticPanel, clean: pl.DataFrame) -> None:
    rates = clean.with_row_index("i").filter(pl.col("unit") == "%")["i"]
    bad = clean.with_columns(pl.when(pl.int_range(pl.len()).is_in(rates.implode()))
                             .then(pl.col("value") + 1000).otherwise(pl.col("value"))
                             .alias("value"))
    result = run(panel, bad)
    rate = outcome(result, "range.rate")
    assert rate["unexpected_count"] == rates.len()
    assert rate["note"] is None  # rows from polars, count agreed with great_expectations
    assert rows_failing(result, "range.rate") == set(rates.to_list())
