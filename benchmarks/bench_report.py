"""Benchmark the province report: 17 prefectures + ~100 counties, 6 years, all charts.

    python benchmarks/bench_report.py --size province   # the issue's target: at most 60 s
    python benchmarks/bench_report.py --size tiny       # smoke run (a few seconds)

The panel is synthetic (fzcompare.synthetic.demo_panel with every Hubei county). The rubric is
the bundled hubei-demo-2024 applied to prefectures and counties (two peer groups). Baseline,
measured in the same run: the same report with every chart drawn in this one process
(workers=1), i.e. without the worker pool. Times are wall-clock; the machine's load is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from fzcompare import load_regions
from fzcompare.criteria import load_criteria
from fzcompare.report import build_report, write_report
from fzcompare.store import dataset_regions, load, load_sources, write_observations
from fzcompare.synthetic import demo_panel


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["tiny", "province"], default="province")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the single-process baseline")
    args = parser.parse_args()

    prefectures = load_regions().filter(pl.col("level") == "prefecture")["region_code"]
    parents = ["420300"] if args.size == "tiny" else prefectures.to_list()
    panel = demo_panel(county_parents=parents)
    rubric = load_criteria("hubei-demo-2024")
    rubric = dataclasses.replace(rubric, levels=("prefecture", "county"))
    focus = ["420300", "420322"] if args.size == "tiny" else None

    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "province"
        write_observations(panel.observations, dataset, sources=panel.sources)
        print(f"panel: {panel.observations.height} rows, "
              f"{panel.observations['region_code'].n_unique()} regions, "
              f"{panel.observations['year'].n_unique()} years (synthetic)")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        def run(workers: int | None, out: Path) -> tuple[float, int]:
            start = time.perf_counter()
            observations = load(dataset)
            validation = None
            try:
                from fzcompare.validate import validate
            except ImportError:
                pass
            else:
                validation = validate(observations, sources=load_sources(dataset),
                                      regions_table=dataset_regions(dataset))
            report = build_report(observations, rubric, sources=load_sources(dataset),
                                  regions_table=dataset_regions(dataset),
                                  as_of=dt.date(2025, 1, 31),
                                  focus_regions=focus, validation=validation,
                                  allow_invalid=True, workers=workers)
            write_report(report, out)
            return time.perf_counter() - start, (out / "index.html").stat().st_size

        seconds, size = run(None, Path(tmp) / "out")
        print(f"fzcompare report (worker pool): {seconds:6.1f} s, index.html "
              f"{size / 1e6:.1f} MB, peak RSS {_peak_mb():.0f} MB"
              + ("   target <= 60 s: " + ("met" if seconds <= 60 else "MISSED")
                 if args.size == "province" else ""))
        if not args.no_baseline:
            base, _ = run(1, Path(tmp) / "base")
            print(f"baseline (same report, one process): {base:6.1f} s   "
                  f"ratio {base / seconds:.2f}x")


if __name__ == "__main__":
    main()
