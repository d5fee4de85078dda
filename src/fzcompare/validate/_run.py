"""Run the suites: derive the frames, let great_expectations judge, find the failing rows."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.errors import InvalidArgumentError, SchemaError
from fzcompare.schema import OBSERVATION_SCHEMA
from fzcompare.validate import _frames, _gx, _masks
from fzcompare.validate._frames import FRAME_ROW, ROW_ID
from fzcompare.validate._gx import run_suite
from fzcompare.validate._masks import say
from fzcompare.validate._result import (
    FAILING_ROW_SCHEMA,
    OUTCOME_SCHEMA,
    ValidationResult,
    Verdict,
    empty_failing_rows,
)
from fzcompare.validate._suites import (
    YOY_THRESHOLD,
    Suite,
    check_expectations,
    resolve_suites,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_CHUNK_ROWS: Final[int] = 4_000_000
"""Frames with more rows are validated in chunks of whole regions of about this many rows."""

PARAMETER_HINTS: Final[dict[str, str]] = {
    "known_source_ids": "no sources table was given (pass sources=, or validate a dataset)",
    "known_region_codes": "no regions table was given",
}
_TABLE_COLUMN_CHECKS: Final[frozenset[str]] = frozenset({
    "expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal", "expect_table_column_count_to_be_between",
})


def _walk_parameters(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if set(value) == {"$PARAMETER"}:
            yield str(value["$PARAMETER"])
        else:
            for item in value.values():
                yield from _walk_parameters(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk_parameters(item)


def _condition_columns(condition: Any) -> Iterator[str]:
    if isinstance(condition, Mapping):
        name = (condition.get("column") or {}).get("name") if isinstance(
            condition.get("column"), Mapping) else None
        if name:
            yield str(name)
        for part in condition.get("conditions", []) or []:
            yield from _condition_columns(part)


def _argument_columns(expectation: Mapping[str, Any]) -> set[str]:
    kwargs = expectation.get("kwargs") or {}
    found = {str(kwargs[k]) for k in ("column", "column_A", "column_B")
             if isinstance(kwargs.get(k), str)}
    for key in ("column_list", "column_set"):
        if isinstance(kwargs.get(key), list):
            found.update(str(c) for c in kwargs[key])
    return found


def referenced_columns(expectations: Iterable[Mapping[str, Any]]) -> set[str]:
    """Columns named by expectations' arguments and row conditions."""
    found: set[str] = set()
    for expectation in expectations:
        found |= _argument_columns(expectation)
        found.update(_condition_columns((expectation.get("kwargs") or {}).get("row_condition")))
    return found


def _condition_only_columns(expectations: Sequence[Mapping[str, Any]]) -> set[str]:
    """Columns used only to filter rows (they travel as pandas categoricals: cheap to copy)."""
    in_conditions: set[str] = set()
    elsewhere: set[str] = set()
    for expectation in expectations:
        elsewhere |= _argument_columns(expectation)
        in_conditions.update(_condition_columns(
            (expectation.get("kwargs") or {}).get("row_condition")))
    return in_conditions - elsewhere


def _to_pandas(frame: pl.DataFrame, *, categorical: Iterable[str] = ()) -> pd.DataFrame:
    """Numpy-backed numbers, Arrow-backed strings (pandas 3's ``str``): the fastest for GX.

    Text columns in ``categorical`` become pandas categoricals: great_expectations copies
    the whole frame for every row condition, and copying Arrow strings is the slow part.
    An Int32 ``year`` with nulls would become float64; it becomes pandas' nullable Int32
    instead, so the type expectation still sees integers (the not-null one sees the nulls).
    """
    to_category = [c for c in categorical if c in frame.columns
                   and frame.schema[c] == pl.String()]
    if to_category:
        frame = frame.with_columns([pl.col(c).cast(pl.Categorical()) for c in to_category])
    pdf = frame.to_pandas()
    if "year" in frame.columns and frame.schema["year"] == pl.Int32() \
            and frame["year"].null_count():
        pdf["year"] = pdf["year"].astype("Int32")
    return pdf


