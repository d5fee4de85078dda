"""The report's "Small numbers" section: rate intervals, funnel plots, progress to targets.

Built from the observations alone (no clock, no randomness) and inserted before the end of
the page like the uncertainty section. Every text from data is escaped and names are
isolated in ``<bdi>``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from fzcompare import charts
from fzcompare.catalog import load_catalog
from fzcompare.errors import ChartError
from fzcompare.trends import Target, progress, rate_intervals

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SmallNumbersSection", "largest_peer_group", "small_numbers_section"]

MAX_ROWS: Final[int] = 30
"""Rows of the interval table shown in the page (the widest intervals first); the full
table is ``tables/rate_intervals.csv``."""

MIN_FUNNEL_REGIONS: Final[int] = 3
"""A funnel of fewer regions shows nothing: it is left out."""


@dataclass(frozen=True)
class SmallNumbersSection:
    """The section as HTML and Markdown, and the tables behind it."""

    html: str
    markdown: str
    intervals: pl.DataFrame
    funnel: pl.DataFrame
    progress: pl.DataFrame


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[str, str]:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td><bdi>{html.escape(c)}</bdi></td>" if i == 0 else f"<td>{html.escape(c)}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return (f'<table class="small-numbers"><thead><tr>{head}</tr></thead><tbody>{body}'
            "</tbody></table>"), "\n".join(md)


def _indicator_names() -> dict[str, str]:
    """Indicator code -> its Chinese name (the report shows names, not codes)."""
    return dict(load_catalog().indicators.select("code", "name_zh").iter_rows())


def _rates_of(indicators: Sequence[str] | None) -> list[str]:
    targets = set(load_catalog().relations.filter(pl.col("kind") == "ratio")["target"])
    return sorted(targets if indicators is None else set(indicators) & targets)


def _intervals(observations: pl.DataFrame, rates: list[str], year: int) -> pl.DataFrame:
    if not rates:
        return pl.DataFrame()
    table = rate_intervals(observations.filter(pl.col("year") == year), indicators=rates).table
    return table.filter(pl.col("reason").is_null()).with_columns(
        (pl.col("value_ci_high") - pl.col("value_ci_low")).alias("width")).sort(
        ["width", "region_code", "indicator_code"], descending=[True, False, False])


def _funnel(observations: pl.DataFrame, rate: str, year: int, peers: Sequence[str]
            ) -> pl.DataFrame:
    """The funnel points of ``rate`` for ``peers`` on their most common scope (or empty)."""
    rows = _intervals(observations.filter(pl.col("region_code").is_in(list(peers))),
                      [rate], year)
    if rows.height < MIN_FUNNEL_REGIONS:
        return pl.DataFrame()
    scope = rows.group_by("scope").len().sort(["len", "scope"], descending=[True, False])
    try:
        return charts.funnel_table(observations, indicator=rate, year=year,
                                   peer_regions=peers, scope=str(scope["scope"][0]))
    except ChartError:
        return pl.DataFrame()


def _progress_part(observations: pl.DataFrame, targets: Sequence[Target] | None,
                   names: Mapping[str, str]) -> tuple[str, str, pl.DataFrame]:
    if not targets:
        text = ("No targets were declared, so progress toward targets is not shown: "
                "fzcompare does not invent a target. Declare them (indicator, value, target "
                "year, source) in a YAML or CSV file and pass it with --targets FILE "
                "(library: build_report(targets=trends.load_targets(path))).")
        return f"<p>{html.escape(text)}</p>", text, pl.DataFrame()
    table = progress(observations, targets=targets).table.filter(
        pl.col("status") != "no_target").sort("indicator_code", "region_code", "scope")
    label = _indicator_names()
    rows = [[names.get(r["region_code"], r["region_code"]),
             label.get(r["indicator_code"], r["indicator_code"]),
             f"{r['base_year']}: {_num(r['base_value'])}" if r["base_year"] else "–",
             f"{r['current_year']}: {_num(r['current_value'])}" if r["current_year"] else "–",
             f"{_num(r['target_value'])} by {r['target_year']}", str(r["status"]),
             _num(r["ratio"], 2)] for r in table.iter_rows(named=True)]
    part_html, part_md = _table(["region", "indicator", "base", "latest", "target", "status",
                                 "observed / required growth"], rows)
    note = ("Statistics Canada / Open SDG progress measure: observed compound growth against "
            "the growth needed to reach the target on time (on track >= 0.95, acceleration "
            "needed >= 0.60, limited progress >= 0, deterioration < 0); a rate held at its "
            "natural limit is on track.")
    return (f"<p>{html.escape(note)}</p>{part_html}", f"{note}\n\n{part_md}", table)


def largest_peer_group(totals: pl.DataFrame, year: int) -> list[str]:
    """The regions of the year's largest peer group (ties: the first group by name)."""
    rows = totals.filter(pl.col("year") == year)
    if not rows.height:
        return []
    sizes = rows.group_by("peer_group").len().sort(["len", "peer_group"],
                                                   descending=[True, False])
    group = sizes["peer_group"][0]
    return sorted(rows.filter(pl.col("peer_group") == group)["region_code"].to_list())


