"""The ``fzcompare validate`` command: summary, JSON, exit codes, quarantine, Data Docs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from fzcompare.cli import main
from fzcompare.store import load
from fzcompare.validate import read_quarantine


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["validate", *args, *([] if "--format" in args else ["-f", "table"])])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The demo dataset with one rate entered x100."""
    dataset = tmp_path / "demo"
    shutil.copytree("datasets/demo", dataset)
    frame = load(dataset, check=False)
    hit = ((pl.col("region_code") == "420100") & (pl.col("year") == 2021)
           & (pl.col("indicator_code") == "pre_appointment_law_test_participation_rate"))
    from fzcompare.store import write_observations

    write_observations(frame.filter(hit).with_columns(pl.col("value") * 100), dataset)
    return dataset


def test_clean_dataset_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["datasets/demo"], capsys)
    assert code == 0, err
    assert "verdict: PASS" in out
    assert "5 suites" in out


def test_failing_dataset_exits_1_and_names_the_row(broken: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(broken)], capsys)
    assert code == 1
    assert "verdict: FAIL" in out
    assert "ERROR    ranges/range.rate: 1 of" in out
    assert "pre_appointment_law_test_participation_rate" in out


def test_json_output(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(broken), "--format", "json", "--max-rows", "1"], capsys)
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "fail"
    assert data["failing_rows_shown"] == 1
    assert data["failing_row_count"] >= 1
    assert {o["check"] for o in data["outcomes"]} >= {"range.rate", "key_unique", "yoy_jump"}


def test_csv_holds_the_failing_rows_and_the_verdict_goes_to_stderr(
        broken: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(broken), "--format", "csv"], capsys)
    assert code == 1 and "verdict FAIL" in err and "verdict" not in out.splitlines()[0]
    rows = pl.read_csv(out.encode())
    assert "pre_appointment_law_test_participation_rate" in rows["indicator_code"].to_list()
    target = tmp_path / "failing.parquet"
    code, out, err = run([str(broken), "--format", "parquet", "-o", str(target)], capsys)
    assert code == 1 and out == "" and pl.read_parquet(target).height == rows.height


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(tmp_path / "absent")], capsys)[0] == 2
    assert run(["datasets/demo", "--corrections", "x.csv"], capsys)[0] == 2
    assert run(["datasets/demo", "--no-bundled"], capsys)[0] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, _, err = run(["datasets/demo", "--suite", str(bad)], capsys)
    assert code == 2
    assert "not valid JSON" in err
    assert run(["datasets/demo", "--format", "yaml"], capsys)[0] == 2
    file = tmp_path / "obs.parquet"
    load("datasets/demo", check=False).head(10).write_parquet(file)
    assert run([str(file), "--quarantine"], capsys)[0] == 2


def test_single_file_with_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "obs.csv"
    load("datasets/real", check=False).write_csv(file)
    from fzcompare.store import load_sources

    load_sources("datasets/real").write_csv(tmp_path / "sources.csv")
    code, out, _ = run([str(file), "--sources", str(tmp_path / "sources.csv")], capsys)
    assert code == 0, out
    code, out, _ = run([str(file)], capsys)
    assert code == 0
    assert "SKIPPED  keys/source_known" in out


def test_quarantine_then_readmit_with_corrections(broken: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = load(broken, check=False).height
    code, out, err = run([str(broken), "--quarantine"], capsys)
    assert code == 1
    assert "quarantine: 1 moved to quarantine" in err
    assert load(broken, check=False).height == before - 1
    code, out, _ = run([str(broken)], capsys)
    assert code == 0

    table = read_quarantine(broken)
    fixes = broken.parent / "fixes.csv"
    table.select("quarantine_id", (pl.col("value") / 100).alias("value")).write_csv(fixes)
    code, out, err = run([str(broken), "--readmit", "--corrections", str(fixes)], capsys)
    assert code == 0, out
    assert "1 readmitted" in err
    assert load(broken, check=False).height == before
    assert read_quarantine(broken)["status"].to_list() == ["corrected", "readmitted"]


def test_data_docs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    code, out, err = run(["datasets/real", "--docs", str(docs)], capsys)
    assert code == 0
    assert (docs / "index.html").is_file()
    assert "CDN" in err and "CDN" not in out
    assert "internet" in (docs / "README-fzcompare.txt").read_text(encoding="utf-8")
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == 4  # one per frame: observations, values, relations, year_over_year


def test_dataset_with_its_own_regions_csv(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from fzcompare.store import write_observations
    from fzcompare.synthetic import national_panel

    panel = national_panel(n_regions=15, years=[2022, 2023, 2024], n_indicators=8)
    dataset = tmp_path / "national"
    write_observations(panel.observations, dataset, sources=panel.sources,
                       regions_table=panel.regions)
    assert (dataset / "regions" / "_delta_log").is_dir()
    code, out, _ = run([str(dataset)], capsys)
    assert code == 0, out
    assert "verdict: PASS" in out


def _suite_file(tmp_path: Path, expectation: dict[str, object]) -> Path:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"}},
        expectation]}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("expectation", "said"), [
    ({"type": "expect_column_values_to_be_sparkly", "kwargs": {"column": "value"}},
     "unknown expectation type 'expect_column_values_to_be_sparkly'"),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"colum": "value"}},
     "(expect_column_values_to_be_between): invalid arguments"),
])
def test_a_suite_great_expectations_cannot_build_is_one_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], expectation: dict[str, object],
        said: str) -> None:
    suite = _suite_file(tmp_path, expectation)
    code, out, err = run(["datasets/demo", "--suite", str(suite)], capsys)
    assert code == 2
    assert f"{suite}: suite 'mine' expectations[1]" in err
    assert said in err
    assert "Traceback" not in out + err and "KeyError" not in err


def test_unknown_type_lists_the_known_ones(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite_file(tmp_path, {"type": "expect_column_values_to_be_nul",
                                   "kwargs": {"column": "value"}})
    _, _, err = run(["datasets/demo", "--suite", str(suite)], capsys)
    assert "did you mean 'expect_column_values_to_be_null'" in err
    assert "known types: " in err and "expect_table_row_count_to_equal" in err


def test_docs_pointed_at_a_file_is_a_usage_error(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("mine", encoding="utf-8")
    code, out, err = run(["datasets/demo", "--docs", str(file)], capsys)
    assert code == 2
    assert f"{file}: --docs needs a folder" in err
    assert "Traceback" not in out + err and "NotADirectoryError" not in err
    assert file.read_text(encoding="utf-8") == "mine"


def test_old_text_format_is_a_hidden_deprecated_alias_of_table(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, table_out, table_err = run(["datasets/demo", "--format", "table"], capsys)
    assert code == 0 and "deprecated" not in table_err
    code, text_out, text_err = run(["datasets/demo", "--format", "text"], capsys)
    assert code == 0
    assert text_out == table_out
    assert "-f text is deprecated" in text_err and "use -f table" in text_err
    code, _, err = run(["datasets/demo", "--format", "txt"], capsys)
    assert code == 2 and "choose table, csv, json, parquet or xlsx" in err
    assert main(["validate", "-h"]) == 0
    assert "text" not in capsys.readouterr().out.split("--format", 1)[1].split("--output")[0]