def _gx_columns(frame_name: str, frame: pl.DataFrame,
                expectations: Sequence[Mapping[str, Any]]) -> list[str]:
    """The columns great_expectations needs: referenced ones and the id columns.

    A table-level column expectation on the observations frame sees every data-model column;
    on derived frames it sees them all.
    """
    wanted = referenced_columns(expectations)
    table_level = any(e.get("type") in _TABLE_COLUMN_CHECKS for e in expectations)
    if table_level:
        if frame_name == "observations":
            wanted |= set(OBSERVATION_SCHEMA)
        else:
            wanted |= set(frame.columns)
    return [c for c in frame.columns if c in wanted or c == _index_column(frame_name)]


def _index_column(frame_name: str) -> str:
    """The column that numbers a frame's rows (observation row ids, or derived row numbers)."""
    return ROW_ID if frame_name in ("observations", "values") else FRAME_ROW


def _context_expr(frame_name: str) -> pl.Expr | None:
    """Frame-specific words added to the reason of a derived row."""
    if frame_name == "relations":
        return say(
            pl.col("region_code"), " ", pl.col("year"), " ", pl.col("scope"), ": ",
            pl.col("numerator_code"), " ", pl.col("numerator"), " (row ",
            pl.col("numerator_row_id"), "), ", pl.col("denominator_code"), " ",
            pl.col("denominator"), " (row ", pl.col("denominator_row_id"), ")",
            pl.when(pl.col("target").is_not_null()).then(say(
                ", ", pl.col("target_code"), " ", pl.col("target"), " (row ",
                pl.col("target_row_id"), ") vs implied ", pl.col("implied_rate").round(2)))
            .otherwise(pl.lit("")))
    if frame_name == "year_over_year":
        return say(
            pl.col("region_code"), " ", pl.col("indicator_code"), " ", pl.col("scope"), ": ",
            pl.col("value"), " in ", pl.col("year"), " vs ", pl.col("compared_value"), " in ",
            pl.col("compared_year"), " (robust z ", pl.col("robust_z").round(1), ", ",
            pl.col("pattern"), ")")
    return None


def _yoy_threshold(suites: Sequence[Suite]) -> float:
    """The jump threshold of the year-over-year suite (used to attribute spikes)."""
    for suite in suites:
        if suite.frame != "year_over_year":
            continue
        for expectation in suite.expectations:
            kwargs = expectation.get("kwargs") or {}
            if expectation["type"] == "expect_column_values_to_be_between" \
                    and kwargs.get("column") == "robust_z":
                bounds = [abs(float(kwargs[k])) for k in ("min_value", "max_value")
                          if kwargs.get(k) is not None]
                if bounds:
                    return max(bounds)
    return YOY_THRESHOLD


def _known_regions(regions: pl.DataFrame | None) -> pl.DataFrame:
    bundled = load_regions()
    if regions is None:
        return bundled
    if "region_code" not in regions.columns:
        raise SchemaError("regions table has no region_code column", column="region_code",
                          reason="missing_column")
    extra = regions.select(
        pl.col("region_code").cast(pl.String()),
        (pl.col("level") if "level" in regions.columns
         else pl.lit(None, pl.String())).cast(pl.String()).alias("level"))
    return pl.concat([extra, bundled.select("region_code", "level")]).unique(
        "region_code", keep="first", maintain_order=True)


def _stamp(suite: Suite, index: int, expectation: Mapping[str, Any]) -> dict[str, Any]:
    stamped = dict(expectation)
    stamped["meta"] = {**(expectation.get("meta") or {}), "fzcompare_ref": f"{suite.name}#{index}"}
    return stamped


def _outcome_row(suite: Suite, index: int, expectation: Mapping[str, Any], frame_name: str,
                 **values: Any) -> dict[str, Any]:
    kwargs = expectation.get("kwargs") or {}
    meta = expectation.get("meta") or {}
    columns = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(
        kwargs.get(k), str)]
    if isinstance(kwargs.get("column_list"), list):
        columns += [str(c) for c in kwargs["column_list"]]
    type_ = str(expectation["type"])
    row = {
        "suite": suite.name,
        "check": str(meta.get("check") or f"{type_}({','.join(columns)})"),
        "expectation": type_,
        "column": ", ".join(columns) if columns else None,
        "description": str(meta.get("description") or type_.replace("_", " ")),
        "severity": suite.severities[index],
        "frame": frame_name,
        "success": None, "element_count": None, "unexpected_count": None,
        "unexpected_percent": None, "failing_rows": None, "note": None,
    }
    row.update(values)
    return row


