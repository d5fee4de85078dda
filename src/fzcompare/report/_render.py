"""Turn benchmark, trends and validation tables into the report's template context and HTML.

Everything here is a pure function of its inputs: no clock, no randomness, sorted tables, so the
same inputs give byte-identical output. The context is typed (``_context``): frozen dataclasses
whose text is already formatted.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

import markupsafe
import polars as pl

from fzcompare.charts._fonts import chart_font
from fzcompare.charts._labels import peer_group_label
from fzcompare.report._context import (
    AreaGroup,
    AreaRow,
    ChangeBlock,
    ChangeRow,
    ChartImage,
    CommonGroup,
    CommonRow,
    CoverageCell,
    CoverageRow,
    CoverageView,
    CriterionRow,
    PassBlock,
    PassRow,
    RankingGroup,
    RankingRow,
    RegionSection,
    ReportContext,
    ReportMeta,
    SourceRow,
    SummaryCard,
    UnrankedRow,
    ValidationRow,
    ValidationView,
)
from fzcompare.report._format import change_size, format_change

__all__ = ["ChartImage", "ReportContext", "ReportMeta", "ReportTables", "build_context",
           "render_html", "render_markdown", "safe_filename"]

_VERDICT_LABELS: Final[dict[str, str]] = {
    "pass": "pass 达标", "fail": "fail 未达标", "vetoed": "vetoed 一票否决",
    "missing_evidence": "missing evidence 缺少材料",
    "insufficient_evidence": "not ranked: insufficient evidence 公开数据不足",
}
STATUS_LABELS: Final[dict[str, str]] = {
    "met": "met 达标", "partial": "partly met 部分达标", "not_met": "not met 未达标",
    "missing": "not disclosed 未公开", "not_applicable": "not applicable 不适用",
}
"""How a criterion's status reads in the report (the tables keep the codes)."""
SPARSE_BELOW: Final[float] = 0.8
"""A dataset is reported as sparse (the report opens with coverage) when a region-year is not
ranked or its disclosed figures carry less than this share of the points."""
_SAFE_NAME: Final = re.compile(r"[^0-9A-Za-z._-]+")


def safe_filename(name: str, *, max_length: int = 80) -> str:
    """A file name derived from untrusted text: no separators, no dot-dot, bounded length.

    Examples:
        >>> safe_filename("../../etc/passwd")
        'etc_passwd'
        >>> safe_filename("<script>十堰</script>")
        'script_script'
        >>> safe_filename("...")
        'unnamed'
    """
    cleaned = _SAFE_NAME.sub("_", name).strip("._-")
    cleaned = re.sub(r"_+", "_", cleaned)[:max_length].strip("._-")
    return cleaned or "unnamed"


@dataclass(frozen=True)
class ReportTables:
    """The tables a report is rendered from (column contracts of benchmark/trends/validate).

    Examples:
        The tables of a two-city benchmark, turned into the template context:

        >>> from fzcompare.benchmark import benchmark, what_it_would_take
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> from fzcompare.trends import year_over_year
        >>> obs = pl.DataFrame({"region_code": ["420300", "420500"] * 2,
        ...     "year": [2022] * 2 + [2023] * 2, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "value": [85.0, 91.0, 92.3, 88.0], "unit": ["%"] * 4,
        ...     "qualifier": ["eq"] * 4, "source_id": ["r1"] * 4, "quote": [""] * 4})
        >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
        >>> tables = ReportTables(totals=result.totals, areas=result.areas,
        ...     criteria=result.criteria, changes=year_over_year(obs),
        ...     what_it_would_take=what_it_would_take(result, year=2023),
        ...     validation_outcomes=pl.DataFrame(schema={"suite": pl.String,
        ...         "expectation": pl.String, "severity": pl.String, "success": pl.Boolean,
        ...         "unexpected_count": pl.Int64}),
        ...     sources=pl.DataFrame({"source_id": ["r1"], "title": ["十堰市2023年报告"],
        ...         "kind": ["report"], "publisher": ["十堰市人民政府"], "url": [""], "rows": [4]}),
        ...     region_names={"420300": "十堰市", "420500": "宜昌市"},
        ...     indicator_names={"gov_service_online_rate": "政务服务网上可办率"})
        >>> meta = ReportMeta(title="对标报告", year=2023, pass_share=0.6,
        ...                   pass_line="60 % of 10 points")
        >>> context = build_context(tables, meta=meta, year=2023, charts=[],
        ...                         region_charts={})
        >>> for row in context.ranking[0].rows:
        ...     print(row.rank, row.change, row.name, row.share, row.verdict_label)
        1 ▲1 十堰市 100.0 % pass 达标
        2 ▼1 宜昌市 0.0 % fail 未达标
        >>> [(c.name, c.status_label, c.needs) for c in context.region_sections[1].criteria]
        [('online services', 'not met 未达标', 'raise by 2 to 90')]
    """

    totals: pl.DataFrame
    areas: pl.DataFrame
    criteria: pl.DataFrame
    changes: pl.DataFrame
    what_it_would_take: pl.DataFrame
    validation_outcomes: pl.DataFrame
    sources: pl.DataFrame
    region_names: Mapping[str, str]
    indicator_names: Mapping[str, str]
    common_set: pl.DataFrame | None = None
    coverage: pl.DataFrame | None = None
    """``region_code, year, evidence_share, n_disclosed, status`` for every region of the
    rubric's levels in the dataset and every year (``status``: ranked, insufficient_evidence
    or no_figures)."""


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.{digits}f}"
    return str(value)


