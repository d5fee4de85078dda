"""Assemble a benchmark report: score, trends, validation outcome, charts, rendered files."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare import benchmark as bm
from fzcompare import charts, trends
from fzcompare._deprecation import renamed_arguments
from fzcompare._display import html_table
from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare._version import __version__
from fzcompare.catalog import load_catalog
from fzcompare.charts._labels import peer_group_label
from fzcompare.errors import FzcompareError, ValidationFailedError
from fzcompare.report import _national
from fzcompare.report._render import (
    ChartImage,
    ReportMeta,
    ReportTables,
    build_context,
    render_html,
    render_markdown,
    safe_filename,
)
from fzcompare.report._small_numbers_section import (
    SmallNumbersSection,
    largest_peer_group,
    small_numbers_section,
)
from fzcompare.report._uncertainty_section import (
    DEFAULT_DRAWS,
    UncertaintySection,
    sureness_note,
    uncertainty_section,
    with_rank_sureness,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from fzcompare.benchmark import BenchmarkResult, BenchmarkSettings, RankUncertaintyResult
    from fzcompare.criteria import CriteriaSet
    from fzcompare.validate import ValidationResult

__all__ = ["FORMATS", "Report", "build_report", "write_report"]

FORMATS: Final[frozenset[str]] = frozenset({"html", "md", "json", "csv", "parquet"})
BULLET_CHART_LIMIT: Final[int] = 30
"""Reports of more regions draw bullet charts only for ``focus_regions``; every region's
criteria table carries an inline bar of the points earned instead."""
REPORT_DPI: Final[int] = 100
REPORT_COLORS: Final[int] = 256
"""Inline charts are palette PNGs at 100 dpi: a third of the bytes of full-colour ones."""
_OUTCOME_SCHEMA: Final[dict[str, pl.DataType]] = {
    "suite": pl.String(), "expectation": pl.String(), "severity": pl.String(),
    "success": pl.Boolean(), "unexpected_count": pl.Int64(),
}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Report:
    """A rendered benchmark report, ready to write.

    Attributes:
        year: The reporting year the report focuses on.
        html: The self-contained ``index.html``.
        markdown: A short Markdown summary.
        summary: The machine-readable summary (``summary.json``).
        tables: The underlying tables, by file stem: ``totals`` and ``areas`` for every
            year scored (rank history); ``criteria``, ``changes`` and
            ``what_it_would_take`` for the reporting year (criterion rows for every year:
            ``fzcompare.benchmark.benchmark(...).criteria`` or ``fzcompare benchmark
            --table criteria``).

    Examples:
        >>> import datetime as dt
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> from fzcompare.store import dataset_regions, load, load_sources
        >>> rubric = rubric_raw_example()  # one criterion: online services >= 90 %
        >>> rubric["areas"][0]["criteria"][0]["threshold"] = 95
        >>> cities = load("datasets/demo").filter(
        ...     pl.col("region_code").is_in(["420300", "420500", "420600"]))
        >>> report = build_report(cities, parse_criteria(rubric),
        ...     sources=load_sources("datasets/demo"),
        ...     regions_table=dataset_regions("datasets/demo"),
        ...     as_of=dt.date(2025, 1, 15), charts=False, embed_font=False)
        >>> sorted(report.tables)  # doctest: +NORMALIZE_WHITESPACE
        ['areas', 'changes', 'common_set', 'coverage', 'criteria', 'rate_intervals', 'totals',
         'validation', 'what_it_would_take']
        >>> report.summary["as_of"], report.summary["synthetic"]
        ('2025-01-15', True)
        >>> report.to_polars().filter(pl.col("year") == report.year).select(
        ...     "region_code", "verdict", "rank").rows()
        [('420500', 'pass', 1), ('420600', 'pass', 1), ('420300', 'fail', 3)]
    """

    year: int
    html: str = field(repr=False)
    markdown: str = field(repr=False)
    summary: dict[str, Any] = field(repr=False)
    tables: dict[str, pl.DataFrame] = field(repr=False)
    pages: dict[str, str] = field(default_factory=dict, repr=False)
    """Region pages of a report over many regions (``regions/<code>.html`` -> HTML), linked
    from and back to ``html`` (the index); empty for a report that fits one page."""

    def __repr__(self) -> str:
        totals = self.summary["totals"]
        return (f"Report(year={self.year}, regions={totals['regions']}, "
                f"pass={totals['pass']}, validation={self.summary['validation']['status']}, "
                f"synthetic={self.summary['synthetic']})")

    def _repr_html_(self) -> str:
        totals = self.summary["totals"]
        return (f"<div><strong>fzcompare report</strong> {self.year}: {totals['regions']} "
                f"regions, {totals['pass']} pass, validation "
                f"{html.escape(self.summary['validation']['status'])}"
                f"{' — SYNTHETIC DATA' if self.summary['synthetic'] else ''}</div>"
                + html_table(self.tables["totals"].filter(pl.col("year") == self.year),
                             max_rows=10))

    def to_polars(self) -> pl.DataFrame:
        """The ranking (totals) table."""
        return self.tables["totals"]

    def to_pandas(self) -> pd.DataFrame:
        """The ranking (totals) table as pandas."""
        return self.tables["totals"].to_pandas()


def _validation_outcomes(validation: ValidationResult | None) -> tuple[pl.DataFrame, str]:
    if validation is None:
        return pl.DataFrame(schema=_OUTCOME_SCHEMA), "not run"
    outcomes = validation.outcomes
    frame = outcomes.select([pl.col(c).cast(t) for c, t in _OUTCOME_SCHEMA.items()])
    return frame, str(validation.verdict)


def _headline_indicators(criteria_set: CriteriaSet, observations: pl.DataFrame,
                         limit: int) -> list[str]:
    """Scored indicators with the most regions reporting them, in rubric order."""
    scored = criteria_set.criteria["indicator_code"].unique(maintain_order=True).to_list()
    counts = dict(observations.filter(pl.col("indicator_code").is_in(scored))
                  .group_by("indicator_code").agg(pl.col("region_code").n_unique())
                  .iter_rows())
    ranked = sorted((c for c in scored if c in counts), key=lambda c: (-counts[c],
                                                                        scored.index(c)))
    return ranked[:limit]


@renamed_arguments(regions="regions_table")
def build_report(
    observations: pl.DataFrame,
    criteria: CriteriaSet,
    *,
    sources: pl.DataFrame,
    regions_table: pl.DataFrame,
    as_of: dt.date,
    year: int | None = None,
    focus_regions: Sequence[str] | None = None,
    validation: ValidationResult | None = None,
    allow_invalid: bool = False,
    dataset_label: str = "",
    charts: bool = True,
    embed_font: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    min_evidence: float | None = None,
    robustness: int | None = DEFAULT_DRAWS,
    targets: Sequence[trends.Target] | None = None,
) -> Report:
    """Score, explain and render a benchmark report (nothing is written here).

    Args:
        observations: The observation table.
        criteria: The rubric (``fzcompare.criteria.load_criteria``).
        sources: The sources table (marks synthetic data, lists the sources used).
        regions_table: Regions table with names (``fzcompare.store.dataset_regions``).
        as_of: The date printed in the report; the report depends on no other clock.
        year: Reporting year (default: the year with the most regions ranked on evidence,
            the latest among equals; the report says which and why).
        focus_regions: Regions that get a profile section (default: every region scored).
        validation: A ``fzcompare.validate.ValidationResult``, if validation ran.
        allow_invalid: Report even when validation found error-severity failures.
        dataset_label: How the dataset is named in the report.
        charts: Draw charts (turn off for table-only runs).
        embed_font: Embed the subset of the CJK font the page uses, so Chinese renders on
            machines without a CJK font.
        workers: Processes drawing the per-region charts (default: up to 4, one per core;
            1 draws everything in this process).
        progress: Called with a short message before each step.
        min_evidence: Rank a region-year only when its disclosed figures carry at least this
            share of the points (default: the rubric's ``min_evidence``).
        robustness: Monte Carlo draws of ``rank_uncertainty`` (default 500): the ranking
            shows each rank's 90 % interval and each rank change's ``p_rank_improved``, and
            the "How sure is this?" section adds tied groups, bands and the rubric audit.
            None or 0 leaves all of it out.
        targets: Targets for the "Small numbers" section's progress table (without them the
            section says none were declared; nothing is invented).

    Raises:
        ValidationFailedError: Validation failed and ``allow_invalid`` is false.

    Examples:
        The bundled demo panel (synthetic) for three cities, against a one-criterion rubric:

        >>> import datetime as dt
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> from fzcompare.store import dataset_regions, load, load_sources
        >>> rubric = rubric_raw_example()  # one criterion: online services >= 90 %
        >>> rubric["areas"][0]["criteria"][0]["threshold"] = 95
        >>> cities = load("datasets/demo").filter(
        ...     pl.col("region_code").is_in(["420300", "420500", "420600"]))
        >>> report = build_report(cities, parse_criteria(rubric),
        ...     sources=load_sources("datasets/demo"),
        ...     regions_table=dataset_regions("datasets/demo"),
        ...     as_of=dt.date(2025, 1, 15), charts=False, embed_font=False)
        >>> report
        Report(year=2024, regions=3, pass=2, validation=not run, synthetic=True)
        >>> for line in report.markdown.splitlines()[2:5]:  # doctest: +ELLIPSIS
        ...     print(line)
        **合成数据 / SYNTHETIC DATA** — these figures were generated by fzcompare.synthetic ...
        <BLANKLINE>
        3 of 3 regions disclosed figures for at least 50 % of ... 2 reach the pass line ...
    """
    step = progress or (lambda _message: None)
    outcomes, verdict = _validation_outcomes(validation)
    if verdict == "fail" and not allow_invalid:
        msg = "validation found error-severity failures; the report was not written"
        raise ValidationFailedError(
            msg,
            hint="fix or quarantine the rows (fzcompare validate --quarantine), or pass "
                 "--allow-invalid to report anyway")

    step("scoring")
    result = bm.benchmark(observations, criteria, regions_table=regions_table,
                          min_evidence=min_evidence)
    totals_all = result.totals
    if totals_all.height == 0:
        msg = "no region of the dataset is scored by this rubric"
        raise FzcompareError(msg,
                             hint="check the rubric's levels and the dataset's regions")
    focus_year, year_reason = ((year, "") if year is not None
                               else choose_year(totals_all))
    if focus_year not in set(totals_all["year"].to_list()):
        msg = f"no scores for {focus_year}"
        raise FzcompareError(msg,
                             hint=f"years scored: {sorted(set(totals_all['year'].to_list()))}")
    year_criteria = result.criteria_for(years=focus_year)
    step("explaining")
    plan = bm.what_it_would_take(result, year=focus_year)
    step("trends")
    scored_codes = criteria.criteria["indicator_code"].unique().to_list()
    changes = trends.year_over_year(observations, indicators=scored_codes, ending_in=focus_year,
                                    sources=sources)

    kinds = dict(sources.select("source_id", "kind").iter_rows())
    used = (observations.group_by("source_id").len("rows")
            .join(sources, on="source_id", how="left").sort("source_id"))
    synthetic = any(kinds.get(s) == "synthetic" for s in used["source_id"].to_list())
    region_names = dict(regions_table.select("region_code", "name_zh").iter_rows())
    catalog_names = _indicator_names()

    chart_images: list[ChartImage] = []
    region_charts: dict[str, list[ChartImage]] = {}
    focus = list(focus_regions) if focus_regions else None
    if charts:
        step("charts")
        chart_images, region_charts = _draw_charts(
            observations=observations, result=result, year_criteria=year_criteria,
            changes=changes, year=focus_year,
            criteria_set=criteria, focus=focus, synthetic=synthetic, labels=region_names,
            step=step, workers=workers)

    coverage = coverage_table(result)
    totals_all, uncertainty = _sureness(
        result, observations, draws=robustness, step=step,
        narrow=lambda: bm.benchmark(
            observations, criteria, regions_table=regions_table, min_evidence=min_evidence,
            years=sorted({focus_year - 1, focus_year} & set(totals_all["year"].to_list()))))
    tables = ReportTables(
        totals=totals_all, areas=result.areas, criteria=year_criteria, changes=changes,
        what_it_would_take=plan, validation_outcomes=outcomes,
        sources=used.select("source_id", "title", "kind", "publisher", "url", "rows"),
        region_names=region_names, indicator_names=catalog_names,
        common_set=result.common_set, coverage=coverage)
    meta = _report_meta(criteria, result, year=focus_year, as_of=as_of,
                        dataset_label=dataset_label, synthetic=synthetic, verdict=verdict,
                        year_reason=year_reason, changes=changes, totals=totals_all,
                        uncertainty=uncertainty)
    step("rendering")
    small = small_numbers_section(
        observations, year=focus_year, indicators=None,
        peers=largest_peer_group(totals_all, focus_year), names=region_names,
        targets=targets, image_uri=_uri if charts else None, synthetic=synthetic)
    sections: list[SmallNumbersSection | UncertaintySection] = [small]
    if uncertainty is not None:
        sections.append(uncertainty_section(observations, result, year=focus_year,
                                            names=region_names, uncertainty=uncertainty))
    html_text, markdown_text, pages = _render(tables, meta=meta, year=focus_year,
                                              charts=(chart_images, region_charts),
                                              focus=focus, embed_font=embed_font,
                                              sections=sections)
    summary = _summary(meta=meta, totals=totals_all.filter(pl.col("year") == focus_year),
                       verdict=verdict, outcomes=outcomes, allow_invalid=allow_invalid,
                       settings=result.settings)
    out_tables = {
        "coverage": coverage,
        "common_set": result.common_set,
        "totals": totals_all.sort("year", "peer_group", "rank", "region_code",
                                  nulls_last=True),
        "areas": result.areas.sort("year", "region_code", "area_id"),
        "criteria": year_criteria,
        "changes": changes,
        "what_it_would_take": plan,
        "validation": outcomes,
        "rate_intervals": small.intervals,
    }
    return Report(year=focus_year, html=html_text, markdown=markdown_text,
                  summary=summary, tables=out_tables, pages=pages)


def _report_meta(criteria: CriteriaSet, result: BenchmarkResult, *, year: int,
                 as_of: dt.date, dataset_label: str, synthetic: bool, verdict: str,
                 year_reason: str, changes: pl.DataFrame, totals: pl.DataFrame,
                 uncertainty: RankUncertaintyResult | None) -> ReportMeta:
    """The report's header facts: rubric, dataset, pass line, notes on policy and years."""
    focus_year, totals_all = year, totals
    prev_years = changes.filter(pl.col("year") == focus_year)["prev_year"].drop_nulls()
    return ReportMeta(
        title="法治政府建设示范对标报告 · Rule-of-law government benchmark report",
        version=_version(), year=focus_year, as_of=as_of.isoformat(),
        dataset=dataset_label, criteria_id=criteria.id, criteria_name=criteria.name,
        criteria_version=criteria.version, criteria_sha=criteria.sha256[:16],
        criteria_source=(criteria.source if not criteria.user_set
                         or "user-set" in criteria.source.lower()
                         else f"{criteria.source} (user-set)"),
        pass_share=criteria.pass_share,
        pass_line=f"{100 * criteria.pass_share:.0f} % of {criteria.total_points:g} points",
        synthetic=synthetic, invalid=verdict == "fail",
        min_evidence=result.settings.min_evidence,
        zero_policy_note=("Under this rubric's missing_policy zero, a figure that was not "
                          "disclosed scores 0 in the rubric's points and verdict; ranks "
                          "use only disclosed figures."
                          if result.settings.notes else ""),
        year_reason=year_reason,
        prev_year_text=(f"{focus_year} against the previous reported year"
                        if prev_years.len() else "no earlier year to compare"),
        uncertainty_note=sureness_note(uncertainty) if totals_all.filter(
            (pl.col("year") == focus_year) & pl.col("rank").is_not_null()).height else "",
    )


