"""End-to-end performance of fzcompare at national scale, against the obvious alternative.

Usage (from the repository root)::

    python benchmarks/pipeline.py --size 3M                # the target size
    python benchmarks/pipeline.py --size 3M --write-docs   # ... and update docs/performance.md
    python benchmarks/pipeline.py --size tiny              # smoke run
    python benchmarks/pipeline.py --size 30M --e2e both    # end to end with and without validate

Sizes: ``tiny`` (30 regions), ``0.3M`` (300), ``3M`` (3,000: the county-level national
picture) and ``30M`` (30,000) regions x 10 years x 100 indicators, 2.5 % of the cells left
out (``fzcompare.synthetic.national_panel``, seed 0).

What happens:

1. ``prepare`` (a child process): generate the panel and write it once with
   ``fzcompare.store.write_observations``; both are timed but are not pipeline stages.
2. Each stage (``load, validate, trends, benchmark, report``) runs in FRESH child processes:
   fzcompare, then its baseline (``benchmarks/_baseline.py``, which reuses the stage helpers'
   ``bench_<stage>.py`` baselines; validate has a second one covering the same checks).
   The child reads its input untimed, warms imports on a small slice, resets its
   peak-memory mark (``/proc/self/clear_refs``), then times the stage: the best of up to
   3 runs while the runs so far took under 10 s (so short stages, fzcompare and baseline
   alike, are not one noisy sample; long ones run once). "Peak RSS" is the child's peak
   during the stage's runs and includes the input it holds.
3. ``e2e`` (a child process per ``--e2e`` variant): load -> validate -> trends -> benchmark
   in one cold process, timed from before the first fzcompare import; checked against 20 s
   and 4 GB at 3M.

Baselines too slow to run in full are measured on a sample and extrapolated linearly (the
output says which, and by how much): the trends loop on a random sample of series, the others
on the first regions (by code) above ``--baseline-max-regions``.

While a child runs, the parent watches ``MemAvailable`` and kills the child when it drops
under ``--min-available-gb`` (the machine is shared).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import html
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOCS = ROOT / "docs" / "performance.md"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

YEARS = range(2015, 2025)
N_INDICATORS = 100
SEED = 0
STAGES = ("load", "validate", "trends", "benchmark", "report")
EXTRA_STAGES = ("report_html",)
"""Run only when named in ``--stages``; fzcompare only (no baseline)."""
ALL_STAGES = STAGES + EXTRA_STAGES
E2E_STAGES = ("load", "validate", "trends", "benchmark")
MIN_RATIO = 10.0
E2E_TARGETS: dict[str, tuple[float, float]] = {"3M": (8.0, 4096.0), "30M": (60.0, 6144.0)}
"""End-to-end targets (seconds, peak MB) with validation, by size (issue 20)."""
SCALING_MAX = (11.0, 10.0)
"""From 3M to 30M a stage's time may grow at most 11x and its peak memory at most 10x."""


@dataclass(frozen=True)
class Size:
    """One benchmark size: county-level regions x 10 years x 100 indicators."""

    name: str
    n_regions: int
    trends_sample: int
    """Series in the trends baseline's random sample (0: all series)."""


SIZES: dict[str, Size] = {
    "tiny": Size("tiny", 30, 300),
    "0.3M": Size("0.3M", 300, 3000),
    "3M": Size("3M", 3000, 3000),
    "30M": Size("30M", 30000, 3000),
}

STAGE_DOC: dict[str, tuple[str, str]] = {
    "load": ("fzcompare.store.load(dataset) (schema-checked)",
             "deltalake to_pandas (active rows) + the same checks in pandas"),
    "validate": ("fzcompare.validate.validate(observations, regions, sources): the five "
                 "bundled suites (schema, keys, ranges, relations, year over year)",
                 "bench_validate.gx_suite_on_pandas: one great_expectations suite on the "
                 "observations as a pandas frame (schema, keys, ranges by kind; no relations, "
                 "no year-over-year checks, so it does less than fzcompare)"),
    "validate (same checks)": ("as above",
                               "_baseline.validate_gx_same_checks: great_expectations covering "
                               "what fzcompare checks (per-indicator ranges, relations from a "
                               "pandas pivot, year-over-year robust z from groupby)"),
    "validate (polars floor)": ("as above",
                                "_validate_floor.validate_polars_floor: the same five suites "
                                "as plain polars expressions (one select per frame) on the "
                                "same derived frames; the target is fzcompare within 1.5x"),
    "trends": ("fzcompare.trends.summarize(observations) (YoY + OLS + Mann-Kendall/Sen, "
               "all series)",
               "pandas groupby + statsmodels OLS + Mann-Kendall function per series"),
    "benchmark": ("fzcompare.benchmark.benchmark(observations, 100-criterion rubric, one year): "
                  "totals with verdicts, ranks and rank changes (the year before is scored too)",
                  "Python loop over regions x criteria giving the same totals (the year before "
                  "scored the same way for rank changes)"),
    "report": ("the tables of a report, no charts: totals and areas for every year (ranks, "
               "rank changes), criteria and year-over-year changes for the reporting year",
               "the same tables: Python loop over years x regions x criteria, pandas ranks "
               "and groupby().shift() changes"),
    "report_html": ("fzcompare.report.build_report(..., charts=False): tables, "
                    "what-it-would-take plans for every region and the HTML (above 300 "
                    "regions an index page and one page per region; writing them is "
                    "timed separately as write_s)",
                    "none (no baseline)"),
}


