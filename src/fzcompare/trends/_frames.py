"""Build the polars output tables of ``fzcompare.trends`` from panel arrays.

Private helper. Key columns are gathered from the panel's small sorted dictionaries;
NaN (not computed) becomes null; code arrays become ``pl.Enum`` columns.
"""

from __future__ import annotations

from typing import Final, TypeAlias

import numpy as np
import polars as pl

from fzcompare.trends._kernels import Changes, SeriesStats
from fzcompare.trends._prepare import BoolArray, FloatArray, IntArray, Panel
from fzcompare.trends._vocab import (
    CHANGE_REASONS,
    DIRECTIONS,
    SERIES_REASONS,
    SUMMARY_COLUMNS,
    VERDICTS,
)

VERDICT_DTYPE: Final = pl.Enum(VERDICTS)
CHANGE_REASON_DTYPE: Final = pl.Enum(CHANGE_REASONS)
SERIES_REASON_DTYPE: Final = pl.Enum(SERIES_REASONS)
DIRECTION_DTYPE: Final = pl.Enum(DIRECTIONS)



def floats(name: str, values: FloatArray) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)


def _index(codes: IntArray, missing: BoolArray | None) -> pl.Series:
    if missing is None or not missing.any():
        return pl.Series(codes, dtype=pl.Int64)
    return pl.Series(np.where(missing, np.nan, codes), nan_to_null=True).cast(pl.Int64)


def ints(name: str, values: IntArray, missing: BoolArray, dtype: pl.DataType) -> pl.Series:
    return _index(values, missing).cast(dtype).alias(name)


def labels(name: str, vocabulary: tuple[str, ...], codes: IntArray, *,
           zero_is_null: bool) -> pl.Series:
    dictionary = pl.Series(name, list(vocabulary)).cast(pl.Enum(vocabulary))
    if zero_is_null:
        return dictionary.gather(_index(codes - 1, codes == 0)).alias(name)
    return dictionary.gather(_index(codes, None)).alias(name)


def names(name: str, dictionary: pl.Series, codes: IntArray) -> pl.Series:
    """Strings for dictionary codes; negative codes become null."""
    return dictionary.gather(_index(codes, codes < 0)).alias(name)


def direction_column(panel: Panel, indicator_codes: IntArray) -> pl.Series:
    return labels("direction", DIRECTIONS, panel.direction[indicator_codes], zero_is_null=True)


def _is_rate(panel: Panel, indicator: IntArray, pick: IntArray) -> BoolArray:
    """Rows whose indicator is a catalog rate, or whose unit is ``%`` (uncatalogued rates)."""
    rate_kind = np.array([k == "rate" for k in panel.kind] or [False], dtype=bool)
    percent = np.array([u == "%" for u in panel.unit_names.to_list()] or [False], dtype=bool)
    rows: BoolArray = rate_kind[indicator] | percent[panel.unit[pick]]
    return rows