def _num(value: Any, digits: int = 2) -> str:
    """A number rounded for reading: whole numbers without decimals, others to ``digits``."""
    if isinstance(value, float) and not math.isnan(value):
        text = _fmt(round(value, digits), digits)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return _fmt(value, digits)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def _rank_change(change: int | None) -> tuple[str, str]:
    if change is None:
        return "–", ""
    if change > 0:
        return f"▲{change}", "up"
    if change < 0:
        return f"▼{-change}", "down"
    return "=", ""


def _rank_sureness(row: Mapping[str, Any]) -> tuple[str, str]:
    """The rank's 90 % interval and the change's ``P(rank improved)`` when simulated."""
    low, high = row.get("rank_p05"), row.get("rank_p95")
    interval = "" if low is None or high is None else (
        f"{low}" if low == high else f"{low}–{high}")
    p = row.get("p_rank_improved")
    return interval, "" if p is None else f"P(improved) {100 * p:.0f} %"


def _name(names: Mapping[str, str], code: str) -> str:
    return names.get(code, code)


def build_context(
    tables: ReportTables,
    *,
    meta: ReportMeta,
    year: int,
    charts: Sequence[ChartImage],
    region_charts: Mapping[str, Sequence[ChartImage]],
    sections_for: Sequence[str] | None = None,
    top_n: int = 10,
) -> ReportContext:
    """The typed context of ``report.html.j2`` (formatted text, sorted rows)."""
    totals = tables.totals.filter(pl.col("year") == year).sort(
        "peer_group", "rank", "region_code")
    coverage = _coverage(tables, totals, year=year, min_evidence=meta.min_evidence)
    sparse = tables.coverage is not None and _coverage(
        tables, totals, year=year, min_evidence=0.5) is not None
    outcomes = tables.validation_outcomes
    validation = _validation(outcomes)
    cards, summary_text = _summary_cards(totals, meta=meta, year=year,
                                         validation=validation.verdict)
    return ReportContext(
        meta=meta, summary_cards=cards, summary_text=summary_text,
        area_note=("Share of each area's points earned on the criteria with a disclosed "
                   "figure (– : nothing disclosed in the area); ranked regions only; peer "
                   "median over the regions with evidence in the last row." if sparse else
                   "Share of each area's points earned on the criteria with a disclosed "
                   "figure (– : nothing disclosed in the area); peer median over the "
                   "disclosed shares in the last row of each group."),
        n_ranked=totals.filter(pl.col("rank").is_not_null()).height,
        validation=validation, ranking=_ranking(totals, tables.region_names),
        areas=_area_groups(tables, totals, year=year, sparse=sparse),
        changes=_change_blocks(tables, totals, year=year, top_n=top_n),
        pass_line=_pass_blocks(tables, totals, year=year, pass_share=meta.pass_share),
        charts=tuple(charts),
        region_sections=_region_sections(tables, totals, year=year, sections_for=sections_for,
                                         region_charts=region_charts),
        coverage=coverage, sources=_sources(tables.sources))


def _group_name(group: object) -> str:
    """A peer group as words (湖北省 · 地级), its id kept in brackets for the tables."""
    words = peer_group_label(group)
    return words if words == str(group) else f"{words} ({group})"


