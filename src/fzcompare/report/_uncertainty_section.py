"""The report's "How sure is this?" section: rank intervals, bands, rank changes, audit.

Built apart from the main template (``uncertainty_section``) and inserted before the end of
the page, so the main report layout is untouched. Every text from data is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from fzcompare.benchmark import BenchmarkResult, RankUncertaintyResult, audit, rank_uncertainty
from fzcompare.errors import InvalidArgumentError

__all__ = ["DEFAULT_DRAWS", "UncertaintySection", "insert_section", "sureness_note",
           "uncertainty_section", "with_rank_sureness"]

DEFAULT_DRAWS: Final[int] = 500
"""Monte Carlo draws a report runs by default: the demo panel (17 regions, 2 years) takes
about 0.3 s; 3,000 regions x 100 criteria about 5 s of CPU (benchmarks/bench_uncertainty.py).
500 draws put a 5 % quantile on 25 draws, enough for the intervals the report prints."""
SURENESS_COLUMNS: Final[tuple[str, ...]] = ("rank_p05", "rank_p95", "p_rank_improved")


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


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _table(rows: list[list[str]], header: list[str]) -> tuple[str, str]:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    # the first column names a region or criterion: isolated from the text around it
    body = "".join("<tr>" + "".join(
        f"<td><bdi>{html.escape(c)}</bdi></td>" if i == 0 else f"<td>{html.escape(c)}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
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
            "–" if r["band"] is None else f"{r['band']} ({_share(r['band_probability'])})",
            "–" if change is None else f"{change:+d}",
            _share(r["p_rank_improved"]),
        ])
    return rows


def with_rank_sureness(totals: pl.DataFrame, uncertainty: RankUncertaintyResult
                       ) -> pl.DataFrame:
    """``totals`` with ``rank_p05``, ``rank_p95`` and ``p_rank_improved`` joined on.

    ``p_rank_improved`` is kept only where the totals show a rank change, so every rank
    change the report prints has one and nothing else does.
    """
    sure = uncertainty.ranks.select("region_code", pl.col("year").cast(totals["year"].dtype),
                                    *SURENESS_COLUMNS)
    joined = totals.drop([c for c in SURENESS_COLUMNS if c in totals.columns]).join(
        sure, on=["region_code", "year"], how="left", maintain_order="left")
    return joined.with_columns(pl.when(pl.col("rank_change").is_not_null())
                               .then(pl.col("p_rank_improved")).alias("p_rank_improved"))


def sureness_note(uncertainty: RankUncertaintyResult | None) -> str:
    """The ranking's note on the intervals and probabilities it shows ("" without them)."""
    if uncertainty is None:
        return ""
    s = uncertainty.settings
    return (f"Under each rank: its 90 % interval (5th–95th percentile of the rank in "
            f"{s.draws} Monte Carlo draws of counts, rates, non-disclosed figures and "
            f"weights; see \"How sure is this?\"). Under each rank change: P(improved), the "
            f"share of draws in which the region ranks better than the year before.")


def uncertainty_section(observations: pl.DataFrame, result: BenchmarkResult, *, year: int,
                        names: Mapping[str, str], draws: int = DEFAULT_DRAWS, seed: int = 0,
                        uncertainty: RankUncertaintyResult | None = None
                        ) -> UncertaintySection:
    """Simulate ``result`` (``rank_uncertainty``), audit it and lay both out for the report.

    Args:
        observations: The observation table (denominators of rates).
        result: The report's ``BenchmarkResult`` (all years, so rank changes have both).
        year: The reporting year shown.
        names: Region code -> display name.
        draws: Monte Carlo draws.
        seed: Seed, so the report stays deterministic.
        uncertainty: A ``rank_uncertainty`` result already computed for ``result`` (then
            ``draws`` and ``seed`` are not used).
    """
    if uncertainty is None:
        uncertainty = rank_uncertainty(result, draws=draws, seed=seed,
                                       observations=observations)
    ranks = uncertainty.ranks.filter(pl.col("year") == year)
    s = uncertainty.settings
    header = ["region", "rank", "90 % interval", "tied group", "band (probability)",
              "rank change", "p_rank_improved"]
    rank_html, rank_md = _table(_rank_rows(ranks, names), header)
    audit_table, findings_list, audit_html, audit_md = _audit_part(result, year)
    method = (f"{s.draws} Monte Carlo draws (seed {s.seed}): counts redrawn as Poisson and "
              f"rates with a known denominator as binomial ({s.noisy_cells} figures), "
              f"non-disclosed figures drawn from the peer group ({s.imputed_cells}), weights "
              f"x U(1 ± {s.weight_spread:g}) within each area. Tied group: {s.tie_rule}. "
              f"Bands: {', '.join(f'{n} ≥ {low:.0%}' for n, low in s.bands)} "
              f"({s.bands_source}). Methods: docs/statistics.md.")
    findings = "".join(f"<li>{html.escape(f)}</li>" for f in findings_list)
    page = (f'<section class="uncertainty" id="uncertainty"><h2>How sure is this? · '
            f"排名的不确定性</h2><p>{html.escape(method)}</p>{rank_html}"
            f"<h3>Rubric audit {year}</h3><ul>{findings}</ul>{audit_html}</section>")
    markdown = "\n\n".join([
        "## How sure is this? · 排名的不确定性", method, rank_md,
        f"### Rubric audit {year}",
        "\n".join(f"- {f}" for f in findings_list), audit_md])
    return UncertaintySection(html=page, markdown=markdown, ranks=ranks,
                              audit=audit_table, findings=findings_list)


def _audit_part(result: BenchmarkResult, year: int
                ) -> tuple[pl.DataFrame, tuple[str, ...], str, str]:
    """The audit's table, findings, and the table as HTML and Markdown.

    With too few regions for an audit the findings say so and the table is empty.
    """
    try:
        report = audit(result, year=year)
    except InvalidArgumentError as err:
        return pl.DataFrame(), (f"No audit: {err}",), "", ""
    named = dict(result.rubric.criteria.select("criterion_id", "criterion_name").iter_rows())
    rows = [[f"{r['criterion_id']} {named.get(r['criterion_id'], '')}".strip(),
             _cell(r["nominal_weight"], 3), _cell(r["effective_weight"], 3),
             _share(r["share_full"]), _share(r["share_zero"]), _cell(r["r_total"])]
            for r in report.criteria.iter_rows(named=True)]
    part_html, part_md = _table(rows, ["criterion", "nominal weight", "effective weight",
                                       "at full marks", "at zero", "r with total"])
    return report.criteria, report.findings, part_html, part_md


def insert_section(page: str, section: UncertaintySection) -> str:
    """The page with the section placed just before ``</main>`` (or ``</body>``)."""
    for marker in ("</main>", "</body>"):
        at = page.rfind(marker)
        if at >= 0:
            return page[:at] + section.html + page[at:]
    return page + section.html