def _blamed(frame_name: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Frame rows -> (row_id, detail): one row per observation blamed, details joined."""
    id_columns = _frames.BLAMED_ID_COLUMNS[frame_name]
    parts = [rows.select(pl.col(c).cast(pl.Int64()).alias(ROW_ID), "detail")
             for c in id_columns]
    blamed = pl.concat(parts).drop_nulls(ROW_ID)
    if len(id_columns) == 1 and blamed[ROW_ID].is_unique().all():
        return blamed
    return blamed.group_by(ROW_ID, maintain_order=True).agg(
        pl.col("detail").unique(maintain_order=True).str.join("; "))


def _gx_failing_frame_rows(frame_name: str, pdf: pd.DataFrame, expectation: Mapping[str, Any],
                           parameters: Mapping[str, Any]) -> list[int]:
    """Ask great_expectations for the failing rows (slow with many failures; a fallback)."""
    index_column = _index_column(frame_name)
    outcomes = run_suite(frame_name, pdf, [expectation], parameters=parameters,
                         result_format={"result_format": "COMPLETE",
                                        "unexpected_index_column_names": [index_column],
                                        "return_unexpected_index_query": False})
    found = next(iter(outcomes.values()))
    ids: list[int] = []
    for item in found.unexpected_index_list or []:
        value = item.get(index_column) if isinstance(item, Mapping) else item
        if value is not None:
            ids.append(int(value))
    return ids


def _resolve_parameters(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> Any:
    def resolve(value: Any) -> Any:
        if isinstance(value, Mapping):
            if set(value) == {"$PARAMETER"}:
                return parameters[str(value["$PARAMETER"])]
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value
    return resolve(dict(kwargs))


def _failing_rows_of(frame_name: str, frame: pl.DataFrame,
                     expectation: Mapping[str, Any], parameters: Mapping[str, Any],
                     unexpected_count: int | None) -> tuple[pl.DataFrame, str | None]:
    """The blamed observation rows of one failed expectation, with a detail text each."""
    type_ = str(expectation["type"])
    if type_ in _masks.TABLE_LEVEL:
        return pl.DataFrame(schema={ROW_ID: pl.Int64(), "detail": pl.String()}), None
    kwargs = _resolve_parameters(expectation.get("kwargs") or {}, parameters)
    context = _context_expr(frame_name)
    note = None
    try:
        check = _masks.row_check(type_, kwargs, frame.schema)
        rows = _masks.failing_rows(frame, check)
        if unexpected_count is not None and rows.height != unexpected_count:
            raise _masks.NotTranslatedError(
                f"polars found {rows.height} rows, great_expectations {unexpected_count}")
    except _masks.NotTranslatedError as reason:
        index_column = _index_column(frame_name)
        pdf = _to_pandas(frame.select(_gx_columns(frame_name, frame, [expectation])))
        ids = _gx_failing_frame_rows(frame_name, pdf, expectation, parameters)
        rows = frame.filter(pl.col(index_column).is_in(ids)).with_columns(
            pl.lit("reported by great_expectations").alias("detail"))
        note = f"failing rows from great_expectations ({reason})"
    if context is not None:
        rows = rows.with_columns(context.alias("detail"))
    return _blamed(frame_name, rows), note


def _derive_frames(needed: set[str], canonical: pl.DataFrame, observations_frame: pl.DataFrame,
                   catalog: Catalog, suites: Sequence[Suite],
                   yoy_stats: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    frames = {"observations": observations_frame}
    if "values" in needed:
        frames["values"] = _frames.values_frame(canonical)
    if not needed & {"relations", "year_over_year"}:
        return frames
    panel = _frames.keyed_panel(canonical)
    if "relations" in needed:
        frames["relations"] = _frames.relations_frame(canonical, catalog, panel=panel)
    if "year_over_year" in needed:
        frames["year_over_year"] = _frames.year_over_year_frame(
            canonical, catalog, threshold=_yoy_threshold(suites), panel=panel, stats=yoy_stats)
    return frames


def _region_chunks(canonical: pl.DataFrame, chunk_rows: int | None) -> pl.Series | None:
    """The chunk number of each row (whole regions per chunk), or None for one piece."""
    if chunk_rows is None or canonical.height <= chunk_rows \
            or "region_code" not in canonical.columns:
        return None
    sizes = canonical.group_by("region_code").len().sort("region_code", nulls_last=True)
    numbers: list[int] = []
    current = filled = 0
    for size in sizes["len"].to_list():
        if filled and filled + size > chunk_rows:
            current += 1
            filled = 0
        numbers.append(current)
        filled += size
    if current == 0:
        return None
    chunk_of_region = sizes.select("region_code", pl.Series("_chunk", numbers, pl.UInt32()))
    return canonical.select("region_code").join(
        chunk_of_region, on="region_code", how="left", nulls_equal=True,
        maintain_order="left")["_chunk"]


_EXTREMES: Final[dict[str, Any]] = {
    "expect_column_max_to_be_between": max, "expect_column_min_to_be_between": min,
}
"""Column aggregates whose whole-frame value follows from the chunks' values."""


@dataclass
class _Tally:
    """One expectation's outcome, added up over chunks."""

    successes: list[bool] = field(default_factory=list)
    element_counts: list[int] = field(default_factory=list)
    unexpected_counts: list[int] = field(default_factory=list)
    checked: list[float] = field(default_factory=list)
    percents: list[float | None] = field(default_factory=list)
    blamed: list[pl.DataFrame] = field(default_factory=list)
    failing_parts: list[pl.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    observed: list[Any] = field(default_factory=list)

    def add(self, raw: _gx.RawOutcome, note: str | None, *, checked: float | None) -> None:
        self.successes.append(raw.success)
        if raw.element_count is not None:
            self.element_counts.append(int(raw.element_count))
        if raw.unexpected_count is not None:
            self.unexpected_counts.append(int(raw.unexpected_count))
            self.checked.append(0.0 if checked is None else checked)
        self.percents.append(raw.unexpected_percent)
        self.observed.append(raw.observed_value)
        if note is not None and note not in self.notes:
            self.notes.append(note)

    def values(self, expectation: Mapping[str, Any]) -> dict[str, Any]:
        """The outcome row's counts and verdict (one chunk's values as they are)."""
        unexpected = sum(self.unexpected_counts) if self.unexpected_counts else None
        if len(self.successes) == 1:
            percent = self.percents[0]
        else:
            total = sum(self.checked)
            percent = None if unexpected is None or total <= 0 else 100.0 * unexpected / total
        success = all(self.successes)
        mostly = (expectation.get("kwargs") or {}).get("mostly")
        if len(self.successes) > 1 and isinstance(mostly, int | float) and unexpected is not None:
            total = sum(self.checked)
            success = total <= 0 or 1.0 - unexpected / total >= float(mostly)
        # a chunk that failed a "mostly" expectation the whole frame passes blames no rows
        blamed = pl.concat(self.blamed) if self.blamed and not success else None
        notes = self.notes
        extreme = _EXTREMES.get(str(expectation["type"]))
        if len(self.successes) > 1 and extreme is not None and not success \
                and all(isinstance(v, int | float) for v in self.observed):
            notes = [f"observed: {extreme(self.observed)}"]
        return {
            "success": success,
            "element_count": sum(self.element_counts) if self.element_counts else None,
            "unexpected_count": unexpected, "unexpected_percent": percent,
            "failing_rows": None if blamed is None else blamed[ROW_ID].n_unique(),
            "note": "; ".join(notes) if notes else None,
        }


def _checked_rows(frame: pl.DataFrame, ran: Sequence[tuple[str, Mapping[str, Any]]],
                  results: Mapping[str, _gx.RawOutcome],
                  parameters: Mapping[str, Any]) -> dict[str, float | None]:
    """The rows each ``unexpected_percent`` is relative to, for adding up chunks' percents.

    Read back from the percentage where rows failed; counted with polars (one pass over the
    frame for all expectations) where none did.
    """
    found: dict[str, float | None] = {}
    counts: dict[str, pl.Expr] = {}
    for ref, expectation in ran:
        raw = results[ref]
        if raw.unexpected_count is None:
            found[ref] = None
        elif raw.unexpected_percent is None:
            found[ref] = 0.0
        elif raw.unexpected_count:
            found[ref] = 100.0 * raw.unexpected_count / raw.unexpected_percent
        else:
            kwargs = _resolve_parameters(expectation.get("kwargs") or {}, parameters)
            try:
                counts[ref] = _masks.checked_count(str(expectation["type"]), kwargs,
                                                   frame.schema).alias(ref)
            except _masks.NotTranslatedError:
                found[ref] = float(raw.element_count or 0)
    if counts:
        row = frame.select(list(counts.values())).row(0, named=True)
        found.update({ref: float(row[ref] or 0) for ref in counts})
    return found


def _failing_part(suite: Suite, index: int, expectation: Mapping[str, Any],
                  blamed: pl.DataFrame) -> pl.DataFrame:
    return blamed.with_columns(
        pl.lit(suite.name).alias("suite"),
        pl.lit(str((expectation.get("meta") or {}).get("check") or
                   expectation["type"])).alias("check"),
        pl.lit(str(expectation["type"])).alias("expectation"),
        pl.lit(suite.severities[index]).alias("severity"),
        say(str((expectation.get("meta") or {}).get("description")
                or expectation["type"]) + ": ", pl.col("detail"))
        .alias("reason")).drop("detail")


def _check_docs_folder(docs: str | os.PathLike[str]) -> None:
    """Refuse a Data Docs destination that is, or lies under, something not a folder."""
    path = Path(docs)
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == path else f"lies under the file {existing}"
        raise InvalidArgumentError(f"{path}: --docs needs a folder; this path {where}",
                                   hint="give a new or existing folder for the Data Docs pages",
                                   option="docs", path=str(path))


@renamed_arguments(regions="regions_table")
def validate(
    observations: pl.DataFrame,
    *,
    sources: pl.DataFrame | None = None,
    regions_table: pl.DataFrame | None = None,
    suites: Iterable[Suite | str | os.PathLike[str]] | None = None,
    extra_suites: Iterable[Suite | str | os.PathLike[str]] = (),
    catalog: Catalog | None = None,
    docs: str | os.PathLike[str] | None = None,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
) -> ValidationResult:
    """Validate observations with great_expectations suites.

    Args:
        observations: The observation table (columns of the data model; other dtypes are
            read into the model's, unreadable values count as empty).
        sources: The sources table; without it the "known source" expectation is skipped.
        regions_table: Regions beyond the bundled table (e.g. a dataset's ``regions.csv``, or the
            whole table from ``fzcompare.store.dataset_regions``).
        suites: Suites to run instead of the bundled ones (``Suite`` objects or JSON
            file paths).
        extra_suites: Suites to run after those (e.g. your own JSON files).
        catalog: Validate against this catalog; the bundled suites are then generated from
            it (default: the bundled catalog and the committed suite files).
        docs: Build great_expectations Data Docs in this folder. The pages load their
            stylesheets and scripts from the internet (a CDN); fzcompare's own reports do not.
            With chunking (see ``chunk_rows``) the Data Docs show the first chunk only.
            The known-region and known-source lists they show are cut to the values that
            occur in the (first) chunk; the outcomes are the same as with the whole lists.
        chunk_rows: Validate a frame of more rows than this in chunks of whole regions,
            one chunk's pandas frames at a time (bounded memory; outcomes, verdict and
            failing rows are the same as in one piece for the bundled suites). None never
            splits: use it when a suite of your own compares rows of different regions,
            or for Data Docs of the whole frame. See docs/validation.md.

    Returns:
        A ``ValidationResult``.

    Raises:
        SuiteError: A suite holds an expectation great_expectations cannot build (unknown
            type, bad arguments), named with its file.
        InvalidArgumentError: ``docs`` is (or lies under) a file.

    Examples:
        >>> import polars as pl
        >>> rows = pl.DataFrame({
        ...     "region_code": ["420300", "420300"], "year": [2023, 2023],
        ...     "indicator_code": ["reconsideration_concluded", "reconsideration_corrected"],
        ...     "scope": ["全市", "全市"], "value": [40.0, 50.0], "unit": ["件", "件"],
        ...     "qualifier": ["eq", "eq"], "source_id": ["s", "s"], "quote": ["", ""],
        ... }).with_columns(pl.col("year").cast(pl.Int32))
        >>> from fzcompare.validate import bundled_suite_path
        >>> result = validate(rows, suites=[bundled_suite_path("relations")])
        >>> result.verdict, result.failing_rows["row_id"].to_list()
        ('fail', [0, 1])
    """
    if docs is not None:
        _check_docs_folder(docs)
    chosen = resolve_suites(suites, extra_suites, catalog)
    check_expectations(chosen)
    catalog = catalog if catalog is not None else load_catalog()
    canonical, _ = _frames.canonical_observations(observations)
    known_regions = _known_regions(regions_table)
    parameters = _parameters(known_regions, sources)
    plan = _plan(chosen, parameters)
    chunk_of = _region_chunks(canonical, chunk_rows)
    n_chunks = 1 if chunk_of is None else int(chunk_of.max()) + 1  # type: ignore[arg-type]

    def piece(number: int) -> pl.DataFrame:
        return canonical if chunk_of is None else canonical.filter(chunk_of == number)

    yoy_stats = None
    if chunk_of is not None and "year_over_year" in plan.frame_order:
        # the robust centre and scale of each indicator's changes span every region
        yoy_stats = _frames.year_over_year_stats(pl.concat(
            [_frames.year_over_year_changes(piece(k), catalog) for k in range(n_chunks)]))

    tallies: dict[str, _Tally] = {}
    if docs is not None:
        _gx.forget_stored_results()
    for number in range(n_chunks):
        rows = piece(number)
        run = _ChunkRun(parameters=_chunk_parameters(parameters, rows), n_chunks=n_chunks,
                        store=docs is not None and number == 0)
        frames = _derive_frames(set(plan.frame_order), rows, _frames.add_helper_columns(
            rows, catalog=catalog, regions=known_regions, wanted=plan.helpers),
            catalog, chosen, yoy_stats)
        del rows
        for frame_name in plan.frame_order:
            _run_frame(plan, frame_name, frames.pop(frame_name), run, tallies)
        del frames
        if n_chunks > 1:
            gc.collect()

    outcomes, failing_parts = _outcomes(plan, tallies)
    outcomes = _order_outcomes(outcomes, chosen)
    failing = _assemble_failing_rows(failing_parts, canonical, chosen)
    docs_index = None
    if docs is not None:
        docs_index = _gx.build_data_docs(os.fspath(docs))
    return ValidationResult(
        verdict=_verdict(outcomes), outcomes=outcomes, failing_rows=failing,
        n_rows=observations.height, suites=tuple(s.name for s in chosen),
        gx_version=_gx.session().version, docs_index=docs_index)


_Planned = tuple[Suite, int, dict[str, Any]]
"""A suite, the expectation's index in it, and the expectation stamped with its ref."""


@dataclass(frozen=True)
class _Plan:
    """What runs on which frame, in suite order, and what is skipped (ref -> note)."""

    frame_order: tuple[str, ...]
    runnable: Mapping[str, tuple[_Planned, ...]]
    skipped: Mapping[str, str]
    helpers: frozenset[str]

    def to_run(self, frame_name: str) -> list[_Planned]:
        """The expectations of one frame that run (those with every parameter given)."""
        return [(s, i, e) for s, i, e in self.runnable[frame_name]
                if f"{s.name}#{i}" not in self.skipped]


@dataclass(frozen=True)
class _ChunkRun:
    """How one chunk is validated."""

    parameters: Mapping[str, Any]
    n_chunks: int
    store: bool
    """Keep great_expectations' results for Data Docs (the first chunk only)."""


def _parameters(known_regions: pl.DataFrame, sources: pl.DataFrame | None) -> dict[str, Any]:
    """Values for the suites' ``$PARAMETER`` arguments."""
    parameters: dict[str, Any] = {
        "known_region_codes": known_regions["region_code"].to_list(),
    }
    if sources is not None:
        if "source_id" not in sources.columns:
            raise SchemaError("sources table has no source_id column", column="source_id",
                              reason="missing_column")
        parameters["known_source_ids"] = sources["source_id"].cast(pl.String()).to_list()
    return parameters


_NARROWED: Final[dict[str, str]] = {
    "known_region_codes": "region_code", "known_source_ids": "source_id",
}
"""Set parameters and the observation column whose values they are tested against."""


def _chunk_parameters(parameters: Mapping[str, Any], rows: pl.DataFrame) -> dict[str, Any]:
    """``parameters`` with the known-value lists cut to the values that occur in ``rows``.

    A value is in the known set exactly when it is in the part of the set that occurs, so
    the outcomes do not change. great_expectations copies an expectation's arguments (the
    whole list) dozens of times per run; with 7,000 known regions that was a third of its
    time at 3 M observations, and it grew with the regions of every chunk.
    """
    narrowed = dict(parameters)
    for name, column in _NARROWED.items():
        if name in narrowed and column in rows.columns:
            present = set(rows[column].drop_nulls().unique().to_list())
            narrowed[name] = [v for v in parameters[name] if v in present]
    return narrowed


def _plan(chosen: Sequence[Suite], parameters: Mapping[str, Any]) -> _Plan:
    """Group the expectations by frame and skip those whose parameters are not given."""
    on_observations = [e for s in chosen if s.frame == "observations" for e in s.expectations]
    helpers = frozenset(referenced_columns(on_observations)) & frozenset(_frames.HELPER_COLUMNS)
    frame_order = tuple(dict.fromkeys(s.frame for s in chosen))
    runnable: dict[str, tuple[_Planned, ...]] = {}
    skipped: dict[str, str] = {}
    for frame_name in frame_order:
        planned: list[_Planned] = []
        for suite in (s for s in chosen if s.frame == frame_name):
            for index, expectation in enumerate(suite.expectations):
                absent = [p for p in _walk_parameters(expectation.get("kwargs"))
                          if p not in parameters]
                if absent:
                    skipped[f"{suite.name}#{index}"] = "skipped: " + PARAMETER_HINTS.get(
                        absent[0], f"no value for ${absent[0]}")
                planned.append((suite, index, _stamp(suite, index, expectation)))
        runnable[frame_name] = tuple(planned)
    return _Plan(frame_order=frame_order, runnable=runnable, skipped=skipped, helpers=helpers)


def _column_groups(pdf: pd.DataFrame,
                   expectations: Sequence[dict[str, Any]], *, whole: bool
                   ) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """Expectations grouped by the columns they read, each group with its columns.

    great_expectations' pandas engine copies the whole batch for every metric of an
    expectation with a row condition (``DataFrame.query``), so each group gets a batch of
    its own columns only (a column selection, not a copy, in pandas 3). Table-level column
    expectations see every column; ``whole`` (Data Docs: one stored result per frame) runs
    everything as one batch.
    """
    everything = [str(c) for c in pdf.columns]
    if whole:
        return [(everything, list(expectations))]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for expectation in expectations:
        if expectation.get("type") in _TABLE_COLUMN_CHECKS:
            key = tuple(everything)
        else:
            wanted = referenced_columns([expectation])
            key = tuple(c for c in everything if c in wanted) or tuple(everything)
        groups.setdefault(key, []).append(expectation)
    return [(list(key), group) for key, group in groups.items()]


def _run_frame(plan: _Plan, frame_name: str, frame: pl.DataFrame, run: _ChunkRun,
               tallies: dict[str, _Tally]) -> None:
    """Let great_expectations judge one frame of one chunk; add the outcomes to ``tallies``."""
    to_run = plan.to_run(frame_name)
    expectations = [e for _, _, e in to_run]
    pdf = _to_pandas(frame.select(_gx_columns(frame_name, frame, expectations)),
                     categorical=_condition_only_columns(expectations))
    meta = {"fzcompare": {"frame": frame_name, "suites": list(dict.fromkeys(
        s.name for s, _, _ in plan.runnable[frame_name]))}}
    results: dict[str, _gx.RawOutcome] = {}
    for columns, group in _column_groups(pdf, expectations, whole=run.store):
        results |= _gx.run_suite(frame_name, pdf[columns], group, parameters=run.parameters,
                                 store=run.store, suite_meta=meta)
    del pdf
    ran = [(f"{s.name}#{i}", e) for s, i, e in to_run]
    checked = _checked_rows(frame, ran, results, run.parameters) if run.n_chunks > 1 else {}
    for suite, index, expectation in to_run:
        ref = f"{suite.name}#{index}"
        raw = results[ref]
        tally = tallies.setdefault(ref, _Tally())
        note = raw.exception
        if not raw.success and raw.exception is None \
                and expectation["type"] in _masks.TABLE_LEVEL:
            note = _observed_note(raw)
        elif raw.exception is None and (not raw.success or (
                run.n_chunks > 1 and raw.unexpected_count
                and "mostly" in (expectation.get("kwargs") or {}))):
            # a chunk passing a "mostly" expectation may still hold failing rows
            blamed, note = _failing_rows_of(
                frame_name, frame, expectation, run.parameters, raw.unexpected_count)
            tally.blamed.append(blamed.select(ROW_ID))
            tally.failing_parts.append(_failing_part(suite, index, expectation, blamed))
        tally.add(raw, note, checked=checked.get(ref))


def _outcomes(plan: _Plan, tallies: Mapping[str, _Tally]
              ) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """The outcome table (suite order) and the failing-row parts of failed expectations."""
    outcome_rows: list[dict[str, Any]] = []
    failing_parts: list[pl.DataFrame] = []
    for frame_name in plan.frame_order:
        for suite, index, expectation in plan.runnable[frame_name]:
            ref = f"{suite.name}#{index}"
            if ref in plan.skipped:
                outcome_rows.append(_outcome_row(suite, index, expectation, frame_name,
                                                 note=plan.skipped[ref]))
                continue
            values = tallies[ref].values(expectation)
            if not values["success"]:
                failing_parts.extend(tallies[ref].failing_parts)
            outcome_rows.append(_outcome_row(suite, index, expectation, frame_name, **values))
    return pl.DataFrame(outcome_rows, schema=OUTCOME_SCHEMA), failing_parts


def _observed_note(raw: _gx.RawOutcome) -> str | None:
    """What a failed table-level expectation saw (missing columns, the dtype found ...)."""
    mismatched = (raw.details or {}).get("mismatched") if isinstance(raw.details, dict) else None
    if isinstance(mismatched, dict) and mismatched.get("missing"):
        return "missing columns: " + ", ".join(str(c) for c in mismatched["missing"])
    if raw.observed_value is not None:
        return f"observed: {raw.observed_value}"
    return None


def _order_outcomes(outcomes: pl.DataFrame, suites: Sequence[Suite]) -> pl.DataFrame:
    order = {s.name: i for i, s in enumerate(suites)}
    return outcomes.with_columns(
        pl.col("suite").replace_strict(order, return_dtype=pl.Int64()).alias("_order"),
        pl.int_range(pl.len()).alias("_position"),
    ).sort("_order", "_position").drop("_order", "_position")


def _assemble_failing_rows(parts: list[pl.DataFrame], canonical: pl.DataFrame,
                           suites: Sequence[Suite]) -> pl.DataFrame:
    if not parts:
        return empty_failing_rows()
    blamed = pl.concat(parts, how="vertical")
    order = {s.name: i for i, s in enumerate(suites)}
    present = [c for c in OBSERVATION_SCHEMA if c in canonical.columns]
    joined = blamed.join(canonical.select(ROW_ID, *present), on=ROW_ID, how="left")
    for column, dtype in OBSERVATION_SCHEMA.items():
        if column not in joined.columns:
            joined = joined.with_columns(pl.lit(None, dtype).alias(column))
    return (joined.with_columns(pl.col("suite").replace_strict(order, return_dtype=pl.Int64())
                                .alias("_order"))
            .sort(ROW_ID, "_order", maintain_order=True).drop("_order")
            .select([pl.col(c).cast(t) for c, t in FAILING_ROW_SCHEMA.items()]))


def _verdict(outcomes: pl.DataFrame) -> Verdict:
    failed = outcomes.filter(pl.col("success").not_())
    if failed.filter(pl.col("severity") == "error").height:
        return "fail"
    if failed.height:
        return "warn"
    return "pass"