def _area_groups(tables: ReportTables, totals: pl.DataFrame, *, year: int, sparse: bool
                 ) -> tuple[AreaGroup, ...]:
    # Area shares and their peer medians rest on disclosed figures only (issue 16): a figure
    # not disclosed is left out, never counted as zero points, dense panel or sparse.
    shown = (totals.filter(pl.col("rank").is_not_null()) if sparse else totals)["region_code"]
    areas = area_shares_on_evidence(tables.criteria.filter(
        (pl.col("year") == year) & pl.col("region_code").is_in(shown.implode())))
    groups = []
    for (group,), rows in areas.group_by(["peer_group"], maintain_order=True):
        wide = rows.pivot(on="area_id", index="region_code", values="share",
                          sort_columns=True).sort("region_code")
        area_ids = [c for c in wide.columns
                    if c != "region_code" and wide[c].null_count() < wide.height]
        area_name = dict(rows.select("area_id", "area_name").unique().iter_rows())
        order = totals.filter(pl.col("peer_group") == group)["region_code"].to_list()
        wide = wide.join(pl.DataFrame({"region_code": order}).with_row_index("_o"),
                         on="region_code", how="left").sort("_o", "region_code").drop("_o")
        groups.append(AreaGroup(
            name=_group_name(group), area_names=tuple(area_name[a] for a in area_ids),
            rows=tuple(AreaRow(name=_name(tables.region_names, r[0]),
                               shares=tuple(_pct(v) for v in r[1:]))
                       for r in wide.select("region_code", *area_ids).iter_rows()),
            median=tuple(_pct(wide[a].median()) for a in area_ids)))  # type: ignore[arg-type]
    return tuple(groups)


def _pass_blocks(tables: ReportTables, totals: pl.DataFrame, *, year: int, pass_share: float
                 ) -> tuple[PassBlock, ...]:
    steps = _steps_by_region(tables.what_it_would_take.filter(pl.col("year") == year),
                             tables.indicator_names)
    below = totals.filter(~pl.col("verdict").is_in(["pass", "insufficient_evidence"])
                          ).with_columns((pl.lit(float(pass_share)) - pl.col("share")
                                          ).alias("short"))
    blocks = []
    for title, descending in (("Closest to the pass line", False),
                              ("Furthest from the pass line", True)):
        picked = below.sort(["short", "region_code"], descending=[descending, False]).head(5)
        blocks.append(PassBlock(title=title, rows=tuple(
            PassRow(region_code=r["region_code"], name=_name(tables.region_names,
                                                              r["region_code"]),
                    share=_pct(r["share"]), short_by=_short_by(r["verdict"], r["short"]),
                    steps=steps.get(r["region_code"],
                                    "no combination of the scored criteria reaches it"
                                    if r["verdict"] != "vetoed" else "lift the veto first"))
            for r in picked.iter_rows(named=True))))
    return tuple(blocks)


def _region_sections(tables: ReportTables, totals: pl.DataFrame, *, year: int,
                     sections_for: Sequence[str] | None,
                     region_charts: Mapping[str, Sequence[ChartImage]],
                     ) -> tuple[RegionSection, ...]:
    wanted = set(sections_for) if sections_for else None
    criteria = tables.criteria.filter(pl.col("year") == year)
    if wanted is not None:
        criteria = criteria.filter(pl.col("region_code").is_in(sorted(wanted)))
    criteria_of = criteria.sort("region_code", "area_id", "criterion_id").partition_by(
        "region_code", as_dict=True, maintain_order=True)
    criterion_names = dict(tables.criteria.select("criterion_id", "criterion_name")
                           .unique(maintain_order=True).iter_rows())
    sections = []
    for row in totals.iter_rows(named=True):
        code = row["region_code"]
        if wanted is not None and code not in wanted:
            continue
        crit = criteria_of.get((code,), criteria.clear())
        text, _ = _rank_change(row["rank_change"])
        interval, p_improved = _rank_sureness(row)
        text += f", {p_improved}" if p_improved and row["rank_change"] is not None else ""
        text += f"; 90 % interval {interval}" if interval else ""
        vetoes = [v for v in (row["vetoed_by"] or "").split(",") if v]
        sections.append(RegionSection(
            region_code=code, name=_name(tables.region_names, code),
            peer_group=peer_group_label(row["peer_group"]),
            rank=str(row["rank"]) if row["rank"] is not None else "–",
            rank_change_text=f" ({text})" if row["rank"] is not None else " (not ranked)",
            evidence=_pct(row["evidence_share"]),
            share_on_evidence=_pct(row["share_on_evidence"]),
            points=_fmt(row["points_earned"], 1), share=_pct(row["share"]),
            verdict=row["verdict"],
            verdict_label=_VERDICT_LABELS.get(row["verdict"], row["verdict"]),
            vetoed_by="、".join(criterion_names.get(v, v) for v in vetoes),
            charts=tuple(region_charts.get(code, ())),
            criteria=tuple(_criterion_row(c) for c in crit.iter_rows(named=True))))
    return tuple(sections)


