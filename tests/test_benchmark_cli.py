"""``fzcompare benchmark`` on a small dataset, and the benchmark script's tiny size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main
from fzcompare.synthetic import demo_panel


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    panel = demo_panel()
    path = tmp_path_factory.mktemp("bench") / "demo"
    observations = panel.observations.filter(pl.col("year") >= 2023)
    store.write_observations(observations, path, sources=panel.sources)
    return path


def test_table_output_exits_zero_whatever_the_verdicts(dataset: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", str(dataset), "--criteria", "hubei-demo-2024",
                 "--year", "2024", "-f", "table"]) == 0
    out, err = capsys.readouterr()
    assert "hubei-demo-2024 v1.0: pass line 80 of 100 points" in out
    assert "十堰市" in out
    assert "SYNTHETIC" in err and "SYNTHETIC" not in out
    assert "user-set/illustrative" in err


def test_csv_for_chosen_regions_and_table(dataset: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", str(dataset), "-c", "county-demo-2024", "--format", "csv",
                 "--table", "criteria", "--region", "420322", "--region", "420325"]) == 0
    captured = capsys.readouterr()
    frame = pl.read_csv(captured.out.encode())
    assert set(frame["region_code"].cast(pl.String)) == {"420322", "420325"}
    assert set(frame["year"]) == {2023, 2024}
    assert "criterion_id" in frame.columns
    assert "SYNTHETIC" in captured.err


def test_json_to_a_file(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "totals.json"
    assert main(["benchmark", str(dataset), "-c", "hubei-demo-2024", "-f", "json",
                 "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["settings"]["criteria_id"] == "hubei-demo-2024"
    assert len(document["settings"]["criteria_sha256"]) == 64
    assert document["table"] == "totals"
    assert {row["verdict"] for row in document["rows"]} <= {"pass", "fail", "vetoed",
                                                           "missing_evidence"}
    assert any("SYNTHETIC" in note for note in document["notes"])


def test_rubric_file_path_and_errors(dataset: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nname: x\n", encoding="utf-8")
    assert main(["benchmark", str(dataset), "-c", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: version: missing required key" in err
    assert "Traceback" not in err
    # An unknown rubric id is a usage error (exit 2, as docs/scheduling.md says), with the ids.
    assert main(["benchmark", str(dataset), "-c", "no-such-id"]) == 2
    assert "bundled ids" in capsys.readouterr().err
    assert main(["benchmark", str(dataset), "-c", "datasets/criteria/county-demo-2024.yaml",
                 "--year", "1990"]) == 2  # a year outside the data: an error that suggests
    assert "year 1990 is outside the data (2023-2024); did you mean 2023?" in (
        capsys.readouterr().err)
    assert main(["benchmark", str(dataset), "-c", "county-demo-2024", "-f", "xml"]) == 2


def test_benchmark_script_runs_at_tiny_size() -> None:
    script = Path("benchmarks/bench_benchmark.py")
    proc = subprocess.run([sys.executable, str(script), "--size", "tiny"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "benchmark()" in proc.stdout
    assert "ranks equal True" in proc.stdout
    assert "rank_robustness(50 draws)" in proc.stdout


def test_robustness_draws_the_declared_composite_choices(
        dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", str(dataset), "-c", "hubei-demo-2024", "--year", "2024",
                 "--robustness", "40", "--normalisations", "rubric, minmax",
                 "--aggregations", "arithmetic,geometric", "-f", "csv"]) == 0
    captured = capsys.readouterr()
    frame = pl.read_csv(captured.out.encode())
    assert {"rank_p05", "rank_p95"} <= set(frame.columns)
    assert ("each draw picked one of rubric+arithmetic, rubric+geometric, "
            "minmax+arithmetic, minmax+geometric") in captured.err
    assert "normalisation: first-order share" in captured.err


@pytest.mark.parametrize(("option", "value", "suggestion"), [
    ("--normalisations", "rubric,minmx", "did you mean minmax?"),
    ("--aggregations", "geometrc", "did you mean geometric?"),
])
def test_unknown_composite_choices_are_usage_errors_with_suggestions(
        dataset: Path, capsys: pytest.CaptureFixture[str], option: str, value: str,
        suggestion: str) -> None:
    assert main(["benchmark", str(dataset), "-c", "hubei-demo-2024", "--robustness", "5",
                 option, value, "-f", "csv"]) == 2
    captured = capsys.readouterr()
    assert suggestion in captured.err and not captured.out


def test_composite_choices_need_robustness(dataset: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmark", str(dataset), "-c", "hubei-demo-2024",
                 "--aggregations", "geometric", "-f", "csv"]) == 2
    assert "add --robustness N" in capsys.readouterr().err
