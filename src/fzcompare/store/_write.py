"""Writing a dataset: keyed upserts and whole replacements, each ONE observations commit.

Order of a write, so that a crash at any instant leaves a loadable dataset: the regions,
documents and sources tables are merged first (each its own commit; a region, document or
source nobody refers to yet is harmless), then the observations are committed once. Before
that commit every reader sees the previous version; after it, the new one.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._display import html_table
from fzcompare.catalog import REGION_SCHEMA, load_catalog
from fzcompare.errors import DatasetWriteError, SchemaError
from fzcompare.schema import (
    KEY_COLUMNS,
    OBSERVATION_SCHEMA,
    SOURCE_DEFAULTS,
    SOURCE_KINDS,
    SOURCE_SCHEMA,
    check_observations,
    conform_sources,
    with_added_columns,
)
from fzcompare.store._documents import check_documents, merge_documents
from fzcompare.store._layout import (
    OBSERVATIONS,
    REGIONS,
    SOURCES,
    StorageOptions,
    is_read_only_url,
    is_remote,
    join,
    layout,
    table_uri,
)
from fzcompare.store._read import bundled_regions, dataset_regions, load_sources
from fzcompare.store._tables import (
    ACTIVE,
    PARTITION_BY,
    PROVENANCE_SCHEMA,
    STORED_SCHEMA,
    Commit,
    Planned,
    Snapshot,
    commit_planned,
)

if TYPE_CHECKING:
    import pandas as pd

FIRST_YEAR: Final[int] = 1949
"""The first reporting year a dataset accepts (the year the People's Republic was founded)."""

_CHANGES_SCHEMA: Final[dict[str, pl.DataType]] = {
    **{k: OBSERVATION_SCHEMA[k] for k in KEY_COLUMNS}, "change": pl.String(),
    "old_value": pl.Float64(), "new_value": pl.Float64()}


def last_year() -> int:
    """The latest reporting year a dataset accepts: next year (reports are drafted ahead)."""
    return dt.datetime.now(dt.UTC).year + 1


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
        version: The dataset version after the write (``fzcompare dataset history``).

    Examples:
        >>> import tempfile
        >>> from fzcompare.store import load, load_sources
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300",
        ...                                       pl.col("year") == 2023)
        >>> folder = tempfile.mkdtemp()
        >>> write_observations(shiyan.head(3), folder, sources=load_sources("datasets/demo"))
        WriteReport(...: 3 added, 0 replaced, 0 unchanged in years [2023])
        >>> report = write_observations(shiyan.head(4).with_columns(pl.col("value") + 1), folder)
        >>> report.added, report.replaced, report.unchanged, report.version
        (1, 3, 0, 1)
        >>> report.to_polars().select("indicator_code", "change", "old_value", "new_value").row(0)
        ('admin_litigation_loss_rate', 'replaced', 9.56, 10.56)
    """

    dataset: str
    added: int
    replaced: int
    unchanged: int
    years: tuple[int, ...]
    changes: pl.DataFrame = field(repr=False)
    version: int | None = None

    def __repr__(self) -> str:
        return (f"WriteReport({self.dataset}: {self.added} added, {self.replaced} replaced, "
                f"{self.unchanged} unchanged in years {list(self.years)})")

    def _repr_html_(self) -> str:
        return (f"<div><strong>WriteReport</strong> <bdi>{html.escape(self.dataset)}</bdi>: "
                f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged "
                f"in years {list(self.years)}{html_table(self.changes, max_rows=10)}</div>")

    def to_polars(self) -> pl.DataFrame:
        """The per-key changes."""
        return self.changes

    def to_pandas(self) -> pd.DataFrame:
        """The per-key changes as pandas."""
        return self.changes.to_pandas()


def writable(dataset: str | os.PathLike[str],
             storage_options: StorageOptions | None = None) -> str:
    """The dataset as a string, after refusing read-only URLs and plain Parquet folders."""
    if is_read_only_url(dataset):
        msg = f"{dataset}: HTTP(S) datasets are read-only"
        raise DatasetWriteError(msg, path=str(dataset),
                                hint="write to a local folder or an object store "
                                     "(s3://, gs://, az://)")
    kind = layout(dataset, storage_options)
    if kind == "legacy" and is_remote(dataset) and not _has_legacy_files(dataset,
                                                                         storage_options):
        kind = None  # an empty prefix: a new transactional dataset
    if kind == "legacy":
        msg = (
            f"{dataset}: a plain Parquet folder (the format before transactional datasets) "
            f"is read-only"
        )
        raise DatasetWriteError(
            msg, path=str(dataset), reason="legacy_dataset",
            hint=f"convert it once, keeping every row: fzcompare dataset convert {dataset}")
    if not is_remote(dataset):
        Path(dataset).mkdir(parents=True, exist_ok=True)
    return str(dataset)


def _has_legacy_files(dataset: str | os.PathLike[str],
                      storage_options: StorageOptions | None) -> bool:
    """Whether a remote prefix holds plain Parquet observations (which a new table would hide)."""
    try:
        pl.scan_parquet(join(dataset, OBSERVATIONS, "**", "*.parquet"),
                        storage_options=storage_options).collect_schema()
    except (pl.exceptions.PolarsError, OSError):
        return False
    return True


def check_years(frame: pl.DataFrame, path: str) -> None:
    """Refuse years outside ``FIRST_YEAR..last_year()`` (naming the first bad row)."""
    top = last_year()
    bad = frame.with_row_index("row").filter(
        (pl.col("year") < FIRST_YEAR) | (pl.col("year") > top))
    if bad.height:
        msg = (
            f"{path}: row {bad['row'][0]}: year {bad['year'][0]} is outside "
                          f"{FIRST_YEAR}..{top}"
        )
        raise SchemaError(msg, path=path, column="year",
                          reason="year_out_of_range", rows=bad,
                          hint="check the reporting year (the title or --year)")


def _check_sources(sources: pl.DataFrame, path: str) -> pl.DataFrame:
    missing = [c for c in SOURCE_SCHEMA if c not in sources.columns
               and c not in SOURCE_DEFAULTS]
    if missing:
        msg = f"{path}: sources table misses columns: {', '.join(missing)}"
        raise SchemaError(msg,
                          path=path, column=missing[0], reason="missing_column",
                          hint="a sources table has the columns " + ", ".join(SOURCE_SCHEMA))
    sources = conform_sources(sources)
    bad = sources.filter(~pl.col("kind").is_in(list(SOURCE_KINDS)) | pl.col("kind").is_null())
    if bad.height:
        msg = (
            f"{path}: source {bad['source_id'][0]!r} has kind "
                          f"{bad['kind'][0]!r}, expected one of {sorted(SOURCE_KINDS)}"
        )
        raise SchemaError(msg,
                          path=path, column="kind", reason="bad_source_kind", rows=bad)
    if sources["source_id"].is_duplicated().any():
        dup = sources.filter(pl.col("source_id").is_duplicated())
        msg = f"{path}: duplicate source_id {dup['source_id'][0]!r}"
        raise SchemaError(msg, path=path,
                          column="source_id", reason="duplicate_key", rows=dup)
    return sources


def merge_side_table(dataset: str, name: str, incoming: pl.DataFrame, key: str,
                     schema: Mapping[str, pl.DataType],
                     storage_options: StorageOptions | None) -> None:
    """Upsert rows of the sources or regions table by ``key``: one commit, none if unchanged."""
    incoming = with_added_columns(incoming, schema).select(
        [pl.col(c).cast(t) for c, t in schema.items()])

    def plan(snap: Snapshot) -> Planned[None]:
        old = snap.rows()
        merged = pl.concat([old.filter(~pl.col(key).is_in(incoming[key].implode())),
                            incoming]).sort(key)
        if merged.equals(old.sort(key)):
            return Planned(None, None)
        return Planned(Commit(merged, None, {"operation": f"merge {name}",
                                             "keys": ",".join(incoming[key].to_list())}), None)

    commit_planned(table_uri(dataset, name), plan, schema=schema, step=name,
                   storage_options=storage_options)


_ROW_COLUMNS: Final[list[str]] = [*OBSERVATION_SCHEMA, *PROVENANCE_SCHEMA]
"""The columns a write sets: the observation and where its quote sits in its document."""


def _classify(incoming: pl.DataFrame, active_old: pl.DataFrame) -> pl.DataFrame:
    joined = incoming.join(active_old.select(_ROW_COLUMNS), on=list(KEY_COLUMNS),
                           how="left", suffix="_old", nulls_equal=True)
    value_cols = [c for c in _ROW_COLUMNS if c not in KEY_COLUMNS]
    is_new = pl.col("value_old").is_null() & pl.col("source_id_old").is_null()
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in value_cols])
    return joined.with_columns(
        pl.when(is_new).then(pl.lit("added")).when(same).then(pl.lit("unchanged"))
        .otherwise(pl.lit("replaced")).alias("change"))


def stored(frame: pl.DataFrame, status: str = ACTIVE) -> pl.DataFrame:
    """Observations as rows of the observations table (no quarantine record).

    Provenance columns (``PROVENANCE_SCHEMA``) are kept when ``frame`` has them, else null.
    """
    present = set(frame.columns)
    return frame.select(
        *OBSERVATION_SCHEMA,
        *[pl.col(c).cast(t) if c in present else pl.lit(None, t).alias(c)
          for c, t in PROVENANCE_SCHEMA.items()],
        pl.lit(status).alias("status"),
        *[pl.lit(None, STORED_SCHEMA[c]).alias(c) for c in STORED_SCHEMA
          if c not in _ROW_COLUMNS and c != "status"])


def _with_provenance(new: pl.DataFrame, given: pl.DataFrame) -> pl.DataFrame:
    """The checked observations with the provenance columns of the frame given (or null).

    Raises:
        SchemaError: A span that is negative, ends before it starts or is half given, or a
            page below 1 (naming the first bad row).
    """
    present = [c for c in PROVENANCE_SCHEMA if c in given.columns]
    if not present:
        return new.with_columns([pl.lit(None, t).alias(c) for c, t in PROVENANCE_SCHEMA.items()])
    try:
        spans = given.select([pl.col(c).cast(PROVENANCE_SCHEMA[c]) for c in present])
    except pl.exceptions.PolarsError as error:
        msg = f"<new observations>: provenance columns {present} are not whole numbers"
        raise SchemaError(msg, column=present[0], reason="wrong_type",
                          hint="span_start/span_end/page are character offsets and a page "
                               "number (integers)") from error
    spans = spans.with_columns([pl.lit(None, t).alias(c) for c, t in PROVENANCE_SCHEMA.items()
                                if c not in present])
    bad = spans.with_row_index("row").filter(
        (pl.col("span_start") < 0) | (pl.col("span_end") < pl.col("span_start"))
        | (pl.col("span_start").is_null() != pl.col("span_end").is_null())
        | (pl.col("page") < 1))
    if bad.height:
        msg = (f"<new observations>: row {bad['row'][0]}: span [{bad['span_start'][0]}, "
               f"{bad['span_end'][0]}) page {bad['page'][0]} is not a span of a document")
        raise SchemaError(msg, column="span_start", reason="bad_span", rows=bad,
                          hint="give both span ends, 0 <= span_start <= span_end, page >= 1")
    return pl.concat([new, spans], how="horizontal")


def _plan_upsert(new: pl.DataFrame, source_ids: list[str],
                 dataset: str) -> Callable[[Snapshot], Planned[WriteReport]]:
    years = tuple(sorted(int(y) for y in new["year"].unique()))

    def plan(snap: Snapshot) -> Planned[WriteReport]:
        old = snap.rows(years)
        active_old = old.filter(pl.col("status") == ACTIVE)
        classified = _classify(new, active_old)
        counts = {c: classified.filter(pl.col("change") == c).height
                  for c in ("added", "replaced", "unchanged")}
        changes = classified.filter(pl.col("change") != "unchanged").select(
            *KEY_COLUMNS, "change", pl.col("value_old").alias("old_value"),
            pl.col("value").alias("new_value"))
        written = classified.filter(pl.col("change") != "unchanged").select(_ROW_COLUMNS)
        kept = old.join(written.select(KEY_COLUMNS).with_columns(pl.lit(ACTIVE).alias("status")),
                        on=[*KEY_COLUMNS, "status"], how="anti", nulls_equal=True)
        report = WriteReport(dataset=dataset, added=counts["added"],
                             replaced=counts["replaced"], unchanged=counts["unchanged"],
                             years=years, changes=changes, version=snap.version)
        if written.height == 0:
            return Planned(None, report)
        rows = pl.concat([kept, stored(written)]).sort([*KEY_COLUMNS, "status"])
        meta = {"operation": "write", "added": counts["added"], "replaced": counts["replaced"],
                "years": ",".join(map(str, years)), "sources": ",".join(source_ids)}
        return Planned(Commit(rows, years, meta), report)

    return plan


@renamed_arguments(regions="regions_table")
def write_observations(
    observations: pl.DataFrame,
    dataset: str | os.PathLike[str],
    *,
    sources: pl.DataFrame | None = None,
    regions_table: pl.DataFrame | None = None,
    documents: pl.DataFrame | None = None,
    storage_options: StorageOptions | None = None,
) -> WriteReport:
    """Add observations to a dataset, replacing active rows whose key already exists.

    The observations land in ONE commit (sources and regions are merged just before it), so
    a crash leaves the version before or the version after. A concurrent writer's commit is
    never overwritten: if another writer committed first, the write is planned again from
    the new version (a few times, then ``ConcurrentWriteError``).

    Args:
        observations: Rows in the data model. Checked first (codes against the catalog and
            the regions, including ``regions``; years within 1949..next year); a bad frame
            writes nothing. Optional columns ``span_start``, ``span_end``, ``page``
            (``PROVENANCE_SCHEMA``) are stored with each row: where its quote sits in the
            text of its document.
        dataset: Dataset folder or object-store URL (created if missing).
        sources: Source rows to add or update (by ``source_id``).
        regions_table: Extra regions (e.g. synthetic ones) to record in the dataset.
        documents: Extracted texts of the sources' files (``DOCUMENT_SCHEMA``, keyed by the
            file's SHA-256), added before the observations commit
            (``ExtractionResult.documents``); ``quote_context`` reads them back.
        storage_options: Passed to the engine for object stores.

    Returns:
        A ``WriteReport`` of added, replaced and unchanged keys and the new version.

    Raises:
        SchemaError: If the observations or sources break the data model, or an
            observation names a source that the dataset will not have.
        DatasetWriteError: If the dataset is read-only (a plain Parquet folder: convert it)
            or the commit failed (nothing changed); ``ConcurrentWriteError`` if other
            writers kept winning.

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
    root = writable(dataset, storage_options)
    known_regions = dataset_regions(root, storage_options=storage_options)
    extra_regions: pl.DataFrame | None = None
    if regions_table is not None:
        regions_table = regions_table.select([pl.col(c).cast(t) for c, t in REGION_SCHEMA.items()])
        known_regions = pl.concat([known_regions, regions_table]).unique(
            "region_code", keep="first", maintain_order=True)
        extra_regions = regions_table.filter(~pl.col("region_code").is_in(
            bundled_regions()["region_code"].implode()))
    new = check_observations(observations, path="<new observations>",
                             region_codes=frozenset(known_regions["region_code"].to_list()),
                             indicator_codes=load_catalog().codes)
    check_years(new, "<new observations>")
    new = _with_provenance(new, observations)
    incoming = _check_sources(sources, "<new sources>") if sources is not None else None
    documents = check_documents(documents) if documents is not None else None
    _check_known_sources(new, root, incoming, storage_options)
    if extra_regions is not None and extra_regions.height:
        merge_side_table(root, REGIONS, extra_regions, "region_code", REGION_SCHEMA,
                         storage_options)
    if documents is not None and documents.height:
        merge_documents(root, documents, storage_options=storage_options)
    if incoming is not None and incoming.height:
        merge_side_table(root, SOURCES, incoming, "source_id", SOURCE_SCHEMA, storage_options)
    source_ids = sorted(set(new["source_id"].drop_nulls().to_list()))
    report, version = commit_planned(
        table_uri(root, OBSERVATIONS), _plan_upsert(new, source_ids, root),
        schema=STORED_SCHEMA, step="observations", partition_by=PARTITION_BY,
        storage_options=storage_options)
    return WriteReport(dataset=report.dataset, added=report.added, replaced=report.replaced,
                       unchanged=report.unchanged, years=report.years,
                       changes=report.changes if report.changes.height
                       else pl.DataFrame(schema=_CHANGES_SCHEMA), version=version)


