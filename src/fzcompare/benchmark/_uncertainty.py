"""Monte Carlo rank intervals, tied groups, grade bands and rank-change probabilities.

The engine works on a ``BenchmarkResult``'s criterion values as a ``(pairs, criteria)``
array. Each draw perturbs three things at once and rescores through the rubric's own rules
(``score_values`` and ``Structure.aggregate``, so thresholds, deductions, caps and vetoes
apply as in the nominal run):

1. measurement noise on small counts: a count figure ``k`` becomes ``Poisson(k)``; a rate
   whose denominator ``n`` is known (catalog ratio relation, same region, year and scope)
   becomes ``100 * Binomial(n, rate / 100) / n``;
2. non-disclosed figures (optional): drawn from the figures the peer group disclosed for the
   same criterion and year (a hot-deck draw);
3. weights: each scored criterion's points times ``Uniform(1 - spread, 1 + spread)``,
   rescaled so every area keeps the points the rubric gives it.

Draws are processed in chunks as ``(draws x pairs, criteria)`` arrays; both years of a result
are simulated together in every draw (same weights), so ``p_rank_improved`` compares ranks
from the same draw.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.benchmark._composite import (
    _peer_blocks,
    aggregate_draws,
    included,
    min_ranks,
    normalise_values,
    valid_combinations,
)
from fzcompare.benchmark._result import BenchmarkResult
from fzcompare.benchmark._score import (
    EPS,
    BoolArray,
    FloatArray,
    Structure,
    _Params,
    _rounded,
    score_values,
)
from fzcompare.benchmark._stats_result import RankUncertaintyResult, UncertaintySettings
from fzcompare.catalog import load_catalog
from fzcompare.criteria import CriteriaSet
from fzcompare.errors import InvalidArgumentError

IndexArray = npt.NDArray[np.intp]
_POISSON_NORMAL_FROM: Final[float] = 20.0
"""Counts of at least this are drawn from the normal approximation ``Normal(k, k)`` rounded
to whole cases (skewness below 0.23), smaller ones exactly from ``Poisson(k)``."""
_BINOMIAL_NORMAL_FROM: Final[float] = 50.0
"""Rates whose binomial variance ``n p (1 - p)`` is at least this are drawn from the normal
approximation (rounded to whole cases), the others exactly from ``Binomial(n, p)``."""
_MAX_WORKERS: Final[int] = 2
_CHUNK_CELLS: Final[int] = 4_000_000
"""Cells scored at once (draws x perturbed cells): bounds each array to 32 MB."""


@dataclass(frozen=True)
class Panel:
    """The values of a result's region-years as arrays, pairs sorted by year then region."""

    pairs: pl.DataFrame  # region_code, year, peer_group, rank, prev_rank, points_earned, ...
    values: FloatArray  # (pairs, criteria)
    counts: BoolArray  # (criteria,) the criterion reads a count indicator
    denominators: FloatArray  # (pairs, criteria) known denominators of rates, else NaN
    blocks: list[IndexArray]  # rows of each (year, peer group)
    previous: npt.NDArray[np.int64]  # row of the same region's year before, -1 when none
    ranked: BoolArray  # (pairs,) the nominal result gives the pair a rank


def panel_of(result: BenchmarkResult, observations: pl.DataFrame | None) -> Panel:
    """Arrange a result's criterion values, ranks and known denominators as arrays."""
    rubric = result.rubric
    n = rubric.criteria.height
    table = result.criteria_for()
    keys = table.select("region_code", "year", "peer_group").gather_every(n) if n else \
        table.select("region_code", "year", "peer_group")
    on_evidence = ("points_on_evidence" if "points_on_evidence" in result.totals.columns
                   else "points_earned")
    pairs = keys.join(result.totals.select("region_code", "year", "rank", "prev_rank",
                                           "points_earned", "verdict",
                                           pl.col(on_evidence).alias("points_ranked")),
                      on=["region_code", "year"], how="left", maintain_order="left")
    values = table["value"].cast(pl.Float64).fill_null(np.nan).to_numpy().reshape(-1, n)
    catalog = load_catalog().indicators.select("code", "kind")
    kinds = rubric.criteria.select("indicator_code").join(
        catalog, left_on="indicator_code", right_on="code", how="left", maintain_order="left")
    counts = np.asarray((kinds["kind"] == "count").fill_null(False).to_numpy(), dtype=bool)
    denominators = _denominators(table, observations, n)
    prev = pairs.with_row_index("row").select(
        "region_code", (pl.col("year") + 1).alias("year"), pl.col("row").alias("prev_row"))
    previous = pairs.join(prev, on=["region_code", "year"], how="left",
                          maintain_order="left")["prev_row"].fill_null(-1).to_numpy()
    blocks = _peer_blocks_of(pairs)
    ranked = np.asarray(pairs["rank"].is_not_null().to_numpy(), dtype=bool)
    return Panel(pairs=pairs, values=np.asarray(values, dtype=np.float64), counts=counts,
                 denominators=denominators, blocks=blocks,
                 previous=np.asarray(previous, dtype=np.int64), ranked=ranked)


def _peer_blocks_of(pairs: pl.DataFrame) -> list[IndexArray]:
    class _Pairs:  # _peer_blocks reads only ``.pairs``
        def __init__(self, frame: pl.DataFrame) -> None:
            self.pairs = frame

    return _peer_blocks(_Pairs(pairs))  # type: ignore[arg-type]


def _denominators(table: pl.DataFrame, observations: pl.DataFrame | None,
                  n: int) -> FloatArray:
    """Denominator of each rate cell from the catalog ratio relations (NaN when unknown)."""
    empty = np.full(table.height, np.nan)
    if observations is None or table.height == 0:
        return empty.reshape(-1, max(n, 1))[:, :n]
    relations = load_catalog().relations.filter(pl.col("kind") == "ratio").select(
        pl.col("target").alias("indicator_code"), pl.col("denominator")
    ).unique("indicator_code", keep="first")
    obs = observations.lazy().select(
        pl.col("region_code").cast(pl.String), pl.col("year").cast(pl.Int32),
        pl.col("indicator_code").cast(pl.String).alias("denominator"),
        pl.col("scope").cast(pl.String).alias("scope_used"),
        pl.col("value").cast(pl.Float64).alias("_den")).collect()
    found = (table.select("region_code", "year", "indicator_code", "scope_used")
             .with_columns(pl.col("year").cast(pl.Int32))
             .join(relations, on="indicator_code", how="left", maintain_order="left")
             .join(obs, on=["region_code", "year", "denominator", "scope_used"], how="left",
                   maintain_order="left"))
    den = found["_den"].fill_null(np.nan).to_numpy()
    usable = np.isfinite(den) & (den >= 1) & (np.abs(den - np.round(den)) < EPS)
    return np.where(usable, np.round(den), np.nan).reshape(-1, n)


