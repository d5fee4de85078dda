"""Reading a dataset: lazy scans, schema-checked loads, sources and regions.

Transactional (Delta) datasets are read at their newest version or at ``version=N``; plain
hive-partitioned Parquet folders (the format before Delta) are still read, read-only.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fzcompare.catalog import REGION_LEVELS, REGION_SCHEMA, load_catalog, load_regions
from fzcompare.errors import SchemaError
from fzcompare.regions import region_history
from fzcompare.schema import (
    OBSERVATION_SCHEMA,
    SOURCE_SCHEMA,
    added_columns,
    check_observations,
    with_added_columns,
)
from fzcompare.store._layout import (
    DEFAULT_DATASET,
    OBSERVATIONS,
    REGIONS,
    SOURCES,
    StorageOptions,
    is_remote,
    join,
    layout,
    no_observations,
    open_table,
    table_uri,
)
from fzcompare.store._tables import ACTIVE
from fzcompare.store._tables import history as table_history

if TYPE_CHECKING:
    from deltalake import DeltaTable  # heavy: only for the annotation


def _legacy_root(dataset: str | os.PathLike[str]) -> str:
    return join(dataset, OBSERVATIONS)


def _check_legacy_files(dataset: str | os.PathLike[str]) -> None:
    """A zero-byte data file is an error, not a partition to skip."""
    if is_remote(dataset):
        return
    for file in sorted(Path(_legacy_root(dataset)).rglob("*.parquet")):
        if file.stat().st_size == 0:
            msg = f"{file}: empty (zero-byte) data file"
            raise SchemaError(msg, path=str(file),
                              reason="unreadable_file",
                              hint="restore the file from a backup, or delete it if that "
                                   "year is meant to be empty")


def _scan_legacy(dataset: str | os.PathLike[str], storage_options: StorageOptions | None,
                 *, file_paths: bool = False) -> pl.LazyFrame:
    return pl.scan_parquet(
        join(_legacy_root(dataset), "**", "*.parquet"), hive_partitioning=True,
        hive_schema={"year": pl.Int32()}, storage_options=storage_options,
        include_file_paths="_file" if file_paths else None)


def scan(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    version: int | None = None,
    storage_options: StorageOptions | None = None,
) -> pl.LazyFrame:
    """Lazily scan a dataset's observations (its active rows; quarantined rows are left out).

    Nothing is read until the frame is collected, so filters on ``year`` prune partitions.

    Args:
        dataset: Dataset folder or object-store URL.
        version: Read this version of a transactional dataset (default: the newest).
        storage_options: Passed to the engine for object stores (credentials, region ...).

    Raises:
        SchemaError: ``no_observations`` if the path holds no observations (with a hint
            when it is a dataset's ``observations/`` folder itself); ``not_versioned`` if
            ``version`` is given for a plain Parquet folder.

    Examples:
        >>> import polars as pl
        >>> lf = scan("datasets/real")
        >>> lf.filter(pl.col("year") == 2023).select("region_code").head(1).collect().height
        1
    """
    kind = layout(dataset, storage_options)
    if kind is None:
        raise no_observations(dataset)
    if kind == "legacy":
        if version is not None:
            raise _not_versioned(dataset)
        _check_legacy_files(dataset)
        return with_added_columns(_scan_legacy(dataset, storage_options),
                                  OBSERVATION_SCHEMA).select(list(OBSERVATION_SCHEMA))
    # Tables written before a column existed lack it: its read default fills it (schema.
    # OBSERVATION_DEFAULTS: disclosure is "reported" where a value is filled).
    table = pl.scan_delta(table_uri(dataset, OBSERVATIONS), version=version,
                          storage_options=storage_options)
    return (with_added_columns(table, OBSERVATION_SCHEMA)
            .filter(pl.col("status") == ACTIVE).select(list(OBSERVATION_SCHEMA)))


def _read_remote_csv(url: str, schema: dict[str, pl.DataType],
                     storage_options: StorageOptions | None) -> pl.DataFrame:
    """A CSV table of a remote legacy dataset; empty when the object does not exist."""
    try:
        return pl.scan_csv(url, schema=schema, storage_options=storage_options).collect()
    except (FileNotFoundError, pl.exceptions.ComputeError) as exc:
        if "not found" in str(exc).lower() or isinstance(exc, FileNotFoundError):
            return pl.DataFrame(schema=schema)
        raise


def _not_versioned(dataset: str | os.PathLike[str]) -> SchemaError:
    msg = f"{dataset}: a plain Parquet folder has no versions"
    return SchemaError(msg, path=str(dataset), reason="not_versioned",
                       hint=f"convert it first: fzcompare dataset convert {dataset}")


def _side_table_at(dataset: str | os.PathLike[str], name: str, version: int | None,
                   storage_options: StorageOptions | None) -> DeltaTable | None:
    """Side table ``name`` as it was when observations version ``version`` was committed.

    Side tables are their own Delta tables, committed before the observations that cite
    them, so their state at dataset version N is their last commit at or before N's time.
    None when the table did not exist yet (or at all).
    """
    table = open_table(table_uri(dataset, name), storage_options)
    if table is None or version is None:
        return table
    stamps = [entry.get("timestamp") for entry in
              table_history(table_uri(dataset, OBSERVATIONS), storage_options)
              if entry.get("version") == version]
    if not stamps or stamps[0] is None:
        msg = f"{dataset}: no dataset version {version}"
        raise SchemaError(msg, path=str(dataset), reason="unknown_version",
                          hint=f"list the versions: fzcompare dataset history {dataset}")
    committed = dt.datetime.fromtimestamp(int(str(stamps[0])) / 1000, dt.UTC)
    first = min(int(str(e.get("timestamp"))) for e in
                table_history(table_uri(dataset, name), storage_options))
    if first > int(str(stamps[0])):
        return None  # the side table was created after that version
    table.load_as_version(committed)
    return table


def read_side_table(dataset: str | os.PathLike[str], name: str,
                    schema: dict[str, pl.DataType],
                    storage_options: StorageOptions | None, *,
                    version: int | None = None) -> pl.DataFrame:
    """The dataset's ``sources`` or ``regions`` table (Delta, or the legacy CSV); may be empty.

    With ``version``, the table as it was at that dataset (observations) version.

    Raises:
        SchemaError: ``not_versioned`` for ``version`` on a plain Parquet folder;
            ``unknown_version`` for a version the dataset does not have;
            ``no_observations`` for ``version`` where there is no dataset.
    """
    kind = layout(dataset, storage_options)
    if kind == "delta":
        table = _side_table_at(dataset, name, version, storage_options)
        if table is None:
            return pl.DataFrame(schema=schema)
        return with_added_columns(pl.scan_delta(table), schema).select(
            [pl.col(c).cast(t) for c, t in schema.items()]).collect()
    if version is not None:
        raise _not_versioned(dataset) if kind == "legacy" else no_observations(dataset)
    csv = join(dataset, f"{name}.csv")
    if is_remote(dataset):
        return _read_remote_csv(csv, schema, storage_options)
    if not Path(csv).is_file():
        return pl.DataFrame(schema=schema)
    # Read by header name, so a table written before a column was added still loads.
    header = pl.read_csv(csv, n_rows=0).columns
    frame = pl.read_csv(csv, schema_overrides={c: t for c, t in schema.items() if c in header})
    return with_added_columns(frame, schema).select(
        [pl.col(c).cast(t) for c, t in schema.items()])


def dataset_regions(
    dataset: str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """The bundled regions, the codes no longer in force, and the dataset's own regions.

    The dataset's own regions (its ``regions`` table, and a ``regions.csv`` a user put in the
    folder) register regions the bundled table lacks: townships and streets (level
    ``township``) under a county, or synthetic regions. Old codes (郧县 420321) are included
    so that figures keep the code they were reported under (``fzcompare.regions.harmonise``
    maps them to the codes in force).

    Raises:
        SchemaError: A registered row has an unknown level or a parent that no table has
            (``details``: path, row, column).

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> bundled = dataset_regions("datasets/demo")
        >>> bundled.filter(pl.col("region_code") == "420300").row(0)
        ('420300', '十堰市', 'Shiyan', 'prefecture', '420000')
        >>> bundled.filter(pl.col("region_code") == "420321")["name_zh"].item()  # until 2014
        '郧县'
        >>> folder = Path(tempfile.mkdtemp())
        >>> pl.DataFrame({"region_code": ["990001"], "name_zh": ["城关镇"],
        ...               "name_en": ["Chengguan"], "level": ["township"],
        ...               "parent_code": ["420322"]}).write_csv(folder / "regions.csv")
        >>> dataset_regions(folder).height - bundled.height
        1
        >>> dataset_regions(folder)["region_code"][-1]
        '990001'
    """
    regions = bundled_regions()
    extra = read_side_table(dataset, REGIONS, REGION_SCHEMA, storage_options)
    csv = join(dataset, f"{REGIONS}.csv")
    if (layout(dataset, storage_options) == "delta" and not is_remote(dataset)
            and Path(csv).is_file()):
        extra = pl.concat([extra, pl.read_csv(csv, schema=REGION_SCHEMA)]).unique(
            "region_code", keep="first", maintain_order=True)
    if not extra.height:
        return regions
    _check_registered(extra, regions, csv)
    return pl.concat([regions, extra.filter(~pl.col("region_code").is_in(
        regions["region_code"].implode()))])


def bundled_regions() -> pl.DataFrame:
    """The bundled regions in force plus the codes no longer in force (latest name each)."""
    regions = load_regions()
    old = region_history().filter(~pl.col("region_code").is_in(regions["region_code"].implode()))
    old = old.unique("region_code", keep="last", maintain_order=True).select(
        "region_code", "name_zh", pl.lit(None, pl.String()).alias("name_en"), "level",
        "parent_code")
    return pl.concat([regions, old])


def _check_registered(extra: pl.DataFrame, regions: pl.DataFrame, path: str) -> None:
    known = set(regions["region_code"].to_list()) | set(extra["region_code"].to_list())
    for row, (level, parent) in enumerate(extra.select("level", "parent_code").iter_rows(), 2):
        column = ("level" if level not in REGION_LEVELS
                  else "parent_code" if parent and parent not in known else None)
        if column is not None:
            msg = (
                f"{path}: row {row}: column {column!r}: "
                              f"{level if column == 'level' else parent!r} is not a known "
                              f"{'level' if column == 'level' else 'region code'}"
            )
            raise SchemaError(msg,
                              path=path, row=row, column=column, reason="bad_region",
                              hint=f"levels: {sorted(REGION_LEVELS)}; a parent must be a "
                              "bundled code or a row of this file")


def load_sources(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    version: int | None = None,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """Read a dataset's sources table; empty if the dataset has none.

    Object-store URLs are read with ``storage_options``, like :func:`scan`. With
    ``version`` (a dataset version, as in ``load(..., version=N)``), the sources as they
    were when that version was committed: a report added later is not in them.

    Raises:
        SchemaError: ``not_versioned`` for ``version`` on a plain Parquet folder;
            ``unknown_version`` for a version the dataset does not have.

    Examples:
        >>> import tempfile
        >>> sources = load_sources("datasets/real")
        >>> sources.columns  # doctest: +NORMALIZE_WHITESPACE
        ['source_id', 'title', 'publisher', 'published', 'url', 'kind', 'region_code', 'year',
         'note']
        >>> sorted(set(sources["kind"]))
        ['news', 'report']
        >>> load_sources("datasets/demo")["kind"].unique().to_list()
        ['synthetic']
        >>> load_sources(tempfile.mkdtemp()).height
        0
    """
    return read_side_table(dataset, SOURCES, SOURCE_SCHEMA, storage_options,
                           version=version).sort("source_id")


def load(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    version: int | None = None,
    check: bool = True,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """Read a dataset's observations (active rows), checked against the data model.

    Args:
        dataset: Dataset folder or object-store URL.
        version: Read this version of a transactional dataset (default: the newest); see
            ``fzcompare dataset history``.
        check: Check columns, types, codes, qualifiers and key uniqueness (default).
        storage_options: Passed to the engine for object stores.

    Raises:
        SchemaError: Naming the file, the column and the problem; ``no_observations`` when
            the path holds no observations or none are active.

    Examples:
        >>> obs = load("datasets/real")
        >>> obs.columns == list(OBSERVATION_SCHEMA)
        True
    """
    lazy = scan(dataset, version=version, storage_options=storage_options)
    try:
        frame = lazy.collect()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # the engine panics (a BaseException) on some broken files
        raise _explain_read_error(dataset, exc) from exc
    if frame.height == 0:
        raise no_observations(dataset)
    if not check:
        return frame
    regions = dataset_regions(dataset, storage_options=storage_options)
    try:
        return check_observations(
            frame,
            path=str(dataset),
            region_codes=frozenset(regions["region_code"].to_list()),
            indicator_codes=load_catalog().codes,
        )
    except SchemaError as error:
        if layout(dataset, storage_options) == "legacy":
            raise _locate(error, dataset, storage_options) from None
        raise


def _locate(error: SchemaError, dataset: str | os.PathLike[str],
            storage_options: StorageOptions | None) -> SchemaError:
    """Name the Parquet file and the row within it where a schema check failed.

    Only run on failure: attaching file paths to every row costs a second scan.
    """
    rows = error.details.get("rows")
    if rows is None or "row" not in rows.columns or rows.height == 0:
        return error
    first_row = int(rows["row"][0])
    located = (_scan_legacy(dataset, storage_options, file_paths=True)
               .with_columns(pl.int_range(pl.len()).over("_file").alias("_file_row"))
               .select("_file", "_file_row").slice(first_row, 1).collect())
    if located.height == 0:
        return error
    file, file_row = located.row(0)
    details = {**error.details, "file": file, "file_row": file_row}
    return SchemaError(f"{error.message} (first in {file} row {file_row})", hint=error.hint,
                       **details)


def _data_files(dataset: str | os.PathLike[str]) -> list[Path]:
    if layout(dataset) == "delta":
        table = open_table(table_uri(dataset, OBSERVATIONS), None)
        uris = table.file_uris() if table is not None else []
        return [Path(u.removeprefix("file://")) for u in uris]
    return sorted(Path(_legacy_root(dataset)).rglob("*.parquet"))


def _explain_read_error(dataset: str | os.PathLike[str], exc: BaseException) -> SchemaError:
    """Find which file breaks the read and say why, file by file."""
    if not is_remote(dataset):
        for file in _data_files(dataset):
            if not file.is_file() or file.stat().st_size == 0:
                what = "missing" if not file.is_file() else "empty (zero-byte)"
                return SchemaError(f"{file}: {what} data file", path=str(file),
                                   reason="unreadable_file",
                                   hint="restore an earlier version: fzcompare dataset "
                                        "history / restore")
            try:
                schema = pl.read_parquet_schema(file)
            except (pl.exceptions.PolarsError, OSError) as file_exc:
                return SchemaError(f"{file}: not a readable Parquet file ({file_exc})",
                                   path=str(file), reason="unreadable_file")
            missing = [c for c in OBSERVATION_SCHEMA if c not in schema and c != "year"
                       and c not in added_columns(OBSERVATION_SCHEMA)]
            if missing:
                return SchemaError(f"{file}: missing columns: {', '.join(missing)}",
                                   path=str(file), column=missing[0], reason="missing_column")
            for column, dtype in OBSERVATION_SCHEMA.items():
                if column in schema and schema[column] != dtype:
                    return SchemaError(
                        f"{file}: column {column!r}: expected {dtype}, found {schema[column]}",
                        path=str(file), column=column, reason="wrong_type",
                        hint="rewrite the file through fzcompare.store.write_observations",
                    )
    return SchemaError(f"{dataset}: cannot read observations ({exc})", path=str(dataset),
                       reason="unreadable_dataset")
