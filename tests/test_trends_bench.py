"""Smoke run of benchmarks/bench_trends.py at the tiny size (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_trends.py"


def test_tiny_benchmark_runs_and_results_agree() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--size", "tiny"], capture_output=True,
                          text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "speed ratio per series" in proc.stdout
    assert "peak RSS" in proc.stdout
    assert proc.stdout.count("identical results on shared") == 2
    assert "): NO" not in proc.stdout
