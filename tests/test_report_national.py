"""The national layout of a report: an index page and one page per region, linked both ways."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from fzcompare.criteria import load_criteria
from fzcompare.report import Report, _national, build_report, write_report
from fzcompare.store import dataset_regions, load, load_sources

DEMO = Path(__file__).resolve().parents[1] / "datasets" / "demo"
HOSTILE = "<img src=x onerror=alert(1)>/../"


def _report(*, regions: pl.DataFrame | None = None) -> Report:
    return build_report(load(DEMO), load_criteria("hubei-demo-2024"),
                        sources=load_sources(DEMO),
                        regions_table=dataset_regions(DEMO) if regions is None else regions,
                        as_of=dt.date(2025, 1, 31), charts=False, embed_font=False)


@pytest.fixture
def national(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the 25-region demo panel as national (the layout does not depend on the count)."""
    monkeypatch.setattr(_national, "NATIONAL_MIN_REGIONS", 5)


def test_province_size_report_stays_one_page() -> None:
    report = _report()
    assert report.pages == {}


@pytest.mark.usefixtures("national")
def test_index_and_region_pages_link_both_ways() -> None:
    report = _report()
    pages: dict[str, str] = report.pages
    totals = report.tables["totals"].filter(
        pl.col("year") == report.year)
    assert len(pages) == totals.height > 5
    index: str = report.html
    linked = set(re.findall(r'href="(regions/[^"]+\.html)"', index))
    assert linked == set(pages)
    for path, page in pages.items():
        assert path.startswith("regions/") and "/" not in path.removeprefix("regions/")
        assert 'href="../index.html"' in page
        assert "SYNTHETIC DATA" in page
    assert len(index.encode("utf-8")) <= _national.INDEX_BUDGET_BYTES
    assert 'id="search"' in index and "<script>" in index


@pytest.mark.usefixtures("national")
def test_pages_are_network_free_and_deterministic() -> None:
    first, second = _report(), _report()
    assert first.html == second.html
    assert first.pages == second.pages
    for text in [first.html, *first.pages.values()]:
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        assert "default-src 'none'" in text


@pytest.mark.usefixtures("national")
def test_region_names_from_data_are_escaped() -> None:
    regions = dataset_regions(DEMO).with_columns(
        pl.when(pl.col("region_code") == "420300").then(pl.lit(HOSTILE))
        .otherwise(pl.col("name_zh")).alias("name_zh"))
    report = _report(regions=regions)
    page = report.pages["regions/420300.html"]
    for text in (report.html, page):
        assert HOSTILE not in text
        assert html_escaped(HOSTILE) in text


def html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_page_paths_of_untrusted_codes_are_safe_and_unique() -> None:
    paths = _national.region_page_paths(["../../etc/passwd", "etc/passwd", "ETC_passwd", ""])
    assert len(set(paths.values())) == 4
    for path in paths.values():
        stem = path.removeprefix("regions/").removesuffix(".html")
        assert re.fullmatch(r"[0-9A-Za-z._-]+", stem) and ".." not in stem
    assert len({p.lower() for p in paths.values()}) == 4


@pytest.mark.usefixtures("national")
def test_write_report_writes_the_region_pages(tmp_path: Path) -> None:
    report = _report()
    written = write_report(report, tmp_path, formats=("html",))
    pages = sorted(p for p in written if p.parent.name == "regions")
    assert len(pages) == len(report.pages)
    assert all(p.resolve().is_relative_to(tmp_path.resolve()) for p in pages)
    manifest = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert "regions/420300.html" in manifest