def _sureness(result: Any, observations: pl.DataFrame, *, draws: int | None,
              step: Progress, narrow: Callable[[], Any]) -> tuple[pl.DataFrame, Any]:
    """Totals with rank intervals and ``p_rank_improved``, and the simulation (or None).

    Only the reporting year and the year before are simulated (``narrow()``: the benchmark
    of those years), which is all the report shows.
    """
    if not draws:
        return result.totals, None
    step("uncertainty")
    uncertainty = bm.rank_uncertainty(narrow(), draws=draws, seed=0, observations=observations)
    return with_rank_sureness(result.totals, uncertainty), uncertainty


def _tables_xlsx(report: Report) -> bytes:
    """The report's tables as one workbook beside the CSVs (same bytes for same input)."""
    summary = report.summary
    criteria = summary.get("criteria") or {}
    tables = {name: table.with_columns(pl.col(pl.List(pl.String())).list.join("; "))
              for name, table in sorted(report.tables.items())}
    return xlsx_bytes(tables, notes=XlsxNotes(
        title=f"fzcompare report {summary.get('year', '')}",
        rubric=f"{criteria.get('id', '')} v{criteria.get('version', '')} "
               f"({criteria.get('pass_line', '')}; sha256 {criteria.get('sha256', '')})",
        dataset_version=str(summary.get("dataset") or "") or None,
        synthetic=bool(summary.get("synthetic")),
        as_of=dt.date.fromisoformat(summary["as_of"]) if summary.get("as_of") else None))


