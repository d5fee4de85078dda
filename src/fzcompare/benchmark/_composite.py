"""Composite scores and Monte Carlo rank robustness behind ``fzcompare.benchmark``.

Values become a ``(region-years, criteria)`` matrix; each normalisation is a vectorised map of
that matrix; aggregation is a matrix product with the weights, so a batch of weight draws is
one product per (normalisation, aggregation) pair.
"""

from __future__ import annotations

import itertools
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.benchmark._result import (
    AGGREGATIONS,
    NORMALISATIONS,
    CompositeResult,
    CompositeSettings,
    RobustnessResult,
    RobustnessSettings,
)
from fzcompare.benchmark._score import BoolArray, FloatArray, Scored
from fzcompare.criteria import CriteriaSet
from fzcompare.errors import CriteriaError, InvalidArgumentError

_BOUNDED_TO_GEOMETRIC: Final[float] = 99.0
IndexArray = npt.NDArray[np.intp]


def included(rubric: CriteriaSet) -> IndexArray:
    """Indices of the criteria a composite uses: inside the points, with points > 0."""
    crit = rubric.criteria
    keep = (~crit["rule"].is_in(["bonus", "veto"]) & (crit["points"] > 0)).to_numpy()
    return np.flatnonzero(keep).astype(np.intp)