def changes_frame(panel: Panel, changes: Changes, rows: IntArray | None = None) -> pl.DataFrame:
    """One row per observation (or per panel row in ``rows``).

    Rows are sorted by region, indicator, scope and year.
    """
    pick = np.arange(panel.n_rows) if rows is None else rows
    prev = changes.prev[pick]
    no_prev = prev < 0
    safe = np.where(no_prev, 0, prev)
    year = panel.year[pick]
    prev_year = panel.year[safe]
    indicator = panel.indicator[pick]
    columns = [
        names("region_code", panel.region_names, panel.region[pick]),
        names("indicator_code", panel.indicator_names, indicator),
        names("scope", panel.scope_names, panel.scope[pick]),
        pl.Series("year", year).cast(pl.Int32),
        ints("prev_year", prev_year, no_prev, pl.Int32()),
        ints("gap_years", year - prev_year, no_prev, pl.Int32()),
        floats("value", panel.value[pick]),
        floats("prev_value", np.where(no_prev, np.nan, panel.value[safe])),
        names("unit", panel.unit_names, panel.unit[pick]),
        names("qualifier", panel.qualifier_names, panel.qualifier[pick]),
        floats("change_abs", changes.change_abs[pick]),
        floats("change_pct", changes.change_pct[pick]),
        floats("change_pct_annual", changes.change_pct_annual[pick]),
        floats("change_pp", np.where(_is_rate(panel, indicator, pick),
                                     changes.change_abs[pick], np.nan)),
        labels("verdict", VERDICTS, changes.verdict[pick], zero_is_null=False),
        pl.Series("uncertain", changes.uncertain[pick]),
        labels("reason", CHANGE_REASONS, changes.reason[pick], zero_is_null=True),
        direction_column(panel, indicator),
    ]
    if panel.source is not None and panel.source_names is not None:
        columns.append(names("source_id", panel.source_names, panel.source[pick]))
    else:
        columns.append(pl.Series("source_id", [None] * pick.size, dtype=pl.String))
    return pl.DataFrame(columns)


def series_frame(panel: Panel, stats: SeriesStats) -> pl.DataFrame:
    """One row per series, sorted by region, indicator and scope."""
    first = panel.start
    no_points = stats.n_points == 0
    return pl.DataFrame([
        names("region_code", panel.region_names, panel.region[first]),
        names("indicator_code", panel.indicator_names, panel.indicator[first]),
        names("scope", panel.scope_names, panel.scope[first]),
        names("unit", panel.unit_names, stats.unit),
        pl.Series("n_points", stats.n_points).cast(pl.Int32),
        pl.Series("n_excluded", stats.n_excluded).cast(pl.Int32),
        pl.Series("n_qualified", stats.n_qualified).cast(pl.Int32),
        ints("first_year", stats.first_year, no_points, pl.Int32()),
        ints("last_year", stats.last_year, no_points, pl.Int32()),
        floats("first_value", stats.first_value),
        floats("last_value", stats.last_value),
        floats("slope", stats.slope),
        floats("slope_se", stats.slope_se),
        floats("slope_ci_low", stats.slope_ci_low),
        floats("slope_ci_high", stats.slope_ci_high),
        floats("slope_p", stats.slope_p),
        labels("slope_reason", SERIES_REASONS, stats.slope_reason, zero_is_null=True),
        floats("cagr", stats.cagr),
        labels("cagr_reason", SERIES_REASONS, stats.cagr_reason, zero_is_null=True),
        floats("mk_s", stats.mk_s),
        floats("mk_var_s", stats.mk_var_s),
        floats("mk_z", stats.mk_z),
        floats("mk_tau", stats.mk_tau),
        floats("mk_p", stats.mk_p),
        floats("sen_slope", stats.sen_slope),
        labels("mk_reason", SERIES_REASONS, stats.mk_reason, zero_is_null=True),
        direction_column(panel, panel.indicator[first]),
    ])


def summary_frame(panel: Panel, changes: Changes, stats: SeriesStats, *,
                  marks: Marks | None = None) -> pl.DataFrame:
    """The change table with each row's series statistics alongside (``SUMMARY_COLUMNS``).

    With ``marks`` (``series_states`` and report years), pairs with an undisclosed side are
    marked (``disclosed_pairs``) and ``n_not_disclosed`` is counted; without, it is 0.
    """
    base = changes_frame(panel, changes)
    sid = panel.series
    extra = pl.DataFrame([
        floats("slope", stats.slope[sid]),
        floats("slope_ci_low", stats.slope_ci_low[sid]),
        floats("slope_ci_high", stats.slope_ci_high[sid]),
        floats("slope_p", stats.slope_p[sid]),
        floats("cagr", stats.cagr[sid]),
        floats("mk_tau", stats.mk_tau[sid]),
        floats("mk_p", stats.mk_p[sid]),
        floats("sen_slope", stats.sen_slope[sid]),
        pl.Series("n_points", stats.n_points[sid]).cast(pl.Int32),
        floats("slope_se", stats.slope_se[sid]),
        labels("slope_reason", SERIES_REASONS, stats.slope_reason[sid], zero_is_null=True),
        labels("cagr_reason", SERIES_REASONS, stats.cagr_reason[sid], zero_is_null=True),
        labels("mk_reason", SERIES_REASONS, stats.mk_reason[sid], zero_is_null=True),
    ])
    frame = pl.concat([base, extra], how="horizontal")
    if marks is not None:
        frame = disclosed_pairs(frame, *marks)
    return with_not_disclosed(frame, marks, after="n_points").select(SUMMARY_COLUMNS)


