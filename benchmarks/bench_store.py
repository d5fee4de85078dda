"""Benchmark: the Delta Lake store against the store before it (plain hive Parquet + renames).

Usage::

    python benchmarks/bench_store.py [--size tiny|national] [--repeat N]

The baseline is the previous implementation, kept unchanged in
``benchmarks/_store_before_delta.py``. Both run in this one process on the same panel
(``fzcompare.synthetic.national_panel``, seed 0; ``national`` = 3,000 regions x 10 years x
100 indicators, about 2.9 M rows), ``POLARS_MAX_THREADS=2``, best of ``--repeat``:

1. a full write of the panel into an empty folder;
2. appending one report's rows (one region, one year: about 100 rows) to the full dataset;
3. ``load`` of the whole dataset (schema-checked).

Ratios are new / old: above 1 the new store is slower. The brief: reads must not get slower by
more than 10 %.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _store_before_delta as old_store

from fzcompare import store as new_store
from fzcompare.synthetic import national_panel

SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"n_regions": 30, "years": range(2019, 2025), "n_indicators": 20},
    "national": {"n_regions": 3000, "years": range(2015, 2025), "n_indicators": 100},
}


def _best(fn: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None
          ) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    """Run the three comparisons and print one line per stage with the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="national")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    panel = national_panel(**SIZES[args.size])
    observations = panel.observations
    first = observations.row(0, named=True)
    one_report = observations.filter(pl.col("region_code") == first["region_code"],
                                     pl.col("year") == observations["year"].max())
    rest = observations.join(one_report.select("region_code", "year", "indicator_code",
                                               "scope"),
                             on=["region_code", "year", "indicator_code", "scope"], how="anti")
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    results: dict[str, tuple[float, float]] = {}
    try:
        for name, module in (("old", old_store), ("new", new_store)):
            target = work / name

            def clear(target: Path = target) -> None:
                shutil.rmtree(target, ignore_errors=True)

            def full(module: Any = module, target: Path = target) -> None:
                module.write_observations(observations, target, sources=panel.sources,
                                          regions_table=panel.regions)

            full_s = _best(full, args.repeat, clear)
            base = work / f"{name}-base"
            module.write_observations(rest, base, sources=panel.sources,
                                      regions_table=panel.regions)
            copies = [work / f"{name}-append-{i}" for i in range(args.repeat)]
            for copy in copies:
                shutil.copytree(base, copy)
            pending = list(copies)

            def append(module: Any = module, pending: list[Path] = pending) -> None:
                module.write_observations(one_report, pending.pop())

            append_s = _best(append, args.repeat)
            load_s = _best(lambda module=module, target=target: module.load(target),
                           args.repeat)
            results[name] = (full_s, append_s)
            results[f"{name}-load"] = (load_s, 0.0)
        rows = [("full write", results["old"][0], results["new"][0]),
                (f"append {one_report.height} rows", results["old"][1], results["new"][1]),
                ("load", results["old-load"][0], results["new-load"][0])]
        print(f"bench_store: {observations.height:,} rows, best of {args.repeat}, "
              f"POLARS_MAX_THREADS={os.environ['POLARS_MAX_THREADS']}")
        print(f"{'stage':<18} {'old store':>10} {'delta store':>12} {'new/old':>8}")
        for label, old_s, new_s in rows:
            print(f"{label:<18} {old_s:>9.3f}s {new_s:>11.3f}s {new_s / old_s:>7.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
