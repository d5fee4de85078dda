"""The ``fzcompare trends`` command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main


@pytest.fixture
def dataset(tmp_path: Path, source_row: dict[str, object]) -> Path:
    rows: list[dict[str, Any]] = []
    values = {"420300": [90.0, 92.5, 95.0, 96.0, 97.5], "420500": [85.0, 84.0, 88.0, 90.0, 91.0]}
    for region, series in values.items():
        for year, value in zip(range(2019, 2024), series, strict=True):
            rows.append({"region_code": region, "year": year,
                         "indicator_code": "gov_service_online_rate", "scope": "全市",
                         "value": value, "unit": "%", "qualifier": "eq",
                         "source_id": "test-src", "quote": ""})
    for year, value in zip(range(2021, 2024), (300.0, 320.0, 410.0), strict=True):
        rows.append({"region_code": "420300", "year": year,
                     "indicator_code": "reconsideration_applications", "scope": "全市",
                     "value": value, "unit": "件", "qualifier": "eq", "source_id": "test-src",
                     "quote": ""})
    folder = tmp_path / "ds"
    store.write_observations(pl.DataFrame(rows), folder, sources=pl.DataFrame([source_row]))
    return folder


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["trends", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_csv_when_piped_has_the_required_columns(dataset: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([str(dataset)], capsys)
    assert code == 0, err
    frame = pl.read_csv(io.StringIO(out))
    required = ["region_code", "indicator_code", "scope", "year", "prev_year", "value",
                "prev_value", "change_abs", "change_pct", "verdict", "slope", "slope_ci_low",
                "slope_ci_high", "slope_p", "cagr", "mk_tau", "mk_p", "sen_slope", "n_points"]
    assert frame.columns[:len(required)] == required
    assert frame.height == 13
    row = frame.filter((pl.col("region_code") == 420300) & (pl.col("year") == 2020)
                       & (pl.col("indicator_code") == "gov_service_online_rate")).row(
        0, named=True)
    assert row["verdict"] == "improved" and row["change_abs"] == pytest.approx(2.5)
    assert row["n_points"] == 5


def test_filters_and_json(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([str(dataset), "--indicator", "gov_service_online_rate", "--region",
                         "420500", "--from", "2020", "--to", "2022", "--format", "json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["year"] for r in rows] == [2020, 2021, 2022]
    assert {r["region_code"] for r in rows} == {"420500"}
    assert rows[0]["verdict"] == "not comparable" and rows[0]["reason"] == "no_previous"
    assert rows[1]["verdict"] == "improved"


def test_table_format_and_views(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([str(dataset), "--format", "table", "--limit", "3"], capsys)
    assert code == 0
    assert "fzcompare trends: summary (13 rows)" in out
    assert "10 more rows" in out
    for view in ("changes", "series", "significance", "dispersion", "convergence", "outlook"):
        code, out, err = _run([str(dataset), "--view", view, "--format", "csv"], capsys)
        assert code == 0, (view, err)
        assert pl.read_csv(io.StringIO(out)).height > 0, view


def test_output_files_by_suffix_and_parquet(dataset: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "trends.parquet"
    code, out, err = _run([str(dataset), "-o", str(target)], capsys)
    assert code == 0 and out == ""
    assert "wrote 13 rows (parquet)" in err
    assert pl.read_parquet(target).height == 13
    csv_target = tmp_path / "t.csv"
    assert _run([str(dataset), "--view", "series", "-o", str(csv_target)], capsys)[0] == 0
    assert pl.read_csv(csv_target).height == 3


def test_tolerance_and_confidence_options(dataset: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    selection = [str(dataset), "--region", "420300", "--indicator", "gov_service_online_rate"]
    code, out, _ = _run([*selection, "--tolerance-abs", "2", "--confidence", "0.9"], capsys)
    assert code == 0
    frame = pl.read_csv(io.StringIO(out))
    assert frame.filter(pl.col("year") == 2020)["verdict"].item() == "improved"  # +2.5
    assert frame.filter(pl.col("year") == 2022)["verdict"].item() == "unchanged"  # +1
    default = pl.read_csv(io.StringIO(_run(selection, capsys)[1]))
    assert default.filter(pl.col("year") == 2022)["verdict"].item() == "improved"

    def width(f: pl.DataFrame) -> float:
        return float(f["slope_ci_high"][0] - f["slope_ci_low"][0])

    assert width(frame) < width(default)


def test_usage_errors_exit_2(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([str(dataset), "--format", "parquet"], capsys)[0] == 2
    code, _, err = _run([str(dataset), "--indicator", "no_such_code"], capsys)
    assert code == 2 and "no_such_code" in err
    assert _run([str(dataset), "--from", "2023", "--to", "2020"], capsys)[0] == 2
    assert _run([str(dataset), "--confidence", "2"], capsys)[0] == 2


def test_failures_exit_1(dataset: Path, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([str(dataset), "--region", "999999"], capsys)
    assert code == 1 and "no observations" in err
    code, _, err = _run([str(tmp_path / "missing")], capsys)
    assert code == 1 and "no such dataset" in err


def test_synthetic_data_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    folder = tmp_path / "demo"
    store.write_observations(panel.observations.filter(pl.col("indicator_code")
                                                       == "gov_service_online_rate"),
                             folder, sources=panel.sources, regions_table=panel.regions)
    code, out, err = _run([str(folder)], capsys)
    assert code == 0 and "SYNTHETIC" in err and "SYNTHETIC" not in out
    code, out, _ = _run([str(folder), "--format", "table"], capsys)
    assert "SYNTHETIC" in out


def test_errors_have_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "fzcompare.cli", "trends",
                           str(tmp_path / "missing")], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "no such dataset" in proc.stderr


def test_default_format_is_a_table_on_a_terminal_and_csv_when_piped() -> None:
    from fzcompare.cli._trends import TrendsFormat, _resolve_format

    assert _resolve_format(None, None, is_terminal=True) is TrendsFormat.table
    assert _resolve_format(None, None, is_terminal=False) is TrendsFormat.csv
    assert _resolve_format(None, Path("x.json"), is_terminal=True) is TrendsFormat.json
    assert _resolve_format(None, Path("x.out"), is_terminal=True) is TrendsFormat.csv
    assert _resolve_format(TrendsFormat.table, None, is_terminal=False) is TrendsFormat.table