def small_numbers_section(observations: pl.DataFrame, *, year: int,
                          indicators: Sequence[str] | None, peers: Sequence[str],
                          names: Mapping[str, str], targets: Sequence[Target] | None = None,
                          image_uri: Callable[[Figure], str] | None = None,
                          synthetic: bool = False) -> SmallNumbersSection:
    """Rate intervals, funnel plots and progress to targets for the reporting year.

    Args:
        observations: The observation table (numerators and denominators of rates).
        year: The reporting year.
        indicators: Indicators whose rates with known counts are shown (None: every
            catalog rate, 纠错率, 败诉率, 调解率, 出庭应诉率 …, scored by the rubric or not).
        peers: The regions of the funnel's peer group.
        names: Region code -> display name.
        targets: Declared targets; without them the section says so.
        image_uri: Turns a figure into a data URI; None: no funnel plot drawn (their
            findings only).
        synthetic: Mark the plots as synthetic data.
    """
    rates = _rates_of(indicators)
    label = _indicator_names()
    intervals = _intervals(observations, rates, year)
    shown = intervals.head(MAX_ROWS)
    rows = [[names.get(r["region_code"], r["region_code"]),
             label.get(r["indicator_code"], r["indicator_code"]), r["scope"],
             f"{int(r['numerator'])} / {int(r['denominator'])}", _num(r["rate"]),
             f"{_num(r['value_ci_low'])}–{_num(r['value_ci_high'])}"]
            for r in shown.iter_rows(named=True)]
    ci_html, ci_md = _table(["region", "indicator", "scope", "cases", "rate %",
                             "95 % interval (Wilson)"], rows)
    more = (f" The {MAX_ROWS} widest of {intervals.height} are shown; all are in "
            "tables/rate_intervals.csv." if intervals.height > MAX_ROWS else "")
    lead = (f"Rates of {year} whose numerator and denominator were both disclosed, with the "
            f"95 % Wilson interval of the rate (widest first): a small caseload gives a wide "
            f"interval, and a rank or a change inside it is not a difference.{more}"
            if intervals.height else
            f"No rate has both its counts disclosed for {year}: no interval.")
    funnels, funnel_html, funnel_md = [], [], []
    for rate in rates:
        points = _funnel(observations, rate, year, peers)
        if not points.height:
            continue
        funnels.append(points.with_columns(pl.lit(rate).alias("indicator_code")))
        outside = points.filter(pl.col("position") != "within")
        text = (f"{label.get(rate, rate)}: group rate {points['group_rate'][0]:.1f} % over "
                f"{points.height} regions; outside the 95 % limits: "
                + (", ".join(f"{names.get(c, c)} ({p})" for c, p in
                             outside.select("region_code", "position").iter_rows())
                   or "none"))
        funnel_md.append(f"- {text}")
        image = ""
        if image_uri is not None:
            fig = charts.funnel_plot(observations, indicator=rate, year=year,
                                     peer_regions=peers, scope=str(points["scope"][0]),
                                     labels=dict(names), synthetic=synthetic)
            image = (f'<img alt="{html.escape(f"funnel plot of {label.get(rate, rate)}")}" src="'
                     f'{image_uri(fig)}">')
        funnel_html.append(f"<li>{html.escape(text)}{image}</li>")
    progress_html, progress_md, progress_table = _progress_part(observations, targets, names)
    page = (f'<section class="small-numbers" id="small-numbers"><h2>Small numbers · 小数目'
            f"</h2><p>{html.escape(lead)}</p>{ci_html if rows else ''}"
            f"<h3>Funnel plots · 漏斗图</h3><ul>{''.join(funnel_html) or '<li>none</li>'}</ul>"
            f"<h3>Progress toward targets · 目标进展</h3>{progress_html}</section>")
    markdown = "\n\n".join(["## Small numbers · 小数目", lead, ci_md if rows else "",
                            "### Funnel plots", "\n".join(funnel_md) or "none",
                            "### Progress toward targets", progress_md])
    funnel = pl.concat(funnels, how="diagonal") if funnels else pl.DataFrame()
    return SmallNumbersSection(html=page, markdown=markdown, intervals=intervals,
                               funnel=funnel, progress=progress_table)
