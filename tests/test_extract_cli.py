"""``fzcompare extract``: formats, batches with bad files, --into a dataset, usage errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main

FIXTURES = Path("tests/fixtures/extract")
SCRAPED = str(FIXTURES / "city-scraped.txt")
COUNTY = str(FIXTURES / "county-gb18030.txt")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["extract", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_csv_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([SCRAPED], capsys)
    assert code == 0
    frame = pl.read_csv(io.StringIO(out))
    assert {"indicator_code", "scope", "value", "unit", "qualifier", "quote", "domain",
            "section", "span_start", "span_end", "confidence", "mapped"} <= set(frame.columns)
    assert frame.height == 34
    assert "mojibake" in err and "34 observations" in err


def test_json_and_parquet_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run([SCRAPED, "--format", "json", "-o", str(tmp_path / "o.json")], capsys)
    assert code == 0
    rows = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert len(rows) == 34 and rows[0]["region_code"] == "420600"
    code, _, _ = _run([SCRAPED, COUNTY, "--format", "parquet", "-o",
                       str(tmp_path / "o.parquet")], capsys)
    assert code == 0
    frame = pl.read_parquet(tmp_path / "o.parquet")
    assert frame["source_id"].n_unique() == 2


def test_output_suffix_sets_the_format(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([SCRAPED, "-o", str(tmp_path / "seed.json")], capsys)
    assert code == 0 and out == "" and "(json)" in err
    assert len(json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))) == 34


def test_bad_files_fail_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes(bytes([0xE9, 0x80, 0x41, 0xFF, 0xFE, 0x81]) * 10)
    (tmp_path / "notitle.txt").write_text("全市办理案件12件。", encoding="utf-8")
    code, out, err = _run([str(tmp_path / "empty.txt"), SCRAPED, str(tmp_path / "binary.txt"),
                           str(tmp_path / "latin.txt"), str(tmp_path / "notitle.txt"),
                           str(tmp_path / "missing.txt")], capsys)
    assert code == 1
    assert "empty.txt: the file is empty (empty)" in err
    assert "binary.txt" in err and "(binary)" in err
    assert "latin.txt" in err and "(unknown_encoding)" in err
    assert "notitle.txt: no_title" in err
    assert "missing.txt" in err and "(unreadable)" in err
    assert "3 failed" not in err and "4 failed" in err
    assert pl.read_csv(io.StringIO(out)).height == 35


def test_into_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "ds"
    code, _, err = _run([SCRAPED, COUNTY, "--into", str(dataset), "-o",
                         str(tmp_path / "o.csv")], capsys)
    assert code == 0, err
    loaded = store.load(dataset)
    assert set(loaded["region_code"]) == {"420600", "420322"}
    sources = store.load_sources(dataset)
    assert set(sources["kind"]) == {"report"}
    assert sources.height == 2
    code, _, _ = _run([SCRAPED, "--into", str(dataset), "-o", str(tmp_path / "o.csv")], capsys)
    assert code == 0
    assert store.load(dataset).height == loaded.height


def test_into_needs_region_and_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notitle.txt").write_text("全市办理案件12件。", encoding="utf-8")
    code, _, err = _run([str(tmp_path / "notitle.txt"), "--into", str(tmp_path / "ds")],
                        capsys)
    assert code == 1 and "region" in err
    code, _, err = _run([str(tmp_path / "notitle.txt"), "--region", "十堰市", "--year", "2023",
                         "--into", str(tmp_path / "ds")], capsys)
    assert code == 0, err
    assert store.load(tmp_path / "ds")["region_code"].to_list() == ["420300"]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([SCRAPED, "--format", "xml"], capsys)[0] == 2
    assert _run([SCRAPED, "--format", "parquet", "-o", str(tmp_path / "o.csv")], capsys)[0] == 2
    assert _run([SCRAPED, "-o", str(tmp_path / "o.dat")], capsys)[0] == 2
    assert _run([SCRAPED, "--region", "不存在市"], capsys)[0] == 2
    assert _run([str(tmp_path)], capsys)[0] == 2


def test_gold_scores_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([SCRAPED, "--gold", str(FIXTURES / "city-scraped.gold.csv")], capsys)
    assert code == 0
    assert "value recall 100.0%" in err


def test_folder_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes((FIXTURES / "city-scraped.txt").read_bytes())
    (tmp_path / "b.txt").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "fzcompare.cli", "extract", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert pl.read_csv(io.StringIO(proc.stdout)).height == 34
