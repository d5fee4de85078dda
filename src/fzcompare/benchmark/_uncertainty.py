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

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.benchmark._composite import _peer_blocks, min_ranks
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
    return DrawPlan(count_cells=count_cells, rate_cells=rate_cells,
                    missing_cells=missing_cells, pool_start=starts, pool_size=sizes,
                    pool=pool, weighted=weighted, area_of=area_of)


def cell_points(values: FloatArray, params: _Params) -> tuple[FloatArray, BoolArray]:
    """Points earned and veto failures of ``(draws, cells)`` values, one rubric row per cell.

    The same rules as ``score_values`` (tested equal), computing only what a draw needs.
    """
    f = params.flags
    v = values
    t, th, tol = params.t, params.th, params.tol
    with np.errstate(invalid="ignore", divide="ignore"):
        satisfied = np.where(f["cmp>="], v >= t - EPS, False)
        satisfied |= f["cmp<="] & (v <= t + EPS)
        satisfied |= f["cmp=="] & (np.abs(v - t) <= tol + EPS)
        satisfied |= f["cmpbetween"] & (v >= t - EPS) & (v <= th + EPS)
        satisfied |= f["cmpexists"] & ~np.isnan(v) & (v != 0)
        earned = np.where(satisfied, params.points, 0.0)
        cols = np.flatnonzero(f["linear"])
        if cols.size:
            x, lo, hi = v[:, cols], t[cols], th[cols]
            share = np.where(f["cmp>="][cols], (x - lo) / (hi - lo), (hi - x) / (hi - lo))
            earned[:, cols] = np.clip(share, 0.0, 1.0) * params.points[cols]
        cols = np.flatnonzero(f["deduction"])
        if cols.size:
            x = v[:, cols]
            nearest = np.where(f["cmpbetween"][cols], np.clip(x, t[cols], th[cols]), t[cols])
            shortfall = np.where(satisfied[:, cols], 0.0, np.abs(nearest - x))
            units = _rounded(shortfall / params.per[cols], f["round_up"][cols],
                             f["round_down"][cols])
            earned[:, cols] = np.maximum(params.points[cols] - np.minimum(
                units * params.deduct[cols], params.cap[cols]), 0.0)
        cols = np.flatnonzero(f["per_unit_bonus"])
        if cols.size:
            x, up = v[:, cols], f["cmp>="][cols]
            units = _rounded(np.where(up, x - t[cols], t[cols] - x) / params.per[cols],
                             f["round_up"][cols], f["round_down"][cols])
            earned[:, cols] = np.minimum(units * params.add[cols], params.points[cols])
        missing = np.isnan(v) & ~f["cmpexists"]
        earned = np.where(missing, np.where(f["rescale"], np.nan, 0.0), earned)
        vetoed = f["veto"] & ~satisfied & (~missing | f["zero"])
    return earned, vetoed


def perturbed_cells(plan: DrawPlan) -> IndexArray:
    """Every flat cell some draw changes (sorted)."""
    return np.unique(np.concatenate([plan.count_cells, plan.rate_cells, plan.missing_cells]))


def cell_positions(plan: DrawPlan, cells: IndexArray) -> tuple[IndexArray, ...]:
    """Where the count, rate and missing cells sit in ``cells``."""
    return tuple(np.searchsorted(cells, c).astype(np.intp) for c in (
        plan.count_cells, plan.rate_cells, plan.missing_cells))