def _criterion_row(c: Mapping[str, Any]) -> CriterionRow:
    return CriterionRow(
        area=c["area_name"], name=c["criterion_name"], value=_num(c["value"]),
        threshold=_threshold(c), status=c["status"],
        status_label=STATUS_LABELS.get(c["status"], c["status"]),
        points=f"{_num(c['points_earned'])} / {_num(c['points_possible'])}",
        bar=_bar_width(c["points_earned"], c["points_possible"]), needs=_needs(c))


def _needs(c: Mapping[str, Any]) -> str:
    """What a criterion still needs for full points, in words (no signed gap to decode).

    Examples:
        >>> _needs({"status": "not_met", "gap": 2.5, "required_value": 95.0, "value": 92.5})
        'raise by 2.5 to 95'
        >>> _needs({"status": "partial", "gap": -1.2, "required_value": 5.0, "value": 6.2})
        'lower by 1.2 to 5'
        >>> _needs({"status": "met", "gap": 0.0, "required_value": 95.0, "value": 98.0})
        ''
    """
    if c["status"] == "met":
        return ""
    if c["status"] in ("missing", "not_applicable") or c.get("value") is None:
        return ""
    gap = c.get("gap")
    required = c.get("required_value")
    if gap is None or (isinstance(gap, float) and math.isnan(gap)) or gap == 0:
        return ""
    direction = "raise" if gap > 0 else "lower"
    target = f" to {_num(required)}" if required is not None else ""
    return f"{direction} by {_num(abs(gap))}{target}"


def _validation(outcomes: pl.DataFrame) -> ValidationView:
    failed = (outcomes.filter(~pl.col("success")).sort("severity", "suite", "expectation")
              if outcomes.height else outcomes)
    n_errors = failed.filter(pl.col("severity") == "error").height if failed.height else 0
    n_warn = failed.filter(pl.col("severity") == "warning").height if failed.height else 0
    verdict = ("not run" if outcomes.height == 0 else
               "fail" if n_errors else ("warn" if n_warn else "pass"))
    return ValidationView(
        verdict=verdict, css={"fail": "fail", "warn": "missing_evidence", "pass": "pass",
                              "not run": "missing"}[verdict],
        text=(f"{outcomes.height} expectations checked: {n_errors} error-severity and "
              f"{n_warn} warning-severity expectations failed." if outcomes.height
              else "Validation was not run."),
        rows=tuple(ValidationRow(suite=r["suite"], expectation=r["expectation"],
                                 severity=r["severity"],
                                 unexpected_count=r["unexpected_count"])
                   for r in failed.iter_rows(named=True)) if failed.height else ())


def _sources(sources: pl.DataFrame) -> tuple[SourceRow, ...]:
    return tuple(SourceRow(source_id=s["source_id"] or "", title=s["title"] or "",
                           kind=s["kind"] or "", publisher=s["publisher"] or "",
                           url=s["url"] or "", rows=int(s["rows"] or 0))
                 for s in sources.sort("source_id").iter_rows(named=True))


def _ranking(totals: pl.DataFrame, regions: Mapping[str, str]) -> tuple[RankingGroup, ...]:
    """Per peer group: the ranked rows in rank order, and the rows that could not be ranked."""
    groups = []
    for (group,), rows in totals.group_by(["peer_group"], maintain_order=True):
        ranked: list[RankingRow] = []
        unranked: list[RankingRow] = []
        for row in rows.iter_rows(named=True):
            change, css = _rank_change(row["rank_change"])
            interval, p_improved = _rank_sureness(row)
            entry = RankingRow(
                rank=row["rank"], change=change, change_css=css,
                region_code=row["region_code"], name=_name(regions, row["region_code"]),
                points=_fmt(row["points_earned"], 1), share=_pct(row["share"]),
                evidence=_pct(row["evidence_share"]),
                share_on_evidence=_pct(row["share_on_evidence"]),
                share_common_set=_pct(row["share_common_set"]), verdict=row["verdict"],
                verdict_label=_VERDICT_LABELS.get(row["verdict"], row["verdict"]),
                n_missing=row["n_missing"],
                # ranked on its disclosed figures, but the rubric's verdict is that evidence
                # is missing: the rank is not a standing under the rubric
                rank_caveat=row["rank"] is not None and row["verdict"] == "missing_evidence",
                interval=interval or "", p_improved=p_improved or "")
            (ranked if row["rank"] is not None else unranked).append(entry)
        groups.append(RankingGroup(name=_group_name(group), rows=tuple(ranked),
                                   unranked=tuple(unranked)))
    return tuple(groups)


