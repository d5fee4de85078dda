"""Quarantine: rows that fail error-severity expectations set aside, and let back in.

Quarantine is a state of a row in the dataset's observations table, not a second table: a
quarantined row keeps every column and gains ``status = "quarantined"``, a ``quarantine_id``,
the checks and reasons that failed it and the time. One commit moves rows in or out, so a
crash leaves them on one side, never in both or neither, and a rerun finds them already
moved. Nothing is deleted: a row let back in becomes active again (shown as ``readmitted``);
a quarantined row whose key the dataset meanwhile holds is closed as ``superseded``; a row
replaced by a corrected copy is closed as ``corrected`` (the copy is a new quarantined row).
At every version::

    active rows + quarantined rows + closed records (superseded, corrected) = stored rows
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from fzcompare._display import html_table
from fzcompare.catalog import Catalog
from fzcompare.errors import FzcompareError, SchemaError
from fzcompare.schema import (
    KEY_COLUMNS,
    OBSERVATION_SCHEMA,
    check_observations,
    with_added_columns,
)
from fzcompare.store import dataset_regions, load, load_sources
from fzcompare.store._layout import OBSERVATIONS, layout, no_observations, table_uri
from fzcompare.store._tables import (
    ACTIVE,
    PARTITION_BY,
    STORED_SCHEMA,
    Commit,
    Planned,
    Snapshot,
    commit_planned,
    snapshot,
)
from fzcompare.store._write import writable
from fzcompare.validate._masks import say
from fzcompare.validate._result import ValidationResult
from fzcompare.validate._run import validate
from fzcompare.validate._suites import Suite

if TYPE_CHECKING:
    import pandas as pd

LEGACY_QUARANTINE_FILE: Final[str] = "quarantine/quarantine.parquet"
"""Where a plain Parquet folder (the format before transactional datasets) kept its quarantine."""
_UTC: Final[pl.Datetime] = pl.Datetime("us", "UTC")
QUARANTINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "quarantine_id": pl.String(),
    **OBSERVATION_SCHEMA,
    "checks": pl.String(),
    "reason": pl.String(),
    "quarantined_at": _UTC,
    "status": pl.String(),
    "resolved_at": _UTC,
    "resolution": pl.String(),
}
"""Columns of the quarantine table: the observation, why it was moved, when, and its fate."""

STATUSES: Final[tuple[str, ...]] = ("quarantined", "readmitted", "superseded", "corrected")
_MAX_ROUNDS: Final[int] = 10


@dataclass(frozen=True)
class QuarantineReport:
    """What a quarantine or re-admission did.

    Attributes:
        dataset: The dataset folder.
        moved: Rows moved from the observations into quarantine.
        readmitted: Rows moved back into the observations.
        superseded: Quarantined rows closed because the dataset now holds their key.
        corrected: Quarantined rows replaced by a corrected copy.
        remaining: Rows still quarantined.
        observations: Rows in the dataset's observations afterwards.
        rows: The quarantine rows this call added or changed.

    Examples:
        >>> import tempfile
        >>> from fzcompare.store import load, write_observations
        >>> from fzcompare.validate import bundled_suite_path
        >>> row = {"region_code": "420300", "year": 2023, "scope": "全市",
        ...        "indicator_code": "gov_service_online_rate", "value": 9810.0, "unit": "%",
        ...        "qualifier": "eq", "source_id": "r1", "quote": "网上可办率达98.10%"}
        >>> source = {"source_id": "r1", "title": "t", "publisher": "p", "published": None,
        ...           "url": "", "kind": "report", "note": ""}
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_observations(pl.DataFrame([row]), folder, sources=pl.DataFrame([source]))
        >>> report = quarantine(folder, suites=[bundled_suite_path("ranges")])
        >>> report
        QuarantineReport(...: 1 moved, 0 readmitted, ...; 1 quarantined, 0 observations)
        >>> print(report.to_polars()["reason"][0])
        rate values within [0, 100] (catalog min/max): value 9810.0 is outside [0, 100]
    """

    dataset: str
    moved: int
    readmitted: int
    superseded: int
    corrected: int
    remaining: int
    observations: int
    rows: pl.DataFrame = field(repr=False)

    def _summary(self) -> str:
        return (f"{self.dataset}: {self.moved} moved, {self.readmitted} readmitted, "
                f"{self.superseded} superseded, {self.corrected} corrected; "
                f"{self.remaining} quarantined, {self.observations} observations")

    def __repr__(self) -> str:
        return f"QuarantineReport({self._summary()})"

    def _repr_html_(self) -> str:
        head = self.rows.select("quarantine_id", "region_code", "year", "indicator_code",
                                "value", "status", "reason").head(10)
        return (f"<div><strong>QuarantineReport</strong>: {html.escape(self._summary())}"
                f"{html_table(head)}</div>")

    def to_polars(self) -> pl.DataFrame:
        """The quarantine rows this call added or changed."""
        return self.rows

    def to_pandas(self) -> pd.DataFrame:
        """The quarantine rows this call added or changed, as pandas."""
        return self.rows.to_pandas()


def read_quarantine(dataset: str | os.PathLike[str], *,
                    version: int | None = None) -> pl.DataFrame:
    """A dataset's quarantine records, every status (empty if nothing was ever quarantined).

    In a transactional dataset the records are rows of the observations table whose
    ``status`` is not ``active``, plus active rows that were readmitted (status
    ``readmitted`` here). A plain Parquet folder's ``quarantine/quarantine.parquet`` is read
    as it is.

    Examples:
        >>> read_quarantine("datasets/demo").height
        0
    """
    kind = layout(dataset)
    if kind == "legacy":
        path = Path(dataset) / LEGACY_QUARANTINE_FILE
        if not path.is_file():
            return pl.DataFrame(schema=QUARANTINE_SCHEMA)
        return with_added_columns(pl.read_parquet(path), QUARANTINE_SCHEMA).select(
            [pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])
    if kind is None:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return _records(_snapshot(dataset, version).rows())


def _records(rows: pl.DataFrame) -> pl.DataFrame:
    """The quarantine view of stored rows: those with a quarantine id."""
    return rows.filter(pl.col("quarantine_id").is_not_null()).with_columns(
        pl.when(pl.col("status") == ACTIVE).then(pl.lit("readmitted"))
        .otherwise(pl.col("status")).alias("status")
    ).select(list(QUARANTINE_SCHEMA)).sort("quarantine_id")


def _snapshot(dataset: str | os.PathLike[str], version: int | None = None) -> Snapshot:

    return snapshot(table_uri(dataset, OBSERVATIONS), STORED_SCHEMA, version=version)


def load_observations(dataset: str | os.PathLike[str], *,
                      version: int | None = None) -> pl.DataFrame:
    """A dataset's active observations as stored (not schema-checked).

    Raises:
        SchemaError: ``no_observations`` (or ``not_found``) if the path holds none.
    """
    return load(dataset, check=False, version=version)


def _writable(dataset: str | os.PathLike[str]) -> str:

    root = writable(dataset)
    if layout(root) is None:
        raise no_observations(dataset)
    return root


def _commit(dataset: str, plan: Callable[[Snapshot], Planned[QuarantineReport]],
            step: str) -> QuarantineReport:

    report, _ = commit_planned(table_uri(dataset, OBSERVATIONS), plan, schema=STORED_SCHEMA,
                               step=step, partition_by=PARTITION_BY)
    return report


def _now(now: dt.datetime | None) -> dt.datetime:
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _next_ids(table: pl.DataFrame, n: int) -> list[str]:
    numbers = table["quarantine_id"].str.strip_prefix("Q").cast(pl.Int64(), strict=False)
    start = int(numbers.max() or 0) + 1 if table.height else 1  # type: ignore[arg-type]
    return [f"Q{start + i:07d}" for i in range(n)]


def _dataset_context(dataset: str | os.PathLike[str]) -> tuple[pl.DataFrame, pl.DataFrame]:

    return load_sources(dataset), dataset_regions(dataset)


def _run_validation(frame: pl.DataFrame, dataset: str | os.PathLike[str],
                    suites: Iterable[Suite | str | os.PathLike[str]] | None,
                    extra_suites: Iterable[Suite | str | os.PathLike[str]],
                    catalog: Catalog | None) -> ValidationResult:
    sources, regions = _dataset_context(dataset)
    return validate(frame, sources=sources, regions_table=regions, suites=suites,
                    extra_suites=extra_suites, catalog=catalog)


def _check_result_matches(result: ValidationResult, observations: pl.DataFrame,
                          dataset: str | os.PathLike[str]) -> None:
    stale = FzcompareError(
        f"{dataset}: the validation result does not describe the dataset's current rows",
        hint="validate the dataset again (or pass no result and let quarantine validate)")
    if result.n_rows != observations.height:
        raise stale
    failing = result.failing_rows.select("row_id", *KEY_COLUMNS).unique("row_id")
    if failing.height == 0:
        return
    numbered = observations.with_row_index("row_id").with_columns(
        pl.col("row_id").cast(pl.Int64()))
    joined = failing.join(numbered.select("row_id", *KEY_COLUMNS), on="row_id", how="left",
                          suffix="_now")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_now")) for c in KEY_COLUMNS])
    if joined.filter(~same).height:
        raise stale


def quarantine(
    dataset: str | os.PathLike[str],
    result: ValidationResult | None = None,
    *,
    suites: Iterable[Suite | str | os.PathLike[str]] | None = None,
    extra_suites: Iterable[Suite | str | os.PathLike[str]] = (),
    catalog: Catalog | None = None,
    now: dt.datetime | None = None,
) -> QuarantineReport:
    """Move the rows that fail error-severity expectations into the quarantine table.

    The clean rows stay in the dataset; the moved rows keep every column plus the checks and
    reasons that failed them and the time (UTC).

    Args:
        dataset: A local dataset folder.
        result: The validation of the dataset's current observations (row ids are positions
            in ``fzcompare.store.load(dataset, check=False)``); validated here if omitted.
        suites: Suites for that validation (default: the bundled ones).
        extra_suites: More suites for that validation.
        catalog: Catalog for that validation.
        now: The time recorded (default: now).

    Raises:
        FzcompareError: If ``result`` does not describe the dataset's current rows.
        DatasetWriteError: If writing failed.

    Examples:
        A corrected count above the concluded one breaks a catalog relation, so both figures
        move aside; the unrelated rate stays:

        >>> import tempfile
        >>> from fzcompare.store import load, write_observations
        >>> from fzcompare.validate import bundled_suite_path
        >>> rows = pl.DataFrame({
        ...     "region_code": ["420300"] * 3, "year": [2023] * 3,
        ...     "indicator_code": ["reconsideration_concluded", "reconsideration_corrected",
        ...                        "gov_service_online_rate"],
        ...     "scope": ["全市"] * 3, "value": [40.0, 50.0, 98.1], "unit": ["件", "件", "%"],
        ...     "qualifier": ["eq"] * 3, "source_id": ["r1"] * 3, "quote": [""] * 3})
        >>> source = pl.DataFrame({"source_id": ["r1"], "title": ["十堰市2023年报告"],
        ...     "publisher": ["十堰市人民政府"], "published": [None], "url": [""],
        ...     "kind": ["report"], "note": [""]})
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_observations(rows, folder, sources=source)
        >>> relations = [bundled_suite_path("relations")]  # one suite keeps the example quick
        >>> report = quarantine(folder, suites=relations)
        >>> report.moved, report.remaining, report.observations
        (2, 2, 1)
        >>> for row in report.rows.select("quarantine_id", "indicator_code", "status").rows():
        ...     print(*row)
        Q0000001 reconsideration_concluded quarantined
        Q0000002 reconsideration_corrected quarantined
        >>> load(folder)["indicator_code"].to_list()
        ['gov_service_online_rate']
        >>> read_quarantine(folder).height
        2
    """
    root = _writable(dataset)
    given = [result] if result is not None else []
    moment = _now(now)

    def plan(snap: Snapshot) -> Planned[QuarantineReport]:
        rows = snap.rows()
        active = rows.filter(pl.col("status") == ACTIVE)
        observations = active.select(list(OBSERVATION_SCHEMA))
        checked = given.pop() if given else _run_validation(
            observations, root, suites, extra_suites, catalog)
        _check_result_matches(checked, observations, root)
        return _plan_quarantine(rows, active, checked, root, moment)

    return _commit(root, plan, "quarantine")


def _plan_quarantine(rows: pl.DataFrame, active: pl.DataFrame, result: ValidationResult,
                     dataset: str, moment: dt.datetime) -> Planned[QuarantineReport]:
    """Mark the active rows failing error-severity checks as quarantined (one commit)."""
    table = _records(rows)
    remaining = rows.filter(pl.col("status") == "quarantined").height
    error_rows = result.failing_rows.filter(pl.col("severity") == "error")
    if error_rows.height == 0:
        return Planned(None, QuarantineReport(
            dataset=dataset, moved=0, readmitted=0, superseded=0, corrected=0,
            remaining=remaining, observations=active.height, rows=table.clear()))
    why = error_rows.group_by("row_id", maintain_order=True).agg(
        say(pl.col("suite"), "/", pl.col("check")).unique(maintain_order=True)
        .str.join("; ").alias("checks"),
        pl.col("reason").unique(maintain_order=True).str.join("; ").alias("reason"),
    ).sort("row_id")
    numbered = active.with_row_index("row_id").with_columns(pl.col("row_id").cast(pl.Int64()))
    moved = numbered.join(why.rename({"checks": "_checks", "reason": "_reason"}),
                          on="row_id", how="inner").sort("row_id")
    moved = moved.with_columns(
        pl.Series("quarantine_id", _next_ids(table, moved.height)),
        pl.col("_checks").alias("checks"), pl.col("_reason").alias("reason"),
        pl.lit(moment, _UTC).alias("quarantined_at"), pl.lit("quarantined").alias("status"),
        pl.lit(None, _UTC).alias("resolved_at"), pl.lit(None, pl.String()).alias("resolution"),
    ).select(list(STORED_SCHEMA))
    years = tuple(sorted(int(y) for y in moved["year"].unique()))
    kept = numbered.join(why.select("row_id"), on="row_id", how="anti").drop("row_id")
    check_observations(kept.select(list(OBSERVATION_SCHEMA)),
                       path=f"{dataset} (rows kept after quarantine)")
    others = rows.filter(pl.col("status") != ACTIVE)
    content = pl.concat([others, kept, moved]).filter(pl.col("year").is_in(years))
    new_rows = _records(moved)
    report = QuarantineReport(dataset=dataset, moved=moved.height, readmitted=0,
                              superseded=0, corrected=0, remaining=remaining + moved.height,
                              observations=active.height - moved.height, rows=new_rows)
    meta = {"operation": "quarantine", "quarantined": moved.height,
            "ids": f"{new_rows['quarantine_id'][0]}..{new_rows['quarantine_id'][-1]}"}
    return Planned(Commit(content, years, meta), report)


def _check_corrections(corrections: pl.DataFrame,
                       quarantined: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The corrections cast to the data model, and the observation columns they change."""
    if "quarantine_id" not in corrections.columns:
        raise SchemaError("corrections need a quarantine_id column", column="quarantine_id",
                          reason="missing_column")
    changed = [c for c in corrections.columns if c in OBSERVATION_SCHEMA]
    unknown = [c for c in corrections.columns if c != "quarantine_id" and c not in changed]
    if unknown or not changed:
        raise SchemaError(f"corrections may change only observation columns; got "
                          f"{', '.join(unknown) or 'none'}", reason="bad_corrections",
                          hint="columns: quarantine_id plus e.g. value, unit, scope")
    fixes = corrections.select("quarantine_id", *[pl.col(c).cast(OBSERVATION_SCHEMA[c])
                                                  for c in changed])
    bad = fixes.join(quarantined.select("quarantine_id"), on="quarantine_id", how="anti")
    if bad.height:
        raise SchemaError(f"correction for {bad['quarantine_id'][0]!r}, which is not a "
                          f"quarantined row", reason="unknown_quarantine_id", rows=bad)
    if fixes["quarantine_id"].is_duplicated().any():
        raise SchemaError("corrections name a quarantine_id twice", reason="duplicate_key",
                          column="quarantine_id")
    empty = fixes.filter(pl.all_horizontal([pl.col(c).is_null() for c in changed]))
    if empty.height:
        raise SchemaError(f"correction for {empty['quarantine_id'][0]!r} changes nothing "
                          f"(blank cells mean 'unchanged')", reason="empty_correction",
                          rows=empty, column="quarantine_id",
                          hint="fill in the corrected value, or drop the row")
    return fixes, changed


