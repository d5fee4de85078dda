"""Benchmark: rank_uncertainty (Monte Carlo), the rubric audit, and rank-interval coverage.

Usage::

    python benchmarks/bench_uncertainty.py [--size tiny|small|national] [--coverage-regions N]

The panel is ``fzcompare.synthetic.national_panel`` (two years) scored with the generated
100-criterion rubric of ``bench_benchmark.py``. Polars and BLAS are limited to 2 threads.

Measured in the same run:

1. ``rank_uncertainty(result, draws=N)`` for the scored year (count/rate noise, imputation
   of non-disclosed figures, weight draws), against the existing ``rank_robustness`` with the
   same number of draws on the same panel as the baseline (a ratio, not a timing assertion);
   and the same over both years (what ``p_rank_improved`` needs).
2. ``audit(result)`` against pandas ``DataFrame.corr()`` of the same points matrix (which
   computes only the correlation matrix, a part of what the audit does).
3. Coverage on a panel with known truth: the synthetic panel's figures are the truth and
   give the true ranks; observed figures are drawn once from the noise model (Poisson
   counts, binomial rates with their denominators); rank intervals computed from the
   observed figures alone are checked for the share of regions whose true rank lies in
   ``[rank_p05, rank_p95]`` (noise only, then with weights and 5 % hidden figures too).

Targets (national size): 1,000 draws for 3,000 regions x 100 criteria <= 30 s; the audit of
that panel <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"n_regions": 60, "n_criteria": 24, "draws": 50, "coverage_regions": 60,
             "coverage_draws": 100},
    "small": {"n_regions": 600, "n_criteria": 100, "draws": 200, "coverage_regions": 300,
              "coverage_draws": 400},
    "national": {"n_regions": 3000, "n_criteria": 100, "draws": 1000,
                 "coverage_regions": 500, "coverage_draws": 1000},
}
YEAR = 2024
DRAWS_LIMIT_S = 30.0
AUDIT_LIMIT_S = 5.0


CPU: dict[str, float] = {}


def timed(func: Callable[[], Any], label: str = "") -> tuple[float, Any]:
    """Wall time of ``func()`` (its CPU time of this process goes to ``CPU[label]``)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = func()
    CPU[label] = time.process_time() - cpu
    return time.perf_counter() - start, out


def observed_from_truth(truth: Any, result: Any, seed: int, hide: float) -> Any:
    """Observations drawn once from the noise model around the true figures.

    Criterion figures are replaced by one Poisson / binomial draw; ``hide`` of them are
    removed (not disclosed). Other rows (denominators) stay as they are.
    """
    import numpy as np
    import polars as pl

    from fzcompare.benchmark._uncertainty import draw_values, panel_of, plan_of

    panel = panel_of(result, truth)
    plan = plan_of(panel, result.rubric, noise=True, impute=False)
    rng = np.random.default_rng(seed)
    noisy = draw_values(rng, panel, plan, 1)[0]
    table = result.criteria_for().select("region_code", "year", "indicator_code",
                                         pl.col("scope_used").alias("scope"))
    drawn = table.with_columns(pl.Series("_noisy", noisy)).unique(
        ["region_code", "year", "indicator_code", "scope"], keep="first")
    frame = truth.join(drawn, on=["region_code", "year", "indicator_code", "scope"],
                       how="left").with_columns(
        pl.coalesce(pl.col("_noisy").fill_nan(None), pl.col("value")).alias("value")
    ).drop("_noisy")
    if hide > 0:
        criterion_codes = set(result.rubric.criteria["indicator_code"].to_list())
        hidden = (pl.col("indicator_code").is_in(list(criterion_codes))
                  & pl.Series(rng.random(frame.height) < hide))
        frame = frame.filter(~hidden)
    return frame


def load() -> str:
    """The 1-minute load average, for the lines that print a time."""
    return f"load {os.getloadavg()[0]:.1f}"


