"""Report: snapshot, determinism, self-containment and hostile names."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import polars as pl
import pytest

from fzcompare.criteria import load_criteria
from fzcompare.report import build_report, safe_filename, write_report
from fzcompare.store import dataset_regions, load, load_sources

SNAPSHOT = Path(__file__).parent / "snapshots" / "report_demo_tables.html"
AS_OF = dt.date(2025, 1, 31)


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    return {"obs": load("datasets/demo"), "sources": load_sources("datasets/demo"),
            "regions": dataset_regions("datasets/demo")}


def _build(demo: dict[str, pl.DataFrame], **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {"as_of": AS_OF, "dataset_label": "datasets/demo",
                                  "charts": False, "embed_font": False}
    options.update(kwargs)
    return build_report(demo["obs"], load_criteria("hubei-demo-2024"),
                        sources=demo["sources"], regions_table=demo["regions"], **options)  # type: ignore[arg-type]


def test_html_snapshot(demo: dict[str, pl.DataFrame]) -> None:
    html = _build(demo).html
    if os.environ.get("FZ_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(html, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert html == expected, "report HTML changed; review it, then FZ_UPDATE_SNAPSHOTS=1"


def test_report_is_deterministic_byte_for_byte(demo: dict[str, pl.DataFrame],
                                               tmp_path: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        report = _build(demo, charts=True, embed_font=True, focus_regions=["420300", "420100"])
        write_report(report, tmp_path / name, formats=("html", "md", "json", "csv", "parquet"))
        outputs.append({p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                        for p in sorted((tmp_path / name).rglob("*")) if p.is_file()})
    assert outputs[0].keys() == outputs[1].keys()
    assert "index.html" in outputs[0]
    assert "tables/totals.parquet" in outputs[0]
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name


def test_html_loads_nothing_from_the_network(demo: dict[str, pl.DataFrame]) -> None:
    html = _build(demo, charts=True, embed_font=True, focus_regions=["420300"]).html
    assert "<link" not in html
    assert "@import" not in html
    assert not re.search(r"<script[^>]*\bsrc=", html)
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", html):
        assert attr.startswith(("data:", "#")), attr
    for url in re.findall(r"url\(([^)]*)\)", html):
        assert url.strip("'\"").startswith("data:"), url[:40]
    assert "data:image/png;base64," in html
    assert "@font-face" in html


def test_synthetic_data_is_marked(demo: dict[str, pl.DataFrame]) -> None:
    report = _build(demo)
    assert 'id="synthetic-banner"' in report.html
    assert report.summary["synthetic"] is True
    assert "SYNTHETIC" in report.markdown


def test_summary_json_and_tables(demo: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    report = _build(demo)
    written = write_report(report, tmp_path, formats=("json", "csv"))
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["year"] == 2024
    assert summary["criteria"]["id"] == "hubei-demo-2024"
    ranks = [r["rank"] for r in summary["ranking"]]
    assert ranks == sorted(ranks)
    assert summary["totals"]["regions"] == len(summary["ranking"]) == 17
    assert (tmp_path / "tables" / "totals.csv").is_file()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {p.relative_to(tmp_path).as_posix() for p in written
                             if p.name != "manifest.json"}


HOSTILE = ["<script>alert('x')</script>", "../../etc/passwd", "市" * 400 + "&<>\"'"]


@pytest.fixture(scope="module")
def hostile(demo: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    codes = ["990101", "990102", "990103"]
    regions = pl.concat([demo["regions"], pl.DataFrame({
        "region_code": codes, "name_zh": HOSTILE, "name_en": HOSTILE,
        "level": ["prefecture"] * 3, "parent_code": ["420000"] * 3})])
    donors = ["420300", "420500", "420600"]
    copies = [demo["obs"].filter(pl.col("region_code") == donor)
              .with_columns(pl.lit(code).alias("region_code"))
              for donor, code in zip(donors, codes, strict=True)]
    sources = demo["sources"].with_columns(pl.lit(HOSTILE[0]).alias("title"))
    return {"obs": pl.concat([demo["obs"], *copies]), "sources": sources, "regions": regions}


def test_hostile_names_are_escaped(hostile: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    report = _build(hostile, charts=True, focus_regions=["990101", "990102", "990103"])
    html = report.html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert 'id="region-990101"' in html
    written = write_report(report, tmp_path / "out")
    for path in written:
        assert path.resolve().is_relative_to((tmp_path / "out").resolve())
    assert not (tmp_path / "etc").exists()
    totals = pl.read_csv(tmp_path / "out" / "tables" / "totals.csv",
                         schema_overrides={"region_code": pl.String})
    assert {"990101", "990102", "990103"} <= set(totals["region_code"].to_list())


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "etc_passwd"), ("a/b\\c", "a_b_c"), ("..", "unnamed"),
    ("prefecture/420000", "prefecture_420000"), ("x" * 300, "x" * 80)])
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_area_tables_have_a_cell_per_heading(demo: dict[str, pl.DataFrame]) -> None:
    """Areas without points in a peer group (bonus-only) get neither a heading nor cells."""
    html = _build(demo).html
    start = html.index('<h2 id="areas">')
    section = html[start:html.index("<h2 ", start + 1)]
    tables = re.findall(r"<table>(.*?)</table>", section, re.S)
    assert tables
    for table in tables:
        headings = len(re.findall(r"<th class=\"area\">", table))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S):
            assert len(re.findall(r"<t[dh][ >]", row)) == headings + 1


def test_short_by_is_never_negative(demo: dict[str, pl.DataFrame]) -> None:
    """A region above the line that fails for missing evidence says so, not "-1.7 %"."""
    html = _build(demo).html
    start = html.index('<h2 id="pass-line">')
    cells = re.findall(r'<td class="num">(-?[\d.]+ %|vetoed|evidence missing)</td><td>',
                       html[start:])
    assert cells
    assert not [c for c in cells if c.startswith("-")]
    assert "evidence missing" in cells


def test_right_to_left_overrides_in_names_are_isolated(demo: dict[str, pl.DataFrame]) -> None:
    name = "十堰\u202e市gnip"  # U+202E RIGHT-TO-LEFT OVERRIDE inside a region name
    regions = demo["regions"].with_columns(
        pl.when(pl.col("region_code") == "420300").then(pl.lit(name))
        .otherwise(pl.col("name_zh")).alias("name_zh"))
    html = _build({**demo, "regions": regions}, focus_regions=["420300"]).html
    body = html.split("<body", 1)[1]
    assert body.count(name) >= 3  # ranking, nav, region section ...
    assert body.count(name) == body.count(f"<bdi>{name}</bdi>")