_POISSON_BINS: Final[int] = 4096
_POISSON_SUPPORT: Final[int] = 128
"""Poisson values tabulated per mean: ``P(X >= 128)`` is below 1e-40 for means under 20."""
_BINOMIAL_BINS: Final[int] = 256


@dataclass(frozen=True)
class InverseCdf:
    """Exact draws from a few discrete distributions on ``0, 1, ...`` by inverting their CDF.

    Row ``r`` is one distribution. A uniform ``u`` falls in one of ``bins`` equal bins; each
    bin stores the value at its lower edge (``low``) and the CDF there (``jump``), so the
    draw is ``low + (u >= jump)``. A bin holding two or more CDF steps (the far tails) is
    resolved by a binary search of the row's CDF. The result is the inverse-CDF draw
    ``min{k: F(k) > u}``, several times faster than ``Generator.poisson`` or
    ``Generator.binomial`` with array parameters.
    """

    bins: int
    low: npt.NDArray[np.int64]  # (rows * bins,) value at each bin's lower edge
    jump: FloatArray  # (rows * bins,) CDF at that value
    several: BoolArray  # (rows * bins,) the bin holds more than one step
    shifted_cdf: FloatArray  # every row's CDF plus the row number, rows concatenated
    row_start: npt.NDArray[np.int64]  # (rows,) where each row starts in ``shifted_cdf``

    @classmethod
    def of(cls, cdf: FloatArray, lengths: npt.NDArray[np.int64], bins: int) -> InverseCdf:
        """Tabulate CDF rows given concatenated (``cdf``) with their ``lengths``.

        Each row must end at 1.0 (its last value is set to 1.0).
        """
        rows = lengths.size
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        cdf = np.minimum(cdf, 1.0)
        cdf[starts + lengths - 1] = 1.0
        shifted = cdf + np.repeat(np.arange(rows, dtype=np.float64), lengths)
        edges = np.arange(bins, dtype=np.float64) / bins
        queries = edges[None, :] + np.arange(rows, dtype=np.float64)[:, None]
        low = np.searchsorted(shifted, queries, side="right") - starts[:, None]
        last = (lengths - 1)[:, None]
        low = np.minimum(low, last)
        jump = cdf[starts[:, None] + low]
        after = cdf[starts[:, None] + np.minimum(low + 1, last)]
        several = (after < edges[None, :] + 1.0 / bins) & (low < last)
        return cls(bins=bins, low=low.ravel().astype(np.int64), jump=jump.ravel(),
                   several=several.ravel(), shifted_cdf=shifted, row_start=starts)

    def draw(self, rng: np.random.Generator, rows: npt.NDArray[np.int64],
             draws: int) -> FloatArray:
        """``(draws, rows.size)`` draws, column ``j`` from the distribution ``rows[j]``."""
        u = rng.random((draws, rows.size))
        index = (u * self.bins).astype(np.int64)
        index += rows * self.bins
        out = self.low[index]
        out += u >= self.jump[index]
        at_row, at_col = np.nonzero(self.several[index])
        if at_row.size:
            r = rows[at_col]
            found = np.searchsorted(self.shifted_cdf, u[at_row, at_col] + r, side="right")
            out[at_row, at_col] = found - self.row_start[r]
        return out.astype(np.float64)


_POISSON_TABLE: list[InverseCdf] = []


def poisson_table() -> InverseCdf:
    """``Poisson(m)`` for the whole means ``m = 0 .. 19`` (row ``m``; built on first use).

    The pmf comes from the recurrence ``p(k + 1) = p(k) m / (k + 1)`` from ``exp(-m)``.
    """
    if not _POISSON_TABLE:
        means = np.arange(int(_POISSON_NORMAL_FROM), dtype=np.float64)
        k = np.arange(1, _POISSON_SUPPORT, dtype=np.float64)
        steps = np.concatenate([np.ones((means.size, 1)), means[:, None] / k[None, :]],
                               axis=1)
        cdf = np.cumsum(np.exp(-means)[:, None] * np.cumprod(steps, axis=1), axis=1)
        _POISSON_TABLE.append(InverseCdf.of(
            cdf.ravel(), np.full(means.size, _POISSON_SUPPORT, dtype=np.int64),
            _POISSON_BINS))
    return _POISSON_TABLE[0]