def coverage(size: dict[str, int], rubric: Any, n_indicators: int) -> list[str]:
    """Share of regions whose true rank lies inside the interval, for two settings."""
    import polars as pl

    from fzcompare.benchmark import benchmark, rank_uncertainty
    from fzcompare.synthetic import national_panel

    panel = national_panel(n_regions=size["coverage_regions"], years=[YEAR],
                           n_indicators=n_indicators, seed=1)
    truth = panel.observations
    true_result = benchmark(truth, rubric, years=YEAR, regions_table=panel.regions)
    true_rank = true_result.totals.select("region_code", pl.col("rank").alias("true_rank"))
    lines = []
    for label, hide, spread, impute in (("noise only", 0.0, 0.0, False),
                                        ("noise + weights 0.25 + 5 % hidden, imputed",
                                         0.05, 0.25, True)):
        observed = observed_from_truth(truth, true_result, seed=2, hide=hide)
        result = benchmark(observed, rubric, years=YEAR, regions_table=panel.regions)
        ranks = rank_uncertainty(result, draws=size["coverage_draws"], seed=3,
                                 weight_spread=spread, impute=impute,
                                 observations=observed).ranks
        both = ranks.join(true_rank, on="region_code").filter(
            pl.col("rank").is_not_null() & pl.col("true_rank").is_not_null())
        inside = both.filter((pl.col("rank_p05") <= pl.col("true_rank"))
                             & (pl.col("true_rank") <= pl.col("rank_p95"))).height
        width = (both["rank_p95"] - both["rank_p05"]).median()
        groups = both.select("peer_group", "tied_group").n_unique()
        blocks = both["peer_group"].n_unique()
        lines.append(f"  coverage ({label}): {inside / both.height:.1%} of {both.height} "
                     f"regions have their true rank in [rank_p05, rank_p95] (nominal 90 %); "
                     f"median width {width} ranks; {groups} tied groups in {blocks} peer groups")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    args = parser.parse_args(argv)
    size = SIZES[args.size]

    import numpy as np
    import pandas as pd
    from bench_benchmark import rubric_mapping

    from fzcompare.benchmark import audit, benchmark, rank_robustness, rank_uncertainty
    from fzcompare.catalog import load_catalog
    from fzcompare.criteria import parse_criteria
    from fzcompare.synthetic import national_panel

    n_indicators = min(100, load_catalog().indicators.height)
    panel = national_panel(n_regions=size["n_regions"], years=[YEAR - 1, YEAR],
                           n_indicators=n_indicators, seed=0)
    rubric = parse_criteria(rubric_mapping(size["n_criteria"], n_indicators),
                            path="<bench_uncertainty>")
    obs = panel.observations
    draws = size["draws"]
    print(f"fzcompare rank_uncertainty / audit, size {args.size}: {size['n_regions']:,} "
          f"regions x {rubric.criteria.height} criteria, {draws} draws; POLARS_MAX_THREADS="
          f"{os.environ['POLARS_MAX_THREADS']}")
    one_year = benchmark(obs, rubric, years=YEAR, regions_table=panel.regions)
    both_years = benchmark(obs, rubric, regions_table=panel.regions)

    print(f"  load average at start: {os.getloadavg()[0]:.1f} (2 cores; wall times under load "
          "include waiting: CPU time of this process, all its threads, is printed too)")
    mc_time, unc = timed(lambda: rank_uncertainty(one_year, draws=draws, observations=obs),
                         "mc")
    base_time, _ = timed(lambda: rank_robustness(obs, rubric, draws=draws, years=YEAR,
                                                 regions_table=panel.regions), "base")
    s = unc.settings
    limit = (" (target <= 30 s: " + ("met" if mc_time <= DRAWS_LIMIT_S else "MISSED") + ")"
             if args.size == "national" else "")
    print(f"  rank_uncertainty({draws} draws, {YEAR})  {mc_time:8.3f} s wall, "
          f"{CPU['mc']:.3f} s CPU{limit}; "
          f"{s.noisy_cells:,} noisy cells, {s.imputed_cells:,} imputed cells; {load()}")
    print(f"  baseline rank_robustness({draws} draws) {base_time:8.3f} s wall, "
          f"{CPU['base']:.3f} s CPU -> rank_uncertainty "
          f"costs {mc_time / base_time:.2f}x (it rescores through the rubric's rules each draw)")
    ranked = unc.ranks.filter(unc.ranks["rank"].is_not_null())
    ok = bool(((ranked["rank_p05"] <= ranked["rank"])
               & (ranked["rank"] <= ranked["rank_p95"])).all())
    print(f"  invariant rank_p05 <= rank <= rank_p95 for all {ranked.height:,} ranked: {ok}")
    two_time, two = timed(lambda: rank_uncertainty(both_years, draws=draws,
                                                   observations=obs), "two")
    print(f"  rank_uncertainty({draws} draws, {YEAR - 1}+{YEAR} jointly) {two_time:8.3f} s wall, "
          f"{CPU['two']:.3f} s CPU; "
          f"p_rank_improved for {two.ranks['p_rank_improved'].is_not_null().sum():,} regions")

    choice_draws = max(1, draws // 5)
    choice_time, chosen = timed(lambda: rank_uncertainty(
        one_year, draws=choice_draws, observations=obs,
        normalisations=("rubric", "minmax", "zscore"),
        aggregations=("arithmetic", "geometric")), "choices")
    shares = ", ".join(f"{f} {v:.2f}" for f, v in chosen.sensitivity.select(
        "factor", "first_order_share").iter_rows() if v is not None)
    print(f"  rank_uncertainty({choice_draws} draws, composite choices drawn) "
          f"{choice_time:8.3f} s wall, {CPU['choices']:.3f} s CPU; first-order shares: "
          f"{shares}; most influential: {chosen.most_influential_choice()}")
    for row in chosen.choices.iter_rows(named=True):
        print(f"    {row['combination']:<22} {row['draws']:5d} draws, mean |rank shift| "
              f"{row['mean_abs_rank_shift']:.2f}")

    audit_time, report = timed(lambda: audit(one_year), "audit")
    points = one_year.criteria_for(years=YEAR)["points_earned"].to_numpy().reshape(
        -1, rubric.criteria.height)
    pd_time, _ = timed(lambda: pd.DataFrame(points).corr())
    limit = (" (target <= 5 s: " + ("met" if audit_time <= AUDIT_LIMIT_S else "MISSED") + ")"
             if args.size == "national" else "")
    print(f"  audit()                {audit_time:8.3f} s wall, {CPU['audit']:.3f} s CPU{limit}; "
          f"{len(report.findings)} "
          f"findings")
    print(f"  baseline pandas corr() {pd_time:8.3f} s (correlation matrix only) -> audit is "
          f"{audit_time / pd_time:.1f}x its time")
    for line in coverage(size, rubric, n_indicators):
        print(line)
    del np
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
