"""Benchmark: what keeping the documents table costs a write (``extract --into``).

Usage::

    python benchmarks/bench_store_documents.py [--size tiny|small|national] [--reports N]

The seed PDF (``tests/fixtures/documents/shiyan-2023.pdf``, 95 observations, 9 336
characters of text) is extracted once; then ``--reports`` reports (tiny 3, small 30,
national 200; each a copy of the seed under another year, source id and file hash) are
appended one by one to two fresh datasets: the baseline writes observations and sources
only, fzcompare writes them with their spans and the document (``documents=``), as
``fzcompare extract --into`` does. Printed: the median wall time of the last third of the
appends (the dataset is largest there), and the ratio to the baseline in the same process.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from fzcompare import store
from fzcompare.extract import extract

ROOT = Path(__file__).resolve().parents[1]
REPORTS = {"tiny": 3, "small": 30, "national": 200}


def _appends(dataset: Path, n: int, *, documents: bool) -> list[float]:
    result = extract(ROOT / "tests" / "fixtures" / "documents" / "shiyan-2023.pdf")
    rows = result.data_model(provenance=True)
    times = []
    for k in range(n):
        source = f"bench-{k}"
        new = rows.with_columns(pl.lit(1950 + k).alias("year"), pl.lit(source).alias("source_id"))
        sources = result.sources.with_columns(pl.lit(source).alias("source_id"))
        document = result.documents.with_columns(
            pl.lit(hashlib.sha256(source.encode()).hexdigest()).alias("sha256"),
            pl.lit(source).alias("source_id"))
        start = time.perf_counter()
        store.write_observations(new if documents else new.drop(list(store.PROVENANCE_SCHEMA)),
                                 dataset, sources=sources,
                                 documents=document if documents else None)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(REPORTS), default="small")
    parser.add_argument("--reports", type=int, default=None)
    args = parser.parse_args()
    n = args.reports or REPORTS[args.size]
    with tempfile.TemporaryDirectory() as folder:
        base = _appends(Path(folder) / "base", n, documents=False)
        ours = _appends(Path(folder) / "docs", n, documents=True)
        stored = store.load_documents(Path(folder) / "docs", with_text=False).height
    tail = max(1, n // 3)
    base_s, ours_s = statistics.median(base[-tail:]), statistics.median(ours[-tail:])
    print(f"append one report (95 rows) x {n}, median of the last {tail}:")
    print(f"  baseline (observations + sources)      {base_s * 1000:8.1f} ms")
    print(f"  fzcompare (+ spans and the document)   {ours_s * 1000:8.1f} ms   "
          f"{ours_s / base_s:.2f}x the baseline; {stored} documents stored")


if __name__ == "__main__":
    main()