def choose_year(totals: pl.DataFrame) -> tuple[int, str]:
    """The reporting year with the most regions ranked on evidence (the latest among equals).

    When no year has a ranked region, the year whose regions disclosed most (sum of
    ``evidence_share``). Returns the year and a sentence saying why it was chosen.

    Examples:
        >>> totals = pl.DataFrame({"year": [2023, 2023, 2024, 2024],
        ...                        "rank": [1, 2, None, 1],
        ...                        "evidence_share": [0.9, 0.8, 0.1, 0.7]})
        >>> choose_year(totals)
        (2023, 'Reporting year 2023: the year with the most regions ranked on evidence (2 ...')
    """
    per_year = (totals.group_by("year").agg(pl.col("rank").is_not_null().sum().alias("n"),
                                            pl.len().alias("all"),
                                            pl.col("evidence_share").sum().alias("evidence"))
                .sort(["n", "year"], descending=[True, True]))
    if per_year["n"].max() == 0:
        per_year = per_year.sort(["evidence", "year"], descending=[True, True])
    best = per_year.row(0, named=True)
    others = ", ".join(f"{r['year']}: {r['n']}" for r in per_year.sort("year").iter_rows(
        named=True) if r["year"] != best["year"])
    latest = int(per_year["year"].max())  # type: ignore[arg-type]
    reason = (f"Reporting year {best['year']}: the year with the most regions ranked on "
              f"evidence ({best['n']} of {best['all']}"
              + (f"; other years {others}" if others else "") + ")"
              + ("" if best["n"] else ", and the most disclosed figures")
              + ("." if best["year"] == latest else f", rather than the latest year {latest}."))
    return int(best["year"]), reason


