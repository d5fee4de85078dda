"""Quarantine: move rows that fail error-severity expectations beside the dataset, and back.

The quarantine table lives at ``<dataset>/quarantine/quarantine.parquet``. Rows are never
deleted from it: a row moved out is ``quarantined``; when it is let back in it becomes
``readmitted`` (or ``superseded`` if the dataset meanwhile holds its key, or ``corrected`` when
a corrected copy replaced it, the copy being a new ``quarantined`` row). At every moment::

    rows in observations + rows with status "quarantined"
        = rows before the first quarantine + rows written since (and minus superseded keys)

Writes are ordered so that a crash can leave a row in both places, never in neither: the
quarantine table is written before rows leave the observations, and the observations before
re-admitted rows are marked as such (a row found in both is marked ``superseded`` next time).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare._display import html_table
from fzcompare._io import atomic_write_bytes
from fzcompare.catalog import Catalog
from fzcompare.errors import FzcompareError, SchemaError
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, check_observations
from fzcompare.store import dataset_regions, load, load_sources, replace_observations
from fzcompare.validate._masks import say
from fzcompare.validate._result import ValidationResult
from fzcompare.validate._run import validate
from fzcompare.validate._suites import Suite

if TYPE_CHECKING:
    import pandas as pd

QUARANTINE_FILE: Final[str] = "quarantine/quarantine.parquet"
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


def quarantine_path(dataset: str | os.PathLike[str]) -> Path:
    """Where a dataset's quarantine table is kept."""
    return Path(dataset) / QUARANTINE_FILE


def read_quarantine(dataset: str | os.PathLike[str]) -> pl.DataFrame:
    """A dataset's quarantine table (empty if nothing was ever quarantined).

    Examples:
        >>> read_quarantine("datasets/demo").height
        0
    """
    path = quarantine_path(dataset)
    if not path.is_file():
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return pl.read_parquet(path).select(
        [pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])


def _write_quarantine(dataset: str | os.PathLike[str], table: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    table.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()]).write_parquet(
        buffer, compression="zstd")
    atomic_write_bytes(quarantine_path(dataset), buffer.getvalue())


def load_observations(dataset: str | os.PathLike[str]) -> pl.DataFrame:
    """A dataset's observations as stored (not schema-checked; empty if it has none)."""
    root = Path(dataset)
    if not root.is_dir():
        raise SchemaError(f"{root}: no such dataset", path=str(root), reason="not_found",
                          hint="give the folder that holds observations/ and sources.csv")
    if not any((root / "observations").glob("**/*.parquet")):
        return pl.DataFrame(schema=OBSERVATION_SCHEMA)
    return load(root, check=False)


