"""The report on sparse (real) data: coverage first, unranked regions and why, no plan for a
region without evidence, the year chosen by evidence, per-level changes in points for rates,
and the index page linking several reports."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fzcompare.criteria import load_criteria
from fzcompare.report import build_report, write_report, write_report_index
from fzcompare.report._format import format_change
from fzcompare.store import dataset_regions, load, load_sources

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 1, 31)


def _report(name: str, **options: Any) -> Any:
    folder = ROOT / "datasets" / name
    return build_report(load(folder), load_criteria("hubei-demo-2024"),
                        sources=load_sources(folder), regions_table=dataset_regions(folder),
                        as_of=AS_OF, dataset_label=f"datasets/{name}", charts=False,
                        embed_font=False, **options)


@pytest.fixture(scope="module")
def real() -> Any:
    return _report("real")


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_sparse_report_opens_with_coverage(real: Any) -> None:
    html = real.html
    assert html.index('id="coverage"') < html.index('id="summary"') < html.index('id="ranking"')
    table = _section(html, 'id="coverage-table"', "</table>")
    assert "十堰市" in table and "27.0 % · 12" in table  # 2023: 12 criteria, 27 % of points
    assert table.count("<tr>") == 1 + real.tables["coverage"]["region_code"].n_unique()


def test_unranked_regions_are_listed_with_the_reason(real: Any) -> None:
    section = _section(real.html, 'id="not-ranked"', "</table>")
    assert "十堰市" in section and "27.0 % of the points possible (needs 50 %)" in section
    assert "no figures for this year in the dataset" in section
    ranking = real.summary["ranking"]
    assert ranking and all(r["rank"] is None for r in ranking)
    assert all(r["verdict"] == "insufficient_evidence" for r in ranking)


def test_no_what_it_would_take_list_without_evidence(real: Any) -> None:
    assert real.tables["what_it_would_take"].height == 0
    section = _section(real.html, 'id="pass-line"', 'id="charts"')
    assert "<td>" not in section
    assert "regions without evidence get no list" in section


def test_reporting_year_is_chosen_by_evidence_and_said(real: Any) -> None:
    assert real.year == 2023  # the year with the most disclosed, not the latest (2024)
    reason = real.summary["evidence"]["year_reason"]
    assert reason.startswith("Reporting year 2023") and "rather than the latest year 2024" in reason
    assert reason.replace("'", "&#39;") in real.html or reason in real.html


def test_zero_policy_is_said_in_the_summary(real: Any) -> None:
    assert any("missing_policy zero" in n for n in real.summary["evidence"]["notes"])
    summary = _section(real.html, 'id="summary"', 'id="validation"')
    assert "missing_policy zero" in summary


def test_lower_threshold_ranks_and_shows_the_evidence() -> None:
    report = _report("real", year=2023, min_evidence=0.2)
    ranked = [r for r in report.summary["ranking"] if r["rank"] is not None]
    assert [(r["region_code"], r["rank"]) for r in ranked] == [("420300", 1)]
    rows = _section(report.html, 'id="ranking"', 'id="areas"')
    # the rank cell may carry its 90 % interval under the rank
    first = re.search(r"<tr><td class=\"num\">1(<br>[^<]*<span[^>]*>[^<]*</span>)?</td>.*?</tr>",
                      rows, re.S)
    assert first is not None and "十堰市" in first.group(0) and "27.0 %" in first.group(0)


def test_dense_demo_has_no_coverage_section_and_ranks_everyone() -> None:
    demo = _report("demo")
    assert 'id="coverage"' not in demo.html
    assert demo.year == 2024
    assert all(r["rank"] is not None for r in demo.summary["ranking"])
    assert demo.summary["evidence"]["year_reason"].startswith("Reporting year 2024")


def test_changes_keep_one_level_and_read_rates_in_points() -> None:
    assert format_change("%", 12.50 - 5.88, 112.6) == "+6.6 pp"
    assert format_change("件", -2.0, -40.0) == "-40.0 %"
    report = _report("real", year=2023)
    scored = set(report.tables["totals"]["region_code"].to_list())
    changes = _section(report.html, 'id="changes"', 'id="pass-line"')
    names = dict(dataset_regions(ROOT / "datasets/real").select("region_code", "name_zh")
                 .iter_rows())
    counties = [n for code, n in names.items() if not code.endswith("00") and n]
    assert not any(f"<td>{n}</td>" in changes for n in counties)
    assert scored  # the table is built from the scored (prefecture) regions only
    for cell in re.findall(r'class="num (?:up|down)">([^<]+)<', changes):
        assert cell.endswith((" pp", " %"))


def test_index_links_both_reports_deterministically(tmp_path: Path, real: Any) -> None:
    write_report(real, tmp_path / "real", formats=("html", "json"))
    write_report(_report("demo"), tmp_path / "demo", formats=("html", "json"))
    page = write_report_index(tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    assert page.index('href="real/index.html"') < page.index('href="demo/index.html"')
    assert "SYNTHETIC" in page and "0 of 4 regions ranked on evidence" in page
    again = write_report_index(tmp_path, as_of=AS_OF).read_text(encoding="utf-8")
    assert again == page
    summary = json.loads((tmp_path / "real" / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["insufficient_evidence"] == 4


def test_index_without_reports_is_an_error(tmp_path: Path) -> None:
    from fzcompare.errors import FzcompareError

    with pytest.raises(FzcompareError, match="no sub-folder holds a report"):
        write_report_index(tmp_path, as_of=AS_OF)


def test_coverage_table_marks_years_without_figures(real: Any) -> None:
    coverage: pl.DataFrame = real.tables["coverage"]
    assert set(coverage["status"].to_list()) == {"insufficient_evidence", "no_figures"}
    none = coverage.filter(pl.col("status") == "no_figures")
    assert none["evidence_share"].null_count() == none.height


def test_a_rank_on_evidence_with_a_missing_evidence_verdict_is_marked() -> None:
    """The demo's rank 1 on evidence (宜昌市) misses evidence under the rubric: say so."""
    report = _report("demo", year=2024)
    ranking = report.html.split('id="ranking"')[1].split('id="areas"')[0]
    assert '<td class="num">1<sup title="ranked on its disclosed figures only' in ranking
    caveat = ranking.split('<p class="caveat">')[1].split("</p>")[0]
    assert "宜昌市" in caveat and "rank 1" in caveat and "missing evidence" in caveat
    assert "襄阳市" not in caveat  # a pass: its rank needs no caveat


def test_area_shares_and_peer_medians_leave_undisclosed_figures_out() -> None:
    """Dense demo too: 宜昌市 misses 4 figures; the areas table must not count them as 0."""
    from fzcompare.benchmark import benchmark

    folder = ROOT / "datasets" / "demo"
    result = benchmark(load(folder), load_criteria("hubei-demo-2024"),
                       regions_table=dataset_regions(folder))
    zero_filled = result.areas.filter(pl.col("year") == 2024, pl.col("region_code") == "420500",
                                      pl.col("share").is_not_null())
    areas_html = _report("demo", year=2024).html.split('id="areas"')[1].split("</table>")[0]
    yichang = areas_html.split("<bdi>宜昌市</bdi>")[1].split("</tr>")[0]
    shown = [float(v) / 100 for v in re.findall(r'class="num">([\d.]+) %', yichang)]
    assert len(shown) == zero_filled.height
    lower = [s for s, z in zip(shown, zero_filled.sort("area_id")["share"], strict=True)
             if z < s - 1e-3]
    assert lower  # some area share was pulled down by zero points for undisclosed figures
