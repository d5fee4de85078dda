"""Sources read at a dataset version (issue 16): what the dataset knew then, not now."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from fzcompare import store
from fzcompare.cli import main
from fzcompare.errors import SchemaError

RATE = "admin_litigation_loss_rate"


def _report(year: int) -> dict[str, object]:
    return {"source_id": f"report-{year}", "title": f"十堰市{year}年法治政府建设报告",
            "publisher": "tests", "published": None, "url": "", "kind": "report",
            "region_code": "420300", "year": year, "note": ""}


def _row(year: int, code: str, value: float) -> dict[str, object]:
    return {"region_code": "420300", "year": year, "indicator_code": code, "scope": "全市",
            "value": value, "unit": "%" if code == RATE else "件", "qualifier": "eq",
            "source_id": f"report-{year}", "quote": ""}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Version 0: the rate in 2021 and 2023. Version 1: the 2022 report, without the rate."""
    folder = tmp_path / "ds"
    store.write_observations(pl.DataFrame([_row(2021, RATE, 5.0), _row(2023, RATE, 8.0)]),
                             folder, sources=pl.DataFrame([_report(2021), _report(2023)]))
    store.write_observations(pl.DataFrame([_row(2022, "reconsideration_applications", 300.0)]),
                             folder, sources=pl.DataFrame([_report(2022)]))
    return folder


def test_load_sources_at_a_version_leaves_out_later_reports(dataset: Path) -> None:
    assert store.load_sources(dataset)["source_id"].to_list() == [
        "report-2021", "report-2022", "report-2023"]
    assert store.load_sources(dataset, version=0)["source_id"].to_list() == [
        "report-2021", "report-2023"]
    assert store.load_sources(dataset, version=1).equals(store.load_sources(dataset))


def test_load_sources_refuses_a_version_the_dataset_does_not_have(dataset: Path) -> None:
    with pytest.raises(SchemaError, match="no dataset version 5") as caught:
        store.load_sources(dataset, version=5)
    assert "fzcompare dataset history" in (caught.value.hint or "")


def test_a_plain_parquet_folder_has_no_sources_versions(tmp_path: Path) -> None:
    partition = tmp_path / "observations" / "year=2023"
    partition.mkdir(parents=True)
    pl.DataFrame({"value": [1.0]}).write_parquet(partition / "part-0.parquet")
    assert store.load_sources(tmp_path).height == 0
    with pytest.raises(SchemaError, match="no versions") as caught:
        store.load_sources(tmp_path, version=0)
    assert caught.value.details["reason"] == "not_versioned"
    with pytest.raises(SchemaError, match="no observations") as missing:
        store.load_sources(tmp_path / "observations" / "year=2023", version=0)
    assert missing.value.details["reason"] == "no_observations"


def _trends_csv(args: list[str], capsys: pytest.CaptureFixture[str]) -> pl.DataFrame:
    code = main(["trends", *args, "-f", "csv", "--indicator", RATE])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return pl.read_csv(io.StringIO(captured.out))


def test_trends_at_a_version_read_the_sources_of_that_version(
        dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newest = _trends_csv([str(dataset)], capsys).filter(pl.col("year") == 2023).row(
        0, named=True)
    assert (newest["verdict"], newest["prev_year"]) == ("not_disclosed", 2022)
    then = _trends_csv([str(dataset), "--version", "0"], capsys).filter(
        pl.col("year") == 2023).row(0, named=True)
    # version 0 knew of no 2022 report: the gap is bridged, as it was then
    assert (then["verdict"], then["prev_year"]) == ("worsened", 2021)
    assert then["change_pp"] == pytest.approx(3.0)
    assert then["n_not_disclosed"] == 0


def _report_changes(dataset: Path, out: Path, *extra: str) -> dict[str, object]:
    args = ["report", str(dataset), "--out", str(out), "--year", "2023",
            "--as-of", "2025-01-15", "--robustness", "0", *extra]
    assert main(args) == 0
    changes = pl.read_csv(out / "tables" / "changes.csv").filter(pl.col("indicator_code") == RATE)
    return changes.row(0, named=True)


def test_report_at_a_version_reads_the_sources_of_that_version(dataset: Path,
                                                               tmp_path: Path) -> None:
    newest = _report_changes(dataset, tmp_path / "newest")
    assert (newest["verdict"], newest["reason"]) == ("not_disclosed", "previous_not_disclosed")
    then = _report_changes(dataset, tmp_path / "v0", "--version", "0")
    assert (then["verdict"], then["prev_year"]) == ("worsened", 2021)
