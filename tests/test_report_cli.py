"""`fzcompare report` as a scheduler sees it: exit codes, files, the invalid-data gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main


@pytest.fixture(scope="module")
def broken_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("broken") / "demo"
    shutil.copytree("datasets/demo", folder)
    row = store.load(folder).filter(
        (pl.col("indicator_code") == "gov_service_online_rate")
        & (pl.col("region_code") == "420300") & (pl.col("year") == 2024))
    store.write_observations(row.with_columns(pl.lit(9997.0).alias("value")), folder)
    return folder


def _args(dataset: Path | str, out: Path, *extra: str) -> list[str]:
    return ["report", str(dataset), "--criteria", "hubei-demo-2024", "-d", str(out),
            "--as-of", "2025-01-31", "--no-charts", *extra]


def test_report_writes_files_and_exits_0(tmp_path: Path) -> None:
    assert main(_args("datasets/demo", tmp_path / "r")) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["validation"]["status"] in {"pass", "warn"}
    assert (tmp_path / "r" / "index.html").is_file()
    assert (tmp_path / "r" / "report.md").is_file()


def test_validation_errors_stop_the_report_with_exit_3(broken_dataset: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(_args(broken_dataset, out)) == 3
    assert not out.exists()


def test_allow_invalid_reports_anyway_clearly_marked(broken_dataset: Path,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(_args(broken_dataset, out, "--allow-invalid")) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["validation"] == {**summary["validation"], "status": "fail",
                                     "allowed_invalid": True}
    assert 'id="invalid-banner"' in (out / "index.html").read_text(encoding="utf-8")


def test_bad_as_of_and_unknown_criteria_are_usage_or_input_errors(tmp_path: Path) -> None:
    assert main(["report", "datasets/demo", "--as-of", "31/01/2025", "--out",
                 str(tmp_path)]) == 2
    assert main(["report", "datasets/demo", "--criteria", "no-such-rubric", "--out",
                 str(tmp_path)]) == 2
    assert main(["report", "datasets/demo"]) == 2  # no folder given


def test_old_out_option_still_works_as_a_hidden_alias(tmp_path: Path) -> None:
    args = ["report", "datasets/demo", "--as-of", "2025-01-31", "--no-charts",
            "--no-validate", "--format", "json"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "-o", str(tmp_path / "b")]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        p.name for p in (tmp_path / "b").iterdir())
    assert (tmp_path / "a" / "summary.json").is_file()
    assert not (tmp_path / "a" / "index.html").exists()  # --format (old --files) was kept


def test_targets_file_gives_the_progress_table(tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("indicator_code,value,year,source\n"
                       "gov_service_online_rate,99.5,2026,test target\n", encoding="utf-8")
    out = tmp_path / "r"
    assert main(_args("datasets/demo", out, "--robustness", "0", "--files", "md",
                      "--targets", str(targets))) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "No targets were declared" not in text
    assert "99.5 by 2026" in text


def test_bad_targets_file_is_refused_naming_the_row(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("indicator_code,value,year\ngov_service_onlin_rate,99,2026\n",
                       encoding="utf-8")
    assert main(_args("datasets/demo", tmp_path / "r", "--targets", str(targets))) == 1
    err = capsys.readouterr().err
    assert "targets.csv: row 2" in err
    assert not (tmp_path / "r").exists()
    assert main(_args("datasets/demo", tmp_path / "r", "--targets",
                      str(tmp_path / "none.csv"))) == 2
