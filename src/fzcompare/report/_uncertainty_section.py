"""The report's "How sure is this?" section: rank intervals, bands, rank changes, audit.

Built apart from the main template (``uncertainty_section``) and inserted before the end of
the page, so the main report layout is untouched. Every text from data is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from fzcompare.benchmark import BenchmarkResult, audit, rank_uncertainty

__all__ = ["UncertaintySection", "insert_section", "uncertainty_section"]


@dataclass(frozen=True)
class UncertaintySection:
    """The section as HTML and Markdown, and the tables behind it."""

    html: str
    markdown: str
    ranks: pl.DataFrame
    audit: pl.DataFrame
    findings: tuple[str, ...]


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(rows: list[list[str]], header: list[str]) -> tuple[str, str]:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return (f'<table class="uncertainty"><thead><tr>{head}</tr></thead><tbody>{body}'
            "</tbody></table>"), "\n".join(md)


def _rank_rows(ranks: pl.DataFrame, names: Mapping[str, str]) -> list[list[str]]:
    rows = []
    for r in ranks.iter_rows(named=True):
        change = r["rank_change"]
        rows.append([
            names.get(r["region_code"], r["region_code"]), _cell(r["rank"]),
            f"{_cell(r['rank_p05'])}–{_cell(r['rank_p95'])}", _cell(r["tied_group"]),
            f"{r['band']} ({r['band_probability']:.0%})",
            "–" if change is None else f"{change:+d}",
            "–" if r["p_rank_improved"] is None else f"{r['p_rank_improved']:.0%}",
        ])
    return rows


def uncertainty_section(observations: pl.DataFrame, result: BenchmarkResult, *, year: int,
                        names: Mapping[str, str], draws: int = 500, seed: int = 0
                        ) -> UncertaintySection:
    """Simulate ``result`` (``rank_uncertainty``), audit it and lay both out for the report.

    Args:
        observations: The observation table (denominators of rates).
        result: The report's ``BenchmarkResult`` (all years, so rank changes have both).
        year: The reporting year shown.
        names: Region code -> display name.
        draws: Monte Carlo draws.
        seed: Seed, so the report stays deterministic.
    """
    uncertainty = rank_uncertainty(result, draws=draws, seed=seed, observations=observations)
    ranks = uncertainty.ranks.filter(pl.col("year") == year)
    s = uncertainty.settings
    header = ["region", "rank", "90 % interval", "tied group", "band (probability)",
              "rank change", "p_rank_improved"]
    rank_html, rank_md = _table(_rank_rows(ranks, names), header)
    report = audit(result, year=year)
    audit_rows = [[r["criterion_id"], _cell(r["nominal_weight"], 3),
                   _cell(r["effective_weight"], 3), f"{r['share_full']:.0%}",
                   f"{r['share_zero']:.0%}", _cell(r["r_total"])]
                  for r in report.criteria.iter_rows(named=True)]
    audit_html, audit_md = _table(audit_rows, ["criterion", "nominal weight",
                                               "effective weight", "at full marks",
                                               "at zero", "r with total"])
    method = (f"{s.draws} Monte Carlo draws (seed {s.seed}): counts redrawn as Poisson and "
              f"rates with a known denominator as binomial ({s.noisy_cells} figures), "
              f"non-disclosed figures drawn from the peer group ({s.imputed_cells}), weights "
              f"x U(1 ± {s.weight_spread:g}) within each area. Tied group: {s.tie_rule}. "
              f"Bands: {', '.join(f'{n} ≥ {low:.0%}' for n, low in s.bands)} "
              f"({s.bands_source}). Methods: docs/statistics.md.")
    findings = "".join(f"<li>{html.escape(f)}</li>" for f in report.findings)
    page = (f'<section class="uncertainty" id="uncertainty"><h2>How sure is this? · '
            f"排名的不确定性</h2><p>{html.escape(method)}</p>{rank_html}"
            f"<h3>Rubric audit {report.year}</h3><ul>{findings}</ul>{audit_html}</section>")
    markdown = "\n\n".join([
        "## How sure is this? · 排名的不确定性", method, rank_md,
        f"### Rubric audit {report.year}",
        "\n".join(f"- {f}" for f in report.findings), audit_md])
    return UncertaintySection(html=page, markdown=markdown, ranks=ranks,
                              audit=report.criteria, findings=report.findings)


def insert_section(page: str, section: UncertaintySection) -> str:
    """The page with the section placed just before ``</main>`` (or ``</body>``)."""
    for marker in ("</main>", "</body>"):
        at = page.rfind(marker)
        if at >= 0:
            return page[:at] + section.html + page[at:]
    return page + section.html