def _replace_observations(dataset: str | os.PathLike[str], frame: pl.DataFrame) -> None:
    """Replace the whole observation set atomically (``fzcompare.store.replace_observations``)."""
    replace_observations(frame.select(list(OBSERVATION_SCHEMA)), dataset)


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
    return validate(frame, sources=sources, regions=regions, suites=suites,
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
    observations = load_observations(dataset)
    if result is None:
        result = _run_validation(observations, dataset, suites, extra_suites, catalog)
    _check_result_matches(result, observations, dataset)
    table = read_quarantine(dataset)
    error_rows = result.failing_rows.filter(pl.col("severity") == "error")
    active = table.filter(pl.col("status") == "quarantined").height
    if error_rows.height == 0:
        return QuarantineReport(dataset=str(dataset), moved=0, readmitted=0, superseded=0,
                                corrected=0, remaining=active, observations=observations.height,
                                rows=table.clear())
    why = error_rows.group_by("row_id", maintain_order=True).agg(
        say(pl.col("suite"), "/", pl.col("check")).unique(maintain_order=True)
        .str.join("; ").alias("checks"),
        pl.col("reason").unique(maintain_order=True).str.join("; ").alias("reason"),
    ).sort("row_id")
    numbered = observations.with_row_index("row_id").with_columns(
        pl.col("row_id").cast(pl.Int64()))
    moved = numbered.join(why, on="row_id", how="inner").sort("row_id")
    kept = numbered.join(why.select("row_id"), on="row_id", how="anti").drop("row_id")
    kept = check_observations(kept, path=f"{dataset} (rows kept after quarantine)")
    moment = _now(now)
    new_rows = moved.drop("row_id").with_columns(
        pl.Series("quarantine_id", _next_ids(table, moved.height)),
        pl.lit(moment, _UTC).alias("quarantined_at"),
        pl.lit("quarantined").alias("status"),
        pl.lit(None, _UTC).alias("resolved_at"),
        pl.lit(None, pl.String()).alias("resolution"),
    ).select(list(QUARANTINE_SCHEMA))
    _write_quarantine(dataset, pl.concat([table, new_rows]))
    _replace_observations(dataset, kept)
    return QuarantineReport(dataset=str(dataset), moved=new_rows.height, readmitted=0,
                            superseded=0, corrected=0, remaining=active + new_rows.height,
                            observations=kept.height, rows=new_rows)


def _apply_corrections(table: pl.DataFrame, corrections: pl.DataFrame,
                       moment: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Close corrected rows and append their corrected copies; returns (table, touched)."""
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
    active = table.filter(pl.col("status") == "quarantined")
    bad = fixes.join(active.select("quarantine_id"), on="quarantine_id", how="anti")
    if bad.height:
        raise SchemaError(f"correction for {bad['quarantine_id'][0]!r}, which is not a "
                          f"quarantined row", reason="unknown_quarantine_id", rows=bad)
    if fixes["quarantine_id"].is_duplicated().any():
        raise SchemaError("corrections name a quarantine_id twice", reason="duplicate_key",
                          column="quarantine_id")
    originals = active.join(fixes.select("quarantine_id"), on="quarantine_id",
                            how="semi").sort("quarantine_id")
    fixes = fixes.sort("quarantine_id")
    new_ids = _next_ids(table, originals.height)
    copies = originals.with_columns(
        [fixes[c].alias(c) for c in changed]
    ).with_columns(
        pl.Series("quarantine_id", new_ids),
        say("corrected copy of ", pl.lit(originals["quarantine_id"])).alias("checks"),
        pl.lit("awaiting validation").alias("reason"),
        pl.lit(moment, _UTC).alias("quarantined_at"),
    )
    what = pl.concat_str([say(f"{c} ", pl.lit(originals[c]).cast(pl.String()).fill_null(""),
                              " -> ", pl.lit(fixes[c]).cast(pl.String()).fill_null(""))
                          for c in changed], separator=", ")
    closed = originals.with_columns(
        pl.lit("corrected").alias("status"), pl.lit(moment, _UTC).alias("resolved_at"),
        say("replaced by ", pl.lit(pl.Series(new_ids)), ": ", what).alias("resolution"))
    table = pl.concat([table.join(closed.select("quarantine_id"), on="quarantine_id",
                                  how="anti"), closed, copies]).sort("quarantine_id")
    return table, pl.concat([closed, copies])


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
    moment = _now(now)
    observations = load_observations(dataset)
    table = read_quarantine(dataset)
    touched: list[pl.DataFrame] = []
    corrected = 0
    if corrections is not None and corrections.height:
        table, changed = _apply_corrections(table, corrections, moment)
        corrected = changed.filter(pl.col("status") == "corrected").height
        touched.append(changed)
    active = table.filter(pl.col("status") == "quarantined").sort("quarantine_id")
    held = active.join(observations.select(KEY_COLUMNS).unique(), on=list(KEY_COLUMNS),
                       how="semi", nulls_equal=True)
    candidates = active.join(held.select("quarantine_id"), on="quarantine_id", how="anti")
    candidates = candidates.filter(pl.struct(list(KEY_COLUMNS)).is_first_distinct())
    admitted = _admissible(observations, candidates, dataset, suites, extra_suites, catalog)
    readmitted = candidates.join(pl.DataFrame({"quarantine_id": admitted},
                                              schema={"quarantine_id": pl.String()}),
                                 on="quarantine_id", how="semi")
    if readmitted.height:
        _replace_observations(dataset, pl.concat([
            observations, readmitted.select(list(OBSERVATION_SCHEMA))]))
    closed = pl.concat([
        held.with_columns(pl.lit("superseded").alias("status"),
                          pl.lit("the dataset holds this key again").alias("resolution")),
        readmitted.with_columns(pl.lit("readmitted").alias("status"),
                                pl.lit("passes validation").alias("resolution")),
    ]).with_columns(pl.lit(moment, _UTC).alias("resolved_at"))
    if closed.height or corrected:
        table = pl.concat([table.join(closed.select("quarantine_id"), on="quarantine_id",
                                      how="anti"), closed]).sort("quarantine_id")
        _write_quarantine(dataset, table)
        touched.append(closed)
    remaining = table.filter(pl.col("status") == "quarantined").height
    rows = (pl.concat(touched).unique("quarantine_id", keep="last", maintain_order=True)
            if touched else table.clear())
    return QuarantineReport(
        dataset=str(dataset), moved=0, readmitted=readmitted.height, superseded=held.height,
        corrected=corrected, remaining=remaining,
        observations=observations.height + readmitted.height,
        rows=rows.select(list(QUARANTINE_SCHEMA)))


def _admissible(observations: pl.DataFrame, candidates: pl.DataFrame,
                dataset: str | os.PathLike[str],
                suites: Iterable[Suite | str | os.PathLike[str]] | None,
                extra_suites: Iterable[Suite | str | os.PathLike[str]],
                catalog: Catalog | None) -> list[str]:
    """Candidates that pass together with the observations (dropping failures until stable)."""
    chosen = list(candidates["quarantine_id"].to_list())
    by_id: Mapping[str, Any] = {r["quarantine_id"]: r for r in candidates.iter_rows(named=True)}
    suites_list = list(suites) if suites is not None else None
    extra_list = list(extra_suites)
    for _ in range(_MAX_ROUNDS):
        if not chosen:
            return []
        trial = pl.concat([observations, pl.DataFrame([by_id[q] for q in chosen],
                                                      schema=QUARANTINE_SCHEMA)
                           .select(list(OBSERVATION_SCHEMA))])
        result = _run_validation(trial, dataset, suites_list, extra_list, catalog)
        failing = set(result.error_row_ids)
        offset = observations.height
        still = [q for i, q in enumerate(chosen) if offset + i not in failing]
        if len(still) == len(chosen):
            return chosen
        chosen = still
    return []
