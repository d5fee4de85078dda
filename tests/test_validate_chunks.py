"""Validation in chunks of whole regions gives the same result as in one piece."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fzcompare.synthetic import SyntheticPanel, demo_panel, national_panel
from fzcompare.validate import ValidationResult, validate
from fzcompare.validate._run import _region_chunks

EXACT = ["suite", "check", "expectation", "severity", "success", "element_count",
         "unexpected_count", "failing_rows", "frame", "note"]


def _row(frame: pl.DataFrame, indicator: str, region_rank: int, year: int,
         *, also: str | None = None) -> int:
    """A row of ``indicator`` in ``year`` (in a region that also reports ``also`` then)."""
    found = frame.with_row_index("i").filter(
        (pl.col("indicator_code") == indicator) & (pl.col("year") == year))
    if also is not None:
        found = found.join(frame.filter((pl.col("indicator_code") == also)
                                        & (pl.col("year") == year))
                           .select("region_code", "scope"), on=["region_code", "scope"])
    return int(found.sort("region_code", "scope")["i"][region_rank])


def _set(frame: pl.DataFrame, row: int, column: str, value: object) -> pl.DataFrame:
    at = pl.int_range(pl.len()) == row
    return frame.with_columns(pl.when(at).then(pl.lit(value)).otherwise(pl.col(column))
                              .cast(frame.schema[column]).alias(column))


def with_defects(observations: pl.DataFrame) -> pl.DataFrame:
    """A rate of 9997, corrected > concluded, a duplicate key, an unknown region, a jump."""
    frame = _set(observations, _row(observations, "reconsideration_mediation_rate", 1, 2020),
                 "value", 9997.0)
    concluded = _row(frame, "reconsideration_concluded", 2, 2020,
                     also="reconsideration_corrected")
    corrected = frame.with_row_index("i").filter(
        (pl.col("indicator_code") == "reconsideration_corrected")
        & (pl.col("region_code") == frame["region_code"][concluded])
        & (pl.col("year") == 2020) & (pl.col("scope") == frame["scope"][concluded]))
    frame = _set(frame, int(corrected["i"][0]), "value", float(frame["value"][concluded]) + 5)
    jump = _row(frame, "reconsideration_concluded", 3, 2020)
    frame = _set(frame, jump, "value", float(frame["value"][jump]) * 1e4)
    frame = _set(frame, _row(frame, "reconsideration_mediation_rate", 4, 2021),
                 "region_code", "999999")
    return pl.concat([frame, frame.slice(_row(frame, "reconsideration_concluded", 0, 2022), 1)])


def failing_set(result: ValidationResult) -> set[tuple[int, str, str]]:
    return set(result.failing_rows.select("row_id", "suite", "check").iter_rows())


def assert_same(whole: ValidationResult, chunked: ValidationResult) -> None:
    assert chunked.verdict == whole.verdict
    assert chunked.outcomes.select(EXACT).to_dicts() == whole.outcomes.select(EXACT).to_dicts()
    for a, b in zip(whole.outcomes["unexpected_percent"].to_list(),
                    chunked.outcomes["unexpected_percent"].to_list(), strict=True):
        assert (a is None and b is None) or b == pytest.approx(a, rel=1e-9)
    assert failing_set(chunked) == failing_set(whole)
    assert chunked.failing_rows.equals(whole.failing_rows)


@pytest.fixture(scope="module")
def national() -> SyntheticPanel:
    return national_panel(n_regions=200, years=range(2016, 2024), n_indicators=40, seed=3)


def test_chunks_hold_whole_regions(national: SyntheticPanel) -> None:
    frame = national.observations
    chunks = _region_chunks(frame, 5_000)
    assert chunks is not None and int(chunks.max()) > 1  # type: ignore[arg-type]
    per_region = frame.with_columns(chunks.alias("chunk")).group_by("region_code").agg(
        pl.col("chunk").n_unique())
    assert per_region["chunk"].max() == 1
    assert _region_chunks(frame, frame.height) is None
    assert _region_chunks(frame, None) is None


@pytest.mark.parametrize("chunk_rows", [700, 10])
def test_demo_panel_chunked_equals_whole(chunk_rows: int) -> None:
    panel = demo_panel()
    observations = with_defects(panel.observations)
    kwargs = {"sources": panel.sources, "regions_table": panel.regions}
    whole = validate(observations, chunk_rows=None, **kwargs)  # type: ignore[arg-type]
    assert whole.verdict == "fail"
    assert_same(whole, validate(observations, chunk_rows=chunk_rows,
                                **kwargs))  # type: ignore[arg-type]


def test_national_panel_chunked_equals_whole(national: SyntheticPanel) -> None:
    observations = with_defects(national.observations)
    kwargs = {"sources": national.sources, "regions_table": national.regions}
    whole = validate(observations, chunk_rows=None, **kwargs)  # type: ignore[arg-type]
    failed = set(whole.outcomes.filter(~pl.col("success"))["check"].to_list())
    assert {"range.rate", "key_unique", "region_known", "yoy_jump"} <= failed
    assert any(c.startswith("le.") for c in failed)
    chunked = validate(observations, chunk_rows=9_000, **kwargs)  # type: ignore[arg-type]
    assert_same(whole, chunked)


def test_user_suite_runs_in_chunks(national: SyntheticPanel, tmp_path: Path) -> None:
    suite = tmp_path / "mine.json"
    suite.write_text(json.dumps({
        "name": "mine", "meta": {"fzcompare": {"frame": "values"}},
        "expectations": [
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "value", "max_value": 1e5, "mostly": 0.9999},
             "meta": {"severity": "warning"}},
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "value", "max_value": 5000.0, "mostly": 0.98,
                        "row_condition": {"type": "comparison", "column": {"name": "value"},
                                          "operator": ">", "parameter": 60.0}},
             "meta": {"severity": "warning"}},
            {"type": "expect_column_max_to_be_between",
             "kwargs": {"column": "value", "max_value": 3e4}, "meta": {"severity": "warning"}},
        ]}), encoding="utf-8")
    observations = with_defects(national.observations)
    kwargs = {"sources": national.sources, "regions_table": national.regions,
              "extra_suites": [suite]}
    whole = validate(observations, chunk_rows=None, **kwargs)  # type: ignore[arg-type]
    mine = whole.outcomes.filter(pl.col("suite") == "mine")
    assert mine["success"].to_list() == [True, False, False]
    assert_same(whole, validate(observations, chunk_rows=9_000,
                                **kwargs))  # type: ignore[arg-type]


def test_rows_without_region_and_missing_region_column() -> None:
    panel = demo_panel()
    observations = with_defects(panel.observations)
    observations = observations.with_columns(
        pl.when(pl.int_range(pl.len()) % 997 == 5).then(None).otherwise(pl.col("region_code"))
        .alias("region_code"))
    kwargs = {"sources": panel.sources, "regions_table": panel.regions}
    whole = validate(observations, chunk_rows=None, **kwargs)  # type: ignore[arg-type]
    assert "not_null.region_code" in whole.failing_rows["check"].to_list()
    assert_same(whole, validate(observations, chunk_rows=500, **kwargs))  # type: ignore[arg-type]
    no_region = observations.drop("region_code")
    assert _region_chunks(no_region, 10) is None
