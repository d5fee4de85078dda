"""Benchmark: fzcompare.trends.summarize (year-over-year + OLS slopes + Mann-Kendall, all series).

Usage::

    python benchmarks/bench_trends.py [--size tiny|small|national] [--sample N]

The synthetic panel (``fzcompare.synthetic.national_panel``) is generated in this process
and written to a temporary Parquet file; the measurement runs in a fresh child process
(``POLARS_MAX_THREADS=2``) that reads the file, times ``summarize`` and reports its peak
resident memory (``ru_maxrss``; it includes the input frame). The baseline, in the same
child, is the per-series loop a competent user would write: pandas ``groupby`` over series,
``diff``/``pct_change`` for year-over-year, statsmodels OLS on year (slope, standard error,
p-value, confidence interval), a plain Mann-Kendall function with Sen's slope, and CAGR.
It runs on a random sample of series and is extrapolated per series (the output says so).
Results on the sampled series are compared with the bulk path (``rtol=1e-9``); a mismatch
exits with status 1. For constant series statsmodels returns a standard error, interval and
p-value computed from rounding noise (slope ~1e-17, standard error ~1e-14 to 1e-11 depending on
the release) where fzcompare returns 0, [0, 0] and null with the reason ``constant_series``;
those four columns are left out of the comparison for constant series, their slopes are not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"n_regions": 40, "years": range(2017, 2024), "n_indicators": 10, "sample": 40},
    "small": {"n_regions": 600, "years": range(2015, 2025), "n_indicators": 50, "sample": 300},
    "national": {"n_regions": 3000, "years": range(2015, 2025), "n_indicators": 100,
                 "sample": 600},
}
TIME_LIMIT_S = 10.0
MEMORY_LIMIT_MB = 2048.0
MIN_SPEEDUP = 50.0
RTOL = 1e-9
ATOL = 1e-12
_UNDEFINED_WHEN_CONSTANT = frozenset({"slope_se", "slope_p", "slope_ci_low", "slope_ci_high"})
KEYS = ["region_code", "indicator_code", "scope"]


def mann_kendall(x: Any, y: Any) -> tuple[float, float, float]:
    """Mann-Kendall tau and two-sided p (normal approximation, tie-corrected) and Sen's slope.

    The function a user would write (or take from pymannkendall): loops over pairs.
    """
    import numpy as np
    from scipy.stats import norm

    n = len(y)
    s = 0.0
    slopes = []
    for i in range(n - 1):
        for j in range(i + 1, n):
            s += float(np.sign(y[j] - y[i]))
            slopes.append((y[j] - y[i]) / (x[j] - x[i]))
    _, counts = np.unique(y, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in counts)) / 18.0
    if var_s <= 0:
        p = math.nan
    else:
        z = (s - 1) / math.sqrt(var_s) if s > 0 else (s + 1) / math.sqrt(var_s) if s < 0 else 0.0
        p = 2 * (1 - norm.cdf(abs(z)))
    return s / (n * (n - 1) / 2), p, float(np.median(slopes))


def per_series_loop(frame: Any) -> tuple[Any, Any]:
    """The baseline: pandas groupby + statsmodels OLS + a Mann-Kendall function per series."""
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    change_rows = []
    series_rows = []
    for key, group in frame.groupby(KEYS, sort=False):
        group = group.sort_values("year")
        years = group["year"].to_numpy(dtype=float)
        values = group["value"].to_numpy(dtype=float)
        change = group["value"].diff()
        pct = group["value"].pct_change() * 100
        for year, c, p in zip(group["year"], change, pct, strict=True):
            change_rows.append((*key, int(year), c, p))
        stats: dict[str, Any] = dict(zip(KEYS, key, strict=True))
        stats["constant"] = bool(np.ptp(values) == 0)
        n = len(values)
        if n >= 3:
            fit = sm.OLS(values, sm.add_constant(years)).fit()
            low, high = fit.conf_int(alpha=0.05)[1]
            stats.update(slope=fit.params[1], slope_se=fit.bse[1], slope_p=fit.pvalues[1],
                         slope_ci_low=low, slope_ci_high=high)
        if n >= 2 and values[0] > 0:
            stats["cagr"] = 100 * ((values[-1] / values[0]) ** (1 / (years[-1] - years[0])) - 1)
        if n >= 4:
            stats["mk_tau"], stats["mk_p"], stats["sen_slope"] = mann_kendall(years, values)
        series_rows.append(stats)
    changes = pd.DataFrame(change_rows, columns=[*KEYS, "year", "change_abs", "change_pct"])
    return changes, pd.DataFrame(series_rows)


def _compare(bulk: Any, loop: Any, columns: list[str], keys: list[str]) -> dict[str, Any]:
    """Agreement per column; p-values of constant series are not compared (see docstring)."""
    import numpy as np

    merged = bulk.merge(loop, on=keys, suffixes=("_bulk", "_loop"), how="inner")
    report: dict[str, Any] = {"rows": len(merged)}
    constant = (merged["constant"].to_numpy(dtype=bool) if "constant" in merged
                else np.zeros(len(merged), dtype=bool))
    report["constant_series"] = int(constant.sum())
    ok = True
    for column in columns:
        if f"{column}_loop" not in merged:
            continue
        # A constant series has a slope standard error of exactly 0 and an interval [0, 0];
        # statsmodels returns the floating-point residue of its fit instead (about 1e-12, moving
        # between releases) and a p-value of 0/0. Those are not quantities to compare.
        keep = (~constant if column in _UNDEFINED_WHEN_CONSTANT
                else np.ones(len(merged), dtype=bool))
        a = merged[f"{column}_bulk"].to_numpy(dtype=float)[keep]
        b = merged[f"{column}_loop"].to_numpy(dtype=float)[keep]
        both = np.isfinite(a) & np.isfinite(b)
        # The loop gives inf or NaN where fzcompare gives null (e.g. change_pct from 0).
        same_missing = ~np.isfinite(a) & ~np.isfinite(b)
        close = both & np.isclose(a, b, rtol=RTOL, atol=ATOL)
        agree = bool((close | same_missing).all())
        ok &= agree
        diff = np.abs(a[both] - b[both])
        report[column] = {"max_abs_diff": float(diff.max()) if diff.size else 0.0,
                          "compared": int(both.sum()), "agree": agree}
    report["ok"] = ok
    return report


def child(path: str, sample: int) -> None:
    import resource

    import numpy as np
    import polars as pl

    from fzcompare.trends import summarize

    observations = pl.read_parquet(path)
    rss_input = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summarize(observations.head(200))  # warm imports (scipy, catalog) outside the timing
    started = time.perf_counter()
    summary = summarize(observations)
    bulk_s = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_series = summary.select(KEYS).n_unique()

    series = summary.select(KEYS).unique().sort(KEYS)
    rng = np.random.default_rng(0)
    picked = series[np.sort(rng.choice(series.height, size=min(sample, series.height),
                                       replace=False)).tolist()]
    rows = observations.join(picked, on=KEYS, how="semi")
    frame = rows.select(*KEYS, "year", "value").to_pandas()
    per_series_loop(frame.head(12))  # warm imports (statsmodels, scipy) outside the timing
    started = time.perf_counter()
    loop_changes, loop_series = per_series_loop(frame)
    loop_s = time.perf_counter() - started

    shared = summary.join(picked, on=KEYS, how="semi")
    bulk_changes = shared.select(*KEYS, "year", "change_abs", "change_pct").to_pandas()
    stat_columns = ["slope", "slope_se", "slope_p", "slope_ci_low", "slope_ci_high", "cagr",
                    "mk_tau", "mk_p", "sen_slope"]
    bulk_series = shared.group_by(KEYS).agg(
        pl.col(c).first() for c in stat_columns if c != "slope_se"
    ).join(shared.group_by(KEYS).agg(pl.col("slope_se").first()), on=KEYS).to_pandas()
    check = {
        "changes": _compare(bulk_changes, loop_changes, ["change_abs", "change_pct"],
                            [*KEYS, "year"]),
        "series": _compare(bulk_series, loop_series, stat_columns, KEYS),
    }
    print(json.dumps({
        "rows": observations.height, "series": n_series, "bulk_s": bulk_s,
        "rss_input_mb": rss_input, "rss_peak_mb": rss_peak,
        "sample_series": picked.height, "loop_s": loop_s, "check": check,
    }))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--sample", type=int, default=None,
                        help="series in the baseline sample (default depends on --size)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    spec = SIZES[args.size]
    sample = args.sample or spec["sample"]
    if args.child:
        child(args.child, sample)
        return 0

    from fzcompare.synthetic import national_panel

    started = time.perf_counter()
    panel = national_panel(n_regions=spec["n_regions"], years=spec["years"],
                           n_indicators=spec["n_indicators"], seed=0)
    made_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "panel.parquet")
        panel.observations.write_parquet(path)
        del panel
        env = {**os.environ, "POLARS_MAX_THREADS": "2", "OMP_NUM_THREADS": "2",
               "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
        done = subprocess.run(
            [sys.executable, __file__, "--size", args.size, "--sample", str(sample),
             "--child", path], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        return 1
    result = json.loads(done.stdout.strip().splitlines()[-1])
    n_series = result["series"]
    bulk_per_series = result["bulk_s"] / n_series
    loop_per_series = result["loop_s"] / result["sample_series"]
    speedup = loop_per_series / bulk_per_series
    print(f"fzcompare trends benchmark, size {args.size}: {result['rows']:,} observations, "
          f"{n_series:,} series (synthetic national_panel, generated in {made_s:.1f} s)")
    print(f"  bulk summarize (YoY + OLS + Mann-Kendall/Sen + CAGR, all series, 2 threads): "
          f"{result['bulk_s']:.2f} s = {1e6 * bulk_per_series:.1f} us/series "
          f"[limit {TIME_LIMIT_S:.0f} s at national size]")
    print(f"  peak RSS of the measuring process: {result['rss_peak_mb']:.0f} MB "
          f"(of which input frame read: {result['rss_input_mb']:.0f} MB) "
          f"[limit {MEMORY_LIMIT_MB:.0f} MB]")
    print(f"  baseline per-series loop (pandas groupby + statsmodels OLS + Mann-Kendall "
          f"function), measured on a random sample of {result['sample_series']} series in "
          f"the same run and extrapolated per series: {1e3 * loop_per_series:.2f} ms/series "
          f"(~{loop_per_series * n_series:.0f} s for all {n_series:,} series)")
    print(f"  speed ratio per series: {speedup:.0f}x  [target >= {MIN_SPEEDUP:.0f}x]")
    ok = result["check"]["changes"]["ok"] and result["check"]["series"]["ok"]
    for part in ("changes", "series"):
        details = result["check"][part]
        worst = {k: v["max_abs_diff"] for k, v in details.items() if isinstance(v, dict)}
        print(f"  identical results on shared {part} ({details['rows']} rows, rtol {RTOL:g}): "
              f"{'yes' if details['ok'] else 'NO'}; max |diff| "
              + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    constant = result["check"]["series"]["constant_series"]
    if constant:
        print(f"  ({constant} sampled series are constant: statsmodels' standard error, "
              "interval and p-value there are floating-point noise, fzcompare gives 0, [0, 0] "
              "and null with reason constant_series; those are not compared, slopes are)")
    if args.size == "national":
        print(f"  within limits: time {'yes' if result['bulk_s'] <= TIME_LIMIT_S else 'NO'}, "
              f"memory {'yes' if result['rss_peak_mb'] <= MEMORY_LIMIT_MB else 'NO'}, "
              f"speed ratio {'yes' if speedup >= MIN_SPEEDUP else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