def coverage_table(result: BenchmarkResult) -> pl.DataFrame:
    """Per region of the rubric's levels and year scored: evidence share and rank status.

    ``status``: ``ranked``, ``insufficient_evidence``, or ``no_figures`` (the region has
    figures in other years but none the rubric reads in this one).
    """
    totals: pl.DataFrame = result.totals
    criteria: pl.DataFrame = result.criteria
    n_disclosed = (criteria.filter(pl.col("value").is_not_null()
                                          & (pl.col("status") != "not_applicable"))
                   .group_by("region_code", "year").len("n_disclosed"))
    grid = (totals.select("region_code").unique()
            .join(totals.select("year").unique(), how="cross"))
    return (grid.join(totals.select("region_code", "year", "evidence_share", "rank",
                                    "verdict"), on=["region_code", "year"], how="left")
            .join(n_disclosed, on=["region_code", "year"], how="left")
            .with_columns(pl.col("n_disclosed").fill_null(0).cast(pl.Int32),
                          pl.when(pl.col("verdict").is_null()).then(pl.lit("no_figures"))
                          .when(pl.col("rank").is_null()).then(pl.lit("insufficient_evidence"))
                          .otherwise(pl.lit("ranked")).alias("status"))
            .select("region_code", "year", "evidence_share", "n_disclosed", "status")
            .sort("region_code", "year"))