def _change_blocks(tables: ReportTables, totals: pl.DataFrame, *, year: int, top_n: int
                   ) -> tuple[ChangeBlock, ...]:
    """Biggest improvements and declines per peer group (regions of one level only).

    Rates change in percentage points, counts in relative % (``_format.format_change``).
    """
    peer_of = totals.select("region_code", "peer_group")
    changes = tables.changes.filter(pl.col("year") == year).join(
        peer_of, on="region_code", how="inner")
    changes = changes.with_columns(pl.struct("unit", "change_abs", "change_pct").map_elements(
        lambda r: change_size(r["unit"], r["change_abs"], r["change_pct"]),
        return_dtype=pl.Float64()).alias("_size"))
    groups = sorted(set(peer_of["peer_group"].to_list()))
    blocks = []
    for group in groups:
        for title, verdict, css in (("Biggest improvements", "improved", "up"),
                                    ("Biggest declines", "worsened", "down")):
            picked = (changes.filter((pl.col("peer_group") == group)
                                     & (pl.col("verdict") == verdict)
                                     & pl.col("_size").is_not_null())
                      .with_columns(pl.col("_size").abs())
                      .sort(["_size", "region_code", "indicator_code"],
                            descending=[True, False, False]).head(top_n))
            label = f"{title} ({_group_name(group)})" if len(groups) > 1 else title
            blocks.append(ChangeBlock(title=label, css=css, rows=tuple(
                ChangeRow(region=_name(tables.region_names, r["region_code"]),
                          indicator=_name(tables.indicator_names, r["indicator_code"]),
                          prev_value=_num(r["prev_value"]), value=_num(r["value"]),
                          change=format_change(r["unit"], r["change_abs"], r["change_pct"]))
                for r in picked.iter_rows(named=True))))
    return tuple(blocks)


def _summary_cards(totals: pl.DataFrame, *, meta: ReportMeta, year: int,
                   validation: str) -> tuple[tuple[SummaryCard, ...], str]:
    by_verdict = dict(totals.group_by("verdict").len().iter_rows())
    ranked = totals.filter(pl.col("rank").is_not_null()).height
    unranked = by_verdict.get("insufficient_evidence", 0)
    cards = tuple(SummaryCard(value=str(value), label=label) for value, label in (
        (totals.height, "regions assessed"), (ranked, "ranked on evidence"),
        (unranked, "not ranked (too little evidence)"), (by_verdict.get("pass", 0), "pass"),
        (by_verdict.get("fail", 0), "fail"), (by_verdict.get("vetoed", 0), "vetoed"),
        (by_verdict.get("missing_evidence", 0), "missing evidence"),
        (validation, "validation")))
    text = (f"{ranked} of {totals.height} regions disclosed figures for at least "
            f"{100 * meta.min_evidence:.0f} % of the rubric's points in {year} and are ranked; "
            f"{by_verdict.get('pass', 0)} reach the pass line ({meta.pass_line}).")
    if unranked:
        text += (f" {unranked} could not be ranked: their reports disclose too few of the "
                 "figures the rubric scores.")
    if meta.zero_policy_note:
        text += " " + meta.zero_policy_note
    if meta.year_reason:
        text += " " + meta.year_reason
    return cards, text


def _coverage(tables: ReportTables, totals: pl.DataFrame, *, year: int, min_evidence: float
              ) -> CoverageView | None:
    """Who disclosed what, per year, and the common set; None when the data is not sparse."""
    del totals  # the coverage table already holds every region of the rubric's levels
    coverage = tables.coverage
    if coverage is None or coverage.height == 0:
        return None
    sparse = coverage.filter((pl.col("status") != "ranked")
                             | (pl.col("evidence_share") < SPARSE_BELOW)).height > 0
    if not sparse:
        return None
    years = sorted(set(coverage["year"].to_list()))
    rows = []
    for (code,), cells in coverage.sort("region_code").group_by(["region_code"],
                                                                maintain_order=True):
        by_year = {r["year"]: r for r in cells.iter_rows(named=True)}
        rows.append(CoverageRow(name=_name(tables.region_names, code),
                                cells=tuple(_coverage_cell(by_year.get(y)) for y in years)))
    unranked = tuple(
        UnrankedRow(name=_name(tables.region_names, r["region_code"]),
                    reason=("no figures for this year in the dataset"
                            if r["status"] == "no_figures" else
                            f"disclosed figures carry {_pct(r['evidence_share'])} of the "
                            f"points possible (needs {100 * min_evidence:.0f} %)"))
        for r in coverage.filter((pl.col("year") == year) & (pl.col("status") != "ranked"))
        .sort("status", "region_code").iter_rows(named=True))
    return CoverageView(years=tuple(years), rows=tuple(rows), unranked=unranked,
                        common=_common_set_rows(tables, year=year))


