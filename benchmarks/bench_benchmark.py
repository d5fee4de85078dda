"""Benchmark: fzcompare.benchmark scoring and Monte Carlo rank robustness.

Usage::

    python benchmarks/bench_benchmark.py [--size tiny|small|national]

The synthetic panel comes from ``fzcompare.synthetic.national_panel`` (two years, so that the
scored year has a previous year for rank changes); the rubric is generated
(:func:`national_rubric`: 97 scored criteria over 8 areas with all-or-nothing, linear and
deduction-with-cap rules, 2 bonus items, 1 veto item = 100 criteria). Polars and BLAS are
limited to 2 threads (the target machine has 2 cores).

Measured in the same run:

1. ``benchmark(observations, rubric, year=...)`` against the loop a competent user would write
   (:func:`benchmark_loop`: a dict of values, then a Python loop over regions and criteria
   applying the same rules, area sums with bonus caps, vetoes, and pandas ranks; the year
   before is scored the same way for rank changes, as fzcompare does). The loop's totals,
   verdicts, ranks and previous ranks must equal fzcompare's, or the script exits 1.
2. ``rank_robustness(..., draws=N)`` against a pandas loop over draws (weighted mean of
   goalpost-normalised values with jittered weights, ``groupby().rank(method="min")``),
   timed on a subset of draws and extrapolated per draw (the output says so). The baseline does
   less work: one normalisation and one aggregation, where fzcompare draws from all of them.

Targets (national size): scoring <= 2 s, 1,000 draws for 3,000 regions <= 30 s.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"n_regions": 60, "n_criteria": 24, "draws": 50, "baseline_draws": 10},
    "small": {"n_regions": 600, "n_criteria": 100, "draws": 200, "baseline_draws": 40},
    "national": {"n_regions": 3000, "n_criteria": 100, "draws": 1000, "baseline_draws": 60},
}
YEAR = 2024
SCORE_LIMIT_S = 2.0
DRAWS_LIMIT_S = 30.0
RULES = ("all_or_nothing", "linear", "deduction", "all_or_nothing", "deduction", "linear")


def _indicator_codes(n: int) -> list[str]:
    """The catalog codes ``national_panel`` uses for ``n`` indicators: main ones first."""
    import polars as pl

    from fzcompare.catalog import load_catalog

    indicators = load_catalog().indicators
    codes = (indicators.filter(pl.col("main"))["code"].to_list()
             + indicators.filter(~pl.col("main"))["code"].to_list())
    return codes[:n]


def rubric_mapping(n_criteria: int = 100, n_indicators: int = 100) -> dict[str, Any]:
    """A generated rubric of ``n_criteria`` criteria (3 of them bonus/veto) as a mapping."""
    import numpy as np

    from fzcompare.catalog import load_catalog

    catalog = load_catalog()
    codes = _indicator_codes(n_indicators)
    rng = np.random.default_rng(1)
    areas: list[dict[str, Any]] = [{"id": f"A{a + 1}", "name": f"领域{a + 1}", "criteria": []}
                                   for a in range(8)]
    for k in range(n_criteria - 3):
        info = catalog.indicator(codes[k % len(codes)])
        low = max(info["typical_low"] if info["typical_low"] is not None else 0.0,
                  info["min_value"] or 0.0)
        high = info["typical_high"] if info["typical_high"] is not None else low + 100.0
        if info["max_value"] is not None:
            high = min(high, info["max_value"])
        lower_better = info["direction"] == "lower"
        rule = RULES[k % len(RULES)]
        middle = round(low + rng.uniform(0.3, 0.7) * (high - low), 2)
        item: dict[str, Any] = {"id": f"C{k + 1:03d}", "name": f"指标{k + 1}",
                                "indicator": info["code"], "rule": rule,
                                "comparator": "<=" if lower_better else ">=",
                                "threshold": middle, "points": float(1 + k % 3),
                                "goalposts": [round(low, 2), round(max(high, low + 1), 2)]}
        if rule == "linear":
            item["threshold"], item["threshold_high"] = round(low, 2), max(middle, round(low, 2)
                                                                           + 0.01)
        elif rule == "deduction":
            item.update(deduct=0.25, per=max(round((high - low) / 20, 2), 0.01),
                        cap=round(0.75 * item["points"], 2))
        areas[k % 8]["criteria"].append(item)
    areas.append({"id": "B", "name": "加分项", "bonus_cap": 2, "criteria": [
        {"id": "B1", "name": "加分1", "indicator": codes[0], "rule": "bonus",
         "comparator": "exists", "points": 1},
        {"id": "B2", "name": "加分2", "indicator": codes[1 % len(codes)], "rule": "bonus",
         "comparator": ">=", "threshold": 0, "add": 0.5, "per": 10, "points": 1.5}]})
    areas.append({"id": "V", "name": "一票否决", "criteria": [
        {"id": "V1", "name": "否决", "indicator": codes[2 % len(codes)], "rule": "veto",
         "comparator": "exists"}]})
    return {"id": "bench-generated", "name": "generated benchmark rubric", "version": "1",
            "edition": YEAR, "source": {"user_set": True, "statement": "generated for timing"},
            "pass_line": {"share": 0.6}, "peer_group": {"by": ["level", "parent"]},
            "missing_policy": "zero", "areas": areas}


def national_rubric() -> Any:
    """The 100-criterion rubric over the first 100 catalog indicators (main ones first)."""
    from fzcompare.criteria import parse_criteria

    return parse_criteria(rubric_mapping(100, 100), path="<bench_benchmark>")


# ---------------------------------------------------------------------------------- baseline


def _whole_scope(code: str) -> str:
    if code == "000000":
        return "全国"
    if code.endswith("0000"):
        return "全省"
    return "全市" if code.endswith("00") else "全县"


def _criterion_points(c: dict[str, Any], v: float | None) -> tuple[float, bool]:
    """Points earned and whether a veto fails, the way the rubric text reads."""
    points = c["points"] or 0.0
    cmp, t, th = c["comparator"], c["threshold"], c["threshold_high"]
    if cmp == "exists":
        ok = v is not None and v != 0
    elif v is None:
        return 0.0, c["rule"] == "veto"
    elif cmp == ">=":
        ok = v >= t - 1e-9
    elif cmp == "<=":
        ok = v <= t + 1e-9
    elif cmp == "==":
        ok = abs(v - t) <= (c["tolerance"] or 0.0) + 1e-9
    else:
        ok = t - 1e-9 <= v <= th + 1e-9
    rule = c["rule"]
    if rule == "veto":
        return 0.0, not ok
    if v is None:
        return (points if ok else 0.0), False
    if rule == "linear":
        share = (v - t) / (th - t) if cmp == ">=" else (th - v) / (th - t)
        return points * min(max(share, 0.0), 1.0), False
    if rule == "deduction":
        short = 0.0 if ok else (t - v if cmp == ">=" else v - t)
        units = math.ceil(short / c["per"] - 1e-9) if c["rounding"] == "up" else short / c["per"]
        return max(points - min(max(units, 0) * c["deduct"], c["cap"]), 0.0), False
    if rule == "bonus" and c["add"] is not None:
        excess = v - t if cmp == ">=" else t - v
        units = math.floor(excess / c["per"] + 1e-9)
        return min(max(units, 0) * c["add"], points), False
    return (points if ok else 0.0), False


def _on_evidence(evidence: dict[str, tuple[float, float]], area_points: dict[str, float],
                 rubric: Any) -> float:
    """Points on the criteria with a value: each area rescaled to its points, then the total."""
    kept = {a: (earned * area_points[a] / possible) for a, (earned, possible)
            in evidence.items() if possible > 0}
    covered = sum(area_points[a] for a in kept)
    return sum(kept.values()) * rubric.total_points / covered if covered else math.nan


def _region_total(region: str, base: dict[str, float], bonus: dict[str, float],
                  vetoed: list[str], caps: dict[str, float | None],
                  rubric: Any, evidence_share: float) -> tuple[float, str, str]:
    """Points (bonus capped per area and in total), verdict and peer group of one region."""
    bonus_total = sum(min(b, caps[a] if caps[a] is not None else math.inf)
                      for a, b in bonus.items())
    if rubric.bonus_cap is not None:
        bonus_total = min(bonus_total, rubric.bonus_cap)
    points = sum(base.values()) + bonus_total
    verdict = ("insufficient_evidence" if evidence_share < rubric.min_evidence - 1e-9
               else "vetoed" if vetoed
               else "pass" if points >= rubric.pass_points - 1e-9 else "fail")
    level = "county" if not region.endswith("00") else "prefecture"
    parent = region[:4] + "00" if level == "county" else region[:2] + "0000"
    return points, verdict, f"{level}/{parent}"


def benchmark_loop(frame: Any, rubric: Any, *, year: int) -> Any:
    """The baseline: score a year with a Python loop over regions and criteria (pandas in/out).

    Returns what ``benchmark(..., year=year).totals`` holds: points, verdict, rank within the
    peer group, and ``prev_rank`` / ``rank_change`` against the year before (so that year is
    scored too, as fzcompare does). Supports what :func:`national_rubric` uses:
    whole-jurisdiction scope, missing = zero, areas without sub-areas, area and set bonus
    caps, vetoes, peers by level and parent. As in fzcompare, a region whose criteria with a
    value carry less than ``min_evidence`` of the points is ``insufficient_evidence`` and
    unranked; the others are ranked by points on the criteria with a value (each area
    rescaled to its points, then the total), plus bonus points.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    criteria = rubric.criteria.to_dicts()
    caps = dict(zip(rubric.areas["area_id"], rubric.areas["bonus_cap"], strict=True))
    area_points = dict(zip(rubric.areas["area_id"], rubric.areas["points"], strict=True))

    def score_year(rows: Any) -> Any:
        values: dict[tuple[str, str, str], float] = {}
        for region, code, scope, value in zip(rows["region_code"], rows["indicator_code"],
                                              rows["scope"], rows["value"], strict=True):
            values[(region, code, scope)] = float(value)
        records = []
        for region in sorted(set(rows["region_code"])):
            whole = _whole_scope(region)
            base: dict[str, float] = {}
            bonus: dict[str, float] = {}
            evidence: dict[str, tuple[float, float]] = {}
            vetoed = []
            for c in criteria:
                scope = whole if c["scope"] == "whole" else c["scope"]
                value = values.get((region, c["indicator_code"], scope))
                earned, veto = _criterion_points(c, value)
                if veto:
                    vetoed.append(c["criterion_id"])
                target = bonus if c["rule"] == "bonus" else base
                target[c["area_id"]] = target.get(c["area_id"], 0.0) + earned
                if c["rule"] not in ("bonus", "veto") and value is not None:
                    e, p = evidence.get(c["area_id"], (0.0, 0.0))
                    evidence[c["area_id"]] = (e + earned, p + c["points"])
            share = sum(p for _, p in evidence.values()) / rubric.total_points
            points, verdict, peer_group = _region_total(region, base, bonus, vetoed, caps,
                                                        rubric, share)
            on_evidence = _on_evidence(evidence, area_points, rubric) + (
                points - sum(base.values()))
            records.append({"region_code": region, "peer_group": peer_group,
                            "points_earned": points, "verdict": verdict,
                            "_on_evidence": on_evidence if share >= rubric.min_evidence - 1e-9
                            else math.nan})
        table = pd.DataFrame(records, columns=["region_code", "peer_group", "points_earned",
                                               "verdict", "_on_evidence"])
        table["rank"] = table.groupby("peer_group")["_on_evidence"].rank(
            method="min", ascending=False).astype("Int64")
        return table.drop(columns="_on_evidence")

    table = score_year(frame[frame["year"] == year])
    before = score_year(frame[frame["year"] == year - 1])
    table = table.merge(before[["region_code", "rank"]].rename(columns={"rank": "prev_rank"}),
                        on="region_code", how="left")
    table["rank_change"] = table["prev_rank"] - table["rank"]
    return table


