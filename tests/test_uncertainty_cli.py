"""``fzcompare trends --view intervals`` and ``--view progress --targets FILE``."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main


@pytest.fixture
def dataset(tmp_path: Path, source_row: dict[str, object]) -> Path:
    rows: list[dict[str, Any]] = []
    for region, (k, n, online) in {"420300": (9, 80, (90.0, 95.0)),
                                   "420500": (30, 120, (80.0, 81.0))}.items():
        for code, value, unit in (("reconsideration_corrected", k, "件"),
                                  ("reconsideration_concluded", n, "件")):
            rows.append({"region_code": region, "year": 2023, "indicator_code": code,
                         "scope": "全市", "value": float(value), "unit": unit})
        for year, rate in zip((2021, 2023), online, strict=True):
            rows.append({"region_code": region, "year": year, "scope": "全市",
                         "indicator_code": "gov_service_online_rate", "value": rate,
                         "unit": "%"})
    frame = pl.DataFrame(rows).with_columns(qualifier=pl.lit("eq"), source_id=pl.lit("test-src"),
                                            quote=pl.lit(""))
    folder = tmp_path / "ds"
    store.write_observations(frame, folder, sources=pl.DataFrame([source_row]))
    return folder


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["trends", *args, "--format", "csv"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_intervals_view(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([str(dataset), "--view", "intervals"], capsys)
    assert code == 0, err
    frame = pl.read_csv(io.StringIO(out)).sort("region_code")
    assert frame["rate"].to_list() == pytest.approx([11.25, 25.0])
    z = 1.959963984540054
    k, n = 9, 80
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    assert frame["value_ci_low"][0] == pytest.approx(100 * (centre - half))


def test_progress_view_needs_and_reads_targets(dataset: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([str(dataset), "--view", "progress"], capsys)
    assert code == 2 and "--targets" in err
    targets = tmp_path / "targets.csv"
    targets.write_text("indicator_code,value,year\ngov_service_online_rate,98,2025\n",
                       encoding="utf-8")
    code, out, err = _run([str(dataset), "--view", "progress", "--targets", str(targets),
                           "--indicator", "gov_service_online_rate"], capsys)
    assert code == 0, err
    frame = pl.read_csv(io.StringIO(out)).sort("region_code")
    assert frame["status"].to_list() == ["on_track", "limited_progress"]