def _version() -> str:
    return __version__


def _indicator_names() -> dict[str, str]:
    return dict(load_catalog().indicators.select("code", "name_zh").iter_rows())


def _summary(*, meta: ReportMeta, totals: pl.DataFrame, verdict: str,
             outcomes: pl.DataFrame, allow_invalid: bool,
             settings: BenchmarkSettings) -> dict[str, Any]:
    counts = dict(totals.group_by("verdict").len().iter_rows())
    failed = outcomes.filter(~pl.col("success")) if outcomes.height else outcomes
    return {
        "generator": f"fzcompare {meta.version}",
        "as_of": meta.as_of,
        "year": meta.year,
        "dataset": meta.dataset,
        "synthetic": meta.synthetic,
        "criteria": {"id": meta.criteria_id, "version": meta.criteria_version,
                     "sha256": getattr(settings, "criteria_sha256", None)
                     or meta.criteria_sha, "pass_line": meta.pass_line},
        "validation": {
            "status": verdict, "allowed_invalid": bool(allow_invalid and verdict == "fail"),
            "failed_expectations": [
                {k: r[k] for k in ("suite", "expectation", "severity", "unexpected_count")}
                for r in failed.sort("suite", "expectation").iter_rows(named=True)],
        },
        "totals": {"regions": totals.height, "pass": counts.get("pass", 0),
                   "fail": counts.get("fail", 0), "vetoed": counts.get("vetoed", 0),
                   "missing_evidence": counts.get("missing_evidence", 0),
                   "insufficient_evidence": counts.get("insufficient_evidence", 0),
                   "ranked": totals.filter(pl.col("rank").is_not_null()).height},
        "evidence": {"min_evidence": meta.min_evidence, "rank_basis": "points_on_evidence",
                     "year_reason": meta.year_reason,
                     "notes": list(getattr(settings, "notes", ()))},
        "ranking": [
            {"region_code": r["region_code"], "peer_group": r["peer_group"], "rank": r["rank"],
             "prev_rank": r["prev_rank"], "rank_change": r["rank_change"],
             "points_earned": r["points_earned"], "share": r["share"],
             "evidence_share": r["evidence_share"], "share_on_evidence": r["share_on_evidence"],
             "share_common_set": r["share_common_set"], "verdict": r["verdict"]}
            for r in totals.sort("peer_group", "rank", "region_code",
                                 nulls_last=True).iter_rows(named=True)],
    }


