"""Build the polars output tables of ``fzcompare.trends`` from panel arrays.

Private helper. Key columns are gathered from the panel's small sorted dictionaries;
NaN (not computed) becomes null; code arrays become ``pl.Enum`` columns.
"""

from __future__ import annotations

from typing import Final

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


def summary_frame(panel: Panel, changes: Changes, stats: SeriesStats) -> pl.DataFrame:
    """The change table with each row's series statistics alongside (``SUMMARY_COLUMNS``)."""
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
    return pl.concat([base, extra], how="horizontal").select(SUMMARY_COLUMNS)
