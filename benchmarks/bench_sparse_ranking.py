"""Benchmark: how close rankings on sparse data get to the dense truth.

The dense synthetic demo panel (17 prefecture-level divisions, every indicator disclosed) is
scored against the bundled ``hubei-demo-2024`` rubric; its ranks are the truth. A sparse copy
hides figures the way real annual reports do (figures are drawn out per region-year: rates are
disclosed more often than counts, some governments publish short reports, some region-years
publish nothing) and is scored again two ways:

- zero-filling: the rubric's ``missing_policy: zero`` points (``points_earned``), every region
  ranked, as fzcompare ranked before issue 16;
- evidence-aware: fzcompare's ``rank`` (regions with ``evidence_share >= min_evidence``,
  ranked by points on the criteria with evidence).

For each method: Kendall's tau (tau-b, ``scipy.stats.kendalltau``) between its ranks and the
dense ranks over the regions it ranks, and the share of those regions misranked by more than 3
places (the dense ranks re-ranked within the same regions, so both sides count places the
same way). Zero-filling is also measured on the evidence-aware method's regions, so the two
are compared on equal sets. Averages over ``--trials`` hiding draws (fixed seeds).

Run: ``python benchmarks/bench_sparse_ranking.py [--trials 40 | --size tiny]``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")

import numpy as np
import polars as pl

YEAR = 2024
RATE_DISCLOSED = 0.75
"""Chance that a full report discloses a rate (headline rates are the figures most reported)."""
COUNT_DISCLOSED = 0.5
"""Chance that a full report discloses a count."""
SHORT_REPORT = 0.6
"""Short reports disclose each figure with this factor of a full report's chance."""
SHORT_SHARE = 0.4
"""Share of region-years with a short report."""
NO_REPORT = 0.1
"""Share of region-years without any report."""


def hide(observations: pl.DataFrame, kinds: dict[str, str], *, seed: int) -> pl.DataFrame:
    """A sparse copy: each region-year's report keeps each figure with its kind's chance."""
    rng = np.random.default_rng(seed)
    pairs = observations.select("region_code", "year").unique().sort("region_code", "year")
    factor = np.where(rng.random(pairs.height) < SHORT_SHARE, SHORT_REPORT, 1.0)
    factor[rng.random(pairs.height) < NO_REPORT] = 0.0
    pairs = pairs.with_columns(pl.Series("_factor", factor))
    frame = observations.join(pairs, on=["region_code", "year"], how="left").sort(
        "region_code", "year", "indicator_code", "scope")
    base = np.array([RATE_DISCLOSED if kinds.get(c) == "rate" else COUNT_DISCLOSED
                     for c in frame["indicator_code"].to_list()])
    keep = rng.random(frame.height) < base * frame["_factor"].to_numpy()
    return frame.filter(pl.Series(keep)).drop("_factor")


def _ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks, 1 = highest (ties share the lowest number)."""
    return np.array([1 + int((values > v + 1e-9).sum()) for v in values])


def _compare(truth: dict[str, float], scores: dict[str, float]) -> tuple[float, float, int]:
    from scipy.stats import kendalltau

    codes = sorted(scores)
    if len(codes) < 3:
        return float("nan"), float("nan"), len(codes)
    ours = _ranks(np.array([scores[c] for c in codes]))
    true = _ranks(np.array([truth[c] for c in codes]))
    tau = float(kendalltau(ours, true).statistic)
    return tau, float(np.mean(np.abs(ours - true) > 3)), len(codes)


def trial(dense: pl.DataFrame, rubric: Any, regions: pl.DataFrame, kinds: dict[str, str],
          truth: dict[str, float], *, seed: int) -> dict[str, tuple[float, float, int]]:
    from fzcompare.benchmark import benchmark

    sparse = hide(dense, kinds, seed=seed)
    totals = benchmark(sparse, rubric, years=YEAR, regions_table=regions).totals
    zero = dict(totals.select("region_code", "points_earned").iter_rows())
    zero = {c: (v or 0.0) for c, v in zero.items()}
    # Regions without a single figure in the year still sit in a zero-filled league table.
    zero.update({c: 0.0 for c in truth if c not in zero})
    ranked = totals.filter(pl.col("rank").is_not_null())
    evidence = dict(ranked.select("region_code", "points_on_evidence").iter_rows())
    return {
        "zero-filling, all regions": _compare(truth, zero),
        "zero-filling, regions ranked on evidence": _compare(
            truth, {c: zero[c] for c in evidence}),
        "evidence-aware (fzcompare rank)": _compare(truth, evidence),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None,
                        help="hiding draws (default 40; --size tiny: 3)")
    parser.add_argument("--size", choices=("tiny", "small", "national"), default="small",
                        help="tiny: 3 draws (a smoke run); small and national: 40")
    args = parser.parse_args(argv)
    if args.trials is None:
        args.trials = 3 if args.size == "tiny" else 40

    from fzcompare.benchmark import benchmark
    from fzcompare.catalog import load_catalog
    from fzcompare.criteria import load_criteria
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    rubric = load_criteria("hubei-demo-2024")
    dense = panel.observations.filter(pl.col("year") >= YEAR - 1)
    kinds = dict(load_catalog().indicators.select("code", "kind").iter_rows())
    truth_totals = benchmark(dense, rubric, years=YEAR, regions_table=panel.regions).totals
    truth = dict(truth_totals.select("region_code", "points_earned").iter_rows())
    print(f"dense truth: {len(truth)} regions scored in {YEAR} against {rubric.id}; "
          f"{args.trials} hiding draws (rates kept {RATE_DISCLOSED:.0%}, counts "
          f"{COUNT_DISCLOSED:.0%}, short reports x{SHORT_REPORT}, no report {NO_REPORT:.0%})")
    results: dict[str, list[tuple[float, float, int]]] = {}
    for seed in range(args.trials):
        for name, value in trial(dense, rubric, panel.regions, kinds, truth,
                                 seed=seed).items():
            results.setdefault(name, []).append(value)
    print(f"{'method':44} {'Kendall tau':>12} {'misranked >3':>13} {'regions ranked':>15}")
    for name, values in results.items():
        taus = np.array([v[0] for v in values])
        wrong = np.array([v[1] for v in values])
        sizes = np.array([v[2] for v in values])
        print(f"{name:44} {np.nanmean(taus):12.3f} {np.nanmean(wrong):13.1%} "
              f"{sizes.mean():15.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