def _draw_charts(
    *,
    observations: pl.DataFrame,
    result: BenchmarkResult,
    year_criteria: pl.DataFrame,
    changes: pl.DataFrame,
    year: int,
    criteria_set: CriteriaSet,
    focus: list[str] | None,
    synthetic: bool,
    labels: Mapping[str, str],
    step: Progress,
    workers: int | None,
) -> tuple[list[ChartImage], dict[str, list[ChartImage]]]:
    images: list[ChartImage] = []
    totals = result.totals
    year_totals = totals.filter(pl.col("year") == year)

    def add(chart_id: str, fig: Figure, alt: str, caption: str,
            into: list[ChartImage] = images) -> None:
        into.append(ChartImage(id=chart_id, uri=_uri(fig), alt=alt, caption=caption))
        fig.clear()

    for group in sorted(set(year_totals["peer_group"].to_list())):
        group_name = peer_group_label(group)
        members = (year_totals.filter(pl.col("peer_group") == group)
                   .sort("rank", "region_code", nulls_last=True)["region_code"].to_list())
        slug = safe_filename(group)
        for start in range(0, len(members), 60):
            chunk = members[start:start + 60]
            part = f" ({start + 1}–{start + len(chunk)} by rank)" if len(members) > 60 else ""
            add(f"heatmap-{slug}-{start}", charts.criteria_heatmap(
                year_criteria, year=year, regions=chunk, labels=labels,
                synthetic=synthetic), f"Criteria met by region, {group_name}{part}",
                f"Criteria met, partly met, not met or missing in {year}: {group_name}{part}.")
        ranked_totals = totals.filter(pl.col("rank").is_not_null())
        ranked_members = [c for c in members if c in set(
            year_totals.filter(pl.col("rank").is_not_null())["region_code"].to_list())]
        if (ranked_members and ranked_totals.filter(pl.col("peer_group") == group)
                ["year"].n_unique() > 1):
            bump = (ranked_members if len(ranked_members) <= 20
                    else ranked_members[:10] + ranked_members[-10:])
            movers = _movers(year_totals.filter(pl.col("region_code").is_in(bump)))
            add(f"bump-{slug}", charts.rank_bump(
                ranked_totals, regions=bump, peer_group=group, labels=labels,
                highlight=movers if len(bump) > 7 else None, synthetic=synthetic),
                f"Rank over the years, {group_name}",
                f"Rank within {group_name} by year" + (" (top 10 and bottom 10 of "
                                                  f"{year})" if len(members) > 20 else "")
                + ("; in colour: the top 3 and the two largest rank changes in "
                   f"{year}, the others grey" if len(bump) > 7 else "") + ".")
    indicator_names = _indicator_names()
    for code in _headline_indicators(criteria_set, observations, limit=2):
        name = indicator_names.get(code, code)
        year_changes = changes.filter((pl.col("indicator_code") == code)
                                      & (pl.col("year") == year)
                                      & pl.col("prev_value").is_not_null())
        if year_changes.height:
            for scope in sorted(set(year_changes["scope"].to_list())):
                add(f"yoy-{safe_filename(code)}-{safe_filename(scope)}", charts.yoy_dumbbell(
                    changes, indicator_code=code, year=year, scope=scope, labels=labels,
                    synthetic=synthetic), f"Year-over-year change of {name} ({scope})",
                    f"{name} ({scope}): each region's previous reported value (hollow) and "
                    f"its {year} value, coloured by verdict.")
        for scope in _spread_scopes(observations, code):
            add(f"dispersion-{safe_filename(code)}-{safe_filename(scope)}",
                charts.dispersion_chart(observations, indicator_code=code, scope=scope,
                                        labels=labels, synthetic=synthetic),
                f"Spread of {name} ({scope}) across regions by year",
                f"Spread of {name} across regions ({scope}) by year; a falling coefficient "
                "of variation means regions are converging.")

    # Profiles and bullet charts only for ranked regions: for the others they would draw
    # criteria never reported on as zeros.
    scored = set(year_totals.filter(pl.col("rank").is_not_null())["region_code"].to_list())
    wanted = [c for c in (focus if focus is not None else year_totals.sort(
        "peer_group", "rank", "region_code", nulls_last=True)["region_code"].to_list())
        if c in scored]
    peer_of = dict(year_totals.select("region_code", "peer_group").iter_rows())
    year_areas = result.areas.filter(pl.col("year") == year)
    bullets = focus is not None or len(wanted) <= BULLET_CHART_LIMIT
    jobs = [_RegionJob(code=code, year=year, synthetic=synthetic, bullet=bullets,
                       label=labels.get(code, code),
                       labels={code: labels.get(code, code)},
                       areas=year_areas.filter(pl.col("peer_group") == peer_of[code]),
                       criteria=year_criteria.filter(pl.col("region_code") == code))
            for code in wanted]
    per_region: dict[str, list[ChartImage]] = {}
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if len(jobs) < 8 or workers < 2:
        for job in jobs:
            step(f"profile {job.code}")
            per_region[job.code] = _region_charts(job)
        return images, per_region

    # spawn, not fork: polars' thread pool does not survive a fork.
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        for done, (job, charts_of_region) in enumerate(
                zip(jobs, pool.map(_region_charts, jobs, chunksize=4), strict=True), 1):
            step(f"profiles {done}/{len(jobs)}")
            per_region[job.code] = charts_of_region
    return images, per_region