_SERIES: Final[list[str]] = ["region_code", "indicator_code", "scope"]
Marks: TypeAlias = tuple[pl.DataFrame, pl.DataFrame | None]
"""``series_states`` of every row and the region-years with a report (None: not known)."""
_NOT_REPORTED: Final[list[str]] = ["no_number", "withheld"]


def series_states(rows: pl.DataFrame) -> pl.DataFrame:
    """One state per series and year: ``region_code, indicator_code, scope, year, _state``.

    ``rows`` holds every observation row of the series (any disclosure state); a duplicated
    year keeps its first row (the kernels report the duplicate).
    """
    return rows.select(*_SERIES, pl.col("year").cast(pl.Int32),
                       pl.col("disclosure").alias("_state")).unique(
        [*_SERIES, "year"], keep="first", maintain_order=True)


def _previous_published(frame: pl.DataFrame, states: pl.DataFrame,
                        reports: pl.DataFrame | None) -> pl.DataFrame:
    """``frame`` with ``_p``: the series' previous year with a row or a report of its region."""
    candidates = states.select(*_SERIES, pl.col("year").alias("_p"))
    if reports is not None:
        per_series = states.select(_SERIES).unique().join(
            reports.select("region_code", pl.col("year").cast(pl.Int32).alias("_p")),
            on="region_code")
        candidates = pl.concat([candidates, per_series.select(*_SERIES, "_p")]).unique()
    # sorted on the year overall, hence within every series (polars cannot check that itself)
    return frame.sort("year").join_asof(
        candidates.sort("_p"), left_on="year", right_on="_p", by=_SERIES,
        strategy="backward", allow_exact_matches=False, check_sortedness=False)


