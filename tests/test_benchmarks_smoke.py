"""Smoke runs of the benchmark harnesses at their tiny sizes, so they cannot rot.

Each script runs as a subprocess, as a user would run it. Nothing here checks a timing: the
tests only check that every stage ran (fzcompare and baseline) and the results were recorded.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
# These scripts have smoke tests of their own that also check their output.
OWN_TESTS = {"bench_trends", "bench_extract", "bench_benchmark"}
STAGE_SCRIPTS = sorted(p for p in BENCHMARKS.glob("bench_*.py") if p.stem not in OWN_TESTS)
PIPELINE_STAGES = ("load", "validate", "trends", "benchmark", "report")


def _run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.slow
def test_pipeline_harness_runs_every_stage_at_tiny_size(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    # The harness, not a timing, is under test: baselines run on 5 of the 30 regions and the
    # trends loop on 30 of the 3,000 series, both extrapolated (the sampling paths the large
    # sizes take; the full-size tiny run cost ~4x more for the same checks).
    done = _run(str(BENCHMARKS / "pipeline.py"), "--size", "tiny", "--write-docs",
                "--docs", str(docs), "--baseline-max-regions", "5", "--trends-sample", "30")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout.split("fzcompare pipeline, size tiny", 1)[1]
    for stage in PIPELINE_STAGES:
        row = re.search(rf"^{stage}\s+(\S+ s)\s.*?(\S+ s\*?)\s.*?(\S+x)\s", table, re.M)
        assert row is not None, f"no result row for {stage}:\n{table}"
    assert "end to end (" in table and "FAILED" not in table
    assert "extrapolated" in table  # the trends baseline samples series even at tiny size
    assert "measured on the first 5 regions" in table  # the region-sampled baselines
    text = docs.read_text(encoding="utf-8")
    assert "## tiny: 29,250 observations" in text
    assert "python benchmarks/pipeline.py --size tiny" in text
    assert "<!-- results tiny" in text


def test_docs_keep_every_size_and_render_deterministically(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import pipeline
    finally:
        sys.path.remove(str(BENCHMARKS))
    record = {"seconds": 1.0, "measured_seconds": 1.0, "scale": 1.0, "peak_rss_mb": 100.0,
              "rows": 10, "note": ""}

    def results(size: str) -> dict[str, object]:
        return {"size": size, "command": f"python benchmarks/pipeline.py --size {size}",
                "machine": {"cpu": "cpu <x>", "cores": 2, "ram_gb": 1.0, "python": "3",
                            "polars": "p", "pandas": "p", "great_expectations": "g",
                            "statsmodels": "s", "load_average": [0.5, 0.5, 0.5],
                            "date": "d"},
                "info": {"rows": 10, "regions": 1, "years": [2023, 2024], "indicators": 5,
                         "series": 5, "generate_s": 0.1, "write_s": 0.1, "dataset_mb": 0.1},
                "stages": {"load": {"fzcompare": record,
                                    "baseline": {**record, "seconds": 20.0, "scale": 2.0,
                                                 "note": "sampled"}}},
                "e2e": [{"seconds": 3.0, "steps": {"imports": 1.0, "load": 2.0},
                         "peak_rss_mb": 200.0, "stages": ["load", "trends", "benchmark"]}],
                "notes": []}

    docs = tmp_path / "performance.md"
    pipeline.write_docs(results("3M"), docs)
    pipeline.write_docs(results("0.3M"), docs)
    text = docs.read_text(encoding="utf-8")
    assert text.index("## 0.3M") < text.index("## 3M") < text.index("## Scaling")
    assert "| load | 1.00 s | 100 MB | 20.00 s* | 100 MB* | 20.0x | yes |" in text
    assert "cpu &lt;x&gt;" in text
    assert "load, baseline: sampled." in text
    pipeline.write_docs(results("3M"), docs)
    assert docs.read_text(encoding="utf-8") == text
    assert "| end to end (load -> trends -> benchmark) | 3.00 s | 3.00 s |" in text
    noted = text.replace("(none yet)", "Hand-written finding.")
    docs.write_text(noted, encoding="utf-8")
    pipeline.write_docs(results("30M"), docs)
    assert "Hand-written finding." in docs.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("script", STAGE_SCRIPTS, ids=[p.stem for p in STAGE_SCRIPTS])
def test_stage_benchmark_runs_at_tiny_size(script: Path) -> None:
    done = _run(str(script), "--size", "tiny")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.strip()
