"""The transactional store: layout, keyed writes, versions, bad states, plain Parquet folders."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from fzcompare import store
from fzcompare.errors import DatasetWriteError, SchemaError
from fzcompare.schema import KEY_COLUMNS, SOURCE_SCHEMA


@pytest.fixture
def dataset(tmp_path: Path, obs_frame: pl.DataFrame, source_row: dict[str, object]) -> Path:
    folder = tmp_path / "ds"
    store.write_observations(obs_frame, folder, sources=pl.DataFrame([source_row]))
    return folder


def _version(folder: Path) -> int:
    return int(DeltaTable(str(folder / "observations")).version())


def _write_legacy(folder: Path, frame: pl.DataFrame, source_row: dict[str, object]) -> Path:
    """A dataset in the format before Delta: hive partitions by year plus sources.csv."""
    for year in sorted(frame["year"].unique()):
        part = folder / "observations" / f"year={year}" / "part-0.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        frame.filter(pl.col("year") == year).drop("year").write_parquet(part)
    pl.DataFrame([source_row], schema=SOURCE_SCHEMA).write_csv(folder / "sources.csv")
    return folder


@pytest.fixture
def legacy(tmp_path: Path, obs_frame: pl.DataFrame, source_row: dict[str, object]) -> Path:
    return _write_legacy(tmp_path / "old", obs_frame.with_columns(pl.col("year").cast(pl.Int32)),
                         source_row)


def test_layout_is_three_delta_tables_partitioned_by_year_and_status(dataset: Path) -> None:
    observations = DeltaTable(str(dataset / "observations"))
    assert observations.metadata().partition_columns == ["year", "status"]
    assert (dataset / "sources" / "_delta_log").is_dir()
    parts = sorted(p.parent.relative_to(dataset).as_posix()
                   for p in dataset.rglob("*.parquet") if "observations" in p.parts)
    assert parts == ["observations/year=2022/status=active",
                     "observations/year=2023/status=active"]


def test_round_trip_and_lazy_scan(dataset: Path) -> None:
    loaded = store.load(dataset)
    assert loaded.sort("year", "region_code")["value"].to_list() == [400.0, 429.0, 31.0]
    lazy = store.scan(dataset).filter(pl.col("year") == 2023)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == 2


def test_keyed_write_replaces_and_reports_in_one_commit(dataset: Path,
                                                        obs_frame: pl.DataFrame) -> None:
    update = obs_frame.filter(pl.col("region_code") == "420322").with_columns(
        pl.lit(35.0).alias("value"))
    new_row = obs_frame.head(1).with_columns(pl.lit(2021, pl.Int64).alias("year"))
    before = _version(dataset)
    report = store.write_observations(pl.concat([update, new_row]), dataset)
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 0)
    assert report.version == _version(dataset) == before + 1
    changes = report.changes.sort("change")
    assert changes["change"].to_list() == ["added", "replaced"]
    assert changes.filter(pl.col("change") == "replaced")["old_value"].item() == 31.0
    loaded = store.load(dataset)
    assert loaded.height == 4
    assert loaded.filter(pl.col("region_code") == "420322")["value"].item() == 35.0
    again = store.write_observations(update, dataset)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 1)
    assert _version(dataset) == before + 1  # nothing changed, nothing committed


def test_failed_commit_leaves_the_version(dataset: Path, obs_frame: pl.DataFrame,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import deltalake

    before = store.load(dataset)
    version = _version(dataset)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(deltalake, "write_deltalake", broken)
    with pytest.raises(DatasetWriteError, match="left unchanged"):
        store.write_observations(obs_frame.with_columns(pl.col("value") * 2), dataset)
    monkeypatch.undo()
    assert _version(dataset) == version
    assert store.load(dataset).equals(before)


def test_bad_input_writes_nothing(dataset: Path, obs_frame: pl.DataFrame) -> None:
    version = _version(dataset)
    with pytest.raises(SchemaError) as caught:
        store.write_observations(obs_frame.with_columns(pl.lit("nope").alias("source_id")),
                                 dataset)
    assert caught.value.details["reason"] == "unknown_source"
    with pytest.raises(SchemaError):
        store.write_observations(obs_frame.with_columns(pl.lit("x").alias("qualifier")), dataset)
    assert _version(dataset) == version


@pytest.mark.parametrize("year", [1948, dt.datetime.now(dt.UTC).year + 2, 99_999])
def test_year_outside_range_is_refused_at_write(dataset: Path, obs_frame: pl.DataFrame,
                                                year: int) -> None:
    version = _version(dataset)
    with pytest.raises(SchemaError) as caught:
        store.write_observations(obs_frame.head(1).with_columns(pl.lit(year).alias("year")),
                                 dataset)
    assert caught.value.details["reason"] == "year_out_of_range"
    assert f"year {year} is outside 1949.." in str(caught.value)
    assert _version(dataset) == version


def test_edge_years_are_accepted(tmp_path: Path, obs_frame: pl.DataFrame,
                                 source_row: dict[str, object]) -> None:
    frame = obs_frame.head(2).with_columns(pl.Series("year", [1949, store.last_year()]))
    report = store.write_observations(frame, tmp_path / "d", sources=pl.DataFrame([source_row]))
    assert report.added == 2


def test_zero_byte_data_file_is_an_error(dataset: Path) -> None:
    file = next((dataset / "observations").rglob("*.parquet"))
    file.write_bytes(b"")
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["reason"] == "unreadable_file"
    assert "zero-byte" in str(caught.value)


def test_garbage_data_file_is_an_error(dataset: Path) -> None:
    next((dataset / "observations").rglob("*.parquet")).write_bytes(b"not parquet")
    with pytest.raises(SchemaError) as caught:
        store.load(dataset)
    assert caught.value.details["reason"] == "unreadable_file"


def test_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no such dataset"):
        store.load(tmp_path / "nothing")


def test_empty_folder_holds_no_observations(tmp_path: Path) -> None:
    (tmp_path / "observations").mkdir()
    with pytest.raises(SchemaError) as caught:
        store.load(tmp_path)
    assert caught.value.details["reason"] == "no_observations"
    assert str(caught.value).startswith(f"no observations at {tmp_path}")


@pytest.mark.parametrize("kind", ["delta", "legacy"])
def test_observations_folder_itself_is_a_wrong_level(kind: str, dataset: Path,
                                                     legacy: Path) -> None:
    folder = (dataset if kind == "delta" else legacy) / "observations"
    with pytest.raises(SchemaError) as caught:
        store.load(folder)
    assert caught.value.details["reason"] == "no_observations"
    assert caught.value.hint is not None
    assert f"give the dataset folder itself: {folder.parent}" in caught.value.hint


def test_all_rows_quarantined_is_no_observations(dataset: Path) -> None:
    from fzcompare.store._layout import OBSERVATIONS, table_uri
    from fzcompare.store._tables import STORED_SCHEMA, Commit, Planned, commit_planned

    def plan(snap: store._tables.Snapshot) -> Planned[None]:
        rows = snap.rows().with_columns(pl.lit("quarantined").alias("status"),
                                        pl.lit("Q1").alias("quarantine_id"))
        return Planned(Commit(rows, None, {"operation": "test"}), None)

    commit_planned(table_uri(dataset, OBSERVATIONS), plan, schema=STORED_SCHEMA, step="t",
                   partition_by=["year", "status"])
    with pytest.raises(SchemaError, match="no observations at"):
        store.load(dataset)


def test_extra_regions_are_recorded(tmp_path: Path, obs_frame: pl.DataFrame,
                                    source_row: dict[str, object]) -> None:
    regions = pl.DataFrame([{"region_code": "990101", "name_zh": "合成县", "name_en":
                             "Synthetic county (synthetic)", "level": "county",
                             "parent_code": "420000"}])
    frame = obs_frame.with_columns(pl.lit("990101").alias("region_code"),
                                   pl.Series("year", [2021, 2022, 2023]))
    folder = tmp_path / "syn"
    store.write_observations(frame, folder, sources=pl.DataFrame([source_row]),
                             regions_table=regions)
    assert store.load(folder).height == 3
    assert "990101" in store.dataset_regions(folder)["region_code"].to_list()


def test_replace_observations_is_whole_set_in_one_commit(dataset: Path) -> None:
    keep = store.load(dataset).filter(pl.col("year") == 2023)
    version = store.replace_observations(keep, dataset)
    assert version == _version(dataset) == 1
    assert sorted(store.load(dataset)["year"].unique().to_list()) == [2023]


def test_http_write_refused(obs_frame: pl.DataFrame) -> None:
    with pytest.raises(DatasetWriteError, match="read-only"):
        store.write_observations(obs_frame, "https://example.org/ds")


def test_history_restore_and_versions(dataset: Path, obs_frame: pl.DataFrame) -> None:
    first = store.load(dataset)
    store.write_observations(obs_frame.with_columns(pl.col("value") + 1), dataset)
    history = store.history(dataset)
    assert history["version"].to_list() == [1, 0]
    assert history.row(0, named=True)["operation"] == "write"
    assert history.row(0, named=True)["replaced"] == 3
    assert history.row(1, named=True)["added"] == 3
    assert history.row(1, named=True)["sources"] == "test-src"
    assert store.load(dataset, version=0).equals(first)
    assert store.restore(dataset, version=0) == 2
    assert store.load(dataset).sort(KEY_COLUMNS).equals(first.sort(KEY_COLUMNS))
    assert store.history(dataset)["operation"][0] == "restore 0"
    with pytest.raises(SchemaError) as caught:
        store.restore(dataset, version=9)
    assert caught.value.details["reason"] == "unknown_version"


def test_legacy_folder_loads_read_only(legacy: Path, obs_frame: pl.DataFrame) -> None:
    assert store.load(legacy).height == 3
    assert store.load_sources(legacy)["source_id"].to_list() == ["test-src"]
    with pytest.raises(DatasetWriteError) as caught:
        store.write_observations(obs_frame, legacy)
    assert caught.value.hint is not None
    assert f"fzcompare dataset convert {legacy}" in caught.value.hint
    with pytest.raises(SchemaError, match="has no versions"):
        store.load(legacy, version=0)


def test_legacy_zero_byte_partition_is_an_error(legacy: Path) -> None:
    (legacy / "observations" / "year=2022" / "part-0.parquet").write_bytes(b"")
    with pytest.raises(SchemaError, match="zero-byte"):
        store.load(legacy)


def test_convert_keeps_every_row(legacy: Path, tmp_path: Path) -> None:
    before = store.load(legacy).sort(KEY_COLUMNS)
    report = store.convert(legacy, tmp_path / "new")
    assert (report.observations, report.sources) == (3, 1)
    assert store.load(tmp_path / "new").sort(KEY_COLUMNS).equals(before)
    assert store.load(legacy).height == 3  # the source folder is left as it was
    in_place = store.convert(legacy)
    assert in_place.destination == str(legacy)
    assert store.load(legacy).sort(KEY_COLUMNS).equals(before)
    assert not (legacy / "sources.csv").exists()
    assert not list((legacy / "observations").glob("year=*/part-0.parquet"))
    with pytest.raises(SchemaError, match="nothing to convert"):
        store.convert(legacy)


def test_convert_keeps_the_legacy_quarantine(legacy: Path, tmp_path: Path,
                                             obs_frame: pl.DataFrame) -> None:
    from fzcompare.validate import QUARANTINE_SCHEMA, read_quarantine

    row = obs_frame.head(1).with_columns(pl.col("year").cast(pl.Int32))
    record = row.with_columns(
        pl.lit("Q0000001").alias("quarantine_id"), pl.lit("ranges/x").alias("checks"),
        pl.lit("out of range").alias("reason"),
        pl.lit(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).alias("quarantined_at"),
        pl.lit("quarantined").alias("status"), pl.lit(None).alias("resolved_at"),
        pl.lit(None).alias("resolution"),
    ).select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()
              if c != "disclosure"])  # a quarantine written before the column existed
    (legacy / "quarantine").mkdir()
    record.write_parquet(legacy / "quarantine" / "quarantine.parquet")
    report = store.convert(legacy, tmp_path / "new")
    assert report.quarantine == 1
    assert read_quarantine(tmp_path / "new").equals(read_quarantine(legacy))
    assert read_quarantine(tmp_path / "new")["disclosure"].to_list() == ["reported"]


def test_legacy_load_names_the_broken_file(legacy: Path) -> None:
    part = legacy / "observations" / "year=2023" / "part-0.parquet"
    pl.read_parquet(part).drop("unit").write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(legacy)
    assert caught.value.details["column"] == "unit"
    assert "year=2023" in str(caught.value)


def test_legacy_load_names_wrong_type_file(legacy: Path) -> None:
    part = legacy / "observations" / "year=2022" / "part-0.parquet"
    pl.read_parquet(part).with_columns(pl.col("value").cast(pl.String)).write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(legacy)
    assert caught.value.details["reason"] == "wrong_type"
    assert "year=2022" in str(caught.value)


def test_legacy_duplicates_across_files(legacy: Path) -> None:
    src = legacy / "observations" / "year=2023" / "part-0.parquet"
    shutil.copy(src, src.with_name("part-1.parquet"))
    with pytest.raises(SchemaError) as caught:
        store.load(legacy)
    assert caught.value.details["reason"] == "duplicate_key"


def test_legacy_row_level_error_names_file_and_row(legacy: Path) -> None:
    part = legacy / "observations" / "year=2023" / "part-0.parquet"
    frame = pl.read_parquet(part)
    frame = frame.with_columns(pl.Series("region_code", ["420300", "429999"][: frame.height]))
    frame.write_parquet(part)
    with pytest.raises(SchemaError) as caught:
        store.load(legacy)
    error = caught.value
    assert error.details["reason"] == "unknown_region"
    assert error.details["file"].endswith("year=2023/part-0.parquet")
    assert error.details["file_row"] == 1
    assert "year=2023/part-0.parquet row 1" in str(error)


def test_bundled_datasets_are_transactional() -> None:
    for name in ("demo", "real"):
        assert (Path("datasets") / name / "observations" / "_delta_log").is_dir()
        assert store.history(Path("datasets") / name).height >= 1
