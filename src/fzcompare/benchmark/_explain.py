"""Explanations behind ``fzcompare.benchmark``: what it would take, and edition changes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.benchmark._score import EPS, FloatArray, Structure

if TYPE_CHECKING:
    from fzcompare.benchmark._result import BenchmarkResult

_STEP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(),
    "year": pl.Int32(),
    "step": pl.Int32(),
    "kind": pl.String(),
    "criterion_id": pl.String(),
    "indicator_code": pl.String(),
    "current_value": pl.Float64(),
    "required_value": pl.Float64(),
    "relative_effort": pl.Float64(),
    "points_gained": pl.Float64(),
    "cumulative_points": pl.Float64(),
    "reaches_pass_line": pl.Boolean(),
    "exact": pl.Boolean(),
}
_SWAP_ROUNDS: Final[int] = 50
_SCENARIOS_PER_CALL: Final[int] = 4096


def _effort(current: float | None, required: float | None) -> float:
    if current is None or required is None or math.isnan(current):
        return 1.0
    scale = max(abs(required), abs(current))
    return 0.0 if scale == 0 else abs(required - current) / scale


def _totals(structure: Structure, earned: FloatArray,
            sets: Sequence[Sequence[int]] | npt.NDArray[np.intp]) -> FloatArray:
    """Total points after raising each set's criteria to full points (one row per set).

    Sets given as an array (all of one size) are scored 4,096 at a time, to bound the
    scenario matrix.
    """
    if isinstance(sets, np.ndarray) and len(sets) > _SCENARIOS_PER_CALL:
        return np.concatenate([_totals(structure, earned, sets[start:start + _SCENARIOS_PER_CALL])
                               for start in range(0, len(sets), _SCENARIOS_PER_CALL)])
    scenarios = np.tile(earned, (len(sets), 1))
    if isinstance(sets, np.ndarray):
        np.put_along_axis(scenarios, sets, structure.points[sets], axis=1)
    else:
        for row, chosen in enumerate(sets):
            scenarios[row, list(chosen)] = structure.points[list(chosen)]
    return np.nan_to_num(structure.aggregate(scenarios)["total"], nan=0.0)


TotalsOf = Callable[[npt.NDArray[np.intp]], FloatArray]


def _cheapest_set(totals_of: TotalsOf, candidates: list[int], effort: FloatArray, size: int,
                  pass_points: float, max_combinations: int) -> tuple[list[int], bool]:
    """The feasible set of ``size`` candidates with the least total effort."""
    if math.comb(len(candidates), size) <= max_combinations:
        members = itertools.chain.from_iterable(itertools.combinations(candidates, size))
        combos = np.fromiter(members, dtype=np.intp).reshape(-1, size)
        cost = effort[combos].sum(axis=1)
        totals = totals_of(combos)
        feasible = np.flatnonzero(totals >= pass_points - EPS)
        best = feasible[np.lexsort((-totals[feasible], cost[feasible]))[0]]
        return combos[best].tolist(), True
    pool = np.array(candidates, dtype=np.intp)
    chosen = pool[:size]
    for _ in range(_SWAP_ROUNDS):
        outside = pool[~np.isin(pool, chosen)]
        position, other = np.nonzero(effort[outside][None, :] < effort[chosen][:, None] - EPS)
        if not position.size:
            break
        trials = np.tile(chosen, (position.size, 1))
        trials[np.arange(position.size), position] = outside[other]
        reaches = totals_of(trials) >= pass_points - EPS
        if not reaches.any():
            break
        savings = effort[chosen[position]] - effort[outside[other]]
        chosen = trials[int(np.argmax(np.where(reaches, savings, -np.inf)))]
    return chosen.tolist(), False


def _search(structure: Structure, earned: FloatArray, candidates: list[int],
            effort: FloatArray, base: float, pass_points: float, max_combinations: int
            ) -> tuple[list[int], bool]:
    """The smallest, then least-effort, set of candidates whose improvement reaches the line."""
    def aggregated(sets: npt.NDArray[np.intp]) -> FloatArray:
        return _totals(structure, earned, sets)

    singles = aggregated(np.array(candidates, dtype=np.intp)[:, None]) - base
    gain_of = np.zeros(earned.shape[0])
    gain_of[candidates] = singles
    candidates = [candidates[j] for j in np.argsort(-singles, kind="stable")]
    # Without left-out (NaN) criteria or bonus candidates, sums and rescaling are linear and
    # no cap is involved: a set's total is the base plus its members' single gains.
    additive = not np.isnan(earned).any() and not structure.bonus[candidates].any()
    if additive:
        prefixes = base + np.cumsum(gain_of[candidates])
    else:
        prefixes = _totals(structure, earned, [candidates[:k + 1]
                                               for k in range(len(candidates))])
    reaching = np.flatnonzero(prefixes >= pass_points - EPS)
    if not reaching.size:
        return candidates, True
    size = int(reaching[0]) + 1
    if additive:
        chosen, exact = _cheapest_set(lambda sets: base + gain_of[sets].sum(axis=1), candidates,
                                      effort, size, pass_points, max_combinations)
        if _totals(structure, earned, [chosen])[0] >= pass_points - EPS:
            return chosen, exact
    return _cheapest_set(aggregated, candidates, effort, size, pass_points, max_combinations)


def _region_steps(structure: Structure, block: pl.DataFrame, pass_points: float,
                  max_combinations: int) -> list[dict[str, Any]]:
    earned = block["points_earned"].cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
    rows = block.to_dicts()
    vetoes = [i for i, r in enumerate(rows) if r["rule"] == "veto"
              and (r["status"] == "not_met"
                   or (r["status"] == "missing" and r["missing_policy"] != "rescale"))]
    candidates = [i for i, r in enumerate(rows) if r["rule"] != "veto"
                  and r["status"] != "met" and r["points_possible"] > 0
                  and (math.isnan(earned[i]) or earned[i] < r["points_possible"] - EPS)]
    effort = np.array([_effort(r["value"], r["required_value"]) for r in rows])
    base = float(_totals(structure, earned, [[]])[0])
    chosen: list[int] = []
    exact = True
    if candidates and base < pass_points - EPS:
        chosen, exact = _search(structure, earned, candidates, effort, base, pass_points,
                                max_combinations)
    gains = _totals(structure, earned, [[i] for i in chosen]) - base if chosen else np.array([])
    chosen = [chosen[j] for j in np.argsort(-gains, kind="stable")]
    order = vetoes + chosen
    cumulative = _totals(structure, earned, [chosen[:k] for k in range(len(chosen) + 1)])
    steps: list[dict[str, Any]] = []
    for step, index in enumerate(order, start=1):
        row = rows[index]
        done = max(0, step - len(vetoes))
        total = float(cumulative[done])
        previous = float(cumulative[done - 1]) if done > 0 else total
        steps.append({
            "region_code": row["region_code"], "year": row["year"], "step": step,
            "kind": "veto" if index in vetoes else
            ("evidence" if row["status"] == "missing" else "improve"),
            "criterion_id": row["criterion_id"], "indicator_code": row["indicator_code"],
            "current_value": row["value"], "required_value": row["required_value"],
            "relative_effort": float(effort[index]), "points_gained": total - previous,
            "cumulative_points": total,
            "reaches_pass_line": bool(step >= len(vetoes) and total >= pass_points - EPS),
            "exact": exact,
        })
    return steps


def improvements(result: BenchmarkResult, *, regions: Sequence[str] | None, year: int | None,
                 max_combinations: int) -> pl.DataFrame:
    """See ``fzcompare.benchmark.what_it_would_take``."""
    rubric = result.rubric
    structure = Structure.of(rubric)
    # A region-year without enough evidence gets no plan: its list would be every criterion
    # it never reported on.
    targets = result.totals.filter(~pl.col("verdict").is_in(["pass", "insufficient_evidence"]))
    if regions is not None:
        targets = targets.filter(pl.col("region_code").is_in(list(regions)))
    if year is not None:
        targets = targets.filter(pl.col("year") == year)
    order = rubric.criteria.select("criterion_id", "order")
    blocks = (result.criteria_for(years=year, regions=regions)
              .join(targets.select("region_code", "year"), on=["region_code", "year"],
                    how="semi")
              .join(order, on="criterion_id", how="left")
              .sort("region_code", "year", "order")
              .partition_by("region_code", "year", maintain_order=True))
    steps: list[dict[str, Any]] = []
    for block in blocks:
        steps.extend(_region_steps(structure, block, rubric.pass_points, max_combinations))
    return pl.DataFrame(steps, schema=_STEP_SCHEMA)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _cause(row: dict[str, Any]) -> str:
    """What differs between the two editions' versions of one criterion."""
    if row["criterion_name"] is None:
        return " (only in B)"
    if row["criterion_name_b"] is None:
        return " (only in A)"
    changes = []
    for key in ("rule", "comparator"):
        if row[key] != row[f"{key}_b"]:
            changes.append(f"{key} {row[key]} -> {row[f'{key}_b']}")
    for key in ("threshold", "threshold_high", "points_possible"):
        if row[key] != row[f"{key}_b"]:
            label = "points" if key == "points_possible" else key
            changes.append(f"{label} {_number(row[key])} -> {_number(row[f'{key}_b'])}")
    return f" ({'; '.join(changes)})" if changes else ""


