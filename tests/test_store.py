from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.errors import DatasetWriteError, SchemaError


@pytest.fixture
def dataset(tmp_path: Path, obs_frame: pl.DataFrame, source_row: dict[str, object]) -> Path:
    folder = tmp_path / "ds"
    store.write_observations(obs_frame, folder, sources=pl.DataFrame([source_row]))
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_layout_is_hive_partitioned_by_year(dataset: Path) -> None:
    parts = sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*.parquet"))
    assert parts == ["observations/year=2022/part-0.parquet",
                     "observations/year=2023/part-0.parquet"]
    assert (dataset / "sources.csv").is_file()


def test_round_trip_and_lazy_scan(dataset: Path, obs_frame: pl.DataFrame) -> None:
    loaded = store.load(dataset)
    assert loaded.sort("year", "region_code")["value"].to_list() == [400.0, 429.0, 31.0]
    lazy = store.scan(dataset).filter(pl.col("year") == 2023)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == 2


def test_keyed_write_replaces_and_reports(dataset: Path, obs_frame: pl.DataFrame) -> None:
    update = obs_frame.filter(pl.col("region_code") == "420322").with_columns(
        pl.lit(35.0).alias("value"))
    new_row = obs_frame.head(1).with_columns(pl.lit(2021, pl.Int64).alias("year"))
    report = store.write_observations(pl.concat([update, new_row]), dataset)
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 0)
    changes = report.changes.sort("change")
    assert changes["change"].to_list() == ["added", "replaced"]
    assert changes.filter(pl.col("change") == "replaced")["old_value"].item() == 31.0
    loaded = store.load(dataset)
    assert loaded.height == 4
    assert loaded.filter(pl.col("region_code") == "420322")["value"].item() == 35.0
    again = store.write_observations(update, dataset)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)


@pytest.mark.parametrize("fail_on", [0, 1, 2])
def test_failure_mid_write_leaves_dataset_unchanged(
    dataset: Path, obs_frame: pl.DataFrame, source_row: dict[str, object],
    monkeypatch: pytest.MonkeyPatch, fail_on: int,
) -> None:
    before = _snapshot(dataset)
    calls = {"n": 0}

    def crash(target: Path) -> None:
        if calls["n"] == fail_on:
            raise OSError("disk full (simulated)")
        calls["n"] += 1

    monkeypatch.setattr(store, "_before_rename_hook", crash)
    changed = obs_frame.with_columns(pl.col("value") * 2)
    with pytest.raises(DatasetWriteError, match="left unchanged"):
        store.write_observations(changed, dataset,
                                 sources=pl.DataFrame([{**source_row, "title": "新标题"}]))
    assert _snapshot(dataset) == before
    assert not [p for p in dataset.rglob("*") if p.name.endswith((".tmp", ".bak"))]


def test_bad_input_writes_nothing(dataset: Path, obs_frame: pl.DataFrame) -> None:
    before = _snapshot(dataset)
    with pytest.raises(SchemaError) as caught:
        store.write_observations(obs_frame.with_columns(pl.lit("nope").alias("source_id")),
                                 dataset)
    assert caught.value.details["reason"] == "unknown_source"
    with pytest.raises(SchemaError):
        store.write_observations(obs_frame.with_columns(pl.lit("x").alias("qualifier")), dataset)
    assert _snapshot(dataset) == before


def test_load_names_the_broken_file(dataset: Path) -> None:
    part = dataset / "observations" / "year=2023" / "part-0.parquet"
    pl.read_parquet(part).drop("unit").write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["column"] == "unit"
    assert "year=2023" in str(caught.value)


def test_load_names_wrong_type_file(dataset: Path) -> None:
    part = dataset / "observations" / "year=2022" / "part-0.parquet"
    pl.read_parquet(part).with_columns(pl.col("value").cast(pl.String)).write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["reason"] == "wrong_type"
    assert "year=2022" in str(caught.value)


def test_load_rejects_garbage_file(dataset: Path) -> None:
    (dataset / "observations" / "year=2022" / "part-0.parquet").write_bytes(b"not parquet")
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["reason"] == "unreadable_file"


def test_load_detects_duplicates_across_files(dataset: Path) -> None:
    src = dataset / "observations" / "year=2023" / "part-0.parquet"
    shutil.copy(src, src.with_name("part-1.parquet"))
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["reason"] == "duplicate_key"


def test_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no such dataset"):
        store.load(tmp_path / "nothing")


def test_extra_regions_are_recorded(tmp_path: Path, obs_frame: pl.DataFrame,
                                    source_row: dict[str, object]) -> None:
    regions = pl.DataFrame([{"region_code": "990101", "name_zh": "合成县", "name_en":
                             "Synthetic county (synthetic)", "level": "county",
                             "parent_code": "420000"}])
    frame = obs_frame.with_columns(pl.lit("990101").alias("region_code"),
                                   pl.Series("year", [2021, 2022, 2023]))
    folder = tmp_path / "syn"
    store.write_observations(frame, folder, sources=pl.DataFrame([source_row]), regions=regions)
    assert store.load(folder).height == 3
    assert "990101" in store.dataset_regions(folder)["region_code"].to_list()


def test_replace_observations_is_whole_set(dataset: Path) -> None:
    keep = store.load(dataset).filter(pl.col("year") == 2023)
    store.replace_observations(keep, dataset)
    assert sorted(store.load(dataset)["year"].unique().to_list()) == [2023]


def test_remote_write_refused(obs_frame: pl.DataFrame) -> None:
    with pytest.raises(DatasetWriteError):
        store.write_observations(obs_frame, "s3://bucket/ds")


def test_row_level_error_names_file_and_row(dataset: Path) -> None:
    part = dataset / "observations" / "year=2023" / "part-0.parquet"
    frame = pl.read_parquet(part)
    frame = frame.with_columns(pl.Series("region_code", ["420300", "429999"][: frame.height]))
    frame.write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    error = caught.value
    assert error.details["reason"] == "unknown_region"
    assert error.details["file"].endswith("year=2023/part-0.parquet")
    assert error.details["file_row"] == 1
    assert "year=2023/part-0.parquet row 1" in str(error)