def _apply_corrections(rows: pl.DataFrame, corrections: pl.DataFrame,
                       moment: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Close corrected rows and add their corrected copies; returns (rows, touched).

    A blank (null) cell in a correction means "unchanged": the copy keeps the original's
    value for that column.
    """
    quarantined = rows.filter(pl.col("status") == "quarantined")
    fixes, changed = _check_corrections(corrections, quarantined)
    originals = quarantined.join(fixes.select("quarantine_id"), on="quarantine_id",
                                 how="semi").sort("quarantine_id")
    paired = originals.join(fixes, on="quarantine_id", how="left", suffix="_fix")
    new_ids = _next_ids(_records(rows), originals.height)
    copies = paired.with_columns(
        [pl.coalesce(pl.col(f"{c}_fix"), pl.col(c)).alias(c) for c in changed]
    ).with_columns(
        pl.Series("quarantine_id", new_ids),
        say("corrected copy of ", pl.col("quarantine_id")).alias("checks"),
        pl.lit("awaiting validation").alias("reason"),
        pl.lit(moment, _UTC).alias("quarantined_at"),
    ).select(list(STORED_SCHEMA))
    parts = [pl.when(pl.col(f"{c}_fix").is_not_null()).then(say(
        f"{c} ", pl.col(c).cast(pl.String()).fill_null(""), " -> ",
        pl.col(f"{c}_fix").cast(pl.String()))) for c in changed]
    closed = paired.with_columns(
        pl.lit("corrected").alias("status"), pl.lit(moment, _UTC).alias("resolved_at"),
        say("replaced by ", pl.lit(pl.Series(new_ids)), ": ",
            pl.concat_str(parts, separator=", ", ignore_nulls=True)).alias("resolution"),
    ).select(list(STORED_SCHEMA))
    rows = pl.concat([rows.join(closed.select("quarantine_id"), on="quarantine_id",
                                how="anti", nulls_equal=False), closed, copies])
    return rows, pl.concat([closed, copies])


def readmit(
    dataset: str | os.PathLike[str],
    *,
    corrections: pl.DataFrame | None = None,
    suites: Iterable[Suite | str | os.PathLike[str]] | None = None,
    extra_suites: Iterable[Suite | str | os.PathLike[str]] = (),
    catalog: Catalog | None = None,
    now: dt.datetime | None = None,
) -> QuarantineReport:
    """Move quarantined rows that now pass back into the dataset.

    Each quarantined row is validated together with the dataset's observations (so keys,
    relations and year-over-year checks see the whole picture); rows with no error-severity
    failure go back. A row whose key the dataset already holds is closed as ``superseded``;
    of several quarantined rows sharing a key only the earliest is tried.

    Args:
        dataset: A local dataset folder.
        corrections: Fixes to quarantined rows: ``quarantine_id`` plus the observation columns
            to change (e.g. ``value``). The original row is kept (status ``corrected``) and a
            corrected copy is quarantined and tried.
        suites: Suites to validate with (default: the bundled ones).
        extra_suites: More suites.
        catalog: Catalog to validate against.
        now: The time recorded (default: now).

    Examples:
        After the quarantine shown in ``quarantine``, the corrected count (5, not 50) is
        fixed; the corrected copy and the concluded count pass together and go back:

        >>> import tempfile
        >>> from fzcompare.store import load, write_observations
        >>> from fzcompare.validate import bundled_suite_path
        >>> rows = pl.DataFrame({
        ...     "region_code": ["420300"] * 3, "year": [2023] * 3,
        ...     "indicator_code": ["reconsideration_concluded", "reconsideration_corrected",
        ...                        "gov_service_online_rate"],
        ...     "scope": ["全市"] * 3, "value": [40.0, 50.0, 98.1], "unit": ["件", "件", "%"],
        ...     "qualifier": ["eq"] * 3, "source_id": ["r1"] * 3, "quote": [""] * 3})
        >>> source = pl.DataFrame({"source_id": ["r1"], "title": ["十堰市2023年报告"],
        ...     "publisher": ["十堰市人民政府"], "published": [None], "url": [""],
        ...     "kind": ["report"], "note": [""]})
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_observations(rows, folder, sources=source)
        >>> relations = [bundled_suite_path("relations")]  # one suite keeps the example quick
        >>> _ = quarantine(folder, suites=relations)
        >>> fix = pl.DataFrame({"quarantine_id": ["Q0000002"], "value": [5.0]})
        >>> report = readmit(folder, corrections=fix, suites=relations)
        >>> report.readmitted, report.corrected, report.remaining
        (2, 1, 0)
        >>> for row in report.rows.select("quarantine_id", "status", "resolution").rows():
        ...     print(*row)
        Q0000002 corrected replaced by Q0000003: value 50.0 -> 5.0
        Q0000001 readmitted passes validation
        Q0000003 readmitted passes validation
        >>> sorted(load(folder)["value"].to_list())
        [5.0, 40.0, 98.1]
    """
    root = _writable(dataset)
    moment = _now(now)

    def plan(snap: Snapshot) -> Planned[QuarantineReport]:
        rows = snap.rows()
        touched: list[pl.DataFrame] = []
        if corrections is not None and corrections.height:
            rows, changed = _apply_corrections(rows, corrections, moment)
            touched.append(changed)
        return _plan_readmit(rows, touched, root, moment,
                             lambda obs, cands: _admissible(obs, cands, root, suites,
                                                            extra_suites, catalog))

    return _commit(root, plan, "readmit")


def _plan_readmit(rows: pl.DataFrame, touched: list[pl.DataFrame], dataset: str,
                  moment: dt.datetime,
                  admissible: Callable[[pl.DataFrame, pl.DataFrame], list[str]],
                  ) -> Planned[QuarantineReport]:
    """Reactivate the quarantined rows that pass, close those whose key is held (one commit)."""
    corrected = sum(t.filter(pl.col("status") == "corrected").height for t in touched)
    observations = rows.filter(pl.col("status") == ACTIVE).select(list(OBSERVATION_SCHEMA))
    active = rows.filter(pl.col("status") == "quarantined").sort("quarantine_id")
    held = active.join(observations.select(KEY_COLUMNS).unique(), on=list(KEY_COLUMNS),
                       how="semi", nulls_equal=True)
    candidates = active.join(held.select("quarantine_id"), on="quarantine_id", how="anti")
    candidates = candidates.filter(pl.struct(list(KEY_COLUMNS)).is_first_distinct())
    admitted = admissible(observations, candidates)
    readmitted = candidates.filter(pl.col("quarantine_id").is_in(admitted))
    closed = pl.concat([
        held.with_columns(pl.lit("superseded").alias("status"),
                          pl.lit("the dataset holds this key again").alias("resolution")),
        readmitted.with_columns(pl.lit(ACTIVE).alias("status"),
                                pl.lit("passes validation").alias("resolution")),
    ]).with_columns(pl.lit(moment, _UTC).alias("resolved_at"))
    touched.append(closed)
    rows = pl.concat([rows.join(closed.select("quarantine_id"), on="quarantine_id",
                                how="anti"), closed])
    changes = pl.concat(touched).unique("quarantine_id", keep="last", maintain_order=True)
    report = QuarantineReport(
        dataset=dataset, moved=0, readmitted=readmitted.height, superseded=held.height,
        corrected=corrected, remaining=rows.filter(pl.col("status") == "quarantined").height,
        observations=observations.height + readmitted.height, rows=_records_ordered(changes))
    if changes.height == 0:
        return Planned(None, report)
    years = tuple(sorted(int(y) for y in changes["year"].unique()))
    meta = {"operation": "readmit", "readmitted": readmitted.height,
            "superseded": held.height, "corrected": corrected}
    return Planned(Commit(rows.filter(pl.col("year").is_in(years)), years, meta), report)


def _records_ordered(rows: pl.DataFrame) -> pl.DataFrame:
    """Like ``_records`` but keeping the order of ``rows``."""
    return rows.with_columns(
        pl.when(pl.col("status") == ACTIVE).then(pl.lit("readmitted"))
        .otherwise(pl.col("status")).alias("status")).select(list(QUARANTINE_SCHEMA))


def _admissible(observations: pl.DataFrame, candidates: pl.DataFrame,
                dataset: str | os.PathLike[str],
                suites: Iterable[Suite | str | os.PathLike[str]] | None,
                extra_suites: Iterable[Suite | str | os.PathLike[str]],
                catalog: Catalog | None) -> list[str]:
    """Candidates that pass together with the observations (dropping failures until stable)."""
    chosen = list(candidates["quarantine_id"].to_list())
    suites_list = list(suites) if suites is not None else None
    extra_list = list(extra_suites)
    for _ in range(_MAX_ROUNDS):
        if not chosen:
            return []
        trial_rows = candidates.filter(pl.col("quarantine_id").is_in(chosen))
        trial = pl.concat([observations, trial_rows.select(list(OBSERVATION_SCHEMA))])
        result = _run_validation(trial, dataset, suites_list, extra_list, catalog)
        failing = set(result.error_row_ids)
        offset = observations.height
        ids = trial_rows["quarantine_id"].to_list()
        still = [q for i, q in enumerate(ids) if offset + i not in failing]
        if len(still) == len(chosen):
            return chosen
        chosen = still
    return []
