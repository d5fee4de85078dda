"""Excel out: every ``--format xlsx`` opens in openpyxl with the expected sheets and values,
``fzcompare import`` from the command line, and deterministic workbook bytes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "fixtures" / "documents"
DEMO = str(ROOT / "datasets" / "demo")
RUBRIC = str(ROOT / "src" / "fzcompare" / "data" / "criteria" / "hubei-demo-2024.yaml")


def _sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book[sheet].iter_rows()]


def test_workbook_layout_and_determinism() -> None:
    frame = pl.DataFrame({"region_code": ["420300", "420100"], "year": [2023, 2023],
                          "value": [99.97, 12.0], "online_share": [0.5, 1.0],
                          "quote": ["=HYPERLINK(\"x\")", None]})
    notes = XlsxNotes(rubric="hubei-demo v1", dataset_version="v3", synthetic=True,
                      as_of=dt.date(2025, 1, 15))
    data = xlsx_bytes({"a/b:c?" * 8: frame}, notes=notes)
    assert data == xlsx_bytes({"a/b:c?" * 8: frame}, notes=notes)
    book = openpyxl.load_workbook(io.BytesIO(data))
    name = book.sheetnames[0]
    assert len(name) <= 31 and "/" not in name and book.sheetnames[1] == "notes"
    sheet = book[name]
    assert [c.value for c in sheet[1]][:3] == ["地区代码", "年份", "数值"]
    assert [c.value for c in sheet[2]][:3] == ["region_code", "year", "value"]
    assert sheet.freeze_panes == "A3"
    assert sheet["B3"].number_format == "0" and sheet["D3"].number_format == "0.00%"
    assert sheet["E3"].value == "=HYPERLINK(\"x\")" and sheet["E3"].data_type == "s"
    notes_rows = {r[0].value: r[1].value for r in book["notes"].iter_rows()}
    assert notes_rows["synthetic"].startswith("yes")
    assert notes_rows["rubric"] == "hubei-demo v1" and notes_rows["dataset version"] == "v3"
    assert book.properties.created == dt.datetime(2025, 1, 15)


def test_extract_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "obs.xlsx"
    assert main(["extract", str(DOCS / "shiyan-2023.html"), "--format", "xlsx",
                 "-o", str(out)]) == 0
    rows = _sheet_rows(out, "observations")
    assert rows[1][:3] == ["region_code", "year", "indicator_code"]
    assert rows[2][:3] == ["420300", 2023, "key_areas_local_mgmt_pilot"]
    assert len(rows) - 2 == 95


def test_trends_benchmark_validate_xlsx(tmp_path: Path) -> None:
    assert main(["trends", DEMO, "--format", "xlsx", "-o", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == ["summary", "notes"]
    assert main(["benchmark", DEMO, "-c", RUBRIC, "--format", "xlsx",
                 "-o", str(tmp_path / "b.xlsx")]) == 0
    rows = _sheet_rows(tmp_path / "b.xlsx", "totals")
    assert rows[1][0] == "region_code" and len(rows) > 3
    assert main(["validate", DEMO, "--format", "xlsx", "-o", str(tmp_path / "v.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "v.xlsx").sheetnames == [
        "outcomes", "failing_rows", "notes"]


def test_import_command_plan_mapping_and_report(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.yaml"
    code = main(["import", str(DOCS / "long.xlsx"), str(DOCS / "broken.xlsx"), "--into",
                 str(tmp_path / "ds"), "--plan", str(plan), "--format", "xlsx",
                 "-o", str(tmp_path / "r.xlsx")])
    err = capsys.readouterr().err
    assert code == 1  # broken.xlsx failed; long.xlsx still went through
    assert "broken.xlsx: the workbook cannot be read" in err and "(corrupt)" in err
    assert "header: '食堂就餐人数' -> UNMAPPED" in err
    assert "5 added" in err  # four figures and one withheld cell
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["observations", "headers", "regions", "kept_out", "notes"]
    rows = [[c.value for c in r] for r in book["observations"].iter_rows(min_row=2)]
    header, body = rows[0], rows[1:]
    withheld = [dict(zip(header, r, strict=True)) for r in body
                if dict(zip(header, r, strict=True))["disclosure"] == "withheld"]
    assert [(w["indicator_code"], w["value"]) for w in withheld] == [
        ("admin_litigation_loss_rate", None)]
    assert "汇总!D6" in withheld[0]["quote"] and "未公开" in withheld[0]["quote"]
    edited = yaml.safe_load(plan.read_text(encoding="utf-8"))
    for entry in edited["headers"]:
        if entry["header"] == "食堂就餐人数":
            entry["code"] = "law_training_participants"
    plan.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    assert main(["import", str(DOCS / "long.xlsx"), "--into", str(tmp_path / "ds"),
                 "--mapping", str(plan)]) == 0
    assert "1 added, 0 replaced, 5 unchanged" in capsys.readouterr().err


def test_report_tables_xlsx_is_deterministic(tmp_path: Path) -> None:
    args = ["report", DEMO, "-c", RUBRIC, "--as-of", "2025-01-15", "--no-charts"]
    assert main([*args, "-o", str(tmp_path / "a")]) == 0
    assert main([*args, "-o", str(tmp_path / "b")]) == 0
    first = (tmp_path / "a" / "tables" / "tables.xlsx").read_bytes()
    assert first == (tmp_path / "b" / "tables" / "tables.xlsx").read_bytes()
    book = openpyxl.load_workbook(io.BytesIO(first))
    csvs = sorted(p.stem for p in (tmp_path / "a" / "tables").glob("*.csv"))
    assert book.sheetnames == [*csvs, "notes"]
    totals = pl.read_csv(tmp_path / "a" / "tables" / "totals.csv")
    assert book["totals"].max_row - 2 == totals.height
    notes = {r[0].value: r[1].value for r in book["notes"].iter_rows()}
    assert notes["synthetic"].startswith("yes") and notes["as of"] == "2025-01-15"