# ----------------------------------------------------------------------------- measuring

def _status_kb(field: str) -> float | None:
    with contextlib.suppress(OSError):
        match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
        if match:
            return float(match.group(1))
    return None


def _rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else float("nan")


def _reset_peak() -> bool:
    """Reset this process's peak-RSS mark to its current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mb() -> float:
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return kb / 1024


@dataclass
class Measured:
    result: Any
    seconds: float
    start_rss_mb: float
    peak_rss_mb: float
    peak_is_stage: bool
    runs: int = 1


REPEAT_BUDGET_S = 10.0
"""A stage is timed again (at most 3 runs) while its runs so far took less than this."""


def measure(fn: Callable[..., Any], *args: Any, max_runs: int = 3, **kwargs: Any) -> Measured:
    """Time ``fn`` (best of up to ``max_runs`` within ``REPEAT_BUDGET_S``) and its peak RSS.

    Short stages are noisy on a shared machine; their best run is the estimate, for
    fzcompare and baselines alike. The peak RSS covers every run.
    """
    gc.collect()
    reset = _reset_peak()
    start = _rss_mb()
    times: list[float] = []
    result: Any = None
    while len(times) < max_runs and sum(times) < REPEAT_BUDGET_S:
        result = None
        gc.collect()
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return Measured(result, min(times), start, _peak_mb(), reset, runs=len(times))


def _mem_available_gb() -> float:
    text = Path("/proc/meminfo").read_text()
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) / 1024**2 if match else float("inf")


# ----------------------------------------------------------------------------- the children

@dataclass(frozen=True)
class Context:
    work: Path
    info: dict[str, Any]
    sample_regions: int | None
    trends_sample: int

    @property
    def dataset(self) -> Path:
        return Path(self.info["dataset"])

    @property
    def baseline_dataset(self) -> Path:
        return Path(self.info["sample_dataset"] if self.sample_regions else self.info["dataset"])

    @property
    def last_year(self) -> int:
        return int(self.info["years"][-1])


def _polars_observations(dataset: Path) -> Any:
    from fzcompare import store

    return store.scan(dataset).collect()


def _pandas_observations(dataset: Path) -> Any:
    import _baseline

    return _baseline.read_observations_pandas(dataset)


def _warm_slice(frame: Any) -> Any:
    """The rows of the first three regions (all years): a small input to warm imports with."""
    if hasattr(frame, "iloc"):
        first = sorted(frame["region_code"].unique())[:3]
        return frame[frame["region_code"].isin(first)]
    import polars as pl

    first = frame["region_code"].unique().sort()[:3]
    return frame.filter(pl.col("region_code").is_in(first.implode()))


def _record(m: Measured, *, rows: int, scale: float = 1.0, note: str = "",
            **extra: Any) -> dict[str, Any]:
    return {"seconds": m.seconds * scale, "measured_seconds": m.seconds, "runs": m.runs,
            "scale": scale,
            "start_rss_mb": m.start_rss_mb, "peak_rss_mb": m.peak_rss_mb,
            "peak_is_stage": m.peak_is_stage, "rows": rows, "note": note, **extra}


def _sample_scale(ctx: Context, measured_rows: int) -> tuple[float, str]:
    if not ctx.sample_regions:
        return 1.0, ""
    scale = ctx.info["rows"] / measured_rows
    return scale, (f"measured on the first {ctx.sample_regions:,} regions "
                   f"({measured_rows:,} rows), extrapolated x{scale:.1f} by rows")


# ---- load

def fz_load(ctx: Context) -> dict[str, Any]:
    from fzcompare import store

    store.load(ctx.info["tiny_dataset"])  # warm imports and the catalog cache
    m = measure(store.load, ctx.dataset)
    return _record(m, rows=m.result.height)


def base_load(ctx: Context) -> dict[str, Any]:
    import _baseline

    _baseline.load_pandas(ctx.info["tiny_dataset"])
    m = measure(_baseline.load_pandas, ctx.baseline_dataset)
    scale, note = _sample_scale(ctx, len(m.result))
    return _record(m, rows=len(m.result), scale=scale, note=note)


# ---- validate

def fz_validate(ctx: Context) -> dict[str, Any]:
    from fzcompare import store
    from fzcompare import validate as fz_validate_module

    regions = store.dataset_regions(ctx.dataset)
    sources = store.load_sources(ctx.dataset)
    obs = _polars_observations(ctx.dataset)
    fz_validate_module.validate(_warm_slice(obs), regions_table=regions, sources=sources)
    m = measure(fz_validate_module.validate, obs, regions_table=regions, sources=sources)
    return _record(m, rows=obs.height, outcome=_short_repr(m.result))


def base_validate(ctx: Context) -> dict[str, Any]:
    import bench_validate

    frame = _pandas_observations(ctx.baseline_dataset)
    bench_validate.gx_suite_on_pandas(_warm_slice(frame))
    m = measure(bench_validate.gx_suite_on_pandas, frame)
    scale, note = _sample_scale(ctx, len(frame))
    failed = [r.expectation_config.type for r in m.result.results if not r.success]
    return _record(m, rows=len(frame), scale=scale, note=note,
                   outcome=f"{len(m.result.results)} expectations, failed: {failed}")


def base_validate_same_checks(ctx: Context) -> dict[str, Any]:
    import _baseline

    from fzcompare import store

    known = store.dataset_regions(ctx.dataset)["region_code"].to_list()
    frame = _pandas_observations(ctx.baseline_dataset)
    _baseline.validate_gx_same_checks(_warm_slice(frame), known)
    m = measure(_baseline.validate_gx_same_checks, frame, known)
    scale, note = _sample_scale(ctx, len(frame))
    return _record(m, rows=len(frame), scale=scale, note=note, outcome=_short_repr(m.result))


def base_validate_floor(ctx: Context) -> dict[str, Any]:
    """The same suites as plain polars expressions on the same derived frames (the floor)."""
    import _validate_floor

    from fzcompare import store

    regions = store.dataset_regions(ctx.dataset)
    sources = store.load_sources(ctx.dataset)
    obs = _polars_observations(ctx.baseline_dataset)
    _validate_floor.validate_polars_floor(_warm_slice(obs), regions=regions, sources=sources)
    m = measure(_validate_floor.validate_polars_floor, obs, regions=regions, sources=sources)
    scale, note = _sample_scale(ctx, obs.height)
    failed = sorted(ref for ref, o in m.result.items() if not o.success)
    return _record(m, rows=obs.height, scale=scale, note=note,
                   outcome=f"{len(m.result)} expectations, failed: {failed}")


# ---- trends

def fz_trends(ctx: Context) -> dict[str, Any]:
    from fzcompare.trends import summarize

    obs = _polars_observations(ctx.dataset)
    summarize(_warm_slice(obs))
    m = measure(summarize, obs)
    return _record(m, rows=obs.height, out_rows=m.result.height)


def base_trends(ctx: Context) -> dict[str, Any]:
    import bench_trends
    import numpy as np

    keys = ["region_code", "indicator_code", "scope"]
    obs = _polars_observations(ctx.dataset)
    series = obs.select(keys).unique().sort(keys)
    n_series = series.height
    if ctx.trends_sample and ctx.trends_sample < n_series:
        rng = np.random.default_rng(0)
        chosen = np.sort(rng.choice(n_series, size=ctx.trends_sample, replace=False))
        series = series[chosen.tolist()]
    rows = obs.join(series, on=keys, how="semi")
    del obs
    frame = rows.select(*keys, "year", "value").to_pandas()
    del rows
    bench_trends.per_series_loop(_warm_slice(frame))
    m = measure(bench_trends.per_series_loop, frame)
    scale = n_series / series.height
    note = ("" if scale == 1.0 else f"measured on a random sample of {series.height:,} of "
            f"{n_series:,} series, extrapolated x{scale:.1f} per series")
    return _record(m, rows=len(frame), scale=scale, note=note, series=n_series)


# ---- benchmark

def _rubric() -> Any:
    import bench_benchmark

    return bench_benchmark.national_rubric()


def fz_benchmark(ctx: Context) -> dict[str, Any]:
    from fzcompare import store
    from fzcompare.benchmark import benchmark

    rubric = _rubric()
    regions = store.dataset_regions(ctx.dataset)
    obs = _polars_observations(ctx.dataset)
    benchmark(_warm_slice(obs), rubric, years=ctx.last_year, regions_table=regions)
    m = measure(benchmark, obs, rubric, years=ctx.last_year, regions_table=regions)
    return _record(m, rows=obs.height, out_rows=m.result.totals.height)


def base_benchmark(ctx: Context) -> dict[str, Any]:
    import bench_benchmark

    rubric = _rubric()
    frame = _pandas_observations(ctx.baseline_dataset)
    bench_benchmark.benchmark_loop(_warm_slice(frame), rubric, year=ctx.last_year)
    m = measure(bench_benchmark.benchmark_loop, frame, rubric, year=ctx.last_year)
    scale, note = _sample_scale(ctx, len(frame))
    return _record(m, rows=len(frame), scale=scale, note=note)


# ---- report tables

def report_tables(obs: Any, rubric: Any, regions: Any) -> dict[str, Any]:
    """The tables ``fzcompare.report.build_report`` writes (``tables/*.csv``), no charts.

    Totals and areas for every year (rank history), the criterion table and the
    year-over-year changes for the reporting year (the latest).
    """
    from fzcompare.benchmark import benchmark
    from fzcompare.trends import year_over_year

    result = benchmark(obs, rubric, regions_table=regions)
    year = int(result.totals["year"].max())
    codes = rubric.criteria["indicator_code"].unique().to_list()
    return {
        "totals": result.totals.sort("year", "peer_group", "rank", "region_code"),
        "areas": result.areas.sort("year", "region_code", "area_id"),
        "criteria": result.criteria_for(years=year),
        "changes": year_over_year(obs, indicators=codes, ending_in=year),
    }


def fz_report(ctx: Context) -> dict[str, Any]:
    from fzcompare import store

    rubric = _rubric()
    regions = store.dataset_regions(ctx.dataset)
    obs = _polars_observations(ctx.dataset)
    report_tables(_warm_slice(obs), rubric, regions)
    m = measure(report_tables, obs, rubric, regions)
    return _record(m, rows=obs.height,
                   out_rows={k: v.height for k, v in m.result.items()})


def base_report(ctx: Context) -> dict[str, Any]:
    import _baseline

    rubric = _rubric()
    frame = _pandas_observations(ctx.baseline_dataset)
    _baseline.report_tables_pandas(_warm_slice(frame), rubric)
    m = measure(_baseline.report_tables_pandas, frame, rubric)
    scale, note = _sample_scale(ctx, len(frame))
    return _record(m, rows=len(frame), scale=scale, note=note,
                   out_rows={k: len(v) for k, v in m.result.items()})


def fz_report_html(ctx: Context) -> dict[str, Any]:
    """``fzcompare.report.build_report(charts=False)``: tables + explanations + HTML."""
    import datetime

    from fzcompare import store
    from fzcompare.report import build_report, write_report

    rubric = _rubric()
    regions = store.dataset_regions(ctx.dataset)
    sources = store.load_sources(ctx.dataset)
    obs = _polars_observations(ctx.dataset)
    as_of = datetime.date(ctx.last_year + 1, 1, 31)
    build_report(_warm_slice(obs), rubric, sources=sources, regions_table=regions, as_of=as_of,
                 charts=False)
    m = measure(build_report, obs, rubric, sources=sources, regions_table=regions, as_of=as_of,
                charts=False)
    pages = m.result.pages
    out = ctx.work / "report_html"
    started = time.perf_counter()
    write_report(m.result, out, formats=("html",))
    write_s = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return _record(m, rows=obs.height, write_s=write_s,
                   html_mb=len(m.result.html.encode("utf-8")) / 2**20,
                   region_pages=len(pages),
                   largest_page_kb=max((len(p.encode("utf-8")) for p in pages.values()),
                                       default=0) / 2**10)


# ---- end to end

def fz_e2e(ctx: Context, started: float) -> dict[str, Any]:
    """load -> [validate ->] trends -> benchmark in this (cold) process."""
    steps: dict[str, float] = {}
    t = time.perf_counter()
    from fzcompare import store
    from fzcompare.benchmark import benchmark
    from fzcompare.trends import summarize

    steps["imports"] = time.perf_counter() - t  # great_expectations loads inside validate
    rubric = _rubric()  # the rubric is an input, like the dataset: not timed
    t = time.perf_counter()
    obs = store.load(ctx.dataset)
    steps["load"] = time.perf_counter() - t
    if "validate" in ctx.info["e2e_stages"]:
        from fzcompare import validate as fz_validate_module

        t = time.perf_counter()
        fz_validate_module.validate(obs, regions_table=store.dataset_regions(ctx.dataset),
                                    sources=store.load_sources(ctx.dataset))
        steps["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = summarize(obs)
    steps["trends"] = time.perf_counter() - t
    t = time.perf_counter()
    result = benchmark(obs, rubric, years=ctx.last_year)
    steps["benchmark"] = time.perf_counter() - t
    total = sum(steps.values())
    return {"seconds": total, "steps": steps, "peak_rss_mb": _peak_mb(),
            "stages": ctx.info["e2e_stages"], "rows": obs.height,
            "out_rows": summary.height + result.totals.height,
            "wall_seconds": time.perf_counter() - started, "peak_is_stage": False}


WORKERS: dict[tuple[str, str], Callable[[Context], dict[str, Any]]] = {
    ("load", "fzcompare"): fz_load, ("load", "baseline"): base_load,
    ("validate", "fzcompare"): fz_validate, ("validate", "baseline"): base_validate,
    ("validate", "baseline_same_checks"): base_validate_same_checks,
    ("validate", "baseline_polars_floor"): base_validate_floor,
    ("trends", "fzcompare"): fz_trends, ("trends", "baseline"): base_trends,
    ("benchmark", "fzcompare"): fz_benchmark, ("benchmark", "baseline"): base_benchmark,
    ("report", "fzcompare"): fz_report, ("report", "baseline"): base_report,
    ("report_html", "fzcompare"): fz_report_html,
}


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def prepare(work: Path, size: Size, baseline_max_regions: int) -> dict[str, Any]:
    """Generate the panel, write the dataset (and a region sample for baselines if needed)."""
    import polars as pl

    from fzcompare import store
    from fzcompare.synthetic import national_panel

    m_gen = measure(national_panel, n_regions=size.n_regions, years=YEARS,
                    n_indicators=N_INDICATORS, seed=SEED, max_runs=1)
    panel = m_gen.result
    dataset = work / "dataset"
    m_write = measure(store.write_observations, panel.observations, dataset,
                      sources=panel.sources, regions_table=panel.regions, max_runs=1)
    obs = panel.observations
    keys = ["region_code", "indicator_code", "scope"]
    info: dict[str, Any] = {
        "size": size.name, "dataset": str(dataset), "rows": obs.height,
        "regions": size.n_regions, "years": list(YEARS), "indicators": N_INDICATORS,
        "series": obs.select(keys).n_unique(),
        "generate_s": m_gen.seconds, "generate_peak_mb": m_gen.peak_rss_mb,
        "write_s": m_write.seconds, "write_peak_mb": m_write.peak_rss_mb,
        "dataset_mb": sum(p.stat().st_size for p in dataset.rglob("*") if p.is_file()) / 2**20,
        "baseline_max_regions": baseline_max_regions,
    }
    tiny = obs.filter(pl.col("region_code").is_in(obs["region_code"].unique().sort()[:3]
                                                   .implode()))
    tiny_dataset = work / "tiny"
    store.write_observations(tiny, tiny_dataset, sources=panel.sources, regions_table=panel.regions)
    info["tiny_dataset"] = str(tiny_dataset)
    if size.n_regions > baseline_max_regions:
        codes = obs["region_code"].unique().sort()[:baseline_max_regions]
        sample = obs.filter(pl.col("region_code").is_in(codes.implode()))
        sample_dataset = work / "sample"
        store.write_observations(sample, sample_dataset, sources=panel.sources,
                                 regions_table=panel.regions)
        info["sample_dataset"] = str(sample_dataset)
        info["sample_rows"] = sample.height
    return info


def child_main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    work = Path(args.work)
    if args.child == "prepare":
        size = SIZES[args.size]
        info = prepare(work, size, args.baseline_max_regions)
        (work / "prepare.json").write_text(json.dumps(info))
        print(json.dumps(info))
        return 0
    info = json.loads((work / "prepare.json").read_text())
    info["e2e_stages"] = args.e2e_stages.split(",")
    sampled = info.get("sample_dataset") is not None
    ctx = Context(work=work, info=info,
                  sample_regions=args.baseline_max_regions if sampled else None,
                  trends_sample=args.trends_sample)
    if args.child == "e2e":
        record = fz_e2e(ctx, started)
    else:
        stage, impl = args.child.split(":")
        if impl == "fzcompare":
            ctx = Context(work=work, info=info, sample_regions=None,
                          trends_sample=args.trends_sample)
        record = WORKERS[(stage, impl)](ctx)
    print(json.dumps(record))
    return 0


# ----------------------------------------------------------------------------- the parent

class MemoryGuard:
    """Kill a child when the machine's available memory falls under a floor."""

    def __init__(self, process: subprocess.Popen[str], floor_gb: float) -> None:
        self.process = process
        self.floor_gb = floor_gb
        self.tripped = False
        self.lowest_gb = float("inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            available = _mem_available_gb()
            self.lowest_gb = min(self.lowest_gb, available)
            if available < self.floor_gb and self.process.poll() is None:
                self.tripped = True
                self.process.kill()
                return

    def __enter__(self) -> MemoryGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_child(args: argparse.Namespace, work: Path, child: str,
              e2e_stages: list[str] | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", child,
               "--work", str(work), "--size", args.size,
               "--baseline-max-regions", str(args.baseline_max_regions),
               "--trends-sample", str(args.trends_sample),
               "--e2e-stages", ",".join(e2e_stages or E2E_STAGES)]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=ROOT) as process, \
            MemoryGuard(process, args.min_available_gb) as guard:
        try:
            stdout, stderr = process.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            return {"error": f"timed out after {args.timeout:.0f} s"}
    wall = time.perf_counter() - started
    if guard.tripped:
        return {"error": f"killed: available memory fell under {args.min_available_gb:g} GB"}
    if process.returncode != 0:
        tail = stderr.strip().splitlines()[-1:] or ["(no message)"]
        sys.stderr.write(stderr[-3000:])
        return {"error": f"exit {process.returncode}: {tail[0][:300]}"}
    record: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    record["child_wall_s"] = wall
    record["min_available_gb"] = guard.lowest_gb
    return record


def machine() -> dict[str, Any]:
    """The machine and library versions (versions read from metadata: nothing imported)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        if match:
            cpu = match.group(1).strip()
    total = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "ram_gb": int(total.group(1)) / 1024**2 if total else None,
        "os": platform.platform(), "python": platform.python_version(),
        "polars": installed("polars"), "pandas": installed("pandas"),
        "great_expectations": installed("great_expectations"),
        "statsmodels": installed("statsmodels"), "numpy": installed("numpy"),
        "pyarrow": installed("pyarrow"),
        "load_average": os.getloadavg(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _fmt_s(record: dict[str, Any] | None) -> str:
    if not record:
        return "-"
    if "error" in record:
        return "killed (memory)" if str(record["error"]).startswith("killed") else "failed"
    text = f"{record['seconds']:.2f} s"
    return text + "*" if record.get("scale", 1.0) != 1.0 else text


def _fmt_mb(record: dict[str, Any] | None) -> str:
    if not record or "error" in record:
        return "-"
    text = f"{record['peak_rss_mb']:,.0f} MB"
    return text + "*" if record.get("scale", 1.0) != 1.0 else text


def _ratio(fz: dict[str, Any] | None, base: dict[str, Any] | None) -> float | None:
    if not fz or not base or "error" in fz or "error" in base or fz["seconds"] <= 0:
        return None
    return float(base["seconds"]) / float(fz["seconds"])


def stage_rows(results: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for stage in ALL_STAGES:
        pair = results["stages"].get(stage, {})
        fz = pair.get("fzcompare")
        if not pair:
            continue
        for impl in ["baseline", *ALTERNATIVE_BASELINES]:
            if impl != "baseline" and impl not in pair:
                continue
            base = pair.get(impl)
            ratio = _ratio(fz, base)
            met = "-" if ratio is None else ("yes" if ratio >= MIN_RATIO else "no")
            if impl in FLOOR_BASELINES and ratio is not None:
                met = (f"within {FLOOR_MAX_SLOWDOWN:g}x of the floor: "
                       + ("yes" if 1 / ratio <= FLOOR_MAX_SLOWDOWN else "NO"))
            elif met == "no" and stage in SAME_LIBRARY:
                met = "no (same library)"
            label = stage if impl == "baseline" else f"{stage} ({ALTERNATIVE_BASELINES[impl]})"
            rows.append({"stage": label, "fz_s": _fmt_s(fz), "fz_mb": _fmt_mb(fz),
                         "base_s": _fmt_s(base), "base_mb": _fmt_mb(base),
                         "ratio": "-" if ratio is None else f"{ratio:,.1f}x", "met": met})
    return rows


def e2e_records(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The end-to-end runs of one result set (one per ``--e2e`` variant)."""
    e2e = results.get("e2e")
    if not e2e:
        return []
    return e2e if isinstance(e2e, list) else [e2e]


def e2e_line(record: dict[str, Any], size: str) -> str:
    stages = record.get("stages") or list(E2E_STAGES)
    order = " -> ".join(stages)
    if "error" in record:
        return f"end to end ({order}): FAILED ({record['error']})"
    ordered = sorted(record["steps"].items(),
                     key=lambda kv: (["imports", *E2E_STAGES].index(kv[0])
                                     if kv[0] in ["imports", *E2E_STAGES] else 99))
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in ordered)
    verdict = ""
    if size in E2E_TARGETS and "validate" in stages:
        time_target, memory_target = E2E_TARGETS[size]
        time_ok = record["seconds"] <= time_target
        mem_ok = record["peak_rss_mb"] <= memory_target
        verdict = (f" [targets <= {time_target:.0f} s: {'met' if time_ok else 'MISSED'}, "
                   f"<= {memory_target / 1024:.0f} GB: {'met' if mem_ok else 'MISSED'}]")
    return (f"end to end ({order}, one cold process): "
            f"{record['seconds']:.2f} s ({steps}), peak RSS {record['peak_rss_mb']:,.0f} MB"
            f"{verdict}")


def print_results(results: dict[str, Any]) -> None:
    info = results["info"]
    mach = results["machine"]
    print(f"\nfzcompare pipeline, size {results['size']}: {info['rows']:,} observations = "
          f"{info['regions']:,} regions x {len(info['years'])} years x {info['indicators']} "
          f"indicators ({info['series']:,} series)")
    print(f"machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram_gb']:.1f} GB RAM; "
          f"load average at start {mach['load_average'][0]:.2f}")
    print(f"generate {info['generate_s']:.2f} s, write dataset {info['write_s']:.2f} s "
          f"({info['dataset_mb']:.1f} MB on disk) - not pipeline stages")
    header = ("stage", "fzcompare", "peak RSS", "baseline", "peak RSS", "ratio",
              f">= {MIN_RATIO:.0f}x")
    keys = ("stage", "fz_s", "fz_mb", "base_s", "base_mb", "ratio", "met")
    rows = [dict(zip(keys, header, strict=True)), *stage_rows(results)]
    widths = {k: max(len(r[k]) for r in rows) for k in keys}
    for i, row in enumerate(rows):
        print("  ".join(row[k].ljust(widths[k]) if k == "stage" else row[k].rjust(widths[k])
                        for k in keys))
        if i == 0:
            print("  ".join("-" * widths[k] for k in keys))
    for stage, pair in results["stages"].items():
        for impl, record in pair.items():
            if record.get("note"):
                print(f"  * {stage} {impl}: {record['note']}")
            if "error" in record:
                print(f"  ! {stage} {impl}: {record['error']}")
    for record in e2e_records(results):
        print(e2e_line(record, results["size"]))


# ----------------------------------------------------------------------------- docs

_BLOCK = re.compile(r"<!-- results (?P<size>\S+)\n(?P<json>.*?)\n-->", re.S)
_NOTES = re.compile(r"<!-- notes: kept by the harness -->\n(?P<notes>.*?)<!-- /notes -->", re.S)
ALTERNATIVE_BASELINES: dict[str, str] = {
    "baseline_same_checks": "same checks",
    "baseline_polars_floor": "polars floor",
}
"""Second baselines of some stages (impl -> row label); shown as extra rows."""
FLOOR_BASELINES: frozenset[str] = frozenset({"baseline_polars_floor"})
"""Baselines that are a floor (the same work with less machinery): fzcompare should be at
most ``FLOOR_MAX_SLOWDOWN`` times slower, not ten times faster."""
FLOOR_MAX_SLOWDOWN = 1.5
SAME_LIBRARY: dict[str, str] = {
    "validate": "both sides run great_expectations' pandas engine",
}
"""Stages whose baseline already spends its time in the same library fzcompare calls."""


def _stored_results(text: str) -> dict[str, dict[str, Any]]:
    return {m.group("size"): json.loads(m.group("json")) for m in _BLOCK.finditer(text)}


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _usable(record: dict[str, Any] | None) -> bool:
    if not record or "error" in record:
        return False
    return bool(record.get("scale", 1.0) == 1.0 and record.get("seconds", 0) > 0)


def scaling_cells(records: dict[str, dict[str, Any] | None],
                  all_results: dict[str, dict[str, Any]]) -> list[str]:
    """Exponent of time in rows (smallest to largest size measured), 3M -> 30M growth."""
    import math

    sizes = [s for s, r in records.items() if _usable(r)]
    if _usable(records.get("3M")) and _usable(records.get("30M")):
        sizes = ["3M", "30M"]
    exponent = "-"
    rows_lo = all_results[sizes[0]]["info"]["rows"] if sizes else 0
    rows_hi = all_results[sizes[-1]]["info"]["rows"] if sizes else 0
    if len(sizes) >= 2 and rows_hi > rows_lo > 0:
        lo, hi = records[sizes[0]], records[sizes[-1]]
        growth = math.log(hi["seconds"] / lo["seconds"])  # type: ignore[index]
        exponent = f"{growth / math.log(rows_hi / rows_lo):.2f} ({sizes[0]} -> {sizes[-1]})"
    three, thirty = records.get("3M"), records.get("30M")
    if not (_usable(three) and _usable(thirty)):
        return [exponent, "-", "-"]
    time_x = thirty["seconds"] / three["seconds"]  # type: ignore[index]
    mem_x = thirty["peak_rss_mb"] / three["peak_rss_mb"]  # type: ignore[index]
    ok = time_x <= SCALING_MAX[0] and mem_x <= SCALING_MAX[1]
    return [exponent, f"{time_x:.1f}x, {mem_x:.1f}x", "yes" if ok else "NO"]


def render_docs(all_results: dict[str, dict[str, Any]], notes: str = "") -> str:
    """The whole of docs/performance.md from the stored results and the hand-written notes."""
    order = [s for s in SIZES if s in all_results]
    parts = ["# Performance", "",
             "How fast fzcompare runs its pipeline at national scale, and how that compares "
             "with the obvious way to do the same work without it (pandas, statsmodels per "
             "series, great_expectations on a pandas frame, a Python loop for scoring). "
             "This page is written by the harness; do not edit the tables by hand.", "",
             "Reproduce (from the repository root):", "", "```bash"]
    parts += [all_results[s]["command"] for s in order]
    parts += ["```", "",
              "Each stage runs in a fresh child process, once with fzcompare and once with the "
              "baseline; the child reads its input untimed, warms its imports on a small slice, "
              "resets its peak-memory mark and times the stage: the best of up to 3 runs while "
              "the runs so far took under 10 s (short stages repeat, long ones run once; the "
              "same rule for fzcompare and the baselines). *Peak RSS* is the child's "
              "peak during the stage and includes the input frame it holds. Numbers marked "
              "`*` were measured on a sample and extrapolated (see the notes under each "
              "table). These machines are virtual and may be shared (each run records its "
              "load average at the start), so single timings move between runs and "
              "machines; the ratios are what count.", "",
              "| stage | fzcompare | baseline (competent user, same harness) |",
              "|---|---|---|"]
    parts += [f"| {stage} | {doc[0]} | {doc[1]} |" for stage, doc in STAGE_DOC.items()]
    parts += ["", "*Same library*: " + "; ".join(f"{k}: {v}" for k, v in SAME_LIBRARY.items())
              + ", so a 10x ratio is not expected there.", "",
              "## Findings", "",
              "<!-- notes: kept by the harness -->",
              notes.strip() + "\n" if notes.strip() else "(none yet)\n",
              "<!-- /notes -->", ""]
    for size in order:
        res = all_results[size]
        info, mach = res["info"], res["machine"]
        parts += [f"## {size}: {info['rows']:,} observations", "",
                  f"{info['regions']:,} regions x {len(info['years'])} years x "
                  f"{info['indicators']} indicators, {info['series']:,} series. "
                  f"Run {mach['date']} on {html.escape(mach['cpu'])}, {mach['cores']} cores, "
                  f"{mach['ram_gb']:.1f} GB RAM, load average {mach['load_average'][0]:.2f} "
                  f"at start; Python {mach['python']}, polars {mach['polars']}, pandas "
                  f"{mach['pandas']}, great_expectations {mach['great_expectations']}, "
                  f"statsmodels {mach['statsmodels']}.", "",
                  f"Command: `{res['command']}`", "",
                  f"Generating the panel took {info['generate_s']:.2f} s and writing the dataset "
                  f"{info['write_s']:.2f} s ({info['dataset_mb']:.1f} MB of Parquet); neither "
                  "is a pipeline stage.", ""]
        rows = [[r["stage"], r["fz_s"], r["fz_mb"], r["base_s"], r["base_mb"], r["ratio"],
                 r["met"]] for r in stage_rows(res)]
        parts += [_md_table(["stage", "fzcompare", "peak RSS", "baseline", "baseline peak RSS",
                             "ratio", f">= {MIN_RATIO:.0f}x"], rows), ""]
        remarks: list[str] = []
        for stage in ALL_STAGES:
            pair = res["stages"].get(stage, {})
            for impl in ["fzcompare", "baseline", *ALTERNATIVE_BASELINES]:
                record = pair.get(impl)
                if record is None:
                    continue
                if record.get("note"):
                    remarks.append(f"- {stage}, {impl}: {record['note']}.")
                if "error" in record:
                    remarks.append(f"- {stage}, {impl}: **failed**: {record['error']}")
        remarks += [f"- {note}" for note in res.get("notes", [])]
        parts += ["\n".join(remarks), ""] if remarks else []
        for record in e2e_records(res):
            parts += [e2e_line(record, size).replace("end to end", "**End to end**", 1), ""]
    if len(order) > 1:
        parts += ["## Scaling", "",
                  "fzcompare time and peak RSS per stage as the panel grows "
                  "(same harness, same machine).", ""]
        header = (["stage"] + [f"{s} time" for s in order] + [f"{s} peak RSS" for s in order]
                  + ["exponent (time)", "3M -> 30M time, peak", "linear"])
        rows = []
        for stage in ALL_STAGES:
            recs = [all_results[s]["stages"].get(stage, {}).get("fzcompare") for s in order]
            if all(r is None for r in recs):
                continue
            rows.append([stage] + [_fmt_s(r) for r in recs] + [_fmt_mb(r) for r in recs]
                        + scaling_cells(dict(zip(order, recs, strict=True)), all_results))
        variants = list(dict.fromkeys(",".join(r.get("stages") or E2E_STAGES)
                                      for s in order for r in e2e_records(all_results[s])))
        for variant in variants:
            recs = [next((r for r in e2e_records(all_results[s])
                          if ",".join(r.get("stages") or E2E_STAGES) == variant), None)
                    for s in order]
            rows.append([f"end to end ({variant.replace(',', ' -> ')})"]
                        + [_fmt_s(r) for r in recs] + [_fmt_mb(r) for r in recs]
                        + scaling_cells(dict(zip(order, recs, strict=True)), all_results))
        parts += [_md_table(header, rows), ""]
    for size in order:
        parts += [f"<!-- results {size}", json.dumps(all_results[size], sort_keys=True), "-->"]
    return "\n".join(parts) + "\n"


def write_docs(results: dict[str, Any] | None, path: Path = DOCS) -> None:
    """Record ``results`` in ``path``, keeping the other sizes' results and the findings there.

    With ``results`` None the page is only re-rendered from what it stores.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    stored = _stored_results(old)
    if results is not None:
        stored[results["size"]] = results
    kept = _NOTES.search(old)
    notes = kept.group("notes") if kept else ""
    text = render_docs(stored, "" if notes.strip() == "(none yet)" else notes)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ----------------------------------------------------------------------------- main

@contextlib.contextmanager
def workdir(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="fzcompare-perf-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated subset of {','.join(ALL_STAGES)}")
    parser.add_argument("--no-baseline", action="store_true",
                        help="time fzcompare only (no ratios)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
    parser.add_argument("--e2e", default=",".join(E2E_STAGES),
                        help="end-to-end variants, ';'-separated (each needs load, trends, "
                             "benchmark; validate is optional), or 'both': with and without "
                             "validate")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"record the results in {DOCS.relative_to(ROOT)}")
    parser.add_argument("--docs", type=Path, default=DOCS, help=argparse.SUPPRESS)
    parser.add_argument("--rerender-docs", action="store_true",
                        help="only re-render docs/performance.md from the results it stores")
    parser.add_argument("--baseline-max-regions", type=int, default=3000,
                        help="baselines on more regions run on this many and are extrapolated")
    parser.add_argument("--trends-sample", type=int, default=None,
                        help="series in the trends baseline's sample (0 = all)")
    parser.add_argument("--min-available-gb", type=float, default=4.0,
                        help="kill a child when MemAvailable falls under this")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per child, seconds")
    parser.add_argument("--workdir", default=None, help="keep the generated data here")
    parser.add_argument("--reuse", action="store_true",
                        help="with --workdir: reuse a panel generated there by an earlier run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--e2e-stages", default=",".join(E2E_STAGES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.trends_sample is None:
        args.trends_sample = SIZES[args.size].trends_sample
    args.stage_list = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(args.stage_list) - set(ALL_STAGES))
    if unknown:
        parser.error(f"unknown stage(s) {unknown}; choose from {','.join(ALL_STAGES)}")
    args.e2e_variants = []
    if args.e2e == "both":
        args.e2e = "load,validate,trends,benchmark;load,trends,benchmark"
    for variant in args.e2e.split(";"):
        stages = [s.strip() for s in variant.split(",") if s.strip()]
        if not {"load", "trends", "benchmark"} <= set(stages) or set(stages) - set(E2E_STAGES):
            parser.error(f"--e2e variant {variant!r}: load, trends and benchmark, optionally "
                         "validate")
        args.e2e_variants.append([s for s in E2E_STAGES if s in stages])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    if args.rerender_docs:
        write_docs(None, args.docs)
        print(f"re-rendered {args.docs}")
        return 0
    given = list(argv if argv is not None else sys.argv[1:])
    with contextlib.suppress(ValueError):
        at = given.index("--docs")
        del given[at:at + 2]
    command = "python benchmarks/pipeline.py " + " ".join(
        a for a in given if a != "--write-docs")
    results: dict[str, Any] = {"size": args.size, "command": command.strip(),
                               "machine": machine(), "stages": {}, "notes": []}
    failed = False
    with workdir(args.workdir) as work:
        previous = work / "prepare.json"
        info = json.loads(previous.read_text()) if args.reuse and previous.exists() else {}
        if info.get("size") == args.size and info.get("baseline_max_regions") == \
                args.baseline_max_regions:
            print(f"[prepare] reusing the {args.size} panel in {work}", flush=True)
        else:
            print(f"[prepare] generating and writing the {args.size} panel in {work} ...",
                  flush=True)
            info = run_child(args, work, "prepare")
        if "error" in info:
            print(f"prepare failed: {info['error']}", file=sys.stderr)
            return 1
        results["info"] = info
        impls = (["fzcompare"] if args.no_baseline else
                 ["fzcompare", "baseline", *sorted(ALTERNATIVE_BASELINES)])
        for stage in args.stage_list:
            for impl in impls:
                if (stage, impl) not in WORKERS:
                    continue
                print(f"[{stage}] {impl} ...", flush=True)
                record = run_child(args, work, f"{stage}:{impl}")
                results["stages"].setdefault(stage, {})[impl] = record
                failed |= "error" in record
                if "error" in record:
                    print(f"  failed: {record['error']}", flush=True)
                else:
                    print(f"  {record['seconds']:.2f} s, peak {record['peak_rss_mb']:,.0f} MB",
                          flush=True)
        if not args.no_e2e:
            results["e2e"] = []
            for stages in args.e2e_variants:
                print(f"[e2e] fzcompare {' -> '.join(stages)} ...", flush=True)
                record = run_child(args, work, "e2e", stages)
                record["stages"] = stages
                results["e2e"].append(record)
                failed |= "error" in record
    print_results(results)
    if args.write_docs:
        write_docs(results, args.docs)
        print(f"\nwrote {args.docs}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
