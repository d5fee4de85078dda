"""Vectorised statistics over a ``fzcompare.trends._prepare.Panel``.

Private helper of ``fzcompare.trends``. Year-over-year changes are computed over the
sorted rows at once; series statistics over dense 2-D blocks holding every series of the same
length (no padding), so each formula is one NumPy expression per block. Formulas and minimum
numbers of points are documented in ``docs/statistics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from fzcompare.trends._prepare import BoolArray, FloatArray, IntArray, Panel
from fzcompare.trends._vocab import (
    CHANGE_REASONS,
    MIN_POINTS_CAGR,
    MIN_POINTS_MANN_KENDALL,
    MIN_POINTS_OLS,
    SERIES_REASONS,
    VERDICTS,
)

_HIGHER, _LOWER, _TARGET = 1, 2, 3
_MAX_BLOCK_CELLS: Final[int] = 1_000_000


def _nan(n: int) -> FloatArray:
    return np.full(n, np.nan, dtype=np.float64)


def _verdict_code(name: str) -> int:
    return VERDICTS.index(name)


def _change_reason(name: str) -> int:
    return CHANGE_REASONS.index(name) + 1


def _series_reason(name: str) -> int:
    return SERIES_REASONS.index(name) + 1


@dataclass(frozen=True)
class Changes:
    """Per-row year-over-year arrays (sorted order); ``prev`` is -1 where there is none."""

    prev: IntArray
    compared: BoolArray
    change_abs: FloatArray
    change_pct: FloatArray
    change_pct_annual: FloatArray
    verdict: IntArray
    reason: IntArray
    uncertain: BoolArray


def previous_usable(panel: Panel) -> IntArray:
    """Index of the last usable row before each row in the same series, or -1."""
    n = panel.n_rows
    usable = panel.usable
    if usable.all():
        prev = np.arange(-1, n - 1, dtype=np.int64)
        prev[panel.start] = -1
        return prev
    positions = np.where(usable, np.arange(n, dtype=np.int64), -1)
    last = np.maximum.accumulate(positions) if n else positions
    prev = np.full(n, -1, dtype=np.int64)
    if n > 1:
        prev[1:] = last[:-1]
    # A previous usable row before the series' first row belongs to another series.
    prev[prev < np.repeat(panel.start, panel.length)] = -1
    return prev


def _band_distance(values: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    below = np.where(values < low, low - values, 0.0)
    above = np.where(values > high, values - high, 0.0)
    return np.asarray(below + above, dtype=np.float64)


def year_over_year(panel: Panel, *, tolerance_abs: float, tolerance_rel: float,
                   only: IntArray | None = None) -> Changes:
    """Changes against the previous usable point of the same series, with verdicts.

    Only rows that are compared (usable, with a previous usable point in the same unit) get
    numbers; the rest are ``not comparable`` with a reason code. With ``only`` (row
    indices), the other rows are left uncompared, with their row reason.
    """
    n = panel.n_rows
    prev = previous_usable(panel)
    usable = panel.usable
    if only is not None:
        selected = np.zeros(n, dtype=np.bool_)
        selected[only] = True
        usable = usable & selected
    has_prev = prev >= 0
    reason = panel.row_reason.astype(np.int8, copy=True)
    first = usable & ~has_prev
    if first.any():
        reason[first] = _change_reason("no_previous")
        reason[first & _earlier_in_other_scope(panel)] = _change_reason("scope_changed")
    candidates = np.flatnonzero(usable & has_prev)
    before = prev[candidates]
    same_unit = panel.unit[candidates] == panel.unit[before]
    reason[candidates[~same_unit]] = _change_reason("unit_changed")
    rows, before = candidates[same_unit], before[same_unit]

    now, then = panel.value[rows], panel.value[before]
    gap = panel.year[rows] - panel.year[before]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = now - then
        pct = np.where(then != 0, 100.0 * delta / np.abs(then), np.nan)
        annual = pct.copy()
        longer = np.flatnonzero(gap > 1)
        if longer.size:
            ratio = now[longer] / then[longer]
            ok = (then[longer] > 0) & (now[longer] >= 0)
            annual[longer] = np.where(
                ok, 100.0 * (np.power(ratio, 1.0 / gap[longer]) - 1.0), np.nan)
    negative_base = then < 0
    annual[negative_base] = np.nan

    tolerance = np.maximum(tolerance_abs, tolerance_rel * np.abs(then))
    # sign: 0 down, 1 flat, 2 up; the verdict is a lookup by (indicator, sign).
    sign = (delta > tolerance).astype(np.int8) - (delta < -tolerance).astype(np.int8) + 1
    indicator = panel.indicator[rows]
    code = _verdict_table(panel.direction)[indicator.astype(np.int64) * 3 + sign]
    target = np.flatnonzero(panel.direction[indicator] == _TARGET) \
        if (panel.direction == _TARGET).any() else np.zeros(0, dtype=np.int64)
    if target.size:
        code[target] = _target_verdicts(panel, rows[target], now[target], then[target],
                                        tolerance[target])

    verdict = np.full(n, _verdict_code("not comparable"), dtype=np.int8)
    verdict[rows] = code
    change_abs, change_pct, change_pct_annual = _nan(n), _nan(n), _nan(n)
    change_abs[rows], change_pct[rows], change_pct_annual[rows] = delta, pct, annual
    compared = np.zeros(n, dtype=np.bool_)
    compared[rows] = True
    uncertain = np.zeros(n, dtype=np.bool_)
    uncertain[rows] = panel.qualified[rows] | panel.qualified[before]
    return Changes(prev=prev, compared=compared, change_abs=change_abs, change_pct=change_pct,
                   change_pct_annual=change_pct_annual, verdict=verdict, reason=reason,
                   uncertain=uncertain)


def _verdict_table(direction: IntArray) -> IntArray:
    """Verdict code for each (indicator, sign) pair, flattened: index ``indicator * 3 + sign``."""
    down, up = np.full(direction.shape[0], _verdict_code("decreased"), dtype=np.int8), \
        np.full(direction.shape[0], _verdict_code("increased"), dtype=np.int8)
    down[direction == _HIGHER], up[direction == _HIGHER] = (_verdict_code("worsened"),
                                                            _verdict_code("improved"))
    down[direction == _LOWER], up[direction == _LOWER] = (_verdict_code("improved"),
                                                          _verdict_code("worsened"))
    flat = np.full(direction.shape[0], _verdict_code("unchanged"), dtype=np.int8)
    return np.stack([down, flat, up], axis=1).ravel()


def _target_verdicts(panel: Panel, rows: IntArray, now: FloatArray, then: FloatArray,
                     tolerance: FloatArray) -> IntArray:
    """Target indicators: closer to the catalog's typical band is better.

    Without a band on either side the indicator is treated like a neutral one.
    """
    code = panel.indicator[rows]
    low, high = panel.band_low[code], panel.band_high[code]
    has_band = np.isfinite(low) | np.isfinite(high)
    delta = _band_distance(now, low, high) - _band_distance(then, low, high)
    change = now - then
    return np.asarray(np.where(
        has_band,
        np.where(np.abs(delta) <= tolerance, _verdict_code("unchanged"),
                 np.where(delta < 0, _verdict_code("improved"), _verdict_code("worsened"))),
        np.where(np.abs(change) <= tolerance, _verdict_code("unchanged"),
                 np.where(change > 0, _verdict_code("increased"), _verdict_code("decreased")))),
        dtype=np.int8)


def _earlier_in_other_scope(panel: Panel) -> BoolArray:
    """Whether the same region and indicator has a usable figure in an earlier year.

    Rows are sorted by (region, indicator, scope, year), so each (region, indicator) is one
    block; for the first usable row of a scope, any earlier usable year in its block
    belongs to another scope.
    """
    n = panel.n_rows
    block_new = np.ones(n, dtype=np.bool_)
    block_new[1:] = ((panel.region[1:] != panel.region[:-1])
                     | (panel.indicator[1:] != panel.indicator[:-1]))
    starts = np.flatnonzero(block_new)
    if starts.shape[0] == panel.n_series:
        return np.zeros(n, dtype=np.bool_)
    usable_year = np.where(panel.usable, panel.year, np.iinfo(np.int32).max)
    block_min = np.minimum.reduceat(usable_year, starts)
    lengths = np.diff(np.append(starts, n))
    return np.asarray(np.repeat(block_min, lengths) < panel.year, dtype=np.bool_)


@dataclass(frozen=True)
class SeriesStats:
    """Per-series arrays (series order); reasons are codes into ``SERIES_REASONS`` (0 = none)."""

    n_points: IntArray
    n_excluded: IntArray
    n_qualified: IntArray
    unit: IntArray
    first_year: IntArray
    last_year: IntArray
    first_value: FloatArray
    last_value: FloatArray
    slope: FloatArray
    slope_se: FloatArray
    slope_ci_low: FloatArray
    slope_ci_high: FloatArray
    slope_p: FloatArray
    slope_reason: IntArray
    cagr: FloatArray
    cagr_reason: IntArray
    mk_s: FloatArray
    mk_var_s: FloatArray
    mk_z: FloatArray
    mk_tau: FloatArray
    mk_p: FloatArray
    sen_slope: FloatArray
    mk_reason: IntArray


@dataclass(frozen=True)
class _Points:
    """The usable points of every series, in series order (a series' points are contiguous)."""

    rows: IntArray
    sid: IntArray
    x: FloatArray
    y: FloatArray
    counts: IntArray
    starts: IntArray

    @classmethod
    def of(cls, panel: Panel) -> _Points:
        rows = np.flatnonzero(panel.usable)
        sid = panel.series[rows]
        counts = np.bincount(sid, minlength=panel.n_series).astype(np.int64)
        return cls(rows=rows, sid=sid, x=panel.year[rows].astype(np.float64),
                   y=panel.value[rows], counts=counts, starts=np.cumsum(counts) - counts)


def _series_units(panel: Panel, points: _Points) -> tuple[IntArray, BoolArray]:
    """Each series' unit code (-1: no point or mixed units) and whether its units are mixed."""
    unit = np.full(panel.n_series, -1, dtype=np.int64)
    mixed = np.zeros(panel.n_series, dtype=np.bool_)
    has = points.counts > 0
    unit[has] = panel.unit[points.rows][points.starts[has]]
    if points.rows.size > 1:
        unit_u = panel.unit[points.rows]
        change = (points.sid[1:] == points.sid[:-1]) & (unit_u[1:] != unit_u[:-1])
        mixed[points.sid[1:][change]] = True
    unit[mixed] = -1
    return unit, mixed


def _endpoints(points: _Points, n_series: int
               ) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """First and last year and value of every series (-1 and NaN without points)."""
    has = points.counts > 0
    first_year = np.full(n_series, -1, dtype=np.int64)
    last_year = np.full(n_series, -1, dtype=np.int64)
    first_value, last_value = _nan(n_series), _nan(n_series)
    ends = points.starts + points.counts - 1
    first_year[has] = points.x[points.starts[has]].astype(np.int64)
    last_year[has] = points.x[ends[has]].astype(np.int64)
    first_value[has] = points.y[points.starts[has]]
    last_value[has] = points.y[ends[has]]
    return first_year, last_year, first_value, last_value


def _cagr(first_year: IntArray, last_year: IntArray, first_value: FloatArray,
          last_value: FloatArray, reason: IntArray, out: dict[str, FloatArray]) -> None:
    """Compound annual growth where the series allows it; sets the reasons where not."""
    ok = (reason == 0)
    bad_start = ok & ~(first_value > 0)
    bad_end = ok & ~bad_start & ~(last_value >= 0)
    reason[bad_start] = _series_reason("non_positive_start")
    reason[bad_end] = _series_reason("negative_end")
    ok &= ~bad_start & ~bad_end
    span = (last_year - first_year).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cagr"][ok] = 100.0 * (np.power(last_value[ok] / first_value[ok],
                                            1.0 / span[ok]) - 1.0)


