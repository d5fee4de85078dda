"""The store as it was before Delta Lake (commit 90cc4a6), kept as the baseline of bench_store.py.

Copied unchanged from src/fzcompare/store.py at that commit, except this docstring; not used
by fzcompare itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare.catalog import REGION_SCHEMA, load_catalog, load_regions
from fzcompare.errors import DatasetWriteError, SchemaError
from fzcompare.schema import (
    KEY_COLUMNS,
    OBSERVATION_SCHEMA,
    SOURCE_KINDS,
    SOURCE_SCHEMA,
    check_observations,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_DATASET",
    "WriteReport",
    "atomic_write_bytes",
    "dataset_regions",
    "load",
    "load_sources",
    "replace_observations",
    "scan",
    "write_observations",
]

DEFAULT_DATASET: Final[str] = "datasets/demo"
"""The bundled synthetic demo panel, relative to a checkout of the repository."""

_PART_NAME: Final[str] = "part-0.parquet"
_REMOTE_PREFIXES: Final[tuple[str, ...]] = ("s3://", "gs://", "gcs://", "az://", "abfs://",
                                            "https://", "http://", "hf://")
StorageOptions = dict[str, Any]


def _is_remote(path: str | os.PathLike[str]) -> bool:
    return str(path).startswith(_REMOTE_PREFIXES)


def _join(base: str | os.PathLike[str], *parts: str) -> str:
    return "/".join([str(base).rstrip("/"), *parts])


def _observations_root(dataset: str | os.PathLike[str]) -> str:
    if _is_remote(dataset):
        return _join(dataset, "observations")
    path = Path(dataset)
    if not path.exists():
        raise SchemaError(f"{path}: no such dataset", path=str(path), reason="not_found",
                          hint="give the folder that holds observations/ and sources.csv")
    return str(path / "observations") if (path / "observations").is_dir() else str(path)


def scan(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    storage_options: StorageOptions | None = None,
) -> pl.LazyFrame:
    """Lazily scan a dataset's observations (hive partitions by year).

    Nothing is read until the frame is collected, so filters on ``year`` prune partitions.

    Args:
        dataset: Dataset folder, its ``observations/`` folder, or an object-store URL.
        storage_options: Passed to polars for object stores (credentials, region ...).

    Examples:
        >>> import polars as pl
        >>> lf = scan("datasets/real")
        >>> lf.filter(pl.col("year") == 2023).select("region_code").head(1).collect().height
        1
    """
    root = _observations_root(dataset)
    source = _join(root, "**", "*.parquet")
    return pl.scan_parquet(
        source,
        hive_partitioning=True,
        hive_schema={"year": pl.Int32()},
        storage_options=storage_options,
    ).select(list(OBSERVATION_SCHEMA))


def _read_remote_csv(url: str, schema: dict[str, pl.DataType],
                     storage_options: StorageOptions | None) -> pl.DataFrame:
    """A CSV table of a remote dataset; empty when the object does not exist."""
    try:
        return pl.scan_csv(url, schema=schema, storage_options=storage_options).collect()
    except (FileNotFoundError, pl.exceptions.ComputeError) as exc:
        if "not found" in str(exc).lower() or isinstance(exc, FileNotFoundError):
            return pl.DataFrame(schema=schema)
        raise


def dataset_regions(
    dataset: str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """The bundled regions table plus the dataset's own ``regions.csv``, if it has one.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> bundled = dataset_regions("datasets/demo")
        >>> bundled.filter(pl.col("region_code") == "420300").row(0)
        ('420300', '十堰市', 'Shiyan', 'prefecture', '420000')
        >>> folder = Path(tempfile.mkdtemp())
        >>> pl.DataFrame({"region_code": ["990001"], "name_zh": ["合成市"],
        ...               "name_en": ["Synthetic City"], "level": ["prefecture"],
        ...               "parent_code": ["420000"]}).write_csv(folder / "regions.csv")
        >>> dataset_regions(folder).height - bundled.height
        1
        >>> dataset_regions(folder)["region_code"][-1]
        '990001'
    """
    regions = load_regions()
    extra: pl.DataFrame | None = None
    if _is_remote(dataset):
        extra = _read_remote_csv(_join(dataset, "regions.csv"), REGION_SCHEMA, storage_options)
    elif (Path(dataset) / "regions.csv").is_file():
        extra = pl.read_csv(Path(dataset) / "regions.csv", schema=REGION_SCHEMA)
    if extra is not None and extra.height:
        regions = pl.concat([regions, extra.filter(~pl.col("region_code").is_in(
            regions["region_code"].implode()))])
    return regions


def load(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    check: bool = True,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """Read a dataset's observations, checked against the data model.

    Args:
        dataset: Dataset folder, its ``observations/`` folder, or an object-store URL.
        check: Check columns, types, codes, qualifiers and key uniqueness (default).
        storage_options: Passed to polars for object stores.

    Raises:
        SchemaError: Naming the file, the column and the problem.

    Examples:
        >>> obs = load("datasets/real")
        >>> obs.columns == list(OBSERVATION_SCHEMA)
        True
    """
    try:
        frame = scan(dataset, storage_options=storage_options).collect()
    except pl.exceptions.PolarsError as exc:
        raise _explain_read_error(dataset, exc) from exc
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
        raise _locate(error, dataset, storage_options) from None


def _scan_located(dataset: str | os.PathLike[str],
                  storage_options: StorageOptions | None) -> pl.LazyFrame:
    root = _observations_root(dataset)
    return pl.scan_parquet(
        _join(root, "**", "*.parquet"), hive_partitioning=True,
        hive_schema={"year": pl.Int32()}, storage_options=storage_options,
        include_file_paths="_file",
    ).with_columns(pl.int_range(pl.len()).over("_file").alias("_file_row"))


def _locate(error: SchemaError, dataset: str | os.PathLike[str],
            storage_options: StorageOptions | None) -> SchemaError:
    """Name the Parquet file and the row within it where a schema check failed.

    Only run on failure: attaching file paths to every row costs a second scan.
    """
    rows = error.details.get("rows")
    if rows is None or "row" not in rows.columns or rows.height == 0:
        return error
    first_row = int(rows["row"][0])
    located = (_scan_located(dataset, storage_options).select("_file", "_file_row")
               .slice(first_row, 1).collect())
    if located.height == 0:
        return error
    file, file_row = located.row(0)
    details = {**error.details, "file": file, "file_row": file_row}
    return SchemaError(f"{error.message} (first in {file} row {file_row})", hint=error.hint,
                       **details)


def _explain_read_error(dataset: str | os.PathLike[str], exc: Exception) -> SchemaError:
    """Find which file breaks the read and say why, file by file."""
    if not _is_remote(dataset):
        for file in sorted(Path(_observations_root(dataset)).rglob("*.parquet")):
            try:
                schema = pl.read_parquet_schema(file)
            except (pl.exceptions.PolarsError, OSError) as file_exc:
                return SchemaError(f"{file}: not a readable Parquet file ({file_exc})",
                                   path=str(file), reason="unreadable_file")
            missing = [c for c in OBSERVATION_SCHEMA if c not in schema and c != "year"]
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


def load_sources(
    dataset: str | os.PathLike[str] = DEFAULT_DATASET,
    *,
    storage_options: StorageOptions | None = None,
) -> pl.DataFrame:
    """Read a dataset's sources table (``sources.csv``); empty if the dataset has none.

    Object-store URLs are read with ``storage_options``, like :func:`scan`.

    Examples:
        >>> import tempfile
        >>> sources = load_sources("datasets/real")
        >>> sources.columns
        ['source_id', 'title', 'publisher', 'published', 'url', 'kind', 'note']
        >>> sorted(set(sources["kind"]))
        ['news', 'report']
        >>> load_sources("datasets/demo")["kind"].to_list()
        ['synthetic']
        >>> load_sources(tempfile.mkdtemp()).height
        0
    """
    path = _join(dataset, "sources.csv")
    if _is_remote(dataset):
        return _read_remote_csv(path, SOURCE_SCHEMA, storage_options)
    if not Path(path).is_file():
        return pl.DataFrame(schema=SOURCE_SCHEMA)
    return pl.read_csv(path, schema=SOURCE_SCHEMA)


@dataclass(frozen=True)
class WriteReport:
    """What a keyed write did.

    Attributes:
        dataset: The dataset folder written to.
        added: Keys that were not in the dataset before.
        replaced: Keys whose row changed (the old rows are in ``changes``).
        unchanged: Keys written again with identical rows.
        years: The year partitions rewritten.
        changes: One row per added or replaced key: the key, ``change`` (added /
            replaced), ``old_value`` and ``new_value``.

    Examples:
        >>> import tempfile
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300",
        ...                                       pl.col("year") == 2023)
        >>> folder = tempfile.mkdtemp()
        >>> write_observations(shiyan.head(3), folder, sources=load_sources("datasets/demo"))
        WriteReport(...: 3 added, 0 replaced, 0 unchanged in years [2023])
        >>> report = write_observations(shiyan.head(4).with_columns(pl.col("value") + 1), folder)
        >>> report.added, report.replaced, report.unchanged
        (1, 3, 0)
        >>> report.to_polars().select("indicator_code", "change", "old_value", "new_value").row(0)
        ('admin_litigation_loss_rate', 'replaced', 9.56, 10.56)
    """

    dataset: str
    added: int
    replaced: int
    unchanged: int
    years: tuple[int, ...]
    changes: pl.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return (f"WriteReport({self.dataset}: {self.added} added, {self.replaced} replaced, "
                f"{self.unchanged} unchanged in years {list(self.years)})")

    def _repr_html_(self) -> str:
        import html

        head = self.changes.head(10)._repr_html_()
        return (f"<div><strong>WriteReport</strong> {html.escape(self.dataset)}: "
                f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged "
                f"in years {list(self.years)}</div>{head}")

    def to_polars(self) -> pl.DataFrame:
        """The per-key changes."""
        return self.changes

    def to_pandas(self) -> pd.DataFrame:
        """The per-key changes as pandas."""
        return self.changes.to_pandas()


def _file_mode() -> int:
    """Permissions a plain ``open()`` would give a new file (``mkstemp`` gives 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Missing parent folders are created. Readers see the old file or the new one, never a
    partly written one; if writing fails, the temporary file is removed.

    Examples:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "notes" / "shiyan.txt"
        >>> atomic_write_bytes(target, "十堰市 2023".encode())
        >>> atomic_write_bytes(target, "十堰市 2024".encode())
        >>> target.read_text(encoding="utf-8")
        '十堰市 2024'
        >>> [p.name for p in target.parent.iterdir()]  # no temporary file left behind
        ['shiyan.txt']
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(_file_mode())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    return buffer.getvalue()


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode("utf-8")


def _check_sources(sources: pl.DataFrame, path: str) -> pl.DataFrame:
    missing = [c for c in SOURCE_SCHEMA if c not in sources.columns]
    if missing:
        raise SchemaError(f"{path}: sources table misses columns: {', '.join(missing)}",
                          path=path, column=missing[0], reason="missing_column")
    sources = sources.select([pl.col(c).cast(t) for c, t in SOURCE_SCHEMA.items()])
    bad = sources.filter(~pl.col("kind").is_in(list(SOURCE_KINDS)) | pl.col("kind").is_null())
    if bad.height:
        raise SchemaError(f"{path}: source {bad['source_id'][0]!r} has kind "
                          f"{bad['kind'][0]!r}, expected one of {sorted(SOURCE_KINDS)}",
                          path=path, column="kind", reason="bad_source_kind", rows=bad)
    if sources["source_id"].is_duplicated().any():
        dup = sources.filter(pl.col("source_id").is_duplicated())
        raise SchemaError(f"{path}: duplicate source_id {dup['source_id'][0]!r}", path=path,
                          column="source_id", reason="duplicate_key", rows=dup)
    return sources


def _swap_in(files: dict[Path, bytes]) -> None:
    """Stage every file beside its target, then rename all in; on failure undo every rename."""
    staged: list[tuple[Path, Path]] = []
    backups: list[tuple[Path, Path | None]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                            suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp_name).chmod(_file_mode())
            staged.append((Path(tmp_name), target))
        for tmp, target in staged:
            backup: Path | None = None
            if target.exists():
                backup = target.with_name(f".{target.name}.bak")
                target.replace(backup)
            backups.append((target, backup))
            _before_rename_hook(target)
            tmp.replace(target)
    except BaseException:
        for target, backup in reversed(backups):
            if backup is not None:
                backup.replace(target)
            else:
                target.unlink(missing_ok=True)
        for staged_file, _ in staged:
            staged_file.unlink(missing_ok=True)
        raise
    for _, backup in backups:
        if backup is not None:
            backup.unlink()


def _no_hook(target: Path) -> None:
    return None


_before_rename_hook: Callable[[Path], None] = _no_hook
"""Called before each rename of a staged write; tests use it to simulate a crash mid-write."""


def _partition_path(dataset: Path, year: int) -> Path:
    return dataset / "observations" / f"year={int(year)}" / _PART_NAME


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(list(KEY_COLUMNS))


def write_observations(
    observations: pl.DataFrame,
    dataset: str | os.PathLike[str],
    *,
    sources: pl.DataFrame | None = None,
    regions_table: pl.DataFrame | None = None,
) -> WriteReport:
    """Add observations to a dataset, replacing rows whose key already exists.

    The write is atomic: every touched year partition (and ``sources.csv``) is staged
    beside its target and renamed into place only when all are staged; if anything fails,
    the dataset is left exactly as it was.

    Args:
        observations: Rows in the data model. Checked first (codes against the catalog and
            the regions, including ``regions``); a bad frame writes nothing.
        dataset: Local dataset folder (created if missing).
        sources: Source rows to add or update (by ``source_id``).
        regions_table: Extra regions (e.g. synthetic ones) to record in ``<dataset>/regions.csv``.

    Returns:
        A ``WriteReport`` of added, replaced and unchanged keys.

    Raises:
        SchemaError: If the observations or sources break the data model, or an
            observation names a source that the dataset will not have.
        DatasetWriteError: If the dataset is remote or the write failed (nothing changed).

    Examples:
        >>> import tempfile, polars as pl
        >>> row = {"region_code": "420300", "year": 2023, "indicator_code":
        ...        "reconsideration_corrected", "scope": "市本级", "value": 9.0, "unit": "件",
        ...        "qualifier": "eq", "source_id": "s1", "quote": "纠错9件"}
        >>> src = {"source_id": "s1", "title": "t", "publisher": "p", "published": None,
        ...        "url": "", "kind": "report", "note": ""}
        >>> folder = tempfile.mkdtemp()
        >>> write_observations(pl.DataFrame([row]), folder, sources=pl.DataFrame([src]))
        WriteReport(...: 1 added, 0 replaced, 0 unchanged in years [2023])
        >>> row["value"] = 10.0
        >>> write_observations(pl.DataFrame([row]), folder).replaced
        1
    """
    if _is_remote(dataset):
        raise DatasetWriteError(f"{dataset}: writing to object stores is not supported",
                                hint="write to a local folder, then sync it to the store")
    root = Path(dataset)
    files: dict[Path, bytes] = {}
    known_regions = dataset_regions(root)
    if regions_table is not None:
        regions = regions_table.select([pl.col(c).cast(t) for c, t in REGION_SCHEMA.items()])
        known_regions = pl.concat([known_regions, regions]).unique("region_code", keep="first",
                                                                   maintain_order=True)
        extra = known_regions.filter(~pl.col("region_code").is_in(
            load_regions()["region_code"].implode()))
        files[root / "regions.csv"] = _csv_bytes(extra.sort("region_code"))
    new = check_observations(observations, path="<new observations>",
                             region_codes=frozenset(known_regions["region_code"].to_list()),
                             indicator_codes=load_catalog().codes)

    all_sources = load_sources(root) if root.exists() else pl.DataFrame(schema=SOURCE_SCHEMA)
    if sources is not None:
        incoming = _check_sources(sources, "<new sources>")
        all_sources = pl.concat([all_sources.filter(~pl.col("source_id").is_in(
            incoming["source_id"].implode())), incoming]).sort("source_id")
        files[root / "sources.csv"] = _csv_bytes(all_sources)
    unknown = new.filter(~pl.col("source_id").is_in(all_sources["source_id"].implode()))
    if unknown.height:
        raise SchemaError(f"<new observations>: {unknown.height} row(s) name a source missing "
                          f"from {root / 'sources.csv'}, first: {unknown['source_id'][0]!r}",
                          path=str(root), column="source_id", reason="unknown_source",
                          rows=unknown, hint="pass the source rows with sources=")

    change_frames: list[pl.DataFrame] = []
    added = replaced = unchanged = 0
    years = sorted(int(y) for y in new["year"].unique())
    for year in years:
        incoming_year = new.filter(pl.col("year") == year)
        part = _partition_path(root, year)
        if part.exists():
            old = pl.read_parquet(part).with_columns(pl.lit(year, pl.Int32()).alias("year"))
            old = old.select(list(OBSERVATION_SCHEMA))
        else:
            old = pl.DataFrame(schema=OBSERVATION_SCHEMA)
        joined = incoming_year.join(old, on=list(KEY_COLUMNS), how="left", suffix="_old",
                                    nulls_equal=True)
        value_cols = [c for c in OBSERVATION_SCHEMA if c not in KEY_COLUMNS]
        is_new = pl.col("value_old").is_null() & pl.col("source_id_old").is_null()
        same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in value_cols])
        classified = joined.with_columns(
            pl.when(is_new).then(pl.lit("added")).when(same).then(pl.lit("unchanged"))
            .otherwise(pl.lit("replaced")).alias("change"))
        added += classified.filter(pl.col("change") == "added").height
        replaced += classified.filter(pl.col("change") == "replaced").height
        unchanged += classified.filter(pl.col("change") == "unchanged").height
        change_frames.append(classified.filter(pl.col("change") != "unchanged").select(
            *KEY_COLUMNS, "change", pl.col("value_old").alias("old_value"),
            pl.col("value").alias("new_value")))
        kept = old.join(incoming_year.select(KEY_COLUMNS), on=list(KEY_COLUMNS), how="anti",
                        nulls_equal=True)
        merged = _sorted(pl.concat([kept, incoming_year]))
        files[part] = _parquet_bytes(merged.drop("year"))

    try:
        _swap_in(files)
    except OSError as exc:
        raise DatasetWriteError(f"{root}: write failed, dataset left unchanged ({exc})",
                                path=str(root)) from exc
    changes = (pl.concat(change_frames) if change_frames else
               pl.DataFrame(schema={**{k: OBSERVATION_SCHEMA[k] for k in KEY_COLUMNS},
                                    "change": pl.String(), "old_value": pl.Float64(),
                                    "new_value": pl.Float64()}))
    return WriteReport(dataset=str(root), added=added, replaced=replaced, unchanged=unchanged,
                       years=tuple(years), changes=changes)


