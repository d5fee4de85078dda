"""Smoke run of benchmarks/bench_extract.py at the tiny size (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_extract.py"


def test_tiny_benchmark_runs() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--size", "tiny"], capture_output=True,
                          text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "speed ratio (baseline time / fzcompare time)" in proc.stdout
    assert "synthetic text, not real" in proc.stdout
    # Both baselines are timed and each line says what is compared.
    for label in ("A naive loop", "B pandas per figure", "A does:", "B does:",
                  "fzcompare.extract does:"):
        assert label in proc.stdout


def test_large_text_benchmark_runs() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--large", "--sizes-mb", "0.05", "0.1"],
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "synthetic text, not real" in proc.stdout
    assert proc.stdout.count("s/MB against the first size") == 2
    assert "ratio whole / report by report" in proc.stdout