def _movers(year_totals: pl.DataFrame) -> list[str]:
    """The top 3 by rank and the two largest rank changes (drawn in colour in a bump chart)."""
    ranked = year_totals.filter(pl.col("rank").is_not_null())
    top = ranked.sort("rank", "region_code").head(3)["region_code"].to_list()
    moved = (ranked.filter(pl.col("rank_change").is_not_null() & (pl.col("rank_change") != 0)
                           & ~pl.col("region_code").is_in(top))
             .sort(pl.col("rank_change").abs(), "region_code", descending=[True, False])
             .head(2)["region_code"].to_list())
    return [*top, *moved]


MIN_SPREAD_REGIONS: Final[int] = 5
"""Regions a year needs before the report draws its spread (a box and CV of 2 are noise)."""


def _spread_scopes(observations: pl.DataFrame, code: str) -> list[str]:
    """Scopes of ``code`` where two years or more each have ``MIN_SPREAD_REGIONS`` regions."""
    counts = (observations.filter(pl.col("indicator_code") == code)
              .group_by("scope", "year").agg(pl.col("region_code").n_unique().alias("n")))
    years = (counts.filter(pl.col("n") >= MIN_SPREAD_REGIONS)
             .group_by("scope").agg(pl.len().alias("years")))
    return sorted(years.filter(pl.col("years") >= 2)["scope"].to_list())


@dataclass(frozen=True)
class _RegionJob:
    code: str
    year: int
    synthetic: bool
    bullet: bool
    label: str
    labels: dict[str, str]
    areas: pl.DataFrame
    criteria: pl.DataFrame


def _uri(fig: Figure) -> str:
    return charts.figure_to_data_uri(fig, dpi=REPORT_DPI, colors=REPORT_COLORS)


def _region_charts(job: _RegionJob) -> list[ChartImage]:
    """A region's profile and bullet charts (top level, so worker processes can run it)."""
    profile = charts.area_profile(job.areas, region_code=job.code, year=job.year,
                                  labels=job.labels, synthetic=job.synthetic)
    out = [ChartImage(id=f"profile-{job.code}", uri=_uri(profile),
                      alt=f"Area profile of {job.label}",
                      caption="Share of each area's points, against the peer median.")]
    profile.clear()
    if job.bullet:
        bullet = charts.bullet_chart(job.criteria, region_code=job.code, year=job.year,
                                     labels=job.labels, synthetic=job.synthetic)
        out.append(ChartImage(id=f"bullet-{job.code}", uri=_uri(bullet),
                              alt=f"Values against thresholds, {job.label}",
                              caption="Each criterion's value against its threshold."))
        bullet.clear()
    return out


