"""Disclosure states in the data model: schema checks, storage round trip, old datasets."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.errors import SchemaError
from fzcompare.schema import (
    OBSERVATION_SCHEMA,
    SOURCE_SCHEMA,
    STORED_DISCLOSURES,
    check_observations,
)
from fzcompare.store import STORED_SCHEMA


def _states_frame(obs_frame: pl.DataFrame) -> pl.DataFrame:
    """Four rows: a reported 400, a published zero, a no_number and a withheld figure."""
    states = obs_frame.with_columns(
        pl.Series("indicator_code", ["reconsideration_applications", "admin_litigation_cases",
                                     "reconsideration_applications"]),
        pl.Series("value", [0.0, None, None], pl.Float64()),
        pl.Series("disclosure", ["reported", "no_number", "withheld"]))
    reported = obs_frame.head(1).with_columns(pl.lit(2021).alias("year"),
                                              pl.lit("reported").alias("disclosure"))
    return pl.concat([reported, states], how="vertical_relaxed")


def test_every_stored_state_passes_the_check(obs_frame: pl.DataFrame) -> None:
    checked = check_observations(_states_frame(obs_frame))
    assert sorted(set(checked["disclosure"])) == sorted(STORED_DISCLOSURES)
    assert checked.filter(pl.col("disclosure") != "reported")["value"].null_count() == 2


def test_a_frame_without_the_column_is_all_reported(obs_frame: pl.DataFrame) -> None:
    assert "disclosure" not in obs_frame.columns
    checked = check_observations(obs_frame)
    assert checked.columns == list(OBSERVATION_SCHEMA)
    assert checked["disclosure"].to_list() == ["reported"] * obs_frame.height


def test_a_reported_row_needs_a_value(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("value", [1.0, None, 3.0], pl.Float64()))
    with pytest.raises(SchemaError) as caught:
        check_observations(frame, path="obs.csv")
    assert caught.value.details["reason"] == "null_value"
    assert caught.value.details["column"] == "value"
    assert caught.value.details["rows"]["row"].to_list() == [1]


def test_a_no_number_row_may_not_carry_a_value(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("disclosure", ["reported", "no_number",
                                                            "reported"]))
    with pytest.raises(SchemaError) as caught:
        check_observations(frame, path="obs.csv")
    assert caught.value.details["reason"] == "value_disclosure_mismatch"
    assert "row 1" in str(caught.value)


@pytest.mark.parametrize("state", ["not_disclosed", "no_report", "zero", "Reported", ""])
def test_derived_or_unknown_states_are_not_stored(obs_frame: pl.DataFrame, state: str) -> None:
    frame = obs_frame.with_columns(pl.Series("disclosure", ["reported", state, "reported"]))
    with pytest.raises(SchemaError) as caught:
        check_observations(frame, path="obs.csv")
    assert caught.value.details["reason"] == "bad_disclosure"
    assert caught.value.details["column"] == "disclosure"


def test_states_survive_a_round_trip(tmp_path: Path, obs_frame: pl.DataFrame,
                                     source_row: dict[str, object]) -> None:
    frame = check_observations(_states_frame(obs_frame))
    sources = pl.DataFrame([{**source_row, "region_code": "420300", "year": 2023}])
    store.write_observations(frame, tmp_path / "ds", sources=sources)
    back = store.load(tmp_path / "ds")
    key = ["region_code", "year", "indicator_code", "scope"]
    assert back.sort(key).equals(frame.sort(key))
    read_sources = store.load_sources(tmp_path / "ds")
    assert read_sources.columns == list(SOURCE_SCHEMA)
    assert read_sources.select("region_code", "year").row(0) == ("420300", 2023)


def _old_delta_dataset(folder: Path) -> Path:
    """``datasets/real`` as the Delta store wrote it before the part-A columns existed.

    Observations without ``disclosure`` and sources without ``region_code``/``year``,
    written with the Delta engine itself (the bundled tables have the columns now).
    """
    from deltalake import write_deltalake  # heavy; the store loads it the same way

    rows = store.load("datasets/real").filter(pl.col("year").is_in([2021, 2022, 2023]))
    stored = rows.drop("disclosure").with_columns(
        pl.lit("active").alias("status"),
        *[pl.lit(None, t).alias(c) for c, t in STORED_SCHEMA.items()
          if c not in OBSERVATION_SCHEMA and c != "status"])
    write_deltalake(str(folder / "observations"), stored.to_arrow(),
                    partition_by=["year", "status"])
    old_sources = store.load_sources("datasets/real").drop("region_code", "year")
    write_deltalake(str(folder / "sources"), old_sources.to_arrow())
    return folder


def test_a_delta_table_written_before_the_columns_still_loads(tmp_path: Path) -> None:
    """Read-time defaults: reported where a value is filled; sources not tied to a report."""
    dataset = _old_delta_dataset(tmp_path / "old")
    assert "disclosure" not in pl.scan_delta(str(dataset / "observations")).collect_schema()
    loaded = store.load(dataset)
    assert loaded.columns == list(OBSERVATION_SCHEMA)
    assert loaded.height > 100
    assert set(loaded["disclosure"]) == {"reported"}
    sources = store.load_sources(dataset)
    assert sources.columns == list(SOURCE_SCHEMA)
    assert sources["region_code"].null_count() == sources.height


def test_writing_into_an_old_delta_table_adds_the_column(tmp_path: Path) -> None:
    """The table gains ``disclosure``; rows of older files still read as reported."""
    dataset = _old_delta_dataset(tmp_path / "mixed")
    before = store.load(dataset)
    first = before.filter(pl.col("year") == 2023).head(1)
    withheld = first.with_columns(pl.lit("admin_litigation_loss_rate").alias("indicator_code"),
                                  pl.lit("全县").alias("scope"),
                                  pl.lit(None, pl.Float64()).alias("value"),
                                  pl.lit("withheld").alias("disclosure"))
    report = store.write_observations(withheld, dataset)
    assert (report.added, report.version) == (1, 1)
    assert "disclosure" in pl.scan_delta(str(dataset / "observations")).collect_schema()
    after = store.load(dataset)
    assert after.height == before.height + 1
    states = after.group_by("year", "disclosure").len().sort("year", "disclosure")
    assert states.rows() == [(2021, "reported", before.filter(pl.col("year") == 2021).height),
                             (2022, "reported", before.filter(pl.col("year") == 2022).height),
                             (2023, "reported", before.filter(pl.col("year") == 2023).height),
                             (2023, "withheld", 1)]
    assert store.load(dataset, version=0).equals(before)
    tagged = store.load_sources(dataset).head(1).with_columns(
        pl.lit("420300").alias("region_code"), pl.lit(2023, pl.Int32()).alias("year"))
    store.write_observations(withheld, dataset, sources=tagged)
    assert store.load_sources(dataset).filter(
        pl.col("region_code").is_not_null()).select("region_code", "year").rows() == [
        ("420300", 2023)]


def _legacy_dataset(folder: Path, *, drop: str) -> Path:
    """A plain hive-Parquet folder (the format before Delta) whose files lack ``drop``."""
    rows = store.load("datasets/real")
    for year in sorted(set(rows["year"])):
        part = folder / "observations" / f"year={year}" / "part-0.parquet"
        part.parent.mkdir(parents=True)
        rows.filter(pl.col("year") == year).drop("year", drop).write_parquet(part)
    store.load_sources("datasets/real").drop("region_code", "year").write_csv(
        folder / "sources.csv")
    return folder


def test_an_old_plain_parquet_folder_still_loads(tmp_path: Path) -> None:
    dataset = _legacy_dataset(tmp_path / "plain", drop="disclosure")
    loaded = store.load(dataset)
    assert set(loaded["disclosure"]) == {"reported"}
    assert loaded.height == store.load("datasets/real").height
    assert store.load_sources(dataset).columns == list(SOURCE_SCHEMA)


def test_a_partition_missing_a_required_column_is_still_named(tmp_path: Path) -> None:
    dataset = _legacy_dataset(tmp_path / "broken", drop="disclosure")
    part = dataset / "observations" / "year=2021" / "part-0.parquet"
    pl.read_parquet(part).drop("qualifier").write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["column"] == "qualifier"
    assert "year=2021" in str(caught.value)


_REPORT = ("十堰市2023年法治政府建设情况报告\n一、依法全面履行政府职能\n"
           "全市乡村两级政务服务事项进驻实现全覆盖，宪法宣誓全覆盖，行政复议纠错率为5.2%。"
           "司法所规范化建设基本全覆盖。")


def test_extraction_keeps_a_coverage_statement_as_no_number() -> None:
    from fzcompare.extract import extract

    rows = extract(_REPORT, region="420300", year=2023).data_model()
    by_code = {r["indicator_code"]: r for r in rows.iter_rows(named=True)}
    entry = by_code["grassroots_service_entry_rate"]  # no 100 % rule in the catalog
    assert entry["disclosure"] == "no_number" and entry["value"] is None
    assert "全覆盖" in entry["quote"]
    oath = by_code["constitution_oath_coverage_rate"]  # the catalog's full statement: 100
    assert oath["disclosure"] == "reported" and oath["value"] == 100.0
    assert by_code["reconsideration_correction_rate"]["value"] == 5.2
    assert "judicial_office_compliance_rate" not in by_code  # 基本全覆盖 says nothing full
    assert set(rows.filter(pl.col("value").is_not_null())["disclosure"]) == {"reported"}


def test_a_figure_wins_over_a_statement_for_the_same_indicator() -> None:
    from fzcompare.extract import extract

    text = ("十堰市2023年法治政府建设情况报告\n一、依法全面履行政府职能\n"
            "乡村两级政务服务事项进驻率达98.5%。乡村两级政务服务事项进驻实现全覆盖。")
    rows = extract(text, region="420300", year=2023).data_model()
    entry = rows.filter(pl.col("indicator_code") == "grassroots_service_entry_rate")
    assert entry.select("value", "disclosure").rows() == [(98.5, "reported")]
    assert rows.filter(pl.col("disclosure") == "no_number").height == 0


def test_validation_does_not_fail_a_figure_that_was_not_disclosed() -> None:
    """great_expectations suites: null values of no_number/withheld rows are no failure."""
    from fzcompare.synthetic import demo_panel
    from fzcompare.validate import validate

    sparse = demo_panel(disclosure="sparse").observations
    assert sparse.filter(pl.col("disclosure") == "no_number").height > 0
    withheld = sparse.head(3).with_columns(pl.lit(2030, pl.Int32()).alias("year"),
                                           pl.lit(None, pl.Float64()).alias("value"),
                                           pl.lit("withheld").alias("disclosure"))
    result = validate(pl.concat([sparse, withheld]))
    assert result.verdict == "pass", result.outcomes.filter(~pl.col("success"))
    checks = set(result.outcomes["check"])
    assert {"not_null.value", "null.value.not_reported", "disclosure_in_set"} <= checks


def test_validation_fails_a_value_on_a_not_disclosed_row_and_a_reported_null() -> None:
    from fzcompare.synthetic import demo_panel
    from fzcompare.validate import validate

    sparse = demo_panel(disclosure="sparse").observations
    statement = pl.col("disclosure") == "no_number"
    n_statements = sparse.filter(statement).height
    invented = sparse.with_columns(pl.when(statement).then(pl.lit(100.0))
                                   .otherwise(pl.col("value")).alias("value"))
    failed = validate(invented).outcomes.filter(~pl.col("success"))
    row = failed.filter(pl.col("check") == "null.value.not_reported").row(0, named=True)
    assert row["unexpected_count"] == n_statements
    lost = sparse.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(None)
                               .otherwise(pl.col("value")).alias("value"))
    failed = validate(lost).outcomes.filter(~pl.col("success"))
    assert failed.filter(pl.col("check") == "not_null.value")["unexpected_count"].to_list() == [1]


def test_an_extracted_report_is_the_region_years_report(tmp_path: Path) -> None:
    """extract -> store -> coverage: indicators the report leaves out are not_disclosed."""
    from fzcompare.coverage import disclosure_frame
    from fzcompare.extract import extract

    result = extract(_REPORT, region="420300", year=2023)
    assert result.sources.select("kind", "region_code", "year").row(0) == (
        "report", "420300", 2023)
    store.write_observations(result.data_model(), tmp_path / "ds", sources=result.sources)
    cells = disclosure_frame(store.load(tmp_path / "ds"), store.load_sources(tmp_path / "ds"),
                             indicators=["grassroots_service_entry_rate",
                                         "admin_litigation_loss_rate"])
    assert dict(cells.select("indicator_code", "state").rows()) == {
        "grassroots_service_entry_rate": "no_number",
        "admin_litigation_loss_rate": "not_disclosed"}