def editions(result_a: BenchmarkResult, result_b: BenchmarkResult) -> pl.DataFrame:
    """See ``fzcompare.benchmark.compare_editions``."""
    keys = ["region_code", "year"]
    pick = ["region_code", "year", "verdict", "share", "vetoed_by"]
    joined = result_a.totals.select(pick).join(
        result_b.totals.select(pick), on=keys, how="full", coalesce=True, suffix="_b"
    ).rename({"verdict": "verdict_a", "share": "share_a", "vetoed_by": "vetoed_by_a",
              "verdict_b": "verdict_b", "share_b": "share_b"})
    joined = joined.with_columns(
        pl.col("verdict_a").ne_missing(pl.col("verdict_b")).alias("changed"))
    columns = ["criterion_id", "criterion_name", "rule", "comparator", "threshold",
               "threshold_high", "points_possible", "points_earned"]
    changed = joined.filter(pl.col("changed")).select(keys)
    crit_a = result_a.criteria.join(changed, on=keys, how="semi").select(keys + columns)
    crit_b = result_b.criteria.join(changed, on=keys, how="semi").select(keys + columns)
    diffs = (crit_a.join(crit_b, on=[*keys, "criterion_id"], how="full", coalesce=True,
                         suffix="_b")
             .with_columns((pl.col("points_earned_b").fill_null(0.0)
                            - pl.col("points_earned").fill_null(0.0)).alias("delta"))
             .filter(pl.col("delta").abs() > EPS)
             .sort(pl.col("delta").abs(), descending=True))
    top: dict[tuple[str, int], list[str]] = {}
    for row in diffs.iter_rows(named=True):
        key = (row["region_code"], row["year"])
        items = top.setdefault(key, [])
        if len(items) >= 3:
            continue
        name = row["criterion_name_b"] if row["criterion_name"] is None else row["criterion_name"]
        items.append(f"{row['criterion_id']} {name} {row['delta']:+g} pts{_cause(row)}")
    line_a, line_b = result_a.rubric.pass_share, result_b.rubric.pass_share
    reasons: list[str | None] = []
    for row in joined.iter_rows(named=True):
        if not row["changed"]:
            reasons.append(None)
            continue
        parts = [f"{row['verdict_a'] or 'not scored'} -> {row['verdict_b'] or 'not scored'}"]
        if row["share_a"] is not None and row["share_b"] is not None:
            parts.append(f"share {row['share_a']:.1%} -> {row['share_b']:.1%}")
        if abs(line_a - line_b) > EPS:
            parts.append(f"pass line {line_a:.1%} -> {line_b:.1%}")
        if row["vetoed_by_b"] and row["vetoed_by_b"] != row["vetoed_by_a"]:
            parts.append(f"vetoed in B by {row['vetoed_by_b']}")
        if row["vetoed_by_a"] and not row["vetoed_by_b"]:
            parts.append(f"no longer vetoed (A: {row['vetoed_by_a']})")
        parts.extend(top.get((row["region_code"], row["year"]), []))
        reasons.append("; ".join(parts))
    return joined.with_columns(pl.Series("reason", reasons, dtype=pl.String())).select(
        "region_code", "year", "verdict_a", "verdict_b", "share_a", "share_b", "changed",
        "reason").sort("year", "region_code")
