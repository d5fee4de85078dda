"""The store through the CLI: empty and wrong-level paths, history, restore, convert, --version."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main
from fzcompare.schema import KEY_COLUMNS


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("command", "options"), [
    (["validate"], []), (["trends"], []), (["benchmark"], ["-c", "hubei-demo-2024"]),
    (["dataset", "info"], []), (["report"], ["-c", "hubei-demo-2024", "-o", "unused"])])
def test_empty_and_wrong_level_paths_exit_non_zero(command: list[str], options: list[str],
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    (empty / "observations").mkdir(parents=True)
    code, out, err = run([*command, str(empty), *options], capsys)
    assert code == 1
    assert f"no observations at {empty}" in err
    level = "datasets/demo/observations"
    code, out, err = run([*command, level, *options], capsys)
    assert code == 1
    assert f"no observations at {level}" in err
    assert "give the dataset folder itself: datasets/demo" in err
    assert "PASS" not in out


def test_extract_year_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["extract", "tests/fixtures/extract/city-scraped.txt", "--year",
                        "99999999999"], capsys)
    assert code == 2
    assert "--year" in err
    assert "TypeError" not in err


def test_history_restore_and_version_options(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "demo"
    shutil.copytree("datasets/demo", dataset)
    first = store.load(dataset)
    store.write_observations(first.filter(pl.col("year") == 2023).with_columns(
        pl.col("value") * 0 + 1), dataset)
    code, out, _ = run(["dataset", "history", str(dataset)], capsys)
    assert code == 0
    versions = pl.read_csv(out.encode())
    assert versions["version"].to_list()[:2] == [1, 0]
    assert versions["operation"][0] == "write"
    assert "synthetic-demo-20231" in versions["sources"][1]
    code, out, _ = run(["trends", str(dataset), "--version", "0", "--view", "changes",
                        "-f", "csv"], capsys)
    assert code == 0
    at_zero = pl.read_csv(out.encode())
    code, out, _ = run(["trends", str(dataset), "--view", "changes", "-f", "csv"], capsys)
    assert not pl.read_csv(out.encode()).equals(at_zero)
    code, out, err = run(["dataset", "restore", str(dataset), "--version", "0"], capsys)
    assert code == 0
    assert "restored as version 2" in err and out == ""
    assert store.load(dataset).sort(KEY_COLUMNS).equals(first.sort(KEY_COLUMNS))
    code, _, err = run(["dataset", "restore", str(dataset), "--version", "7"], capsys)
    assert code == 2  # a version the dataset does not have: a usage error
    assert "unknown dataset version '7'" in err and "versions 0..2" in err


def test_report_manifest_records_the_version(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out_dir = tmp_path / "report"
    code, _, err = run(["report", "datasets/demo", "-c", "hubei-demo-2024", "-o", str(out_dir),
                        "--no-charts", "--no-validate", "--format", "json", "--version", "0"],
                       capsys)
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dataset_version"] == 0


def test_convert_cli_keeps_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    legacy = tmp_path / "old"
    frame = store.load("datasets/real")
    for year in sorted(frame["year"].unique()):
        part = legacy / "observations" / f"year={year}" / "part-0.parquet"
        part.parent.mkdir(parents=True)
        frame.filter(pl.col("year") == year).drop("year").write_parquet(part)
    store.load_sources("datasets/real").write_csv(legacy / "sources.csv")
    code, _, err = run(["extract", "tests/fixtures/extract/city-scraped.txt", "--region",
                        "420300", "--year", "2023", "--into", str(legacy), "-o",
                        str(tmp_path / "x.csv")], capsys)
    assert code == 1
    assert f"fzcompare dataset convert {legacy}" in err
    code, out, err = run(["dataset", "convert", str(legacy), str(tmp_path / "new")], capsys)
    assert code == 0, err
    assert f"{frame.height} observations" in err and out == ""
    assert store.load(tmp_path / "new").sort(KEY_COLUMNS).equals(frame.sort(KEY_COLUMNS))
