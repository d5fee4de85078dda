"""Benchmark: fzcompare.resolve_region on 10,000 government names against a polars lookup.

Usage::

    python benchmarks/bench_regions.py [--size tiny|full] [--repeat N]

The names (``full``: 10,000; ``tiny``: 1,000) are drawn with a fixed seed from the bundled
table in the forms reports use: full names, short names, with 人民政府, with the province or
prefecture before them (湖北省十堰市, 北京市海淀区), old names (郧县) and names shared by several
regions together with their province hint. Timings are wall-clock, best of ``--repeat``.

Measured, in this one run:

1. The first call: reading the table and building the name index (once per process).
2. ``resolve_region`` over all the names (index built): the target is under 1 s for 10,000.
3. The baseline a user writes without fzcompare: per name, a polars filter of the regions
   table on the name or its alias list, province hint applied as a second filter. It knows
   no prefixed or old names, so it resolves fewer; the counts are printed beside the times.
   The ratio is (2) / (3).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "2")

import polars as pl

SIZES = {"tiny": 1_000, "full": 10_000}
TARGET_SECONDS = 1.0


def sample_names(n: int, seed: int = 0) -> list[tuple[str, str | None]]:
    """(name, province hint) pairs in the forms reports use, drawn from the bundled tables."""
    from fzcompare.regions import region_history, region_table

    table = region_table().filter(pl.col("level").is_in(["province", "prefecture", "county"]))
    rows = table.select("region_code", "name_zh", "short_name", "parent_code",
                        "province_code").rows()
    names = dict(table.select("region_code", "name_zh").iter_rows())
    shared = set(table.group_by("name_zh").len().filter(pl.col("len") > 1)["name_zh"])
    old = region_history().filter(pl.col("change") != "abolished")["name_zh"].to_list()
    rng = random.Random(seed)
    picked: list[tuple[str, str | None]] = []
    while len(picked) < n:
        _, name, short, parent, province = rows[rng.randrange(len(rows))]
        form = rng.randrange(6)
        hint = names.get(province) if name in shared else None
        if form == 0:
            picked.append((name, hint))
        elif form == 1:
            picked.append((name + "人民政府", hint))
        elif form == 2 and parent in names and parent != "000000":
            picked.append((names[parent] + name, None))
        elif form == 3 and short != name and short not in shared:
            picked.append((short, hint))
        elif form == 4 and old:
            picked.append((old[rng.randrange(len(old))], None))
        else:
            picked.append((name, names.get(province) if name in shared else None))
    return picked


def resolve_all(names: list[tuple[str, str | None]]) -> int:
    """fzcompare: resolve every name; the number resolved (errors are counted out)."""
    from fzcompare.errors import AmbiguousRegionError, UnknownRegionError
    from fzcompare.regions import resolve_region

    resolved = 0
    for name, hint in names:
        try:
            resolve_region(name, province=hint)
        except (AmbiguousRegionError, UnknownRegionError):
            continue
        resolved += 1
    return resolved


def polars_lookup(names: list[tuple[str, str | None]]) -> int:
    """The baseline: filter the table per name (name or alias), then by the province hint."""
    from fzcompare.regions import region_table

    table = region_table().with_columns(pl.col("aliases").fill_null("").str.split(";")
                                        .alias("alias_list"))
    provinces = dict(table.filter(pl.col("level") == "province")
                     .select("name_zh", "region_code").iter_rows())
    resolved = 0
    for name, hint in names:
        plain = name.removesuffix("人民政府")
        hits = table.filter((pl.col("name_zh") == plain)
                            | pl.col("alias_list").list.contains(plain))
        if hint is not None:
            hits = hits.filter(pl.col("province_code") == provinces.get(hint, ""))
        resolved += hits.height == 1
    return resolved


def best_of(repeat: int, fn: Any, *args: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from fzcompare.regions import resolve_region

    start = time.perf_counter()
    resolve_region("十堰市")
    first = time.perf_counter() - start
    names = sample_names(SIZES[args.size])
    ours, resolved = best_of(args.repeat, resolve_all, names)
    theirs, baseline_resolved = best_of(1, polars_lookup, names)
    print(f"regions benchmark, {len(names):,} names (seed 0)")
    print(f"  first call (read table + build index): {first:.3f} s")
    print(f"  fzcompare.resolve_region: {ours:.3f} s, {resolved:,} resolved "
          f"({'under' if ours < TARGET_SECONDS * len(names) / 10_000 else 'OVER'} the "
          f"{TARGET_SECONDS:g} s per 10,000 target)")
    print(f"  baseline polars filter per name: {theirs:.3f} s, {baseline_resolved:,} resolved")
    print(f"  ratio fzcompare / baseline: {ours / theirs:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
