"""Quarantine round trip: quarantine, fix, re-admit; the row counts add up."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from fzcompare.errors import FzcompareError, SchemaError
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA
from fzcompare.store import dataset_regions, load, load_sources
from fzcompare.validate import (
    QUARANTINE_SCHEMA,
    ValidationResult,
    quarantine,
    read_quarantine,
    readmit,
    validate,
)

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)


def write_raw(dataset: Path, frame: pl.DataFrame) -> None:
    """Write observations the way a tool outside fzcompare might (no checks at all)."""
    from fzcompare.store._layout import OBSERVATIONS, table_uri
    from fzcompare.store._tables import STORED_SCHEMA, Commit, Planned, commit_planned
    from fzcompare.store._write import stored

    def plan(snap: object) -> Planned[None]:
        return Planned(Commit(stored(frame), None, {"operation": "raw"}), None)

    commit_planned(table_uri(dataset, OBSERVATIONS), plan, schema=STORED_SCHEMA, step="raw",
                   partition_by=["year", "status"])


def validate_dataset(dataset: Path) -> ValidationResult:
    return validate(load(dataset, check=False), sources=load_sources(dataset),
                    regions_table=dataset_regions(dataset))


def locate(frame: pl.DataFrame, region: str, year: int, indicator: str) -> int:
    found = frame.with_row_index("i").filter(
        (pl.col("region_code") == region) & (pl.col("year") == year)
        & (pl.col("indicator_code") == indicator))
    return int(found["i"][0])


def canonical_sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(list(OBSERVATION_SCHEMA)).sort(list(OBSERVATION_SCHEMA))


@pytest.fixture
def corrupted(tmp_path: Path) -> tuple[Path, pl.DataFrame, pl.DataFrame]:
    """A copy of the demo dataset with four defects; returns (dataset, clean, corrupted)."""
    dataset = tmp_path / "demo"
    shutil.copytree("datasets/demo", dataset)
    clean = load(dataset, check=False)
    rate = locate(clean, "420100", 2021, "pre_appointment_law_test_participation_rate")
    region = locate(clean, "420600", 2021, "disputes_handled")
    corrected = locate(clean, "420300", 2023, "reconsideration_corrected")
    twice = locate(clean, "420500", 2020, "disputes_handled")
    index = pl.int_range(pl.len())
    bad = clean.with_columns(
        pl.when(index == rate).then(pl.col("value") * 100)
        .when(index == corrected).then(pl.lit(900.0)).otherwise(pl.col("value")).alias("value"),
        pl.when(index == region).then(pl.lit("429999")).otherwise(pl.col("region_code"))
        .alias("region_code"))
    bad = pl.concat([bad, bad[twice]])
    write_raw(dataset, bad)
    return dataset, clean, bad


def test_round_trip_quarantine_fix_readmit(
        corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    dataset, clean, bad = corrupted
    total = bad.height
    first = validate_dataset(dataset)
    assert first.verdict == "fail"
    error_rows = first.error_row_ids
    # rate x100 (1), unknown region (1), corrected > concluded and the rate (3), twice (2)
    assert len(error_rows) == 7

    report = quarantine(dataset, first, now=T0)
    assert report.moved == 7
    after = load(dataset, check=False)
    table = read_quarantine(dataset)
    assert after.height + table.filter(pl.col("status") == "quarantined").height == total
    assert after.height == total - 7
    assert dict(table.schema) == QUARANTINE_SCHEMA
    assert table["quarantined_at"].unique().to_list() == [T0]
    assert table.filter(pl.col("checks").str.contains("region_known")).height == 1
    assert validate_dataset(dataset).verdict in ("pass", "warn")
    load(dataset)  # the clean rows pass the store's own checks again

    # fix: the rate and the corrected count by correction, the region by the regions table
    fixes = pl.concat([
        table.filter(pl.col("checks").str.contains("range.rate")).select(
            "quarantine_id", (pl.col("value") / 100).alias("value")),
        table.filter(pl.col("indicator_code") == "reconsideration_corrected").select(
            "quarantine_id", pl.lit(float(clean.filter(
                (pl.col("region_code") == "420300") & (pl.col("year") == 2023)
                & (pl.col("indicator_code") == "reconsideration_corrected"))["value"][0]))
            .alias("value")),
    ])
    from fzcompare.catalog import REGION_SCHEMA
    from fzcompare.store._write import merge_side_table

    merge_side_table(str(dataset), "regions", pl.DataFrame(
        {"region_code": ["429999"], "name_zh": ["测试县"], "name_en": ["Test county"],
         "level": ["prefecture"], "parent_code": ["420000"]}), "region_code", REGION_SCHEMA,
        None)
    back = readmit(dataset, corrections=fixes, now=T1)
    assert back.corrected == 2
    assert back.readmitted == 6  # one copy of the doubled figure stays out
    assert back.remaining == 1

    final = load(dataset, check=False)
    table = read_quarantine(dataset)
    active = table.filter(pl.col("status") == "quarantined")
    assert final.height + active.height == total
    assert table.height == 7 + 2  # nothing deleted: 7 moved, 2 corrected copies added
    assert set(table["status"].to_list()) == {"readmitted", "corrected", "quarantined"}
    assert final.select(KEY_COLUMNS).is_duplicated().sum() == 0
    expected = clean.with_columns(
        pl.when((pl.col("region_code") == "420600") & (pl.col("year") == 2021)
                & (pl.col("indicator_code") == "disputes_handled"))
        .then(pl.lit("429999")).otherwise(pl.col("region_code")).alias("region_code"))
    assert canonical_sorted(final).equals(canonical_sorted(expected))
    assert validate_dataset(dataset).verdict in ("pass", "warn")
    readmitted_rate = table.filter((pl.col("status") == "readmitted")
                                   & (pl.col("checks").str.starts_with("corrected copy")))
    assert readmitted_rate.height == 2


def test_readmit_without_fix_keeps_rows_out(
        corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    dataset, _clean, bad = corrupted
    quarantine(dataset, now=T0)
    back = readmit(dataset, now=T1)
    assert back.readmitted == 1  # the first copy of the doubled figure
    final = load(dataset, check=False)
    active = read_quarantine(dataset).filter(pl.col("status") == "quarantined")
    assert final.height + active.height == bad.height


def test_superseded_when_the_dataset_holds_the_key_again(
        corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    from fzcompare.store import write_observations

    dataset, _clean, _bad = corrupted
    quarantine(dataset, now=T0)
    table = read_quarantine(dataset)
    rate = table.filter(pl.col("checks").str.contains("range.rate"))
    fixed = rate.select(list(OBSERVATION_SCHEMA)).with_columns(pl.col("value") / 100)
    write_observations(fixed, dataset)
    back = readmit(dataset, now=T1)
    assert back.superseded == 1
    closed = read_quarantine(dataset).filter(pl.col("quarantine_id") == rate["quarantine_id"][0])
    assert closed["status"][0] == "superseded"
    assert closed["resolved_at"][0] == T1


def test_stale_result_is_refused(corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    dataset, _clean, bad = corrupted
    result = validate_dataset(dataset)
    write_raw(dataset, bad.head(bad.height - 1))
    with pytest.raises(FzcompareError, match="does not describe"):
        quarantine(dataset, result)
    assert read_quarantine(dataset).height == 0


def test_nothing_is_written_when_kept_rows_would_break_the_data_model(
        corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    from fzcompare.validate import bundled_suite_path

    dataset, _clean, bad = corrupted
    with pytest.raises(SchemaError, match="share a key"):
        quarantine(dataset, suites=[bundled_suite_path("ranges")])
    assert read_quarantine(dataset).height == 0
    assert load(dataset, check=False).height == bad.height


def test_clean_dataset_moves_nothing(tmp_path: Path) -> None:
    dataset = tmp_path / "demo"
    shutil.copytree("datasets/demo", dataset)
    report = quarantine(dataset, now=T0)
    assert (report.moved, report.remaining) == (0, 0)
    assert not (dataset / "quarantine").exists()
    assert "0 moved" in repr(report)
    assert readmit(dataset).readmitted == 0


def test_corrections_must_name_quarantined_rows(
        corrupted: tuple[Path, pl.DataFrame, pl.DataFrame]) -> None:
    dataset, _clean, _bad = corrupted
    quarantine(dataset, now=T0)
    with pytest.raises(SchemaError, match="not a quarantined row"):
        readmit(dataset, corrections=pl.DataFrame({"quarantine_id": ["Q9999999"],
                                                   "value": [1.0]}))
    with pytest.raises(SchemaError, match="only observation columns"):
        readmit(dataset, corrections=pl.DataFrame({"quarantine_id": ["Q0000001"],
                                                   "status": ["readmitted"]}))


def test_blank_correction_cells_mean_unchanged(tmp_path: Path) -> None:
    """A corrections CSV read as the CLI reads it: a blank cell keeps the original value."""
    from fzcompare.store import write_observations
    from fzcompare.validate import bundled_suite_path

    rows = pl.DataFrame({
        "region_code": ["420300"], "year": [2023], "indicator_code": ["gov_service_online_rate"],
        "scope": ["全市"], "value": [9810.0], "unit": ["%"], "qualifier": ["eq"],
        "source_id": ["r1"], "quote": [""]})
    source = pl.DataFrame({"source_id": ["r1"], "title": ["t"], "publisher": ["p"],
                           "published": [None], "url": [""], "kind": ["report"], "note": [""]})
    dataset = tmp_path / "d"
    write_observations(rows, dataset, sources=source)
    suites = [bundled_suite_path("ranges")]
    assert quarantine(dataset, suites=suites, now=T0).moved == 1
    csv = tmp_path / "fix.csv"
    csv.write_text("quarantine_id,value,unit\nQ0000001,98.1,\n", encoding="utf-8")
    fixes = pl.read_csv(csv, infer_schema_length=0)
    back = readmit(dataset, corrections=fixes, suites=suites, now=T1)
    assert (back.corrected, back.readmitted) == (1, 1)
    assert load(dataset).select("value", "unit").row(0) == (98.1, "%")
    closed = read_quarantine(dataset).filter(pl.col("status") == "corrected")
    assert closed["resolution"][0] == "replaced by Q0000002: value 9810.0 -> 98.1"
    write_observations(rows.with_columns(pl.lit(2022).alias("year")), dataset)
    assert quarantine(dataset, suites=suites, now=T0).moved == 1
    csv.write_text("quarantine_id,value,unit\nQ0000003,,\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        readmit(dataset, corrections=pl.read_csv(csv, infer_schema_length=0), suites=suites)
    assert caught.value.details["reason"] == "empty_correction"
