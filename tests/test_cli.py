from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fzcompare import __version__, store
from fzcompare.cli import main


def test_version(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_usage_error_exit_code_2() -> None:
    assert main(["no-such-command"]) == 2


def test_error_goes_to_stderr_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "fzcompare.cli", "dataset", "info",
                           str(tmp_path / "missing")], capture_output=True, text=True)
    assert proc.returncode == 2  # a dataset argument that names nothing: a usage error
    assert "no such dataset" in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "empty" / "observations").mkdir(parents=True)
    debug = subprocess.run([sys.executable, "-m", "fzcompare.cli", "--debug", "dataset", "info",
                            str(tmp_path / "empty")], capture_output=True, text=True)
    assert "Traceback" in debug.stderr


def test_dataset_info(tmp_path: Path, obs_frame: pl.DataFrame,
                      source_row: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    store.write_observations(obs_frame, tmp_path / "ds", sources=pl.DataFrame([source_row]))
    assert main(["dataset", "info", str(tmp_path / "ds")]) == 0
    out, err = capsys.readouterr()
    assert "3 observations" in err
    counts = pl.read_csv(out.encode())
    assert counts.columns == ["year", "source_kind", "rows"]
    assert counts.filter(pl.col("year") == 2023)["rows"].sum() == 2