def _fit_blocks(points: _Points, eligible: BoolArray, confidence: float,
                out: dict[str, FloatArray], slope_reason: IntArray,
                mk_reason: IntArray) -> None:
    """OLS and Mann-Kendall on dense blocks of series of equal length."""
    from scipy import stats  # heavy: loaded on the first statistic, not on import

    counts = points.counts
    for length in np.unique(counts[eligible]):
        members = np.flatnonzero(eligible & (counts == length))
        n = int(length)
        pairs = n * (n - 1) // 2
        chunk = max(1, _MAX_BLOCK_CELLS // max(pairs, n))
        t_quantile = float(stats.t.ppf(0.5 + confidence / 2.0, n - 2))
        for begin in range(0, members.size, chunk):
            block = members[begin:begin + chunk]
            index = points.starts[block, None] + np.arange(n)
            x, y = points.x[index], points.y[index]
            _ols_block(block, x, y, n, t_quantile, out, slope_reason)
            if n >= MIN_POINTS_MANN_KENDALL:
                _mann_kendall_block(block, x, y, n, out, mk_reason)


def _p_values(counts: IntArray, out: dict[str, FloatArray]) -> None:
    """Two-sided p-values of the OLS slope (t) and of Mann-Kendall's z (normal)."""
    from scipy import stats  # heavy: loaded on the first statistic, not on import

    finite_t = np.isfinite(out["slope"]) & (out["slope_se"] > 0)
    if finite_t.any():
        t_stat = out["slope"][finite_t] / out["slope_se"][finite_t]
        out["slope_p"][finite_t] = 2.0 * stats.t.sf(np.abs(t_stat), counts[finite_t] - 2)
    perfect = np.isfinite(out["slope"]) & (out["slope_se"] == 0) & (out["slope"] != 0)
    out["slope_p"][perfect] = 0.0
    has_z = np.isfinite(out["mk_z"])
    out["mk_p"][has_z] = 2.0 * stats.norm.sf(np.abs(out["mk_z"][has_z]))


def series_statistics(panel: Panel, *, confidence: float) -> SeriesStats:
    """OLS slope, CAGR, Mann-Kendall and Sen's slope for every series, on its usable points."""
    n_series = panel.n_series
    points = _Points.of(panel)
    counts = points.counts
    n_qualified = np.bincount(points.sid, weights=panel.qualified[points.rows],
                              minlength=n_series)
    unit, mixed = _series_units(panel, points)
    first_year, last_year, first_value, last_value = _endpoints(points, n_series)

    out = {name: _nan(n_series) for name in (
        "slope", "slope_se", "slope_ci_low", "slope_ci_high", "slope_p", "cagr",
        "mk_s", "mk_var_s", "mk_z", "mk_tau", "mk_p", "sen_slope")}
    slope_reason = np.zeros(n_series, dtype=np.int64)
    cagr_reason = np.zeros(n_series, dtype=np.int64)
    mk_reason = np.zeros(n_series, dtype=np.int64)
    slope_reason[counts < MIN_POINTS_OLS] = _series_reason("too_few_points")
    cagr_reason[counts < MIN_POINTS_CAGR] = _series_reason("too_few_points")
    mk_reason[counts < MIN_POINTS_MANN_KENDALL] = _series_reason("too_few_points")
    for reasons in (slope_reason, cagr_reason, mk_reason):
        reasons[mixed] = _series_reason("mixed_units")

    _cagr(first_year, last_year, first_value, last_value, cagr_reason, out)
    _fit_blocks(points, ~mixed & (counts >= MIN_POINTS_OLS), confidence, out, slope_reason,
                mk_reason)
    _p_values(counts, out)
    return SeriesStats(
        n_points=counts, n_excluded=(panel.length - counts).astype(np.int64),
        n_qualified=n_qualified.astype(np.int64), unit=unit,
        first_year=first_year, last_year=last_year,
        first_value=first_value, last_value=last_value,
        slope=out["slope"], slope_se=out["slope_se"], slope_ci_low=out["slope_ci_low"],
        slope_ci_high=out["slope_ci_high"], slope_p=out["slope_p"], slope_reason=slope_reason,
        cagr=out["cagr"], cagr_reason=cagr_reason, mk_s=out["mk_s"], mk_var_s=out["mk_var_s"],
        mk_z=out["mk_z"], mk_tau=out["mk_tau"], mk_p=out["mk_p"], sen_slope=out["sen_slope"],
        mk_reason=mk_reason,
    )


def _ols_block(block: IntArray, x: FloatArray, y: FloatArray, n: int, t_quantile: float,
               out: dict[str, FloatArray], reason: IntArray) -> None:
    """Least squares of y on x (with intercept) for every row of a dense block."""
    dx = x - x.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    sxx = np.einsum("ij,ij->i", dx, dx)
    slope = np.einsum("ij,ij->i", dx, dy) / sxx
    residual = dy - slope[:, None] * dx
    ssr = np.einsum("ij,ij->i", residual, residual)
    se = np.sqrt(ssr / (n - 2) / sxx)
    constant = (y == y[:, :1]).all(axis=1)
    slope[constant] = 0.0
    se[constant] = 0.0
    out["slope"][block] = slope
    out["slope_se"][block] = se
    out["slope_ci_low"][block] = slope - t_quantile * se
    out["slope_ci_high"][block] = slope + t_quantile * se
    reason[block[constant]] = _series_reason("constant_series")


def _row_median(values: FloatArray) -> FloatArray:
    """Median of each row (no NaN); ``np.partition`` is several times faster than np.median."""
    width = values.shape[1]
    middle = width // 2
    if width % 2:
        return np.asarray(np.partition(values, middle, axis=1)[:, middle])
    part = np.partition(values, (middle - 1, middle), axis=1)
    return np.asarray((part[:, middle - 1] + part[:, middle]) / 2.0)


def _mann_kendall_block(block: IntArray, x: FloatArray, y: FloatArray, n: int,
                        out: dict[str, FloatArray], reason: IntArray) -> None:
    """Mann-Kendall S, tie-corrected Var(S), z, tau and Sen's slope for a dense block."""
    before, after = np.triu_indices(n, k=1)
    diff = y[:, after] - y[:, before]
    positive = np.count_nonzero(diff > 0, axis=1)
    tied = diff == 0
    ties = np.count_nonzero(tied, axis=1)
    s = (positive - (before.size - positive - ties)).astype(np.float64)
    var_s = np.full(block.shape[0], n * (n - 1) * (2 * n + 5), dtype=np.float64)
    has_ties = ties > 0
    if has_ties.any():
        # For each point, how many other points equal it: t - 1 for a tie group of size t.
        incidence = np.zeros((before.size, n), dtype=np.float64)
        incidence[np.arange(before.size), before] = 1.0
        incidence[np.arange(before.size), after] = 1.0
        others = tied[has_ties].astype(np.float64) @ incidence
        var_s[has_ties] -= (others * (2.0 * others + 7.0)).sum(axis=1)
    var_s /= 18.0
    constant = var_s <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(constant, np.nan, (s - np.sign(s)) / np.sqrt(var_s))
    steps = x[:, after] - x[:, before]
    out["mk_s"][block] = s
    out["mk_var_s"][block] = var_s
    out["mk_z"][block] = z
    out["mk_tau"][block] = s / before.size
    diff /= steps
    out["sen_slope"][block] = _row_median(diff)
    reason[block[constant]] = _series_reason("constant_series")