def disclosed_pairs(frame: pl.DataFrame, states: pl.DataFrame,
                    reports: pl.DataFrame | None) -> pl.DataFrame:
    """Compare only pairs of disclosed figures; mark the others (issue 16).

    The partner of a row of year Y is the previous year P in which its series has a row or
    (with ``reports``) its region has a report. A row whose own figure is ``no_number`` or
    ``withheld``, or whose P has a report but no figure, gets verdict ``not_disclosed`` and
    no change (never a change against zero, never a silent bridge to an older year). A
    reported row with no P although the data go back further, while ``reports`` says the
    region had no report in Y - 1, gets ``no_report``. Years without a report between P
    and Y are bridged, as before, and show in ``gap_years``.

    Args:
        frame: A change table (``year_over_year`` or ``summarize`` rows).
        states: ``series_states`` of every row of the series.
        reports: Region-years with a report (``region_code``, ``year``), or None if the
            sources are not known (then only stored no_number/withheld rows break a pair).
    """
    first_year = (states["year"].min() if reports is None or reports.height == 0
                  else min(states["year"].min(), reports["year"].min()))  # type: ignore[type-var]
    marked = _previous_published(frame.with_row_index("_i"), states, reports)
    marked = marked.join(states, on=[*_SERIES, "year"], how="left").join(
        states.select(*_SERIES, pl.col("year").alias("_p"), pl.col("_state").alias("_ps"),
                      pl.lit(value=True).alias("_prow")),
        on=[*_SERIES, "_p"], how="left")
    reported = pl.col("_state") == "reported"
    own = pl.col("_state").is_in(_NOT_REPORTED)
    previous = (reported & pl.col("_p").is_not_null()
                & (pl.col("_prow").is_null() | pl.col("_ps").is_in(_NOT_REPORTED)))
    no_report = (pl.lit(reports is not None) & reported & pl.col("_p").is_null()
                 & (pl.col("year") - 1 >= pl.lit(first_year)))
    hit = own | previous | no_report
    prev_year = (pl.when(own | previous).then(pl.col("_p"))
                 .otherwise(pl.col("year") - 1).cast(pl.Int32))
    return marked.with_columns(
        pl.when(hit).then(prev_year).otherwise(pl.col("prev_year")).alias("prev_year"),
        pl.when(hit).then(pl.col("year") - prev_year).otherwise(pl.col("gap_years"))
        .cast(pl.Int32).alias("gap_years"),
        *[pl.when(hit).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("prev_value", "change_abs", "change_pct", "change_pct_annual", "change_pp")
          if c in frame.columns],
        pl.when(hit).then(pl.lit(value=False)).otherwise(pl.col("uncertain")).alias("uncertain"),
        pl.when(own | previous).then(pl.lit("not_disclosed")).when(no_report)
        .then(pl.lit("no_report")).otherwise(pl.col("verdict").cast(pl.String))
        .cast(VERDICT_DTYPE).alias("verdict"),
        pl.when(own).then(pl.lit("not_disclosed")).when(previous)
        .then(pl.lit("previous_not_disclosed")).when(no_report)
        .then(pl.lit("previous_no_report")).otherwise(pl.col("reason").cast(pl.String))
        .cast(CHANGE_REASON_DTYPE).alias("reason"),
    ).sort("_i").select(frame.columns)


def not_disclosed_counts(states: pl.DataFrame, reports: pl.DataFrame | None) -> pl.DataFrame:
    """Per series, the years of its span (first to last row) with a report but no figure.

    Counted: rows stored as ``no_number`` or ``withheld``, and (with ``reports``) years in
    which the region has a report and the series has no row.
    """
    spans = states.group_by(_SERIES).agg(pl.col("year").min().alias("_lo"),
                                         pl.col("year").max().alias("_hi"),
                                         pl.col("_state").is_in(_NOT_REPORTED).sum()
                                         .alias("_own"))
    absent = pl.lit(0, pl.UInt32).alias("_absent")
    if reports is None:
        return spans.select(*_SERIES, (pl.col("_own") + absent).cast(pl.Int32)
                            .alias("n_not_disclosed"))
    in_span = spans.join(reports.select("region_code", pl.col("year").cast(pl.Int32)),
                         on="region_code").filter(pl.col("year").is_between("_lo", "_hi"))
    missing = in_span.join(states, on=[*_SERIES, "year"], how="anti").group_by(_SERIES).len(
        "_absent")
    return spans.join(missing, on=_SERIES, how="left").select(
        *_SERIES, (pl.col("_own") + pl.col("_absent").fill_null(0)).cast(pl.Int32)
        .alias("n_not_disclosed"))


def with_not_disclosed(frame: pl.DataFrame, marks: Marks | None, *, after: str) -> pl.DataFrame:
    """``frame`` with ``n_not_disclosed`` (per series) after column ``after``; 0 when unknown."""
    if marks is None:
        counted = frame.with_columns(pl.lit(0, pl.Int32).alias("n_not_disclosed"))
    else:
        counted = frame.join(not_disclosed_counts(*marks), on=_SERIES, how="left",
                             maintain_order="left").with_columns(
            pl.col("n_not_disclosed").fill_null(0))
    order = list(frame.columns)
    order.insert(order.index(after) + 1, "n_not_disclosed")
    return counted.select(order)