def _check_known_sources(new: pl.DataFrame, root: str, incoming: pl.DataFrame | None,
                         storage_options: StorageOptions | None) -> None:
    known = load_sources(root, storage_options=storage_options)["source_id"]
    if incoming is not None:
        known = pl.concat([known, incoming["source_id"]])
    unknown = new.filter(~pl.col("source_id").is_in(known.implode()))
    if unknown.height:
        msg = (
            f"<new observations>: {unknown.height} row(s) name a source missing "
                          f"from the sources of {root}, first: {unknown['source_id'][0]!r}"
        )
        raise SchemaError(msg,
                          path=root, column="source_id", reason="unknown_source",
                          rows=unknown, hint="pass the source rows with sources=")


def _kept_spans(new: pl.DataFrame, rows: pl.LazyFrame) -> pl.DataFrame:
    """``new`` with the stored spans of active rows it repeats (same key, source and quote)."""
    same = [*KEY_COLUMNS, "source_id", "quote"]
    spans = rows.filter(pl.col("status") == ACTIVE).select(*same, *PROVENANCE_SCHEMA)
    return new.drop(list(PROVENANCE_SCHEMA)).join(
        spans.collect(), on=same, how="left", nulls_equal=True)


def replace_observations(
    observations: pl.DataFrame,
    dataset: str | os.PathLike[str],
    *,
    storage_options: StorageOptions | None = None,
) -> int | None:
    """Replace a dataset's whole set of active observations in ONE commit.

    Years absent from ``observations`` lose their active rows in the same commit;
    quarantine records (rows that are not active) are kept as they are. Provenance columns
    (``span_start``, ``span_end``, ``page``) are taken from ``observations`` when it has
    them; else a row that repeats a stored one (same key, source and quote) keeps its span.

    Returns:
        The dataset version after the commit.

    Examples:
        >>> import tempfile
        >>> from fzcompare.store import load, load_sources
        >>> shiyan = load("datasets/demo").filter(pl.col("region_code") == "420300")
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = replace_observations(shiyan, folder)
        >>> sorted(load(folder)["year"].unique())
        [2019, 2020, 2021, 2022, 2023, 2024]
        >>> replace_observations(shiyan.filter(pl.col("year") >= 2023), folder)
        1
        >>> load(folder).height == shiyan.filter(pl.col("year") >= 2023).height
        True
    """
    root = writable(dataset, storage_options)
    given = any(c in observations.columns for c in PROVENANCE_SCHEMA)
    new = check_observations(observations, path="<replacement observations>")
    check_years(new, "<replacement observations>")
    new = _with_provenance(new, observations)

    def plan(snap: Snapshot) -> Planned[None]:
        every = snap.scan()
        closed = every.filter(pl.col("status") != ACTIVE).collect()
        rows = stored(new if given else _kept_spans(new, every))
        rows = pl.concat([closed, rows]).sort([*KEY_COLUMNS, "status"])
        return Planned(Commit(rows, None, {"operation": "replace", "added": new.height}), None)

    _, version = commit_planned(table_uri(root, OBSERVATIONS), plan, schema=STORED_SCHEMA,
                                step="observations", partition_by=PARTITION_BY,
                                storage_options=storage_options)
    return version