def _column(rubric: CriteriaSet, name: str, idx: IndexArray) -> FloatArray:
    values = rubric.criteria[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
    column: FloatArray = np.asarray(values, dtype=np.float64)[idx]
    return column


def _year_groups(scored: Scored) -> list[IndexArray]:
    years = scored.pairs["year"].to_numpy()
    return [np.flatnonzero(years == y) for y in np.unique(years)]


def _normalise(scored: Scored, rubric: CriteriaSet, method: str, idx: IndexArray) -> FloatArray:
    """Normalised values (NaN: left out) for the criteria ``idx``."""
    if method == "rubric":
        earned = scored.matrix("points_earned")[:, idx]
        return np.asarray(earned / _column(rubric, "points", idx), dtype=np.float64)
    return normalise_values(scored.matrix("value")[:, idx], rubric, method, idx,
                            _year_groups(scored))


def normalise_values(values: FloatArray, rubric: CriteriaSet, method: str, idx: IndexArray,
                     groups: list[IndexArray]) -> FloatArray:
    """Normalise ``(..., pairs, criteria idx)`` values; ``groups``: the pairs of each year.

    A leading axis (Monte Carlo draws) is normalised draw by draw: min-max and z-scores are
    taken over the pairs of each year within each draw.
    """
    comparator = np.asarray(rubric.criteria["comparator"].to_numpy())[idx]
    t, th = _column(rubric, "threshold", idx), _column(rubric, "threshold_high", idx)
    higher, lower = comparator == ">=", comparator == "<="
    exists = comparator == "exists"
    upper = np.where(comparator == "between", th, t)
    distance = np.maximum(t - values, 0.0) + np.maximum(values - upper, 0.0)
    present = np.where(np.isnan(values), 0.0, (values != 0).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("minmax", "zscore"):
            performance = np.where(higher, values, np.where(lower, -values, -distance))
            return _spread_normalised(np.where(exists, present, performance), method, groups)
        if method == "goalposts":
            low, high = _goalposts(rubric, idx)
            span = high - low
            normalised = np.where(higher, (values - low) / span,
                                  np.where(lower, (high - values) / span, 1 - distance / span))
            return np.where(exists, present, np.clip(normalised, 0.0, 1.0))
        if method == "distance_to_target":
            above = np.where(t > 0, values / t, np.where(values >= t, 1.0, 0.0))
            below = np.where(values <= t, 1.0, np.where(values > 0, t / values, 0.0))
            scale = np.where(comparator == "between", np.where(values < t, t, th), np.abs(t))
            near = np.where(distance == 0, 1.0, np.where(scale > 0, 1 - distance / scale, 0.0))
            normalised = np.where(higher, above, np.where(lower, below, near))
            normalised = np.where(np.isnan(values), np.nan, np.clip(normalised, 0.0, 1.0))
            return np.where(exists, present, normalised)
    msg = f"unknown normalisation {method!r}"
    raise InvalidArgumentError(msg,
                               hint=f"use one of {', '.join(NORMALISATIONS)}")


def _spread_normalised(performance: FloatArray, method: str,
                       groups: list[IndexArray]) -> FloatArray:
    """Min-max or z-score of ``(..., pairs, criteria)`` over the pairs of each group."""
    out = np.full(performance.shape, np.nan)
    for rows in groups:
        block = performance[..., rows, :]
        if method == "minmax":
            low = np.nanmin(block, axis=-2, keepdims=True)
            span = np.nanmax(block, axis=-2, keepdims=True) - low
            out[..., rows, :] = np.where(span > 0, (block - low) / np.where(span > 0, span, 1),
                                         np.where(np.isnan(block), np.nan, 0.5))
        else:
            mean = np.nanmean(block, axis=-2, keepdims=True)
            std = np.nanstd(block, axis=-2, keepdims=True)
            out[..., rows, :] = np.where(std > 0, (block - mean) / np.where(std > 0, std, 1),
                                         np.where(np.isnan(block), np.nan, 0.0))
    return out


def _goalposts(rubric: CriteriaSet, idx: IndexArray) -> tuple[FloatArray, FloatArray]:
    """The criteria's goalposts; a ``CriteriaError`` naming those without."""
    low, high = _column(rubric, "goalpost_low", idx), _column(rubric, "goalpost_high", idx)
    lacking = np.flatnonzero(np.isnan(low) | np.isnan(high))
    if lacking.size:
        ids = rubric.criteria["criterion_id"].to_numpy()[idx][lacking]
        msg = (
            f"{rubric.path}: no goalposts for {', '.join(map(str, ids[:5]))}"
            f"{' ...' if ids.size > 5 else ''}"
        )
        raise CriteriaError(
            msg,
            hint="add `goalposts: [low, high]` to these criteria, or leave "
            "'goalposts' out of the normalisations",
            path=rubric.path, key="goalposts", reason="no_goalposts")
    return low, high


def aggregate_draws(normalised: FloatArray, weights: FloatArray, method: str, *,
                    scale: bool) -> FloatArray:
    """``(draws, pairs)`` scores of ``(draws, pairs, criteria)`` values, weights per draw.

    The same rule as ``composite``: left-out (NaN) criteria leave the weights, which are
    rescaled over the rest; geometric means work on ``1 + 99 x``.
    """
    kept = ~np.isnan(normalised)
    w = weights[:, :, None]
    kept_weight = np.matmul(kept.astype(np.float64), w)[..., 0]
    x = np.where(kept, normalised, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "geometric":
            scores = np.exp(np.matmul(np.log1p(_BOUNDED_TO_GEOMETRIC * x), w)[..., 0]
                            / kept_weight)
        else:
            scores = np.matmul(x, w)[..., 0] / kept_weight
            if scale:
                scores = 100.0 * scores
    return np.where(kept_weight > 0, scores, np.nan)


def valid_combinations(normalisations: tuple[str, ...], aggregations: tuple[str, ...]
                       ) -> list[tuple[str, str]]:
    """Every (normalisation, aggregation) pair except z-scores with a geometric mean."""
    if not normalisations or not aggregations:
        msg = "give at least one normalisation and one aggregation"
        raise InvalidArgumentError(msg,
                                   hint="e.g. normalisations=('rubric',), "
                                   "aggregations=('arithmetic',)")
    _check_choice(normalisations[0], aggregations[0])
    combos = [(n, a) for n, a in itertools.product(normalisations, aggregations)
              if not (n == "zscore" and a == "geometric")]
    for n, a in combos:
        _check_choice(n, a)
    return combos


def _check_choice(normalisation: str, aggregation: str) -> None:
    if normalisation not in NORMALISATIONS:
        msg = f"unknown normalisation {normalisation!r}"
        raise InvalidArgumentError(msg,
                                   hint=f"use one of {', '.join(NORMALISATIONS)}",
                                   argument="normalisation")
    if aggregation not in AGGREGATIONS:
        msg = f"unknown aggregation {aggregation!r}"
        raise InvalidArgumentError(msg,
                                   hint=f"use one of {', '.join(AGGREGATIONS)}",
                                   argument="aggregation")
    if normalisation == "zscore" and aggregation == "geometric":
        msg = "geometric aggregation needs positive values; z-scores are not"
        raise InvalidArgumentError(
            msg,
            hint="use aggregation='arithmetic' with zscore, or another normalisation")


def _aggregate(normalised: FloatArray, weights: FloatArray, method: str,
               scale: bool) -> tuple[FloatArray, FloatArray]:
    """Scores for each weight column: ``weights`` is (criteria,) or (criteria, draws)."""
    kept = ~np.isnan(normalised)
    kept_weight = kept.astype(np.float64) @ weights
    if method == "geometric":
        logs = np.log1p(_BOUNDED_TO_GEOMETRIC * np.where(kept, normalised, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.exp((logs @ weights) / kept_weight)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = (np.where(kept, normalised, 0.0) @ weights) / kept_weight
        if scale:
            scores = 100.0 * scores
    return np.where(kept_weight > 0, scores, np.nan), kept_weight


def min_ranks(scores: FloatArray) -> FloatArray:
    """Rank each column (1 = highest); ties share the lowest rank; NaN stays unranked."""
    n = scores.shape[0]
    key = np.where(np.isnan(scores), np.inf, -np.round(scores, 9))
    order = np.argsort(key, axis=0, kind="stable")
    ordered = np.take_along_axis(key, order, axis=0)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n).reshape(-1, *[1] * (
        scores.ndim - 1)), 0), axis=0)
    ranks = np.empty(scores.shape)
    np.put_along_axis(ranks, order, first + 1.0, axis=0)
    return np.where(np.isnan(scores), np.nan, ranks)


def _peer_blocks(scored: Scored) -> list[IndexArray]:
    keys = scored.pairs.select(pl.struct("year", "peer_group").rank("dense")).to_series()
    codes = keys.to_numpy()
    return [np.flatnonzero(codes == c) for c in np.unique(codes)]


def _ranks_in_blocks(scores: FloatArray, blocks: list[IndexArray]) -> FloatArray:
    ranks = np.full(scores.shape, np.nan)
    for rows in blocks:
        ranks[rows] = min_ranks(scores[rows])
    return ranks


def _settings(rubric: CriteriaSet, scored: Scored) -> dict[str, Any]:
    return {"criteria_id": rubric.id, "criteria_version": rubric.version,
            "criteria_sha256": rubric.sha256, "years": tuple(scored.years),
            "peers": scored.peers}


def composite_scores(scored: Scored, rubric: CriteriaSet, *, normalisation: str,
                     aggregation: str) -> CompositeResult:
    """See ``fzcompare.benchmark.composite``."""
    _check_choice(normalisation, aggregation)
    idx = included(rubric)
    weights = _column(rubric, "points", idx)
    normalised = _normalise(scored, rubric, normalisation, idx)
    scores, kept_weight = _aggregate(normalised, weights, aggregation,
                                     scale=normalisation != "zscore")
    ranks = _ranks_in_blocks(scores[:, None], _peer_blocks(scored))[:, 0]
    table = scored.pairs.select("region_code", "year", "peer_group").with_columns(
        pl.Series("score", scores).fill_nan(None),
        pl.Series("rank", ranks).fill_nan(None).cast(pl.Int32),
        pl.Series("coverage", kept_weight / weights.sum()),
    ).sort("year", "peer_group", "rank", "region_code", nulls_last=True)
    crit = rubric.criteria[idx.tolist()]
    n_pairs, n_crit = normalised.shape
    long = pl.DataFrame({
        "region_code": np.repeat(scored.pairs["region_code"].to_numpy(), n_crit),
        "year": np.repeat(scored.pairs["year"].to_numpy(), n_crit),
        "criterion_id": np.tile(crit["criterion_id"].to_numpy(), n_pairs),
        "indicator_code": np.tile(crit["indicator_code"].to_numpy(), n_pairs),
        "value": scored.matrix("value")[:, idx].ravel(),
        "normalised": normalised.ravel(),
    }, schema_overrides={"year": pl.Int32()}).with_columns(
        pl.col("value", "normalised").fill_nan(None))
    weights_table = crit.select(
        "criterion_id", "indicator_code", "comparator", pl.col("points").alias("weight"),
        "goalpost_low", "goalpost_high", "goalpost_source")
    settings = CompositeSettings(
        **_settings(rubric, scored), normalisation=normalisation, aggregation=aggregation,
        missing="rubric policies" if normalisation == "rubric" else "left out, weights rescaled")
    return CompositeResult(scores=table, normalised=long, weights=weights_table,
                           settings=settings)


def robustness(scored: Scored, rubric: CriteriaSet, *, draws: int, weight_spread: float,
               normalisations: tuple[str, ...], aggregations: tuple[str, ...],
               seed: int) -> RobustnessResult:
    """See ``fzcompare.benchmark.rank_robustness``."""
    if draws < 1:
        msg = f"draws must be at least 1, got {draws}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. draws=1000", argument="draws")
    if not 0 <= weight_spread < 1:
        msg = f"weight_spread must be in [0, 1), got {weight_spread}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. weight_spread=0.25", argument="weight_spread")
    combos = valid_combinations(normalisations, aggregations)
    idx = included(rubric)
    weights = _column(rubric, "points", idx)
    blocks = _peer_blocks(scored)
    normalised = {n: _normalise(scored, rubric, n, idx) for n in dict.fromkeys(normalisations)}
    nominal_scores, _ = _aggregate(normalised[normalisations[0]], weights, aggregations[0],
                                   scale=normalisations[0] != "zscore")
    nominal = _ranks_in_blocks(nominal_scores[:, None], blocks)[:, 0]
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - weight_spread, 1 + weight_spread, size=(idx.size, draws))
    choice = rng.integers(0, len(combos), size=draws)
    scores = np.full((scored.pairs.height, draws), np.nan)
    for c, (n, a) in enumerate(combos):
        columns = np.flatnonzero(choice == c)
        if columns.size:
            scores[:, columns], _ = _aggregate(normalised[n], weights[:, None]
                                               * factors[:, columns], a, scale=n != "zscore")
    ranks = _ranks_in_blocks(scores, blocks)
    ranked: BoolArray = np.asarray(~np.isnan(ranks).all(axis=1), dtype=bool)
    p05, p50, p95 = np.full((3, ranks.shape[0]), np.nan)
    if ranked.any():
        p05[ranked], p50[ranked], p95[ranked] = np.nanpercentile(ranks[ranked], [5, 50, 95],
                                                                 axis=1)
    table = scored.pairs.select("region_code", "year", "peer_group").with_columns(
        pl.Series("nominal_rank", nominal).fill_nan(None).cast(pl.Int32),
        pl.Series("median_rank", p50).fill_nan(None),
        pl.Series("rank_p05", p05).fill_nan(None),
        pl.Series("rank_p95", p95).fill_nan(None),
    ).sort("year", "peer_group", "nominal_rank", "region_code", nulls_last=True)
    settings = RobustnessSettings(
        **_settings(rubric, scored), draws=draws, weight_spread=weight_spread, seed=seed,
        normalisations=tuple(normalisations), aggregations=tuple(aggregations),
        combinations=tuple(f"{n}+{a}" for n, a in combos),
        nominal=f"{normalisations[0]}+{aggregations[0]}",
        weights="rubric points x uniform(1 - spread, 1 + spread), independent")
    return RobustnessResult(ranks=table, settings=settings)