def robustness_loop(normalised: Any, weights: Any, peer_groups: Any, *, draws: int,
                    spread: float, seed: int = 0) -> Any:
    """The Monte Carlo baseline: one pandas weighted mean and group rank per draw."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    values = pd.DataFrame(normalised)
    present = values.notna()
    filled = values.fillna(0.0)
    ranks = []
    for _ in range(draws):
        w = pd.Series(weights * rng.uniform(1 - spread, 1 + spread, size=len(weights)))
        score = filled.mul(w, axis=1).sum(axis=1) / present.mul(w, axis=1).sum(axis=1)
        ranks.append(score.groupby(peer_groups).rank(method="min", ascending=False))
    table = pd.concat(ranks, axis=1)
    return table.quantile([0.05, 0.5, 0.95], axis=1).T


# ---------------------------------------------------------------------------------- timing


def best_of(repeats: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeats):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    args = parser.parse_args(argv)
    size = SIZES[args.size]

    import numpy as np
    import polars as pl

    from fzcompare.benchmark import benchmark, composite, rank_robustness
    from fzcompare.catalog import load_catalog
    from fzcompare.criteria import parse_criteria
    from fzcompare.synthetic import national_panel

    n_indicators = min(100, load_catalog().indicators.height)
    panel = national_panel(n_regions=size["n_regions"], years=[YEAR - 1, YEAR],
                           n_indicators=n_indicators, seed=0)
    rubric = parse_criteria(rubric_mapping(size["n_criteria"], n_indicators),
                            path="<bench_benchmark>")
    observations = panel.observations
    print(f"fzcompare.benchmark, size {args.size}: {size['n_regions']:,} regions x "
          f"{rubric.criteria.height} criteria, scoring {YEAR} ({observations.height:,} "
          f"observations over {YEAR - 1}-{YEAR}); POLARS_MAX_THREADS="
          f"{os.environ['POLARS_MAX_THREADS']}")

    # Warm-up on a slice that holds both years (a year outside the data is an error).
    warm_up = observations.head(1000).vstack(observations.tail(1000))
    benchmark(warm_up, rubric, years=YEAR, regions_table=panel.regions)
    fz_time, result = best_of(3, lambda: benchmark(observations, rubric, years=YEAR,
                                                   regions_table=panel.regions))
    frame = observations.to_pandas()
    loop_time, loop = best_of(3, lambda: benchmark_loop(frame, rubric, year=YEAR))
    ok = True
    ours = result.totals.to_pandas().set_index("region_code").sort_index()
    theirs = loop.set_index("region_code").sort_index()
    diff = float(np.abs(ours["points_earned"] - theirs["points_earned"]).max())
    same_verdicts = bool((ours["verdict"] == theirs["verdict"]).all())
    same_ranks = bool((ours["rank"].astype(float).fillna(-1)
                       == theirs["rank"].astype(float).fillna(-1)).all()
                      and (ours["prev_rank"].astype(float).fillna(-1)
                           == theirs["prev_rank"].astype(float).fillna(-1)).all())
    if diff > 1e-9 or not same_verdicts or not same_ranks:
        ok = False
    limit = " (target <= 2 s: " + ("met" if fz_time <= SCORE_LIMIT_S else "MISSED") + ")" \
        if args.size == "national" else ""
    print(f"  benchmark()            {fz_time:8.3f} s  best of 3{limit}")
    print(f"  baseline Python loop   {loop_time:8.3f} s  best of 3 -> fzcompare is "
          f"{loop_time / fz_time:.1f}x faster")
    print(f"  agreement with the loop: max |points diff| {diff:.2e}, verdicts equal "
          f"{same_verdicts}, ranks and previous ranks equal {same_ranks}")

    draws = size["draws"]
    mc_time, robust = best_of(1, lambda: rank_robustness(
        observations, rubric, draws=draws, years=YEAR, regions_table=panel.regions))
    goal = composite(observations, rubric, years=YEAR, regions_table=panel.regions)
    normalised = goal.normalised.pivot(on="criterion_id", index="region_code",
                                       values="normalised", maintain_order=True)
    peer = goal.scores.select("region_code", "peer_group")
    ordered = normalised.join(peer, on="region_code", how="left", maintain_order="left")
    matrix = ordered.select(goal.weights["criterion_id"].to_list()).to_numpy()
    weights = goal.weights["weight"].to_numpy()
    sample = size["baseline_draws"]
    base_time, _ = best_of(1, lambda: robustness_loop(
        matrix, weights, ordered["peer_group"].to_numpy(), draws=sample, spread=0.25))
    per_draw = base_time / sample
    limit = " (target <= 30 s: " + ("met" if mc_time <= DRAWS_LIMIT_S else "MISSED") + ")" \
        if args.size == "national" else ""
    print(f"  rank_robustness({draws} draws) {mc_time:8.3f} s{limit}; "
          f"{robust.ranks.height:,} regions")
    print(f"  baseline pandas loop   {per_draw * draws:8.3f} s  (extrapolated from {sample} "
          f"draws, {per_draw * 1000:.1f} ms/draw; one normalisation only) -> fzcompare is "
          f"{per_draw * draws / mc_time:.1f}x faster")
    if not pl.Series(robust.ranks["rank_p05"] <= robust.ranks["rank_p95"]).all():
        ok = False
    if not ok:
        print("  MISMATCH: fzcompare and the baseline disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
