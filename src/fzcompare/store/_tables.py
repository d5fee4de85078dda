"""Delta tables under a dataset: pinned snapshots and one optimistic commit per write.

Every write reads a snapshot (a table version), plans the new content of the partitions it
touches and commits it as ONE Delta commit based on that version, with the engine's own
rebase switched off (``max_commit_retries=0``). If another writer committed first, the commit
fails, and the whole write is planned again from the new version (bounded); so no write is
ever applied on top of rows it did not see.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Generic, Literal, TypeVar

import polars as pl

from fzcompare.errors import ConcurrentWriteError, DatasetWriteError
from fzcompare.schema import OBSERVATION_SCHEMA, with_added_columns
from fzcompare.store._layout import StorageOptions, open_table, pause

if TYPE_CHECKING:
    from deltalake import DeltaTable

T = TypeVar("T")

UTC: Final[pl.Datetime] = pl.Datetime("us", "UTC")
ACTIVE: Final[str] = "active"
ROW_STATES: Final[tuple[str, ...]] = ("active", "quarantined", "superseded", "corrected",
                                      "readmitted")
"""``status`` of a stored row: only ``active`` rows are observations; the others are the
quarantine (``quarantined``) and its closed records."""

PROVENANCE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "span_start": pl.Int64(),
    "span_end": pl.Int64(),
    "page": pl.Int32(),
}
"""Where an observation's quote sits in its document's stored text (``documents`` table):
``[span_start, span_end)`` in characters, and the 1-based PDF page; null for rows that did
not come from a document (tables, synthetic data) and for rows written before spans were kept."""

STORED_SCHEMA: Final[dict[str, pl.DataType]] = {
    **OBSERVATION_SCHEMA,
    **PROVENANCE_SCHEMA,
    "status": pl.String(),
    "quarantine_id": pl.String(),
    "checks": pl.String(),
    "reason": pl.String(),
    "quarantined_at": UTC,
    "resolved_at": UTC,
    "resolution": pl.String(),
}
"""Columns of the observations table: the observation, its provenance, its state and its
quarantine record. Tables written before a column existed read it as null (``conform``)."""

PARTITION_BY: Final[list[str]] = ["year", "status"]
MAX_ATTEMPTS: Final[int] = 12
_META_PREFIX: Final[str] = "fzcompare."


def conform(frame: pl.LazyFrame, schema: Mapping[str, pl.DataType],
            present: Iterable[str]) -> pl.LazyFrame:
    """``frame`` in ``schema``: columns it lacks (an older table's) are null.

    Examples:
        >>> old = pl.LazyFrame({"value": [1]})
        >>> conform(old, {"value": pl.Float64(), "page": pl.Int32()}, ["value"]).collect().row(0)
        (1.0, None)
    """
    have = set(present)
    return frame.select([pl.col(c).cast(t) if c in have else pl.lit(None, t).alias(c)
                         for c, t in schema.items()])


@dataclass(frozen=True)
class Snapshot:
    """One version of a Delta table (or none yet), read lazily."""

    uri: str
    table: DeltaTable | None
    storage_options: StorageOptions | None
    schema: Mapping[str, pl.DataType]

    @property
    def version(self) -> int | None:
        """The table version read, or None for a table that does not exist yet."""
        return None if self.table is None else int(self.table.version())

    def scan(self) -> pl.LazyFrame:
        """All rows of this version, in ``schema`` (columns added since: their read default)."""
        if self.table is None:
            return pl.LazyFrame(schema=dict(self.schema))
        frame = with_added_columns(pl.scan_delta(self.table), self.schema)
        return conform(frame, self.schema, frame.collect_schema().names())

    def rows(self, years: Iterable[int] | None = None) -> pl.DataFrame:
        """All rows (every status) of this version, of ``years`` only if given."""
        frame = self.scan()
        if years is not None:
            frame = frame.filter(pl.col("year").is_in(sorted(set(years))))
        return frame.collect()


@dataclass(frozen=True)
class Commit:
    """The new content of some partitions of a table, with the commit's metadata.

    Attributes:
        rows: Every row the touched partitions hold after the commit.
        years: The years replaced; None replaces the whole table (unless ``where``).
        metadata: Recorded in the commit (``fzcompare.<key>``), read back by the history.
        where: A predicate naming the rows replaced (every row of ``rows`` must match it),
            for tables that are not partitioned by year; None: use ``years``. The empty
            string appends ``rows`` (no row is replaced, no file is read).
    """

    rows: pl.DataFrame
    years: tuple[int, ...] | None
    metadata: Mapping[str, object]
    where: str | None = None


@dataclass(frozen=True)
class Planned(Generic[T]):
    """A plan: the commit to make (None: nothing changes) and what to return once it lands."""

    commit: Commit | None
    result: T


def snapshot(uri: str, schema: Mapping[str, pl.DataType],
             storage_options: StorageOptions | None = None,
             version: int | None = None) -> Snapshot:
    """The current (or the given) version of the table at ``uri``."""
    return Snapshot(uri=uri, table=open_table(uri, storage_options, version),
                    storage_options=storage_options, schema=schema)


def _predicate(commit: Commit) -> str | None:
    if commit.where is not None:
        return commit.where
    if commit.years is None:
        return None
    return "year IN (" + ", ".join(str(int(y)) for y in sorted(set(commit.years))) + ")"


def _write(snap: Snapshot, commit: Commit, partition_by: list[str] | None) -> None:
    # deltalake is heavy (a large compiled extension): loaded when a table is touched.
    from deltalake import CommitProperties, write_deltalake

    data = commit.rows.select([pl.col(c).cast(t) for c, t in snap.schema.items()])
    metadata = {f"{_META_PREFIX}{k}": str(v) for k, v in commit.metadata.items()}
    properties = CommitProperties(custom_metadata=metadata, max_commit_retries=0)
    arrow = data.to_arrow(compat_level=pl.CompatLevel.oldest())
    if snap.table is None:
        write_deltalake(snap.uri, arrow, mode="error", partition_by=partition_by,
                        storage_options=snap.storage_options, commit_properties=properties)
        return
    # A table written before a column existed gains it (older files read it as null, which
    # the read defaults fill); otherwise the table's schema must stay as it is.
    known = set(pl.scan_delta(snap.table).collect_schema().names())
    evolve: Literal["merge"] | None = "merge" if set(snap.schema) - known else None
    if commit.where == "":
        write_deltalake(snap.table, arrow, mode="append", partition_by=partition_by,
                        commit_properties=properties, schema_mode=evolve)
        return
    write_deltalake(snap.table, arrow, mode="overwrite", predicate=_predicate(commit),
                    partition_by=partition_by, commit_properties=properties,
                    schema_mode=evolve)


def _lost_race(exc: Exception, snap: Snapshot) -> bool:
    """Whether a failed commit lost to another writer (so a fresh plan may succeed)."""
    from deltalake.exceptions import CommitFailedError, DeltaError  # heavy, see _write

    if isinstance(exc, CommitFailedError):
        return True
    return (snap.table is None and isinstance(exc, DeltaError | FileExistsError)
            and "exist" in str(exc).lower())


def commit_planned(
    uri: str,
    plan: Callable[[Snapshot], Planned[T]],
    *,
    schema: Mapping[str, pl.DataType],
    step: str,
    partition_by: list[str] | None = None,
    storage_options: StorageOptions | None = None,
) -> tuple[T, int | None]:
    """Plan from the newest version and commit; plan again if another writer won.

    Pause points (see ``pause``): ``<step>-planned`` before the commit and
    ``<step>-committed`` after it.

    Returns:
        The plan's result and the version committed (the version read if nothing changed).

    Raises:
        ConcurrentWriteError: If other writers won ``MAX_ATTEMPTS`` times in a row.
        DatasetWriteError: If the engine refused the commit for another reason.
    """
    from deltalake.exceptions import DeltaError  # heavy: loaded when a table is touched

    last: Exception | None = None
    for attempt in range(MAX_ATTEMPTS):
        snap = snapshot(uri, schema, storage_options)
        planned = plan(snap)
        if planned.commit is None:
            return planned.result, snap.version
        read_version = snap.version
        pause(f"{step}-planned")
        try:
            _write(snap, planned.commit, partition_by)
        except (DeltaError, OSError) as exc:
            if not _lost_race(exc, snap):
                msg = f"{uri}: commit failed, table left unchanged ({exc})"
                raise DatasetWriteError(msg,
                                        path=uri) from exc
            last = exc
            time.sleep(random.uniform(0.01, 0.05) * (2 ** min(attempt, 5)))
            continue
        pause(f"{step}-committed")
        return planned.result, (0 if read_version is None else read_version + 1)
    msg = (
        f"{uri}: {MAX_ATTEMPTS} commits in a row lost to other writers of the same table; "
        f"nothing was written (last conflict: {last})"
    )
    raise ConcurrentWriteError(
        msg,
        path=uri, attempts=MAX_ATTEMPTS, conflict=str(last),
        hint="retry when the other writer is done; `fzcompare dataset history` shows what "
             "it committed")


def history(uri: str, storage_options: StorageOptions | None) -> list[dict[str, object]]:
    """The commits of a table, newest first, with fzcompare's metadata unprefixed."""
    table = open_table(uri, storage_options)
    if table is None:
        return []
    entries: list[dict[str, object]] = []
    for commit in table.history():
        entry: dict[str, object] = {k[len(_META_PREFIX):]: v for k, v in commit.items()
                                    if k.startswith(_META_PREFIX)}
        entry["version"] = commit.get("version")
        entry["timestamp"] = commit.get("timestamp")
        entry["engine_operation"] = commit.get("operation")
        entries.append(entry)
    return entries

