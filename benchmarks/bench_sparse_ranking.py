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


WITHHELD = 0.2
"""Share of the hidden figures of a region-year with a report that the report marks as
withheld (a ``withheld`` row, value null); the others are simply left out (``not_disclosed``)."""


def hide(observations: pl.DataFrame, kinds: dict[str, str], *,
         seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A sparse copy, in the data model's disclosure states, and its region-years with a report.

    Each region-year's report keeps each figure with its kind's chance. A hidden figure is
    never a zero: it is absent (``not_disclosed``, the report exists), a ``withheld`` row with
    no value, or, when the region-year has no report at all, absent with no report
    (``no_report``).
    """
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
    withheld = ~keep & (frame["_factor"].to_numpy() > 0) & (rng.random(frame.height) < WITHHELD)
    state = np.where(keep, "reported", np.where(withheld, "withheld", ""))
    sparse = frame.with_columns(pl.Series("disclosure", state)).filter(
        pl.col("disclosure") != "").with_columns(
        pl.when(pl.col("disclosure") == "reported").then(pl.col("value"))
        .otherwise(None).alias("value")).drop("_factor")
    reports = pairs.filter(pl.col("_factor") > 0).select("region_code", "year")
    return sparse, reports


def hide_like_real_reports(observations: pl.DataFrame, *,
                           seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hiding of ``demo_panel(disclosure="sparse")``: rates recounted from datasets/real."""
    from fzcompare._synthetic_sparse import hide_figures
    from fzcompare.catalog import load_catalog

    statements = frozenset(load_catalog().indicators.filter(
        pl.col("full_statements").list.len() > 0)["code"])
    return hide_figures(observations, statement_codes=statements,
                        rng=np.random.default_rng([seed, 16]))


def check_hidden_is_not_zero(dense: pl.DataFrame, sparse: pl.DataFrame,
                             reports: pl.DataFrame) -> None:
    """Every hidden figure is not_disclosed, withheld, no_number or no_report; never a 0."""
    from fzcompare.coverage import disclosure_frame
    from fzcompare.synthetic import demo_panel

    sources = pl.concat([demo_panel().sources.head(0), pl.DataFrame({
        "source_id": [f"r-{r}-{y}" for r, y in reports.iter_rows()],
        "title": "", "publisher": "", "published": None, "url": "", "kind": "synthetic",
        "region_code": reports["region_code"], "year": reports["year"], "note": ""})],
        how="vertical_relaxed")
    cells = disclosure_frame(sparse, sources, indicators=dense["indicator_code"].unique()
                             .to_list(), years=sorted(set(sparse["year"])))
    kept = sparse.filter(pl.col("disclosure") == "reported").select(
        "region_code", "year", "indicator_code")
    key = ["region_code", "year", "indicator_code"]
    hidden = dense.select(key).join(kept, on=key, how="anti").join(cells, on=key, how="inner")
    states = set(hidden["state"].to_list())
    if not states <= {"not_disclosed", "withheld", "no_number", "no_report"}:
        msg = f"hidden figures in states {sorted(states)}"
        raise AssertionError(msg)
    if hidden["value"].drop_nulls().len():
        msg = "a hidden figure kept a value"
        raise AssertionError(msg)


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
          truth: dict[str, float], *, seed: int,
          hiding: str = "bench") -> dict[str, tuple[float, float, int]]:
    from fzcompare.benchmark import benchmark

    sparse, reports = (hide(dense, kinds, seed=seed) if hiding == "bench"
                       else hide_like_real_reports(dense, seed=seed))
    check_hidden_is_not_zero(dense, sparse, reports)
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
    parser.add_argument("--hiding", choices=("bench", "real-rates"), default="bench",
                        help="bench: the rates above, 20 %% of hidden figures stored as "
                             "withheld; real-rates: demo_panel(disclosure='sparse')'s hiding")
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
    how = (f"rates kept {RATE_DISCLOSED:.0%}, counts {COUNT_DISCLOSED:.0%}, short reports "
           f"x{SHORT_REPORT}, no report {NO_REPORT:.0%}, {WITHHELD:.0%} of hidden withheld"
           if args.hiding == "bench" else "rates of demo_panel(disclosure='sparse')")
    print(f"dense truth: {len(truth)} regions scored in {YEAR} against {rubric.id}; "
          f"{args.trials} hiding draws ({how}); hidden = not disclosed, never 0")
    results: dict[str, list[tuple[float, float, int]]] = {}
    for seed in range(args.trials):
        for name, value in trial(dense, rubric, panel.regions, kinds, truth,
                                 seed=seed, hiding=args.hiding).items():
            results.setdefault(name, []).append(value)
    print(f"{'method':44} {'Kendall tau':>12} {'misranked >3':>13} {'regions ranked':>15}")
    for name, values in results.items():
        taus = np.array([v[0] for v in values])
        wrong = np.array([v[1] for v in values])
        sizes = np.array([v[2] for v in values])
        measured = ~np.isnan(taus)
        if not measured.any():  # fewer than 3 regions ranked in every draw
            print(f"{name:44} {'n/a':>12} {'n/a':>13} {sizes.mean():15.1f}")
            continue
        print(f"{name:44} {taus[measured].mean():12.3f} {wrong[measured].mean():13.1%} "
              f"{sizes.mean():15.1f}  ({measured.sum()} of {len(values)} draws rank 3+)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
