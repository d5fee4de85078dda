"""A dataset's versions: the history of its commits, restoring one, converting old folders."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from fzcompare.catalog import REGION_SCHEMA
from fzcompare.errors import DatasetWriteError, SchemaError
from fzcompare.schema import SOURCE_SCHEMA, with_added_columns
from fzcompare.store._layout import (
    OBSERVATIONS,
    REGIONS,
    SOURCES,
    StorageOptions,
    layout,
    no_observations,
    open_table,
    table_uri,
)
from fzcompare.store._read import load, load_sources, read_side_table
from fzcompare.store._tables import (
    ACTIVE,
    MAX_ATTEMPTS,
    PARTITION_BY,
    STORED_SCHEMA,
    Commit,
    Planned,
    Snapshot,
    commit_planned,
    conform,
)
from fzcompare.store._tables import history as table_history
from fzcompare.store._write import merge_side_table, stored

HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "version": pl.Int64(), "time": pl.Datetime("ms", "UTC"), "operation": pl.String(),
    "added": pl.Int64(), "replaced": pl.Int64(), "quarantined": pl.Int64(),
    "readmitted": pl.Int64(), "sources": pl.String(),
}
"""Columns of ``history``: one row per version of the observations table."""

_LEGACY_QUARANTINE: Final[str] = "quarantine/quarantine.parquet"


def _count(entry: dict[str, object], key: str) -> int | None:
    value = entry.get(key)
    return None if value is None else int(str(value))


def history(
    dataset: str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """The versions of a dataset's observations, newest first.

    Each row: ``version``, ``time`` (UTC), ``operation`` (write, replace, quarantine,
    readmit, restore, convert ...), the rows ``added`` / ``replaced`` / ``quarantined`` /
    ``readmitted`` and the ``sources`` (ids) the commit wrote. Counts are null for commits
    made by other tools.

    Raises:
        SchemaError: ``no_observations`` if the dataset is not transactional.

    Examples:
        >>> import tempfile
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300")
        >>> folder = tempfile.mkdtemp()
        >>> from fzcompare.store import write_observations
        >>> _ = write_observations(shiyan, folder, sources=load_sources("datasets/demo"))
        >>> history(folder).select("version", "operation", "added", "replaced").rows()
        [(0, 'write', 234, 0)]
    """
    if layout(dataset, storage_options) != "delta":
        raise no_observations(dataset)
    rows = []
    for entry in table_history(table_uri(dataset, OBSERVATIONS), storage_options):
        stamp = entry.get("timestamp")
        rows.append({
            "version": entry.get("version"),
            "time": (dt.datetime.fromtimestamp(int(str(stamp)) / 1000, dt.UTC)
                     if stamp is not None else None),
            "operation": entry.get("operation") or str(entry.get("engine_operation")).lower(),
            "added": _count(entry, "added"), "replaced": _count(entry, "replaced"),
            "quarantined": _count(entry, "quarantined"),
            "readmitted": _count(entry, "readmitted"),
            "sources": entry.get("sources"),
        })
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row").sort(
        "version", descending=True)


def current_version(
    dataset: str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
) -> int | None:
    """The newest version of a dataset, or None for a plain Parquet folder (no versions).

    Read it first and pass it to ``load(..., version=)`` to know exactly what was read.

    Examples:
        >>> current_version("datasets/demo")
        0
    """
    if layout(dataset, storage_options) != "delta":
        return None
    table = open_table(table_uri(dataset, OBSERVATIONS), storage_options)
    return None if table is None else int(table.version())


def restore(
    dataset: str | os.PathLike[str],
    *,
    version: int,
    storage_options: StorageOptions | None = None,
) -> int:
    """Make ``version`` the dataset's newest state again, in one new commit.

    Nothing is lost: the versions after ``version`` stay in the history and can be restored
    in turn. Sources and regions are not rolled back (rows added since are harmless).

    Returns:
        The new version number.

    Raises:
        SchemaError: ``unknown_version`` if the dataset has no such version.

    Examples:
        >>> import tempfile
        >>> from fzcompare.store import write_observations
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300")
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_observations(shiyan, folder, sources=load_sources("datasets/demo"))
        >>> _ = write_observations(shiyan.with_columns(pl.col("value") + 1), folder)
        >>> restore(folder, version=0)
        2
        >>> load(folder).equals(load(folder, version=0))
        True
    """
    # deltalake is heavy (a large compiled extension): loaded when a table is touched.
    from deltalake import CommitProperties
    from deltalake.exceptions import CommitFailedError

    if layout(dataset, storage_options) != "delta":
        raise no_observations(dataset)
    uri = table_uri(dataset, OBSERVATIONS)
    for _ in range(MAX_ATTEMPTS):
        table = open_table(uri, storage_options)
        assert table is not None
        newest = int(table.version())
        if not 0 <= version <= newest:
            msg = f"{dataset}: no version {version} (versions 0..{newest})"
            raise SchemaError(msg,
                              path=str(dataset), reason="unknown_version",
                              hint=f"list them: fzcompare dataset history {dataset}")
        properties = CommitProperties(max_commit_retries=0, custom_metadata={
            "fzcompare.operation": f"restore {version}"})
        try:
            table.restore(version, commit_properties=properties)
        except CommitFailedError:
            continue
        return newest + 1
    msg = f"{dataset}: restore kept losing to other writers"
    raise DatasetWriteError(msg,
                            path=str(dataset), hint="retry when the other writer is done")


@dataclass(frozen=True)
class ConvertReport:
    """What ``convert`` wrote (each count checked against the source folder).

    Attributes:
        source: The plain Parquet folder read.
        destination: The transactional dataset written.
        observations: Active observations.
        quarantine: Quarantine records (every status).
        sources: Rows of the sources table.
        regions: Extra regions.
        version: The new dataset's version.
    """

    source: str
    destination: str
    observations: int
    quarantine: int
    sources: int
    regions: int
    version: int | None


def _legacy_quarantine(source: Path) -> pl.DataFrame:
    path = source / _LEGACY_QUARANTINE
    if not path.is_file():
        return pl.DataFrame(schema=STORED_SCHEMA)
    table = with_added_columns(pl.read_parquet(path), STORED_SCHEMA)
    return conform(table.lazy(), STORED_SCHEMA, table.columns).collect()


def _remove_legacy_files(root: Path) -> None:
    """Delete the plain-Parquet copies once the transactional tables hold every row."""
    for part in (root / OBSERVATIONS).glob("year=*/*.parquet"):
        part.unlink()
    for name in ("sources.csv", "regions.csv"):
        (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / "quarantine", ignore_errors=True)


def convert(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str] | None = None,
) -> ConvertReport:
    """Turn a plain hive-partitioned Parquet folder into a transactional dataset.

    Every observation, quarantine record, source and extra region is kept; the counts are
    checked after the commit. Without ``destination`` the folder is converted in place
    (the old files are deleted only after the new tables hold every row).

    Raises:
        SchemaError: If ``source`` is not a plain Parquet dataset or its rows break the
            data model.
        DatasetWriteError: If ``destination`` already holds a dataset, or a count differs.
    """
    src = Path(source)
    if layout(src) != "legacy":
        msg = f"{src}: not a plain Parquet dataset (nothing to convert)"
        raise SchemaError(msg,
                          path=str(src), reason="not_legacy",
                          hint="a plain dataset holds observations/year=YYYY/*.parquet")
    dest = Path(destination) if destination is not None else src
    if dest != src and layout(dest) is not None:
        msg = f"{dest}: already holds a dataset"
        raise DatasetWriteError(msg, path=str(dest),
                                hint="convert into a new folder")
    observations = load(src)
    records = _legacy_quarantine(src)
    sources = load_sources(src)
    regions = read_side_table(src, REGIONS, REGION_SCHEMA, None)
    dest.mkdir(parents=True, exist_ok=True)
    if regions.height:
        merge_side_table(str(dest), REGIONS, regions, "region_code", REGION_SCHEMA, None)
    if sources.height:
        merge_side_table(str(dest), SOURCES, sources, "source_id", SOURCE_SCHEMA, None)
    rows = pl.concat([stored(observations), records])

    def plan(snap: Snapshot) -> Planned[None]:
        meta = {"operation": "convert", "added": observations.height,
                "quarantined": records.height}
        return Planned(Commit(rows, None, meta), None)

    _, version = commit_planned(table_uri(dest, OBSERVATIONS), plan, schema=STORED_SCHEMA,
                                step="observations", partition_by=PARTITION_BY)
    stored_rows = Snapshot(uri=table_uri(dest, OBSERVATIONS),
                           table=open_table(table_uri(dest, OBSERVATIONS), None),
                           storage_options=None, schema=STORED_SCHEMA).rows()
    report = ConvertReport(
        source=str(src), destination=str(dest),
        observations=stored_rows.filter(pl.col("status") == ACTIVE).height,
        quarantine=stored_rows.filter(pl.col("status") != ACTIVE).height,
        sources=load_sources(dest).height,
        regions=read_side_table(dest, REGIONS, REGION_SCHEMA, None).height, version=version)
    expected = (observations.height, records.height, sources.height, regions.height)
    if (report.observations, report.quarantine, report.sources, report.regions) != expected:
        msg = f"{dest}: converted counts {report} differ from {expected}"
        raise DatasetWriteError(msg,
                                path=str(dest))
    if dest == src:
        _remove_legacy_files(src)
    return report