def draw_cells(rng: np.random.Generator, panel: Panel, plan: DrawPlan, cells: IndexArray,
               draws: int, positions: tuple[IndexArray, ...] | None = None) -> FloatArray:
    """``(draws, cells)`` perturbed values of ``cells`` (``perturbed_cells``)."""
    flat = panel.values.ravel()
    out = np.broadcast_to(flat[cells], (draws, cells.size)).copy()
    at_count, at_rate, at_missing = positions or cell_positions(plan, cells)
    if plan.count_cells.size:
        lam = flat[plan.count_cells]
        small = lam < _POISSON_NORMAL_FROM
        if small.any():
            out[:, at_count[small]] = rng.poisson(lam[small], size=(draws, int(small.sum())))
        if not small.all():
            big = lam[~small]
            z = rng.standard_normal((draws, big.size))
            out[:, at_count[~small]] = np.maximum(np.rint(big + np.sqrt(big) * z), 0.0)
    if plan.rate_cells.size:
        trials = panel.denominators.ravel()[plan.rate_cells].astype(np.int64)
        share = np.clip(flat[plan.rate_cells] / 100.0, 0.0, 1.0)
        spread = trials * share * (1 - share)
        small = spread < _BINOMIAL_NORMAL_FROM
        if small.any():
            hits = rng.binomial(trials[small], share[small], size=(draws, int(small.sum())))
            out[:, at_rate[small]] = 100.0 * hits / trials[small]
        if not small.all():
            n_big, p_big = trials[~small], share[~small]
            z = rng.standard_normal((draws, n_big.size))
            hits = np.clip(np.rint(n_big * p_big + np.sqrt(spread[~small]) * z), 0, n_big)
            out[:, at_rate[~small]] = 100.0 * hits / n_big
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
    ``bincount`` by pair. With left-out points (the ``rescale`` policy) the full points array
    goes through ``Structure.aggregate``.
    """

    structure: Structure
    nominal: FloatArray  # (pairs, criteria) nominal points
    rest: FloatArray  # nominal points with the perturbed cells at 0
    cells: IndexArray
    pair_of: IndexArray
    col_of: IndexArray
    exact_sum: bool  # no NaN outside the perturbed cells

    @classmethod
    def of(cls, structure: Structure, nominal: FloatArray, cells: IndexArray) -> _Scorer:
        n = nominal.shape[1]
        rest = nominal.copy()
        rest.ravel()[cells] = 0.0
        return cls(structure=structure, nominal=nominal, rest=rest, cells=cells,
                   pair_of=(cells // n).astype(np.intp), col_of=(cells % n).astype(np.intp),
                   exact_sum=not bool(np.isnan(rest).any()))

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
        index = (np.arange(d)[:, None] * p + self.pair_of[None, :]).ravel()
        moved = np.bincount(index, weights=(cell_earned * weights[:, self.col_of]).ravel(),
                            minlength=d * p).reshape(d, p)
        total = fixed + moved
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


def simulate(panel: Panel, rubric: CriteriaSet, plan: DrawPlan, *, draws: int, seed: int,
             weight_spread: float) -> Simulated:
    """Run the draws in chunks: rescore, total and band every pair; rank at the end.

    Only the cells a draw perturbs are rescored (``cell_points``, one rubric row per cell);
    the other cells keep their nominal points.
    """
    p, n = panel.values.shape
    cuts = rubric.bands
    rng = np.random.default_rng(seed)
    nominal = score_values(panel.values, rubric.criteria)
    nominal_vetoed = np.asarray(nominal["vetoed"], dtype=bool)
    cells = perturbed_cells(plan)
    scorer = _Scorer.of(Structure.of(rubric),
                        np.asarray(nominal["points_earned"], dtype=np.float64), cells)
    cell_params = _Params.of(rubric.criteria[(cells % n).tolist()])
    positions = cell_positions(plan, cells)
    veto_cols = np.flatnonzero(rubric.criteria["rule"].to_numpy() == "veto")
    veto_cells = np.flatnonzero(np.isin(cells % n, veto_cols))
    totals = np.full((p, draws), np.nan)
    band_counts = np.zeros((p, len(cuts)), dtype=np.int64)
    per_draw = (cells.size + p) if scorer.exact_sum else p * n
    chunk = max(1, _CHUNK_CELLS // max(per_draw, 1))
    for first in range(0, draws, chunk):
        size = min(chunk, draws - first)
        values = draw_cells(rng, panel, plan, cells, size, positions)
        cell_earned, cell_vetoed = cell_points(values, cell_params)
        factors = weight_factors(rng, rubric, plan, size, weight_spread)
        chunk_totals = scorer.totals(cell_earned, factors)
        vetoed = (_chunk_vetoes(nominal_vetoed, cells, veto_cells, cell_vetoed)
                  if veto_cells.size else
                  np.broadcast_to(nominal_vetoed.any(axis=1), (size, p)))
        bands = band_index(chunk_totals / rubric.total_points, vetoed, cuts)
        for b in range(len(cuts)):
            band_counts[:, b] += (bands == b).sum(axis=0)
        totals[:, first:first + size] = chunk_totals.T
    totals[~panel.ranked] = np.nan
    # Ranks are taken on the points on evidence (rescaled to the rubric's total); each draw
    # keeps the nominal gap between those and the rubric's points, so that without any
    # uncertainty every draw gives the observed rank.
    offset = (panel.pairs["points_ranked"].cast(pl.Float64).fill_null(np.nan).to_numpy()
              - panel.pairs["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy())
    totals += np.nan_to_num(offset)[:, None]
    ranks = np.full((p, draws), np.nan)
    for rows in panel.blocks:
        ranks[rows] = min_ranks(totals[rows])
    return Simulated(ranks=ranks, band_counts=band_counts)


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
                     observations: pl.DataFrame | pl.LazyFrame | None = None
                     ) -> RankUncertaintyResult:
    """Rank intervals, tied groups, grade bands and ``p_rank_improved`` by Monte Carlo.

    Every draw redraws counts (Poisson) and rates with a known denominator (binomial),
    imputes non-disclosed figures from the peer group's figures for the same criterion and
    year (``impute``), draws weights (each criterion's points times ``Uniform(1 - spread,
    1 + spread)``, rescaled so each area keeps its points) and rescores through the rubric's
    own rules. All years of ``result`` are simulated together, so a rank change's
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

    Returns:
        A ``RankUncertaintyResult``. ``rank_p05 <= rank <= rank_p95`` holds for every ranked
        region: the interval is the 5-95 % range of the simulated ranks widened to include
        the observed rank. Unranked regions (null rank) stay unranked.

    Raises:
        ValueError: ``draws < 1`` or ``weight_spread`` outside ``[0, 1)``.

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
    rubric = result.rubric
    frame = observations.lazy().collect() if isinstance(observations, pl.LazyFrame) \
        else observations
    panel = panel_of(result, frame)
    plan = plan_of(panel, rubric, noise=noise, impute=impute)
    simulated = simulate(panel, rubric, plan, draws=draws, seed=seed,
                         weight_spread=weight_spread)
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
    ranks = panel.pairs.select("region_code", "year", "peer_group", "rank").with_columns(
        *as_int,
        pl.Series("band", [str(b) if ok else None for b, ok in
                           zip(names[band], scored, strict=True)], dtype=pl.String()),
        pl.Series("band_probability", np.where(scored, band_p, np.nan)).fill_nan(None),
        panel.pairs["prev_rank"],
        (panel.pairs["prev_rank"] - panel.pairs["rank"]).alias("rank_change"),
        pl.Series("p_rank_improved", improved).fill_nan(None),
        pl.Series("p_rank_worsened", worsened).fill_nan(None),
    ).sort("year", "peer_group", "rank", "region_code", nulls_last=True)
    settings = UncertaintySettings(
        criteria_id=rubric.id, criteria_version=rubric.version, draws=draws, seed=seed,
        weight_spread=weight_spread, noise=noise, impute=impute,
        noisy_cells=int(plan.count_cells.size + plan.rate_cells.size),
        imputed_cells=int(plan.missing_cells.size), bands=rubric.bands,
        bands_source=rubric.bands_source, tie_rule=TIE_RULE)
    return RankUncertaintyResult(ranks=ranks,
                                 bands=_bands_table(panel, rubric, simulated.band_counts,
                                                    draws),
                                 settings=settings)