def binomial_table(trials: npt.NDArray[np.int64], share: FloatArray
                   ) -> tuple[InverseCdf, npt.NDArray[np.int64]]:
    """An ``InverseCdf`` of each distinct ``Binomial(n, p)`` and the row of each cell."""
    from scipy.stats import binom  # heavy (scipy): imported only when rates are redrawn

    keys = np.stack([trials.astype(np.float64), share])
    distinct, row = np.unique(keys, axis=1, return_inverse=True)
    n = distinct[0].astype(np.int64)
    lengths = n + 1
    support = np.arange(lengths.sum()) - np.repeat(
        np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    cdf = binom.cdf(support, np.repeat(n, lengths), np.repeat(distinct[1], lengths))
    table = InverseCdf.of(np.asarray(cdf, dtype=np.float64), lengths, _BINOMIAL_BINS)
    return table, np.asarray(row, dtype=np.int64).ravel()


@dataclass(frozen=True)
class DrawPlan:
    """What each draw perturbs, precomputed once."""

    count_cells: IndexArray  # flat (pair, criterion) cells drawn as Poisson
    rate_cells: IndexArray  # flat cells drawn as binomial shares of a known denominator
    missing_cells: IndexArray  # flat cells imputed from the peer group
    pool_start: IndexArray  # per missing cell: offset of its peers' sorted values
    pool_size: IndexArray  # per missing cell: how many peers disclosed the figure
    pool: FloatArray  # peers' sorted values, one column per criterion, blocks stacked
    weighted: IndexArray  # criteria whose weight is drawn
    area_of: IndexArray  # per weighted criterion: its area index
    binomial: tuple[InverseCdf, npt.NDArray[np.int64]] | None = None  # small-variance rates


def _rate_parameters(panel: Panel, rate_cells: IndexArray
                     ) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """Trials, success share and binomial variance ``n p (1 - p)`` of each rate cell."""
    trials = panel.denominators.ravel()[rate_cells].astype(np.int64)
    share = np.clip(panel.values.ravel()[rate_cells] / 100.0, 0.0, 1.0)
    return trials, share, trials * share * (1 - share)


def plan_of(panel: Panel, rubric: CriteriaSet, *, noise: bool, impute: bool) -> DrawPlan:
    """Find the cells each kind of perturbation applies to."""
    values = panel.values
    p, n = values.shape
    comparator = rubric.criteria["comparator"].to_numpy()
    finite = np.isfinite(values)
    empty = np.zeros(0, dtype=np.intp)
    count_cells = rate_cells = empty
    if noise:
        integral = finite & (values >= 0) & (np.abs(values - np.round(values)) < EPS)
        count_cells = np.flatnonzero(integral & panel.counts[None, :])
        rates = finite & np.isfinite(panel.denominators) & (values >= 0) & (values <= 100)
        rate_cells = np.flatnonzero(rates & ~panel.counts[None, :])
    missing_cells, starts, sizes = empty, empty, empty
    pool = np.zeros((0, n))
    if impute and p:
        pool = np.empty((p, n))  # each block's values sorted per column, NaN last
        offsets = np.zeros(p, dtype=np.intp)
        start = 0
        for rows in panel.blocks:
            pool[start:start + rows.size] = np.sort(values[rows], axis=0)
            offsets[rows] = start
            start += rows.size
        disclosed = np.zeros((p, n), dtype=np.intp)
        for rows in panel.blocks:
            disclosed[rows] = np.isfinite(values[rows]).sum(axis=0)
        want = ~finite & (comparator != "exists")[None, :] & (disclosed > 0)
        want &= panel.ranked[:, None]
        missing_cells = np.flatnonzero(want)
        starts = offsets[missing_cells // n]
        sizes = disclosed.ravel()[missing_cells]
    crit = rubric.criteria
    weighted = np.flatnonzero((~crit["rule"].is_in(["bonus", "veto"]) & (crit["points"] > 0))
                              .to_numpy()).astype(np.intp)
    area_ids = crit["area_id"].to_list()
    area_index = {a: i for i, a in enumerate(dict.fromkeys(area_ids))}
    area_of = np.array([area_index[area_ids[j]] for j in weighted], dtype=np.intp)
    binomial = None
    if rate_cells.size:
        trials, share, spread = _rate_parameters(panel, rate_cells)
        small = spread < _BINOMIAL_NORMAL_FROM
        if small.any():
            binomial = binomial_table(trials[small], share[small])
    return DrawPlan(count_cells=count_cells, rate_cells=rate_cells,
                    missing_cells=missing_cells, pool_start=starts, pool_size=sizes,
                    pool=pool, weighted=weighted, area_of=area_of, binomial=binomial)


def _columns(flag: BoolArray) -> slice | IndexArray | None:
    """The columns a flag selects: all of them (a slice, no copy), some, or none."""
    if flag.all():
        return slice(None)
    cols = np.flatnonzero(flag)
    return cols if cols.size else None


def _satisfied(v: FloatArray, params: _Params) -> BoolArray:
    """Whether each value meets its criterion's comparator (only comparators in use)."""
    f, t, th, tol = params.flags, params.t, params.th, params.tol
    tests = (("cmp>=", lambda: v >= t - EPS), ("cmp<=", lambda: v <= t + EPS),
             ("cmp==", lambda: np.abs(v - t) <= tol + EPS),
             ("cmpbetween", lambda: (v >= t - EPS) & (v <= th + EPS)),
             ("cmpexists", lambda: ~np.isnan(v) & (v != 0)))
    satisfied: BoolArray | None = None
    for name, test in tests:
        used = f[name]
        if not used.any():
            continue
        part = test() if used.all() else used & test()
        satisfied = part if satisfied is None else satisfied | part
    return np.zeros(v.shape, dtype=bool) if satisfied is None else satisfied


def _whole_units(units: FloatArray, up: BoolArray, down: BoolArray) -> FloatArray:
    """``_rounded`` that skips the roundings no column uses."""
    if up.all():
        return np.maximum(np.ceil(units - EPS), 0.0)
    if down.all():
        return np.maximum(np.floor(units + EPS), 0.0)
    if not (up.any() or down.any()):
        return np.maximum(units, 0.0)
    return _rounded(units, up, down)


def _rule_points(v: FloatArray, params: _Params, satisfied: BoolArray,
                 earned: FloatArray) -> None:
    """Overwrite ``earned`` on the linear, deduction and per-unit bonus columns."""
    f, t, th = params.flags, params.t, params.th
    cols = _columns(f["linear"])
    if cols is not None:
        x, lo, hi, up = v[:, cols], t[cols], th[cols], f["cmp>="][cols]
        share = ((x - lo) / (hi - lo) if up.all() else
                 np.where(up, (x - lo) / (hi - lo), (hi - x) / (hi - lo)))
        earned[:, cols] = np.clip(share, 0.0, 1.0) * params.points[cols]
    cols = _columns(f["deduction"])
    if cols is not None:
        x = v[:, cols]
        between = f["cmpbetween"][cols]
        nearest = (np.where(between, np.clip(x, t[cols], th[cols]), t[cols])
                   if between.any() else t[cols])
        shortfall = np.where(satisfied[:, cols], 0.0, np.abs(nearest - x))
        units = _whole_units(shortfall / params.per[cols], f["round_up"][cols],
                             f["round_down"][cols])
        earned[:, cols] = np.maximum(params.points[cols] - np.minimum(
            units * params.deduct[cols], params.cap[cols]), 0.0)
    cols = _columns(f["per_unit_bonus"])
    if cols is not None:
        x, up = v[:, cols], f["cmp>="][cols]
        units = _whole_units(np.where(up, x - t[cols], t[cols] - x) / params.per[cols],
                             f["round_up"][cols], f["round_down"][cols])
        earned[:, cols] = np.minimum(units * params.add[cols], params.points[cols])


def cell_points(values: FloatArray, params: _Params) -> tuple[FloatArray, BoolArray]:
    """Points earned and veto failures of ``(draws, cells)`` values, one rubric row per cell.

    The same rules as ``score_values`` (tested equal), computing only what a draw needs:
    comparators and rules no cell uses are skipped, and a rule every cell uses works on the
    whole array, so a block of cells of one kind (``kind_order``) costs a few passes.
    """
    f = params.flags
    v = values
    with np.errstate(invalid="ignore", divide="ignore"):
        satisfied = _satisfied(v, params)
        earned = np.where(satisfied, params.points, 0.0)
        _rule_points(v, params, satisfied, earned)
        nan = np.isnan(v)
        missing = nan & ~f["cmpexists"] if nan.any() else None
        if missing is not None:
            earned = np.where(missing, np.where(f["rescale"], np.nan, 0.0), earned)
        if not f["veto"].any():
            return earned, np.zeros(v.shape, dtype=bool)
        vetoed = f["veto"] & ~satisfied
        if missing is not None:
            vetoed &= ~missing | f["zero"]
    return earned, vetoed


def _kinds(rubric: CriteriaSet) -> npt.NDArray[np.int64]:
    """Per criterion: its kind (rule, comparator, rounding, missing policy, per-unit add)."""
    kind = rubric.criteria.select(pl.struct(
        pl.col("rule"), pl.col("comparator"), pl.col("rounding").fill_null(""),
        pl.col("missing_policy"), pl.col("add").is_null()).rank("dense")).to_series()
    return np.asarray(kind.to_numpy(), dtype=np.int64)


def kind_order(rubric: CriteriaSet, cells: IndexArray) -> tuple[IndexArray, list[slice]]:
    """``cells`` with the cells of one kind of criterion together (then by cell), and the runs.

    Every cell of a kind is scored by the same few array expressions in ``cell_points``, and
    within a run the cells are ordered by pair, so per-pair sums are ``np.add.reduceat``.
    """
    if not cells.size:
        return cells, []
    of_cell = _kinds(rubric)[cells % rubric.criteria.height]
    order = np.lexsort((cells, of_cell))
    edges = np.flatnonzero(np.diff(of_cell[order])) + 1
    bounds = [0, *edges.tolist(), cells.size]
    return cells[order].astype(np.intp), [slice(x, y) for x, y in itertools.pairwise(bounds)]


def perturbed_cells(plan: DrawPlan) -> IndexArray:
    """Every flat cell some draw changes (sorted; ``kind_order`` regroups them)."""
    return np.unique(np.concatenate([plan.count_cells, plan.rate_cells, plan.missing_cells]))


def cell_positions(plan: DrawPlan, cells: IndexArray) -> tuple[IndexArray, ...]:
    """Where the count, rate and missing cells sit in ``cells`` (in any order)."""
    order = np.argsort(cells, kind="stable")
    ordered = cells[order]
    return tuple(order[np.searchsorted(ordered, c)].astype(np.intp) for c in (
        plan.count_cells, plan.rate_cells, plan.missing_cells))


Parts = list[tuple[IndexArray, FloatArray]]
"""Redrawn values in parts: ``(positions among the cells drawn, (draws, positions) values)``.
Returned in parts so each is written once into the chunk (a column scatter costs a pass)."""


def _draw_counts(rng: np.random.Generator, lam: FloatArray, draws: int) -> Parts:
    """Poisson redraws of counts ``lam`` (the normal approximation from 20 cases)."""
    small = np.flatnonzero(lam < _POISSON_NORMAL_FROM)
    big = np.flatnonzero(lam >= _POISSON_NORMAL_FROM)
    parts: Parts = []
    if small.size:
        parts.append((small, poisson_table().draw(rng, np.rint(lam[small]).astype(np.int64),
                                                  draws)))
    if big.size:
        z = rng.standard_normal((draws, big.size))
        parts.append((big, np.maximum(np.rint(lam[big] + np.sqrt(lam[big]) * z), 0.0)))
    return parts


def _draw_rates(rng: np.random.Generator, panel: Panel, plan: DrawPlan, draws: int) -> Parts:
    """Binomial redraws of rates, in % of their denominators."""
    trials, share, spread = _rate_parameters(panel, plan.rate_cells)
    small = np.flatnonzero(spread < _BINOMIAL_NORMAL_FROM)
    big = np.flatnonzero(spread >= _BINOMIAL_NORMAL_FROM)
    parts: Parts = []
    if small.size:
        table, dist = plan.binomial or binomial_table(trials[small], share[small])
        parts.append((small, 100.0 * table.draw(rng, dist, draws) / trials[small]))
    if big.size:
        n_big, p_big = trials[big], share[big]
        z = rng.standard_normal((draws, big.size))
        hits = np.clip(np.rint(n_big * p_big + np.sqrt(spread[big]) * z), 0, n_big)
        parts.append((big, 100.0 * hits / n_big))
    return parts


def draw_cells(rng: np.random.Generator, panel: Panel, plan: DrawPlan, cells: IndexArray,
               draws: int, positions: tuple[IndexArray, ...] | None = None) -> FloatArray:
    """``(draws, cells)`` perturbed values of ``cells`` (``perturbed_cells``, any order)."""
    # Every cell of ``cells`` is a count, rate or missing cell, so each is written below.
    out = np.empty((draws, cells.size))
    at_count, at_rate, at_missing = positions or cell_positions(plan, cells)
    if plan.count_cells.size:
        for where, values in _draw_counts(rng, panel.values.ravel()[plan.count_cells], draws):
            out[:, at_count[where]] = values
    if plan.rate_cells.size:
        for where, values in _draw_rates(rng, panel, plan, draws):
            out[:, at_rate[where]] = values
    if plan.missing_cells.size:
        n = panel.values.shape[1]
        pick = np.floor(rng.random((draws, plan.missing_cells.size)) * plan.pool_size)
        rows = plan.pool_start + pick.astype(np.intp)
        out[:, at_missing] = plan.pool[rows, plan.missing_cells % n]
    return out


def draw_values(rng: np.random.Generator, panel: Panel, plan: DrawPlan,
                draws: int) -> FloatArray:
    """``draws`` perturbed copies of all values: ``(draws, pairs * criteria)``."""
    flat = panel.values.ravel()
    out = np.broadcast_to(flat, (draws, flat.size)).copy()
    cells = perturbed_cells(plan)
    out[:, cells] = draw_cells(rng, panel, plan, cells, draws)
    return out


def weight_factors(rng: np.random.Generator, rubric: CriteriaSet, plan: DrawPlan,
                   draws: int, spread: float) -> FloatArray:
    """``(draws, criteria)`` multipliers of each criterion's points; areas keep their points."""
    n = rubric.criteria.height
    factors = np.ones((draws, n))
    if spread <= 0 or not plan.weighted.size:
        return factors
    points = rubric.criteria["points"].fill_null(0.0).to_numpy()[plan.weighted]
    raw = rng.uniform(1 - spread, 1 + spread, size=(draws, plan.weighted.size))
    n_areas = int(plan.area_of.max()) + 1
    one_hot = np.zeros((plan.weighted.size, n_areas))
    one_hot[np.arange(plan.weighted.size), plan.area_of] = 1.0
    drawn = (raw * points) @ one_hot  # (draws, areas)
    nominal = points @ one_hot
    factors[:, plan.weighted] = raw * (nominal / drawn)[:, plan.area_of]
    return factors


@dataclass(frozen=True)
class Simulated:
    """Per pair: the ranks of every draw and the count of draws in each band."""

    ranks: FloatArray  # (pairs, draws), NaN when not ranked
    band_counts: npt.NDArray[np.int64]  # (pairs, bands)
    choice: npt.NDArray[np.int64]  # (draws,) index of the composite choice each draw used


def band_index(share: FloatArray, vetoed: BoolArray,
               cuts: tuple[tuple[str, float], ...]) -> npt.NDArray[np.int64]:
    """Index of the band of each share (0 = best); vetoed and NaN go to the last band."""
    lows = np.array([low for _, low in cuts])
    index = (share[..., None] < lows - EPS).sum(axis=-1)  # bands whose floor is not reached
    index = np.minimum(index, len(cuts) - 1)
    return np.where(vetoed | np.isnan(share), len(cuts) - 1, index).astype(np.int64)


def _capped_bonus(structure: Structure, bonus: FloatArray) -> FloatArray:
    """``(draws, pairs)`` bonus of ``(draws, pairs, bonus items)`` points after the caps."""
    cols = np.flatnonzero(structure.bonus)
    node = np.minimum(bonus @ structure.node_of[cols], structure.node_cap)
    area = np.minimum(node @ structure.area_of, structure.area_cap)
    return np.asarray(np.minimum(area.sum(axis=2), structure.total_cap), dtype=np.float64)


@dataclass(frozen=True)
class _Scorer:
    """Totals of a chunk of draws from the perturbed cells' points and the fixed rest.

    Without left-out (NaN) points a total is ``sum_c points_c * base_c * factor_c`` plus the
    capped bonus: the fixed cells give one matrix product per chunk, the perturbed cells one
    ``np.add.reduceat`` over each pair's run of cells. With left-out points (the ``rescale``
    policy) the full points array goes through ``Structure.aggregate``.
    """

    structure: Structure
    nominal: FloatArray  # (pairs, criteria) nominal points
    rest: FloatArray  # nominal points with the perturbed cells at 0
    cells: IndexArray
    pair_of: IndexArray
    col_of: IndexArray
    exact_sum: bool  # no NaN outside the perturbed cells
    run_starts: IndexArray  # first cell of each run of cells of one pair
    run_groups: tuple[tuple[slice, IndexArray], ...]  # runs whose pairs are distinct, pairs

    @classmethod
    def of(cls, structure: Structure, nominal: FloatArray, cells: IndexArray) -> _Scorer:
        n = nominal.shape[1]
        rest = nominal.copy()
        rest.ravel()[cells] = 0.0
        pair_of = (cells // n).astype(np.intp)
        starts = np.flatnonzero(np.diff(pair_of, prepend=-1) != 0).astype(np.intp)
        run_pair = pair_of[starts]
        # A new group of runs starts where the pair does not increase (a new kind of cells).
        breaks = [0, *(np.flatnonzero(np.diff(run_pair) <= 0) + 1).tolist(), starts.size]
        groups = tuple((slice(a, b), run_pair[a:b]) for a, b in itertools.pairwise(breaks)
                       if b > a)
        return cls(structure=structure, nominal=nominal, rest=rest, cells=cells,
                   pair_of=pair_of, col_of=(cells % n).astype(np.intp),
                   exact_sum=not bool(np.isnan(rest).any()), run_starts=starts,
                   run_groups=groups)

    def totals(self, cell_earned: FloatArray, factors: FloatArray) -> FloatArray:
        """``(draws, pairs)`` totals."""
        d, (p, n) = factors.shape[0], self.nominal.shape
        s = self.structure
        if not self.exact_sum or np.isnan(cell_earned).any():
            earned = np.broadcast_to(self.nominal.ravel(), (d, p * n)).copy()
            earned[:, self.cells] = cell_earned
            weighted = earned.reshape(d, p, n) * factors[:, None, :]
            return np.asarray(s.aggregate(weighted.reshape(d * p, n))["total"].reshape(d, p),
                              dtype=np.float64)
        weights = s.base[None, :] * factors
        fixed = (self.rest @ weights.T).T
        total = fixed
        if self.cells.size:
            weighted = np.take(weights, self.col_of, axis=1)  # take: faster than [:, cols]
            weighted *= cell_earned
            sums = np.add.reduceat(weighted, self.run_starts, axis=1)
            for runs, pairs in self.run_groups:
                total[:, pairs] += sums[:, runs]
        bonus_cols = np.flatnonzero(s.bonus)
        if bonus_cols.size:
            bonus = np.broadcast_to(self.nominal[:, bonus_cols], (d, p, bonus_cols.size)).copy()
            hit = np.flatnonzero(s.bonus[self.col_of] > 0)
            slot = np.searchsorted(bonus_cols, self.col_of[hit])
            bonus[:, self.pair_of[hit], slot] = cell_earned[:, hit]
            total = total + _capped_bonus(s, bonus)
        return np.asarray(total, dtype=np.float64)


def _chunk_vetoes(nominal_vetoed: BoolArray, cells: IndexArray, veto_cells: IndexArray,
                  cell_vetoed: BoolArray) -> BoolArray:
    """``(draws, pairs)``: a pair is vetoed by a fixed veto cell or a perturbed one."""
    d, n = cell_vetoed.shape[0], nominal_vetoed.shape[1]
    fixed = nominal_vetoed.copy()
    fixed.ravel()[cells[veto_cells]] = False
    vetoed = np.broadcast_to(fixed.any(axis=1), (d, fixed.shape[0])).copy()
    rows, cols = np.nonzero(cell_vetoed[:, veto_cells])
    vetoed[rows, cells[veto_cells][cols] // n] = True
    return vetoed


@dataclass(frozen=True)
class _Kernel:
    """What every chunk of draws needs, prepared once: the perturbed cells in kind order."""

    panel: Panel
    rubric: CriteriaSet
    plan: DrawPlan
    cells: IndexArray
    segments: tuple[tuple[slice, _Params], ...]
    positions: tuple[IndexArray, ...]
    scorer: _Scorer
    nominal_vetoed: BoolArray
    veto_cells: IndexArray

    @classmethod
    def of(cls, panel: Panel, rubric: CriteriaSet, plan: DrawPlan) -> _Kernel:
        n = panel.values.shape[1]
        nominal = score_values(panel.values, rubric.criteria)
        cells, runs = kind_order(rubric, perturbed_cells(plan))
        columns = cells % n
        segments = tuple((run, _Params.of(rubric.criteria[columns[run].tolist()]))
                         for run in runs)
        veto_cols = np.flatnonzero(rubric.criteria["rule"].to_numpy() == "veto")
        poisson_table()  # built here, before the threads share it
        return cls(panel=panel, rubric=rubric, plan=plan, cells=cells, segments=segments,
                   positions=cell_positions(plan, cells),
                   scorer=_Scorer.of(Structure.of(rubric), np.asarray(
                       nominal["points_earned"], dtype=np.float64), cells),
                   nominal_vetoed=np.asarray(nominal["vetoed"], dtype=bool),
                   veto_cells=np.flatnonzero(np.isin(columns, veto_cols)))

    def chunk_size(self) -> int:
        """Draws per chunk, so that a chunk's arrays stay within ``_CHUNK_CELLS`` cells."""
        p, n = self.panel.values.shape
        per_draw = (self.cells.size + p) if self.scorer.exact_sum else p * n
        return max(1, _CHUNK_CELLS // max(int(per_draw), 1))

    def score(self, values: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Points and veto failures of the perturbed cells' ``(draws, cells)`` values."""
        earned = np.empty(values.shape)
        vetoed = np.zeros(values.shape, dtype=bool)
        for run, params in self.segments:
            earned[:, run], vetoed[:, run] = cell_points(values[:, run], params)
        return earned, vetoed

    def totals(self, rng: np.random.Generator, size: int, weight_spread: float) -> _Chunk:
        """One chunk: ``(draws, pairs)`` totals on the rubric and whether each is vetoed."""
        values = draw_cells(rng, self.panel, self.plan, self.cells, size, self.positions)
        cell_earned, cell_vetoed = self.score(values)
        factors = weight_factors(rng, self.rubric, self.plan, size, weight_spread)
        chunk_totals = self.scorer.totals(cell_earned, factors)
        p = self.panel.values.shape[0]
        vetoed = (_chunk_vetoes(self.nominal_vetoed, self.cells, self.veto_cells, cell_vetoed)
                  if self.veto_cells.size else
                  np.broadcast_to(self.nominal_vetoed.any(axis=1), (size, p)))
        return _Chunk(totals=chunk_totals, vetoed=vetoed, values=values,
                      earned=cell_earned, factors=factors)

    def full(self, nominal: FloatArray, cells: FloatArray) -> FloatArray:
        """``(draws, pairs, criteria)``: ``nominal`` with the perturbed cells' draws."""
        p, n = self.panel.values.shape
        out = np.empty((cells.shape[0], p * n))
        out[:] = nominal.ravel()
        out[:, self.cells] = cells
        return out.reshape(-1, p, n)


class _Chunk(NamedTuple):
    """What one chunk of draws produced (all ``(draws, ...)``)."""

    totals: FloatArray  # (draws, pairs) rubric totals
    vetoed: BoolArray  # (draws, pairs)
    values: FloatArray  # (draws, perturbed cells) drawn values
    earned: FloatArray  # (draws, perturbed cells) their points
    factors: FloatArray  # (draws, criteria) weight factors


NOMINAL_CHOICE: Final[tuple[str, str]] = ("rubric", "arithmetic")
"""The benchmark's own scoring: the rubric's points, summed (with its caps and vetoes)."""


@dataclass(frozen=True)
class _Choices:
    """The composite choices a draw picks from (uniformly), and how to score each."""

    combos: tuple[tuple[str, str], ...]
    included: IndexArray  # criteria a composite uses
    points: FloatArray  # their points (the composite weights)
    years: list[IndexArray]  # pairs of each year (min-max and z-scores are per year)

    @classmethod
    def of(cls, panel: Panel, rubric: CriteriaSet, combos: Sequence[tuple[str, str]]
           ) -> _Choices:
        idx = included(rubric)
        years = panel.pairs["year"].to_numpy()
        return cls(combos=tuple(combos), included=idx,
                   points=rubric.criteria["points"].cast(pl.Float64).to_numpy()[idx],
                   years=[np.flatnonzero(years == y) for y in np.unique(years)])

    def scores(self, kernel: _Kernel, chunk: _Chunk, choice: npt.NDArray[np.int64]
               ) -> FloatArray:
        """``(draws, pairs)`` scores to rank: rubric totals or the drawn composite."""
        out = chunk.totals.copy()
        for c, (normalisation, aggregation) in enumerate(self.combos):
            draws = np.flatnonzero(choice == c)
            if not draws.size or (normalisation, aggregation) == NOMINAL_CHOICE:
                continue
            idx = self.included
            if normalisation == "rubric":
                earned = kernel.full(kernel.scorer.nominal, chunk.earned[draws])
                normalised = earned[:, :, idx] / self.points
            else:
                values = kernel.full(kernel.panel.values, chunk.values[draws])
                normalised = normalise_values(values[:, :, idx], kernel.rubric,
                                              normalisation, idx, self.years)
            weights = chunk.factors[draws][:, idx] * self.points
            out[draws] = aggregate_draws(normalised, weights, aggregation,
                                         scale=normalisation != "zscore")
        return out


def _ranks_on_evidence(panel: Panel, totals: FloatArray, on_rubric: BoolArray,
                       imputed: BoolArray) -> FloatArray:
    """``(pairs, draws)`` ranks within year and peer group of ``(pairs, draws)`` scores.

    Draws scored on the rubric (``on_rubric``) are ranked on the points on evidence
    (rescaled to the rubric's total): a pair keeps the nominal gap between those and the
    rubric's points, so that without any uncertainty every draw gives the observed rank.
    A pair whose non-disclosed figures are drawn from its peers (``imputed``) has no gap to
    keep: the draw fills what the rescaling stood in for (keeping it would count the missing
    criteria twice). Composite draws leave non-disclosed figures out already.
    """
    totals = np.where(panel.ranked[:, None], totals, np.nan)
    offset = (panel.pairs["points_ranked"].cast(pl.Float64).fill_null(np.nan).to_numpy()
              - panel.pairs["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy())
    offset = np.where(imputed, 0.0, np.nan_to_num(offset))
    totals[:, on_rubric] += offset[:, None]
    ranks = np.full(totals.shape, np.nan)
    for rows in panel.blocks:
        ranks[rows] = min_ranks(totals[rows])
    return ranks


def _workers() -> int:
    """Threads for the chunks of draws: up to 2 (numpy releases the GIL in the kernels)."""
    return max(1, min(_MAX_WORKERS, os.cpu_count() or 1))


def simulate(panel: Panel, rubric: CriteriaSet, plan: DrawPlan, *, draws: int, seed: int,
             weight_spread: float,
             combos: Sequence[tuple[str, str]] = (NOMINAL_CHOICE,)) -> Simulated:
    """Run the draws in chunks: rescore, total and band every pair; rank at the end.

    Only the cells a draw perturbs are rescored (``cell_points``, one rubric row per cell,
    one call per kind of criterion); the other cells keep their nominal points. Each draw
    picks one of ``combos`` (normalisation, aggregation) uniformly; bands always come from
    the rubric's points. Chunk ``i`` draws from its own generator
    (``SeedSequence(seed).spawn``), so the result depends on the seed only, not on which
    thread ran which chunk.
    """
    kernel = _Kernel.of(panel, rubric, plan)
    choices = _Choices.of(panel, rubric, combos)
    cuts = rubric.bands
    p = panel.values.shape[0]
    scores = np.full((p, draws), np.nan)
    choice = np.zeros(draws, dtype=np.int64)
    chunk = kernel.chunk_size()
    firsts = list(range(0, draws, chunk))
    generators = [np.random.default_rng(s) for s in
                  np.random.SeedSequence(seed).spawn(len(firsts))]

    def run(i: int) -> npt.NDArray[np.int64]:
        first, rng = firsts[i], generators[i]
        size = min(chunk, draws - first)
        drawn = kernel.totals(rng, size, weight_spread)
        bands = band_index(drawn.totals / rubric.total_points, drawn.vetoed, cuts)
        picked = (rng.integers(0, len(combos), size=size) if len(combos) > 1
                  else np.zeros(size, dtype=np.int64))
        choice[first:first + size] = picked
        scores[:, first:first + size] = choices.scores(kernel, drawn, picked).T
        return np.stack([(bands == b).sum(axis=0) for b in range(len(cuts))], axis=1)

    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        counts = list(pool.map(run, range(len(firsts))))
    band_counts = np.asarray(np.sum(counts, axis=0), dtype=np.int64)
    on_rubric = np.asarray([tuple(combos[c]) == NOMINAL_CHOICE for c in choice.tolist()],
                           dtype=np.bool_)
    imputed = np.zeros(p, dtype=bool)
    imputed[plan.missing_cells // panel.values.shape[1]] = True
    return Simulated(ranks=_ranks_on_evidence(panel, scores, on_rubric, imputed),
                     band_counts=band_counts, choice=choice)


def tied_groups(pairs: pl.DataFrame, low: FloatArray, high: FloatArray,
                blocks: list[IndexArray]) -> tuple[npt.NDArray[np.float64],
                                                   npt.NDArray[np.float64]]:
    """Group id and size per pair: rank intervals that overlap, directly or in a chain.

    Within a year and peer group, regions are taken in order of their rank; a new group
    starts when a region's ``rank_p05`` lies above every ``rank_p95`` seen so far in the
    group (the connected components of the interval-overlap graph).
    """
    rank = pairs["rank"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    group = np.full(rank.size, np.nan)
    size = np.full(rank.size, np.nan)
    for rows in blocks:
        rows = rows[np.isfinite(rank[rows])]
        if not rows.size:
            continue
        rows = rows[np.lexsort((low[rows], rank[rows]))]
        reach = np.maximum.accumulate(high[rows])
        starts = np.ones(rows.size, dtype=bool)
        starts[1:] = low[rows][1:] > reach[:-1]
        ids = np.cumsum(starts)
        group[rows] = ids
        size[rows] = np.bincount(ids)[ids]
    return group, size


TIE_RULE: Final[str] = ("rank intervals [rank_p05, rank_p95] overlap, directly or through a "
                        "chain of overlapping intervals, within year and peer group")


def _quantiles(ranks: FloatArray, ranked: BoolArray) -> FloatArray:
    """5 %, 50 % and 95 % quantiles of each pair's ranks (integers: inverted CDF)."""
    out = np.full((3, ranks.shape[0]), np.nan)
    rows = ranked & ~np.isnan(ranks).all(axis=1)
    if rows.any():
        out[:, rows] = np.nanquantile(ranks[rows], [0.05, 0.5, 0.95], axis=1,
                                      method="inverted_cdf")
    return out


def _rank_changes(panel: Panel, ranks: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Share of draws in which each pair ranks better / worse than its year before."""
    improved = np.full(ranks.shape[0], np.nan)
    worsened = np.full(ranks.shape[0], np.nan)
    rows = np.flatnonzero((panel.previous >= 0) & panel.ranked)
    rows = rows[panel.ranked[panel.previous[rows]]]
    if rows.size:
        now, before = ranks[rows], ranks[panel.previous[rows]]
        both = ~np.isnan(now) & ~np.isnan(before)
        with np.errstate(invalid="ignore", divide="ignore"):
            improved[rows] = ((now < before) & both).sum(axis=1) / both.sum(axis=1)
            worsened[rows] = ((now > before) & both).sum(axis=1) / both.sum(axis=1)
    return improved, worsened


def _bands_table(panel: Panel, rubric: CriteriaSet, counts: npt.NDArray[np.int64],
                 draws: int) -> pl.DataFrame:
    p, k = counts.shape
    names = [name for name, _ in rubric.bands]
    return pl.DataFrame({
        "region_code": np.repeat(panel.pairs["region_code"].to_numpy(), k),
        "year": np.repeat(panel.pairs["year"].to_numpy(), k),
        "band": np.tile(np.array(names, dtype=object), p),
        "band_order": np.tile(np.arange(1, k + 1, dtype=np.int32), p),
        "probability": counts.ravel() / draws,
    }, schema_overrides={"year": pl.Int32(), "band": pl.String()})


def _observed_bands(panel: Panel, rubric: CriteriaSet) -> npt.NDArray[np.int64]:
    total = panel.pairs["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    vetoed = (panel.pairs["verdict"] == "vetoed").fill_null(False).to_numpy()
    return band_index(total / rubric.total_points, np.asarray(vetoed, dtype=bool),
                      rubric.bands)


def rank_uncertainty(result: BenchmarkResult, *, draws: int = 1000, seed: int = 0,
                     weight_spread: float = 0.25, noise: bool = True, impute: bool = True,
                     observations: pl.DataFrame | pl.LazyFrame | None = None,
                     normalisations: Sequence[str] = ("rubric",),
                     aggregations: Sequence[str] = ("arithmetic",)
                     ) -> RankUncertaintyResult:
    """Rank intervals, tied groups, grade bands and ``p_rank_improved`` by Monte Carlo.

    Every draw redraws counts (Poisson) and rates with a known denominator (binomial),
    imputes non-disclosed figures from the peer group's figures for the same criterion and
    year (``impute``), draws weights (each criterion's points times ``Uniform(1 - spread,
    1 + spread)``, rescaled so each area keeps its points) and rescores through the rubric's
    own rules. With several ``normalisations`` or ``aggregations`` declared, each draw also
    picks one (normalisation, aggregation) pair uniformly (the JRC/OECD uncertainty
    analysis of a composite's construction choices); ``rubric`` + ``arithmetic`` is the
    rubric's own scoring, any other pair ranks that draw on the composite of the draw's
    figures and weights (``composite``). ``sensitivity`` then says which choice moves ranks
    most. All years of ``result`` are simulated together, so a rank change's
    ``p_rank_improved`` compares both years' ranks in the same draw. Methods, and when they
    do not apply: ``docs/statistics.md``.

    Args:
        result: A ``benchmark`` result; score the year before too (``year=[y - 1, y]`` or
            every year) to get ``p_rank_improved``.
        draws: Monte Carlo draws.
        seed: Seed of the random generator (same seed, same result).
        weight_spread: Half-width of the weight factors (0: weights fixed).
        noise: Redraw counts and rates (False: figures taken as exact).
        impute: Draw non-disclosed figures from the peer group (False: the rubric's
            missing-data policy applies in every draw).
        observations: The observation table, for the denominators of rates (catalog ratio
            relations, same region, year and scope); without it rates are not redrawn.
        normalisations: Normalisations a draw picks from (``composite``'s names;
            ``rubric``: the rubric's points).
        aggregations: Aggregations a draw picks from (``arithmetic``, ``geometric``).

    Returns:
        A ``RankUncertaintyResult``. ``rank_p05 <= rank <= rank_p95`` holds for every ranked
        region: the interval is the 5-95 % range of the simulated ranks widened to include
        the observed rank. Unranked regions (null rank) stay unranked.

    Raises:
        ValueError: ``draws < 1``, ``weight_spread`` outside ``[0, 1)``, or an unknown
            normalisation or aggregation.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.benchmark import benchmark
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420100", "420500"], "year": [2023] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
        ...     "value": [99.0, 80.0, 92.0], "unit": ["%"] * 3, "qualifier": ["eq"] * 3,
        ...     "source_id": ["s"] * 3, "quote": [""] * 3})
        >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
        >>> sure = rank_uncertainty(result, draws=100)
        >>> sure.ranks.select("region_code", "rank", "rank_p05", "rank_p95", "band").rows()
        [('420300', 1, 1, 1, '合格'), ('420500', 1, 1, 1, '合格'), ('420100', 3, 3, 3, '不合格')]
    """
    if draws < 1:
        msg = f"draws must be at least 1, got {draws}"
        raise InvalidArgumentError(msg,
                                   hint="use 1000 for stable 5-95 % intervals")
    if not 0 <= weight_spread < 1:
        msg = f"weight_spread must be in [0, 1), got {weight_spread}"
        raise InvalidArgumentError(msg,
                                   hint="0 keeps the weights fixed; 0.25 is the default")
    combos = valid_combinations(tuple(normalisations), tuple(aggregations))
    rubric = result.rubric
    frame = observations.lazy().collect() if isinstance(observations, pl.LazyFrame) \
        else observations
    panel = panel_of(result, frame)
    plan = plan_of(panel, rubric, noise=noise, impute=impute)
    simulated = simulate(panel, rubric, plan, draws=draws, seed=seed,
                         weight_spread=weight_spread, combos=combos)
    settings = UncertaintySettings(
        criteria_id=rubric.id, criteria_version=rubric.version, draws=draws, seed=seed,
        weight_spread=weight_spread, noise=noise, impute=impute,
        noisy_cells=int(plan.count_cells.size + plan.rate_cells.size),
        imputed_cells=int(plan.missing_cells.size), bands=rubric.bands,
        bands_source=rubric.bands_source, tie_rule=TIE_RULE,
        combinations=tuple(f"{n}+{a}" for n, a in combos))
    return RankUncertaintyResult(
        ranks=_ranks_table(panel, rubric, simulated, draws),
        bands=_bands_table(panel, rubric, simulated.band_counts, draws), settings=settings,
        choices=choices_table(panel, simulated, combos),
        sensitivity=sensitivity_table(panel, simulated, combos))


def _ranks_table(panel: Panel, rubric: CriteriaSet, simulated: Simulated,
                 draws: int) -> pl.DataFrame:
    """The ``ranks`` table of a ``RankUncertaintyResult``."""
    p05, p50, p95 = _quantiles(simulated.ranks, panel.ranked)
    observed = panel.pairs["rank"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    low, high = np.fmin(p05, observed), np.fmax(p95, observed)
    group, size = tied_groups(panel.pairs, low, high, panel.blocks)
    improved, worsened = _rank_changes(panel, simulated.ranks)
    band = _observed_bands(panel, rubric)
    names = np.array([name for name, _ in rubric.bands], dtype=object)
    band_p = simulated.band_counts[np.arange(band.size), band] / draws
    scored = panel.pairs["points_earned"].is_not_null().to_numpy()  # no total: no band
    as_int = [pl.Series(name, values).fill_nan(None).cast(pl.Int32) for name, values in
              (("rank_p05", low), ("rank_median", p50), ("rank_p95", high),
               ("tied_group", group), ("tied_group_size", size))]
    return panel.pairs.select("region_code", "year", "peer_group", "rank").with_columns(
        *as_int,
        pl.Series("band", [str(b) if ok else None for b, ok in
                           zip(names[band], scored, strict=True)], dtype=pl.String()),
        pl.Series("band_probability", np.where(scored, band_p, np.nan)).fill_nan(None),
        panel.pairs["prev_rank"],
        (panel.pairs["prev_rank"] - panel.pairs["rank"]).alias("rank_change"),
        pl.Series("p_rank_improved", improved).fill_nan(None),
        pl.Series("p_rank_worsened", worsened).fill_nan(None),
    ).sort("year", "peer_group", "rank", "region_code", nulls_last=True)


def choices_table(panel: Panel, simulated: Simulated,
                  combos: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """Per composite choice: draws that used it and how far it moves ranks.

    ``mean_abs_rank_shift``: the mean over ranked region-years and the choice's draws of
    ``|rank in the draw - observed rank|``.
    """
    observed = panel.pairs["rank"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    rows = panel.ranked & np.isfinite(observed)
    shifts = np.abs(simulated.ranks[rows] - observed[rows, None])
    out = []
    for c, (normalisation, aggregation) in enumerate(combos):
        used = simulated.choice == c
        mean = float(np.nanmean(shifts[:, used])) if used.any() and rows.any() else None
        out.append((f"{normalisation}+{aggregation}", normalisation, aggregation,
                    int(used.sum()), mean))
    return pl.DataFrame(out, schema={"combination": pl.String(), "normalisation": pl.String(),
                                     "aggregation": pl.String(), "draws": pl.Int64(),
                                     "mean_abs_rank_shift": pl.Float64()}, orient="row")


def first_order_share(ranks: FloatArray, labels: npt.NDArray[np.int64]) -> float | None:
    """``sum_r Var(E[rank_r | label]) / sum_r Var(rank_r)`` over the rows of ``ranks``.

    The first-order (main-effect) sensitivity index of a discrete factor, pooled over the
    ranked region-years (rows; draws are columns). None when ranks never vary.
    """
    total = float(np.nansum(np.nanvar(ranks, axis=1)))
    if not ranks.size or total <= 0:
        return None
    overall = np.nanmean(ranks, axis=1)
    between = np.zeros(ranks.shape[0])
    for level in np.unique(labels):
        used = labels == level
        between += used.mean() * (np.nanmean(ranks[:, used], axis=1) - overall) ** 2
    return float(np.nansum(between)) / total


def sensitivity_table(panel: Panel, simulated: Simulated,
                      combos: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """First-order share of the rank variance per declared choice (normalisation, aggregation).

    A choice with one option is left out. The rest of the variance (noise, imputation,
    weights and interactions) is ``1 - sum(first_order_share)`` at most.
    """
    ranks = simulated.ranks[panel.ranked & ~np.isnan(simulated.ranks).all(axis=1)]
    out = []
    for factor, position in (("normalisation", 0), ("aggregation", 1)):
        options = [combo[position] for combo in combos]
        levels = sorted(set(options))
        if len(levels) < 2:
            continue
        labels = np.array([levels.index(options[c]) for c in simulated.choice.tolist()],
                          dtype=np.int64)
        out.append((factor, ", ".join(levels), first_order_share(ranks, labels)))
    return pl.DataFrame(out, schema={"factor": pl.String(), "options": pl.String(),
                                     "first_order_share": pl.Float64()}, orient="row")