def _coverage_cell(cell: Mapping[str, Any] | None) -> CoverageCell:
    labels = {"ranked": "ranked", "insufficient_evidence": "not ranked",
              "no_figures": "no figures"}
    if cell is None:
        return CoverageCell(text="–", css="no_figures", title="no figures")
    shown = ("–" if cell["status"] == "no_figures"
             else f"{_pct(cell['evidence_share'])} · {cell['n_disclosed']}")
    return CoverageCell(text=shown, css=cell["status"], title=labels[cell["status"]])


def _common_set_rows(tables: ReportTables, *, year: int) -> tuple[CommonGroup, ...]:
    common = tables.common_set
    if common is None or common.height == 0:
        return ()
    names = tables.indicator_names
    criterion_names = dict(tables.criteria.select("criterion_id", "criterion_name")
                           .unique(maintain_order=True).iter_rows())
    disclosed = tables.criteria.filter((pl.col("year") == year) & pl.col("value").is_not_null()
                                       & (pl.col("status") != "not_applicable"))
    values: dict[tuple[str, str], list[str]] = {}
    for r in disclosed.sort("region_code").iter_rows(named=True):
        values.setdefault((r["peer_group"], r["criterion_id"]), []).append(
            f"{_name(tables.region_names, r['region_code'])} {_num(r['value'])} "
            f"({STATUS_LABELS.get(r['status'], r['status'])})")
    groups = []
    for (group,), rows in (common.filter((pl.col("year") == year)
                                         & (pl.col("regions_disclosing") > 0))
                           .sort("peer_group", "share_disclosing", "criterion_id",
                                 descending=[False, True, False])
                           .group_by(["peer_group"], maintain_order=True)):
        groups.append(CommonGroup(
            name=_group_name(group), n_common=int(rows["in_common_set"].sum()),
            rows=tuple(CommonRow(
                criterion=criterion_names.get(r["criterion_id"], r["criterion_id"]),
                indicator=_name(names, r["indicator_code"]),
                disclosed=f"{r['regions_disclosing']} of {r['regions']}",
                disclosed_values="; ".join(values.get((group, r["criterion_id"]), [])),
                common=bool(r["in_common_set"])) for r in rows.iter_rows(named=True))))
    return tuple(groups)


def area_shares_on_evidence(criteria: pl.DataFrame) -> pl.DataFrame:
    """Share of each area's points earned on the criteria with a disclosed figure.

    Bonus and veto items and criteria not applicable to the level are left out; an area
    without any disclosed figure has a null share (no evidence, not 0 %).

    Examples:
        >>> rows = pl.DataFrame({"region_code": ["a", "a", "b"], "year": [2023] * 3,
        ...     "peer_group": ["g"] * 3, "area_id": ["A1"] * 3, "area_name": ["x"] * 3,
        ...     "rule": ["linear"] * 3, "status": ["met", "missing", "missing"],
        ...     "value": [95.0, None, None], "points_earned": [2.0, 0.0, 0.0],
        ...     "points_possible": [2.0, 2.0, 2.0]})
        >>> area_shares_on_evidence(rows).select("region_code", "share").rows()
        [('a', 1.0), ('b', None)]
    """
    disclosed = (pl.col("value").is_not_null() & (pl.col("status") != "not_applicable")
                 & ~pl.col("rule").is_in(["bonus", "veto"]))
    return (criteria.group_by("region_code", "year", "peer_group", "area_id", "area_name",
                              maintain_order=True)
            .agg(pl.when(disclosed).then(pl.col("points_earned")).sum().alias("_earned"),
                 pl.when(disclosed).then(pl.col("points_possible")).sum().alias("_possible"))
            .with_columns(pl.when(pl.col("_possible") > 0)
                          .then(pl.col("_earned") / pl.col("_possible")).alias("share"))
            .drop("_earned", "_possible").sort("region_code", "area_id"))


def _bar_width(earned: float | None, possible: float | None) -> int | None:
    if not possible or earned is None:
        return None
    return max(0, min(100, round(100 * earned / possible)))


_SIGNS: Final[dict[str, str]] = {">=": "≥", "<=": "≤", "==": "=", ">": ">", "<": "<"}


