"""A report over many regions as a small index page and one page per region.

A province-size report is one page; at national size (thousands of county-level regions)
one page with every region's criteria is tens of megabytes, which a browser cannot open
comfortably. Above ``NATIONAL_MIN_REGIONS`` regions the report is written as:

* ``index.html``: the summary, the ranking of every region (search and sort that run offline,
  plain inline JavaScript), coverage by year, and charts (an inline SVG histogram of the
  shares, plus any national charts drawn), each region's row linking to its page;
* ``regions/<code>.html``: one self-contained page per region (its totals, areas, criteria,
  what it would take to pass, year-over-year changes), linking back to the index.

Pages hold no network reference (a Content-Security-Policy forbids loading anything) and
depend on nothing but their inputs, so reruns are byte-identical. Region codes and names
come from data: they are escaped in HTML and never used raw as file names.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from fzcompare.report._context import ReportMeta
from fzcompare.report._render import ChartImage, ReportTables, font_face_css, safe_filename

NATIONAL_MIN_REGIONS: Final[int] = 300
"""Reports over more regions than this are split into an index and per-region pages."""
INDEX_BUDGET_BYTES: Final[int] = 5 * 2**20
"""Chart images beyond this size of the index page are left out (and the page says so)."""
_CSP: Final[str] = ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
                    "script-src 'unsafe-inline'")
_STYLE: Final[str] = (
    "body{font-family:'fzcompare CJK',system-ui,'Noto Sans CJK SC',sans-serif;margin:1.5em;"
    "max-width:1200px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;"
    "padding:2px 6px;text-align:left}th{cursor:pointer;background:#f3f3f3}"
    ".num{text-align:right}.synthetic{background:#fde68a;padding:6px;font-weight:bold}"
    ".pass{color:#166534}.fail{color:#991b1b}.na{color:#6b7280;font-style:italic}"
)
_SCRIPT: Final[str] = """
(function(){
var table=document.getElementById('ranking'),body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);
document.getElementById('search').addEventListener('input',function(e){
 var q=e.target.value.trim().toLowerCase(),shown=0;
 rows.forEach(function(r){var hit=!q||r.getAttribute('data-s').indexOf(q)>=0;
  r.style.display=hit?'':'none';if(hit){shown++;}});
 document.getElementById('shown').textContent=shown;});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
 th.addEventListener('click',function(){
  var asc=th.getAttribute('data-dir')!=='asc';th.setAttribute('data-dir',asc?'asc':'desc');
  var num=th.getAttribute('data-num')==='1';
  rows.sort(function(a,b){var x=a.cells[i].getAttribute('data-v'),
   y=b.cells[i].getAttribute('data-v');
   if(num){x=x===''?Infinity:+x;y=y===''?Infinity:+y;return asc?x-y:y-x;}
   return asc?(x<y?-1:x>y?1:0):(x<y?1:x>y?-1:0);});
  rows.forEach(function(r){body.appendChild(r);});});});
})();
"""


@dataclass(frozen=True)
class NationalPages:
    """The index page and the region pages (relative path -> HTML) of a national report."""

    index_html: str
    pages: Mapping[str, str]
    markdown: str


def is_national(totals: pl.DataFrame, *, year: int) -> bool:
    """Whether a report over these totals is split into an index and region pages."""
    return totals.filter(pl.col("year") == year)["region_code"].n_unique() \
        > NATIONAL_MIN_REGIONS


def region_page_paths(codes: Sequence[str]) -> dict[str, str]:
    """Region code -> its page's relative path; safe, unique names in code order.

    Examples:
        >>> region_page_paths(["420300", "../x", "..x"])
        {'../x': 'regions/x.html', '..x': 'regions/x-2.html', '420300': 'regions/420300.html'}
    """
    paths: dict[str, str] = {}
    taken: set[str] = set()
    for code in sorted(set(codes)):
        stem = safe_filename(code)
        name, n = stem, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name.lower())
        paths[code] = f"regions/{name}.html"
    return paths


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: float | None, digits: int = 1, *, empty: str = "not disclosed") -> str:
    return empty if value is None else f"{value:,.{digits}f}"


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def _page(title: str, body: str, *, synthetic: bool, script: str = "",
          embed_font: bool = False) -> str:
    banner = ("<p class=\"synthetic\">合成数据 / SYNTHETIC DATA — these figures were generated "
              "by fzcompare.synthetic and are not real government data</p>" if synthetic else "")
    tail = f"<script>{script}</script>" if script else ""
    font = font_face_css(title + banner + body) if embed_font else ""
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{font}{_STYLE}</style></head><body>"
            f"{banner}{body}{tail}</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: set[int]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _histogram_svg(shares: Sequence[float | None]) -> str:
    """Regions by share of points (5-point bins) as an inline SVG bar chart."""
    bins = [0] * 20
    for share in shares:
        if share is not None:
            bins[min(19, max(0, int(share * 20)))] += 1
    top = max(bins) or 1
    bars = "".join(
        f"<rect x=\"{40 + i * 30}\" y=\"{180 - 160 * n / top:.1f}\" width=\"26\" "
        f"height=\"{160 * n / top:.1f}\" fill=\"#3b82f6\"><title>{5 * i}-{5 * i + 5} %: {n}"
        f"</title></rect>" for i, n in enumerate(bins))
    ticks = "".join(f"<text x=\"{40 + i * 30}\" y=\"196\" font-size=\"10\">{5 * i}</text>"
                    for i in range(0, 20, 2))
    return ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"660\" height=\"210\" role=\"img\""
            " aria-label=\"Regions by share of points\">"
            f"<text x=\"40\" y=\"14\" font-size=\"12\">regions by share of points (%), "
            f"highest bar {top}</text>{bars}{ticks}</svg>")


def _ranking_rows(totals: pl.DataFrame, names: Mapping[str, str],
                  paths: Mapping[str, str]) -> str:
    rows = []
    for r in totals.sort("peer_group", "rank", "region_code", nulls_last=True).iter_rows(
            named=True):
        code, name = r["region_code"], names.get(r["region_code"], r["region_code"])
        cells = [
            (r["peer_group"], _e(r["peer_group"])),
            ("" if r["rank"] is None else r["rank"], _e(r["rank"] or "not ranked")),
            ("" if r["rank_change"] is None else r["rank_change"],
             _e("–" if r["rank_change"] is None else f"{r['rank_change']:+d}")),
            (code, f"<a href=\"{_e(paths[code])}\">{_e(code)}</a>"),
            (name, _e(name)),
            ("" if r["share"] is None else f"{r['share']:.6f}", _pct(r["share"])),
            ("" if r["evidence_share"] is None else f"{r['evidence_share']:.6f}",
             _pct(r["evidence_share"])),
            (r["verdict"], f"<span class=\"{_e(r['verdict'])}\">{_e(r['verdict'])}</span>"),
        ]
        search = _e(f"{code} {name} {r['peer_group']}".lower())
        rows.append(f"<tr data-s=\"{search}\">" + "".join(
            f"<td data-v=\"{_e(v)}\">{shown}</td>" for v, shown in cells) + "</tr>")
    return "".join(rows)


def _coverage_html(coverage: pl.DataFrame | None) -> str:
    if coverage is None or coverage.height == 0:
        return "<p>No coverage table.</p>"
    counts = coverage.group_by("year", "status").len().sort("year", "status")
    statuses = sorted(set(counts["status"].to_list()))
    by_year: dict[int, dict[str, int]] = {}
    for year, status, n in counts.iter_rows():
        by_year.setdefault(year, {})[status] = n
    rows = [[str(y), *(str(v.get(s, 0)) for s in statuses)] for y, v in sorted(by_year.items())]
    return _table(["year", *statuses], rows, numeric=set(range(1, len(statuses) + 1)))


def _charts_html(charts: Sequence[ChartImage], budget: int) -> str:
    parts, used, left_out = [], 0, []
    for chart in charts:
        if used + len(chart.uri) > budget:
            left_out.append(chart.alt)
            continue
        used += len(chart.uri)
        parts.append(f"<figure><img src=\"{_e(chart.uri)}\" alt=\"{_e(chart.alt)}\">"
                     f"<figcaption>{_e(chart.caption)}</figcaption></figure>")
    if left_out:
        parts.append("<p>Left out to keep this page small: " + _e("; ".join(left_out)) + "</p>")
    return "".join(parts)


def _index(tables: ReportTables, *, meta: ReportMeta, year: int,
           charts: Sequence[ChartImage], paths: Mapping[str, str], embed_font: bool) -> str:
    totals = tables.totals.filter(pl.col("year") == year)
    n_ranked = totals.filter(pl.col("rank").is_not_null()).height
    n_pass = totals.filter(pl.col("verdict") == "pass").height
    summary = (f"<h1>{_e(meta.title)}</h1><p>Year {year} · as of {_e(meta.as_of)} · "
               f"rubric {_e(meta.criteria_name)} ({_e(meta.criteria_id)} "
               f"{_e(meta.criteria_version)}) · pass line {_e(meta.pass_line)} · "
               f"fzcompare {_e(meta.version)} {_e(meta.dataset)}</p>"
               f"<p><strong>{totals.height:,}</strong> regions scored, <strong>{n_ranked:,}"
               f"</strong> ranked on evidence, <strong>{n_pass:,}</strong> reach the pass line."
               f"{' Validation found error-severity failures.' if meta.invalid else ''}"
               f"</p>")
    head = ("<th>peer group</th><th data-num=\"1\">rank</th><th data-num=\"1\">change</th>"
            "<th>code</th><th>region</th><th data-num=\"1\">share</th>"
            "<th data-num=\"1\">evidence</th><th>verdict</th>")
    ranking = ("<h2>Ranking</h2><p><label>Search <input id=\"search\" type=\"search\" "
               "placeholder=\"code or name\"></label> <span id=\"shown\">"
               f"{totals.height}</span> shown; click a heading to sort. Each code opens the "
               "region's page.</p><table id=\"ranking\"><thead><tr>" + head
               + "</tr></thead><tbody>" + _ranking_rows(totals, tables.region_names, paths)
               + "</tbody></table>")
    figures = ("<h2>Charts</h2>" + _histogram_svg(totals["share"].to_list())
               + _charts_html(charts, INDEX_BUDGET_BYTES // 2))
    coverage = "<h2>Coverage</h2>" + _coverage_html(tables.coverage)
    return _page(str(meta.title), summary + figures + ranking + coverage,
                 synthetic=bool(meta.synthetic), script=_SCRIPT, embed_font=embed_font)


def _criteria_rows(rows: pl.DataFrame, names: Mapping[str, str]) -> list[list[str]]:
    out = []
    for r in rows.iter_rows(named=True):
        out.append([_e(r["area_name"]), _e(r["criterion_name"] or r["criterion_id"]),
                    _e(names.get(r["indicator_code"], r["indicator_code"])),
                    _e(_num(r["value"], 2)), _e(f"{r['comparator'] or ''} "
                                                f"{_num(r['threshold'], 2, empty='')}"),
                    _e(r["status"]), _e(_num(r["points_earned"], 1, empty="–")),
                    _e(_num(r["points_possible"], 1, empty="–"))])
    return out


def _region_page(code: str, total: Mapping[str, Any], parts: Mapping[str, pl.DataFrame], *,
                 tables: ReportTables, meta: ReportMeta, year: int) -> str:
    name = tables.region_names.get(code, code)
    rank = "not ranked" if total["rank"] is None else f"rank {total['rank']}"
    head = (f"<p><a href=\"../index.html\">← all regions</a></p><h1>{_e(name)} "
            f"({_e(code)})</h1><p>{year} · peer group {_e(total['peer_group'])} · {rank} · "
            f"share {_pct(total['share'])} · evidence {_pct(total['evidence_share'])} · "
            f"verdict <span class=\"{_e(total['verdict'])}\">{_e(total['verdict'])}</span>"
            f" · pass line {_e(meta.pass_line)}</p>")
    areas = parts["areas"]
    area_rows = [[_e(r["area_name"]), _e(_num(r["points_earned"], 1, empty="–")),
                  _e(_num(r["points_possible"], 1, empty="–")), _pct(r["share"])]
                 for r in areas.iter_rows(named=True)]
    crit = _criteria_rows(parts["criteria"], tables.indicator_names)
    steps = [[str(r["step"]), _e(r["kind"]), _e(r["criterion_id"]),
              _e(_num(r["current_value"], 2)), _e(_num(r["required_value"], 2, empty="–")),
              _e(_num(r["points_gained"], 1, empty="–"))]
             for r in parts["plan"].iter_rows(named=True)]
    changes = [[_e(tables.indicator_names.get(r["indicator_code"], r["indicator_code"])),
                _e(r["scope"]), _e(r["prev_year"] or "–"), _e(_num(r["prev_value"], 2)),
                _e(_num(r["value"], 2)), _e(r["verdict"])]
               for r in parts["changes"].iter_rows(named=True)]
    body = (head + "<h2>Areas</h2>" + _table(["area", "earned", "possible", "share"],
                                               area_rows, numeric={1, 2, 3})
            + "<h2>Criteria</h2>" + _table(
                ["area", "criterion", "indicator", "value", "threshold", "status", "earned",
                 "possible"], crit, numeric={3, 6, 7})
            + "<h2>What it would take to pass</h2>"
            + (_table(["step", "kind", "criterion", "now", "needed", "points"], steps,
                      numeric={0, 3, 4, 5}) if steps else "<p>Nothing: it passes, or no "
               "combination of the scored criteria reaches the pass line.</p>")
            + "<h2>Year-over-year changes</h2>"
            + _table(["indicator", "scope", "compared with", "then", "now", "verdict"],
                     changes, numeric={3, 4}))
    return _page(f"{name} ({code}) · {meta.title}", body,
                 synthetic=bool(meta.synthetic))


def _by_region(frame: pl.DataFrame, year: int, order: Sequence[str]) -> dict[str, pl.DataFrame]:
    rows = frame.filter(pl.col("year") == year).sort(["region_code", *order])
    return {str(k[0]): v for k, v in rows.partition_by("region_code", as_dict=True,
                                                       maintain_order=True).items()}


def render_national(tables: ReportTables, *, meta: ReportMeta, year: int,
                    charts: Sequence[ChartImage] = (), embed_font: bool = True
                    ) -> NationalPages:
    """The index page and one page per region of a report over many regions.

    Args:
        tables: The report's tables.
        meta: The report's header fields (title, as_of, rubric, pass line, synthetic ...).
        year: The reporting year.
        charts: National charts to show on the index (left out beyond half its budget).
        embed_font: Embed the subset of the CJK font the index uses (region pages use the
            reader's fonts: one subset per page would cost seconds per hundred pages).

    Returns:
        ``NationalPages``: ``index_html``, ``pages`` (``regions/<code>.html`` -> HTML) and
        a short Markdown summary.
    """
    totals = tables.totals.filter(pl.col("year") == year)
    paths = region_page_paths(totals["region_code"].to_list())
    parts = {"areas": _by_region(tables.areas, year, ["area_id"]),
             "criteria": _by_region(tables.criteria, year, ["area_id", "criterion_id"]),
             "plan": _by_region(tables.what_it_would_take, year, ["step"]),
             "changes": _by_region(tables.changes, year, ["indicator_code", "scope"])}
    empty = {k: next(iter(v.values())).clear() if v else pl.DataFrame()
             for k, v in parts.items()}
    pages: dict[str, str] = {}
    for total in totals.sort("region_code").iter_rows(named=True):
        code = total["region_code"]
        mine = {k: v.get(code, empty[k]) for k, v in parts.items()}
        pages[paths[code]] = _region_page(code, total, mine, tables=tables, meta=meta,
                                          year=year)
    index = _index(tables, meta=meta, year=year, charts=charts, paths=paths,
                   embed_font=embed_font)
    n_pass = totals.filter(pl.col("verdict") == "pass").height
    markdown = (f"# {meta.title}\n\n"
                + ("**合成数据 / SYNTHETIC DATA**\n\n" if meta.synthetic else "")
                + f"{year}: {totals.height:,} regions scored, {n_pass:,} reach the pass line. "
                f"Open index.html for the ranking; one page per region under regions/.\n")
    return NationalPages(index_html=index, pages=pages, markdown=markdown)