def replace_observations(
    observations: pl.DataFrame,
    dataset: str | os.PathLike[str],
) -> None:
    """Atomically replace a dataset's whole observation set (every year partition).

    Partitions of years absent from ``observations`` are removed in the same atomic step.
    Used by quarantine, which moves rows out of the dataset after saving them elsewhere.

    Examples:
        >>> import tempfile
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300")
        >>> folder = Path(tempfile.mkdtemp())
        >>> replace_observations(shiyan, folder)
        >>> sorted(p.name for p in (folder / "observations").iterdir())
        ['year=2019', 'year=2020', 'year=2021', 'year=2022', 'year=2023', 'year=2024']
        >>> replace_observations(shiyan.filter(pl.col("year") >= 2023), folder)
        >>> sorted(p.name for p in (folder / "observations").iterdir())
        ['year=2023', 'year=2024']
        >>> load(folder).height == shiyan.filter(pl.col("year") >= 2023).height
        True
    """
    root = Path(dataset)
    new = check_observations(observations, path="<replacement observations>")
    files: dict[Path, bytes] = {}
    for year in sorted(int(y) for y in new["year"].unique()):
        files[_partition_path(root, year)] = _parquet_bytes(
            _sorted(new.filter(pl.col("year") == year)).drop("year"))
    stale = [p for p in (root / "observations").glob("year=*/*.parquet") if p not in files]
    try:
        _swap_in(files)
        for path in stale:
            path.unlink()
            with contextlib.suppress(OSError):
                path.parent.rmdir()
    except OSError as exc:
        raise DatasetWriteError(f"{root}: replace failed, dataset left unchanged ({exc})",
                                path=str(root)) from exc