def _threshold(row: Mapping[str, Any]) -> str:
    """The rule in words: ``≥ 95``, ``5–20``, ``≥ 90 (full at 100)`` for a linear rule.

    Examples:
        >>> _threshold({"comparator": ">=", "threshold": 90.0, "threshold_high": 100.0})
        '≥ 90 (full at 100)'
        >>> _threshold({"comparator": "between", "threshold": 5.0, "threshold_high": 20.0})
        '5–20'
    """
    comparator = row["comparator"]
    if comparator == "exists":
        return "exists"
    low, high = _num(row["threshold"]), row.get("threshold_high")
    if comparator == "between" and high is not None:
        return f"{low}–{_num(high)}"
    rule = f"{_SIGNS.get(comparator, comparator)} {low}"
    if high is not None:
        rule += (f" (full at {_num(high)})" if comparator in (">=", ">")
                 else f" (none from {_num(high)})")
    return rule


def _short_by(verdict: str, short: float | None) -> str:
    """How far below the pass line; a region above it fails for a veto or missing evidence."""
    if verdict == "vetoed":
        return "vetoed"
    if short is not None and short <= 0 and verdict == "missing_evidence":
        return "evidence missing"
    return _pct(short)


def _steps_by_region(plan: pl.DataFrame, names: Mapping[str, str]) -> dict[str, str]:
    steps: dict[str, list[str]] = {}
    if plan.height == 0:
        return {}
    for row in plan.sort("region_code", "cumulative_points").iter_rows(named=True):
        steps.setdefault(row["region_code"], []).append(
            f"{_name(names, row['indicator_code'])}: {_fmt(row['current_value'])} → "
            f"{_fmt(row['required_value'])}")
    return {code: "; ".join(items) for code, items in steps.items()}


_FONT_PLACEHOLDER: Final[str] = "/*FZ-FONT-FACE*/"


def bidi_isolated(value: Any) -> Any:
    """``value`` escaped inside ``<bdi>``, so a name from the data cannot reorder its page.

    A name may hold right-to-left text or a U+202E override.

    Used as the template filter ``bdi`` on every data-derived name.

    Examples:
        >>> str(bidi_isolated("宜昌\u202e<b>市"))
        '<bdi>宜昌\u202e&lt;b&gt;市</bdi>'
    """
    return markupsafe.Markup("<bdi>{}</bdi>").format(value)