def _render(tables: ReportTables, *, meta: ReportMeta, year: int,
            charts: tuple[list[ChartImage], dict[str, list[ChartImage]]],
            focus: list[str] | None, embed_font: bool,
            sections: Sequence[SmallNumbersSection | UncertaintySection],
            ) -> tuple[str, str, dict[str, str]]:
    """HTML, Markdown and region pages: one page, or an index and region pages (national).

    The extra sections (small numbers, uncertainty) go into the single page; a national
    report keeps them in its Markdown and in ``tables/`` so the index page stays small.
    """
    markdown_sections = "".join("\n" + section.markdown + "\n" for section in sections)
    if focus is None and _national.is_national(tables.totals, year=year):
        national = _national.render_national(tables, meta=meta, year=year, charts=charts[0],
                                             embed_font=embed_font)
        return (national.index_html, national.markdown + markdown_sections,
                dict(national.pages))
    context = build_context(tables, meta=meta, year=year, charts=charts[0],
                            region_charts=charts[1], sections_for=focus)
    html_text = render_html(context, embed_font=embed_font,
                            sections=[section.html for section in sections])
    return html_text, render_markdown(context) + markdown_sections, {}


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True,
                       default=str) + "\n").encode("utf-8")


def write_report(report: Report, out_dir: str | Path, *,
                 formats: Sequence[str] = ("html", "md", "json", "csv"),
                 dataset_version: int | None = None) -> list[Path]:
    """Write the report's files atomically under ``out_dir``; returns the paths written.

    With ``dataset_version`` (the dataset version the report read), ``manifest.json`` also
    records it under ``"dataset_version"``, so a scheduled report can be reproduced with
    ``--version``.

    ``html`` → ``index.html``; ``md`` → ``report.md``; ``json`` → ``summary.json``;
    ``csv``/``parquet`` → ``tables/<name>.csv|parquet``; with ``csv`` also
    ``tables/tables.xlsx`` (every table, one sheet each, plus notes). File names never
    come from data.
    ``manifest.json`` (always written, last) holds the SHA-256 of every other file.

    Examples:
        >>> import tempfile
        >>> import datetime as dt
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> from fzcompare.store import dataset_regions, load, load_sources
        >>> rubric = rubric_raw_example()  # one criterion: online services >= 90 %
        >>> rubric["areas"][0]["criteria"][0]["threshold"] = 95
        >>> cities = load("datasets/demo").filter(
        ...     pl.col("region_code").is_in(["420300", "420500", "420600"]))
        >>> report = build_report(cities, parse_criteria(rubric),
        ...     sources=load_sources("datasets/demo"),
        ...     regions_table=dataset_regions("datasets/demo"),
        ...     as_of=dt.date(2025, 1, 15), charts=False, embed_font=False)
        >>> out = Path(tempfile.mkdtemp())
        >>> written = write_report(report, out, formats=("html", "md", "json", "csv"))
        >>> for path in written:
        ...     print(path.relative_to(out).as_posix())
        index.html
        report.md
        summary.json
        tables/areas.csv
        tables/changes.csv
        tables/common_set.csv
        tables/coverage.csv
        tables/criteria.csv
        tables/rate_intervals.csv
        tables/tables.xlsx
        tables/totals.csv
        tables/validation.csv
        tables/what_it_would_take.csv
        manifest.json
        >>> "合成数据" in (out / "index.html").read_text(encoding="utf-8")
        True
    """
    unknown = set(formats) - FORMATS
    if unknown:
        msg = f"unknown report format(s): {', '.join(sorted(unknown))}"
        raise FzcompareError(msg,
                             hint=f"choose from {', '.join(sorted(FORMATS))}")
    out = Path(out_dir)
    files: dict[Path, bytes] = {}
    if "html" in formats:
        files[out / "index.html"] = report.html.encode("utf-8")
        files.update({out / path: page.encode("utf-8") for path, page in report.pages.items()})
    if "md" in formats:
        files[out / "report.md"] = report.markdown.encode("utf-8")
    if "json" in formats:
        files[out / "summary.json"] = _json_bytes(report.summary)
    for name, table in sorted(report.tables.items()):
        flat = table.with_columns(pl.col(pl.List(pl.String())).list.join("; "))
        if "csv" in formats:
            files[out / "tables" / f"{name}.csv"] = flat.write_csv().encode("utf-8")
        if "parquet" in formats:
            buffer = io.BytesIO()
            table.write_parquet(buffer, compression="zstd")
            files[out / "tables" / f"{name}.parquet"] = buffer.getvalue()
    if "csv" in formats and report.tables:
        files[out / "tables" / "tables.xlsx"] = _tables_xlsx(report)
    for path, data in files.items():
        atomic_write_bytes(path, data)
    manifest: dict[str, object] = {str(p.relative_to(out)): hashlib.sha256(d).hexdigest()
                                   for p, d in sorted(files.items())}
    if dataset_version is not None:
        manifest["dataset_version"] = dataset_version
    atomic_write_bytes(out / "manifest.json", _json_bytes(manifest))
    return [*sorted(files), out / "manifest.json"]