def render_html(context: ReportContext, *, embed_font: bool = True,
                sections: Sequence[str] = ()) -> str:
    """Render ``report.html.j2`` with autoescaping (all data-derived text is escaped).

    With ``embed_font``, the page carries a subset of the charts' CJK font (only the
    characters it uses) as an inline ``@font-face``, so Chinese text renders on machines
    without a CJK font, offline and in mail.

    Examples:
        A region name holding markup is printed as text, never as markup:

        >>> from fzcompare.benchmark import benchmark, what_it_would_take
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> from fzcompare.trends import year_over_year
        >>> obs = pl.DataFrame({"region_code": ["420300", "420500"] * 2,
        ...     "year": [2022] * 2 + [2023] * 2, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "value": [85.0, 91.0, 92.3, 88.0], "unit": ["%"] * 4,
        ...     "qualifier": ["eq"] * 4, "source_id": ["r1"] * 4, "quote": [""] * 4})
        >>> result = benchmark(obs, parse_criteria(rubric_raw_example()))
        >>> tables = ReportTables(totals=result.totals, areas=result.areas,
        ...     criteria=result.criteria, changes=year_over_year(obs),
        ...     what_it_would_take=what_it_would_take(result, year=2023),
        ...     validation_outcomes=pl.DataFrame(schema={"suite": pl.String,
        ...         "expectation": pl.String, "severity": pl.String, "success": pl.Boolean,
        ...         "unexpected_count": pl.Int64}),
        ...     sources=pl.DataFrame({"source_id": ["r1"], "title": ["十堰市2023年报告"],
        ...         "kind": ["report"], "publisher": ["十堰市人民政府"], "url": [""], "rows": [4]}),
        ...     region_names={"420300": "十堰市", "420500": "宜昌<b>市"},
        ...     indicator_names={"gov_service_online_rate": "政务服务网上可办率"})
        >>> meta = ReportMeta(title="对标报告", year=2023, pass_share=0.6,
        ...                   pass_line="60 % of 10 points")
        >>> chart = ChartImage(id="c1", uri="data:image/png;base64,AAAA", alt="a chart",
        ...                    caption="A caption.")
        >>> context = build_context(tables, meta=meta, year=2023, charts=[chart],
        ...                         region_charts={})
        >>> page = render_html(context, embed_font=False)
        >>> page.startswith("<!DOCTYPE html>"), "宜昌&lt;b&gt;市" in page, "宜昌<b>市" in page
        (True, True, False)
        >>> page.count("<img"), render_html(context, embed_font=False) == page
        (1, True)
    """
    import jinja2  # heavy enough to keep out of `import fzcompare` (tests/test_import.py)

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fzcompare.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["bdi"] = bidi_isolated
    # One level only: the template reads the view rows' attributes itself.
    page = env.get_template("report.html.j2").render(
        **{f.name: getattr(context, f.name) for f in fields(context)})
    if sections:  # extra sections (already escaped HTML) go before the end of <main>
        at = page.rfind("</main>")
        page = page[:at] + "".join(sections) + page[at:]
    css = font_face_css(page) if embed_font else ""  # after the sections: their text too
    return page.replace(_FONT_PLACEHOLDER, css, 1)


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule with the CJK chart font subset to the characters of ``text``.

    The subset is deterministic (no timestamps), so the page stays byte-identical.
    """
    # heavy: fontTools only for subsetting the report's font
    from fontTools import subset
    from fontTools.ttLib import TTFont

    face = chart_font()
    characters = {chr(c) for c in range(0x20, 0x7F)}
    characters.update(c for c in text if ord(c) > 0x7F)
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    buffer = io.BytesIO()
    # closed here: a lazy TTFont keeps the font file open until it is closed
    with TTFont(face.path, fontNumber=face.face_index, lazy=True,
                recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="".join(sorted(characters)))
        subsetter.subset(font)
        font.save(buffer)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ('@font-face { font-family: "fzcompare CJK"; font-display: block; '
            f'src: url(data:font/otf;base64,{encoded}) format("opentype"); }}')


def render_markdown(context: ReportContext) -> str:
    """A short Markdown summary (ranking and verdicts) for mail bodies and chat posts.

    Examples:
        >>> row = RankingRow(rank=1, change="▲1", change_css="up", region_code="420300",
        ...     name="十堰市", points="10", share="100.0 %", evidence="100.0 %",
        ...     share_on_evidence="100.0 %", share_common_set="100.0 %", verdict="pass",
        ...     verdict_label="pass 达标", n_missing=0)
        >>> import dataclasses
        >>> other = dataclasses.replace(row, rank=2, change="▼1", name="A|<b>",
        ...     share="0.0 %", verdict="fail", verdict_label="fail 未达标")
        >>> context = ReportContext(
        ...     meta=ReportMeta(title="对标报告", year=2023, pass_share=0.6, pass_line=""),
        ...     summary_cards=(), summary_text="1 of 2 regions reach the pass line in 2023.",
        ...     area_note="", n_ranked=2, validation=ValidationView(
        ...         verdict="pass", css="pass", text="No expectation failed.", rows=()),
        ...     ranking=(RankingGroup(name="湖北省 · 地级 (prefecture/420000)",
        ...                           rows=(row, other), unranked=()),),
        ...     areas=(), changes=(), pass_line=(), charts=(), region_sections=(),
        ...     coverage=None, sources=())
        >>> print(render_markdown(context))
        # 对标报告 · 2023
        <BLANKLINE>
        1 of 2 regions reach the pass line in 2023.
        <BLANKLINE>
        Validation: pass. No expectation failed.
        <BLANKLINE>
        ## 湖北省 · 地级 (prefecture/420000)
        <BLANKLINE>
        | rank | change | region | share | verdict |
        |---:|---:|---|---:|---|
        | 1 | ▲1 | 十堰市 | 100.0 % | pass 达标 |
        | 2 | ▼1 | A\\|&lt;b&gt; | 0.0 % | fail 未达标 |
        <BLANKLINE>
    """
    meta = context.meta
    lines = [f"# {meta.title} · {meta.year}", ""]
    if meta.synthetic:
        lines += [f"**合成数据 / SYNTHETIC DATA** — {meta.synthetic_note}", ""]
    lines += [context.summary_text, "",
              f"Validation: {context.validation.verdict}. {context.validation.text}", ""]
    for group in context.ranking:
        lines += [f"## {group.name}", "", "| rank | change | region | share | verdict |",
                  "|---:|---:|---|---:|---|"]
        lines += [f"| {r.rank}{_md_extra(r.interval or None, '(', ')')} | {r.change}"
                  f"{_md_extra(r.p_improved or None, '<br>', '')} | {_md(r.name)} | "
                  f"{r.share} | {r.verdict_label} |" for r in group.rows]
        lines.append("")
    return "\n".join(lines)


def _md_extra(text: str | None, before: str, after: str) -> str:
    return f" {before}{_md(text)}{after}" if text else ""


def _md(text: str) -> str:
    return html.escape(text).replace("|", "\\|")
