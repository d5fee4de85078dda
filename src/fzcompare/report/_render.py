"""Turn benchmark, trends and validation tables into the report's template context and HTML.

Everything here is a pure function of its inputs: no clock, no randomness, sorted tables, so the
same inputs give byte-identical output.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

__all__ = ["ChartImage", "ReportTables", "render_html", "render_markdown", "safe_filename"]

_VERDICT_LABELS: Final[dict[str, str]] = {
    "pass": "pass 达标", "fail": "fail 未达标", "vetoed": "vetoed 一票否决",
    "missing_evidence": "missing evidence 缺少材料",
}
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
class ChartImage:
    """One inline chart: a ``data:image/png;base64,...`` URI with alt text and caption."""

    id: str
    uri: str
    alt: str
    caption: str


@dataclass(frozen=True)
class ReportTables:
    """The tables a report is rendered from (column contracts of benchmark/trends/validate)."""

    totals: pl.DataFrame
    areas: pl.DataFrame
    criteria: pl.DataFrame
    changes: pl.DataFrame
    what_it_would_take: pl.DataFrame
    validation_outcomes: pl.DataFrame
    sources: pl.DataFrame
    region_names: Mapping[str, str]
    indicator_names: Mapping[str, str]


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.{digits}f}"
    return str(value)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def _rank_change(change: int | None) -> tuple[str, str]:
    if change is None:
        return "new", ""
    if change > 0:
        return f"▲{change}", "up"
    if change < 0:
        return f"▼{-change}", "down"
    return "=", ""


def _name(names: Mapping[str, str], code: str) -> str:
    return names.get(code, code)


def build_context(
    tables: ReportTables,
    *,
    meta: Mapping[str, Any],
    year: int,
    charts: Sequence[ChartImage],
    region_charts: Mapping[str, Sequence[ChartImage]],
    sections_for: Sequence[str] | None = None,
    top_n: int = 10,
) -> dict[str, Any]:
    """The Jinja context of ``report.html.j2`` (plain Python values, sorted, formatted)."""
    regions = tables.region_names
    totals = tables.totals.filter(pl.col("year") == year).sort(
        "peer_group", "rank", "region_code")
    ranking = []
    for (group,), rows in totals.group_by(["peer_group"], maintain_order=True):
        ranking.append({"name": group, "rows": [
            {"rank": row["rank"], "change": _rank_change(row["rank_change"])[0],
             "change_css": _rank_change(row["rank_change"])[1],
             "region_code": row["region_code"], "name": _name(regions, row["region_code"]),
             "points": _fmt(row["points_earned"], 1), "share": _pct(row["share"]),
             "verdict": row["verdict"], "verdict_label": _VERDICT_LABELS.get(row["verdict"],
                                                                             row["verdict"]),
             "n_missing": row["n_missing"]}
            for row in rows.iter_rows(named=True)]})

    areas = tables.areas.filter(pl.col("year") == year)
    area_groups = []
    for (group,), rows in areas.group_by(["peer_group"], maintain_order=True):
        wide = rows.pivot(on="area_id", index="region_code", values="share",
                          sort_columns=True).sort("region_code")
        area_ids = [c for c in wide.columns
                    if c != "region_code" and wide[c].null_count() < wide.height]
        area_name = dict(rows.select("area_id", "area_name").unique().iter_rows())
        order = totals.filter(pl.col("peer_group") == group)["region_code"].to_list()
        wide = wide.join(pl.DataFrame({"region_code": order}).with_row_index("_o"),
                         on="region_code", how="left").sort("_o", "region_code").drop("_o")
        area_groups.append({
            "name": group,
            "area_names": [area_name[a] for a in area_ids],
            "rows": [{"name": _name(regions, r[0]), "shares": [_pct(v) for v in r[1:]]}
                     for r in wide.iter_rows()],
            "median": [_pct(wide[a].median()) for a in area_ids],  # type: ignore[arg-type]
        })

    changes = tables.changes.filter(pl.col("year") == year)
    blocks = []
    for title, verdict, css, descending in (("Biggest improvements", "improved", "up", True),
                                            ("Biggest declines", "worsened", "down", True)):
        picked = (changes.filter((pl.col("verdict") == verdict)
                                 & pl.col("change_pct").is_not_null())
                  .with_columns(pl.col("change_pct").abs().alias("_size"))
                  .sort(["_size", "region_code", "indicator_code"],
                        descending=[descending, False, False]).head(top_n))
        blocks.append({"title": title, "css": css, "rows": [
            {"region": _name(regions, r["region_code"]),
             "indicator": _name(tables.indicator_names, r["indicator_code"]),
             "prev_value": _fmt(r["prev_value"]), "value": _fmt(r["value"]),
             "change": f"{r['change_pct']:+.1f} %"}
            for r in picked.iter_rows(named=True)]})

    steps = _steps_by_region(tables.what_it_would_take.filter(pl.col("year") == year),
                             tables.indicator_names)
    below = totals.filter(pl.col("verdict") != "pass").with_columns(
        (pl.lit(float(meta["pass_share"])) - pl.col("share")).alias("short"))
    pass_blocks = []
    for title, descending in (("Closest to the pass line", False),
                              ("Furthest from the pass line", True)):
        picked = below.sort(["short", "region_code"], descending=[descending, False]).head(5)
        pass_blocks.append({"title": title, "rows": [
            {"region_code": r["region_code"], "name": _name(regions, r["region_code"]),
             "share": _pct(r["share"]),
             "short_by": _pct(r["short"]) if r["verdict"] != "vetoed" else "vetoed",
             "steps": steps.get(r["region_code"], "no combination of the scored criteria reaches it"
                                if r["verdict"] != "vetoed" else "lift the veto first")}
            for r in picked.iter_rows(named=True)]})

    wanted = set(sections_for) if sections_for else None
    criteria = tables.criteria.filter(pl.col("year") == year)
    sections = []
    for row in totals.iter_rows(named=True):
        code = row["region_code"]
        if wanted is not None and code not in wanted:
            continue
        crit = criteria.filter(pl.col("region_code") == code).sort("area_id", "criterion_id")
        text, _ = _rank_change(row["rank_change"])
        sections.append({
            "region_code": code, "name": _name(regions, code), "peer_group": row["peer_group"],
            "rank": row["rank"], "rank_change_text": f" ({text})",
            "points": _fmt(row["points_earned"], 1), "share": _pct(row["share"]),
            "verdict": row["verdict"],
            "verdict_label": _VERDICT_LABELS.get(row["verdict"], row["verdict"]),
            "vetoed_by": row["vetoed_by"],
            "charts": list(region_charts.get(code, ())),
            "criteria": [{"area": c["area_name"], "name": c["criterion_name"],
                          "value": _fmt(c["value"]), "threshold": _threshold(c),
                          "status": c["status"],
                          "points": f"{_fmt(c['points_earned'], 2)} / "
                                    f"{_fmt(c['points_possible'], 2)}",
                          "bar": _bar_width(c["points_earned"], c["points_possible"]),
                          "gap": _fmt(c["gap"])}
                         for c in crit.iter_rows(named=True)],
        })

    outcomes = tables.validation_outcomes
    failed = outcomes.filter(~pl.col("success")).sort("severity", "suite", "expectation") \
        if outcomes.height else outcomes
    n_errors = failed.filter(pl.col("severity") == "error").height if failed.height else 0
    n_warn = failed.filter(pl.col("severity") == "warning").height if failed.height else 0
    verdict = ("not run" if outcomes.height == 0 else
               "fail" if n_errors else ("warn" if n_warn else "pass"))
    validation = {
        "verdict": verdict, "css": {"fail": "fail", "warn": "missing_evidence",
                                    "pass": "pass", "not run": "missing"}[verdict],
        "text": (f"{outcomes.height} expectations checked: {n_errors} error-severity and "
                 f"{n_warn} warning-severity expectations failed." if outcomes.height
                 else "Validation was not run."),
        "rows": [{"suite": r["suite"], "expectation": r["expectation"],
                  "severity": r["severity"], "unexpected_count": r["unexpected_count"]}
                 for r in failed.iter_rows(named=True)] if failed.height else [],
    }

    counts = totals.group_by("verdict").len()
    by_verdict = dict(counts.iter_rows())
    cards = [{"value": totals.height, "label": "regions assessed"},
             {"value": by_verdict.get("pass", 0), "label": "pass"},
             {"value": by_verdict.get("fail", 0), "label": "fail"},
             {"value": by_verdict.get("vetoed", 0), "label": "vetoed"},
             {"value": by_verdict.get("missing_evidence", 0), "label": "missing evidence"},
             {"value": verdict, "label": "validation"}]
    summary_text = (f"{by_verdict.get('pass', 0)} of {totals.height} regions reach the pass line "
                    f"({meta['pass_line']}) in {year}.")

    used = tables.sources.sort("source_id")
    return {
        "meta": dict(meta), "summary_cards": cards, "summary_text": summary_text,
        "validation": validation, "ranking": ranking, "areas": area_groups,
        "changes": blocks, "pass_line": pass_blocks, "charts": list(charts),
        "region_sections": sections,
        "sources": [{k: ("" if v is None else v) for k, v in s.items()}
                    for s in used.iter_rows(named=True)],
    }


def _bar_width(earned: float | None, possible: float | None) -> int | None:
    if not possible or earned is None:
        return None
    return max(0, min(100, round(100 * earned / possible)))


def _threshold(row: Mapping[str, Any]) -> str:
    if row["comparator"] == "exists":
        return "exists"
    low = _fmt(row["threshold"])
    if row.get("threshold_high") is not None:
        return f"{low}–{_fmt(row['threshold_high'])}"
    return f"{row['comparator']} {low}"


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


def render_html(context: Mapping[str, Any], *, embed_font: bool = True) -> str:
    """Render ``report.html.j2`` with autoescaping (all data-derived text is escaped).

    With ``embed_font``, the page carries a subset of the charts' CJK font (only the
    characters it uses) as an inline ``@font-face``, so Chinese text renders on machines
    without a CJK font, offline and in mail.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fzcompare.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    page = env.get_template("report.html.j2").render(**context)
    css = font_face_css(page) if embed_font else ""
    return page.replace(_FONT_PLACEHOLDER, css, 1)


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule with the CJK chart font subset to the characters of ``text``.

    The subset is deterministic (no timestamps), so the page stays byte-identical.
    """
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from fzcompare._charts_fonts import chart_font

    face = chart_font()
    characters = {chr(c) for c in range(0x20, 0x7F)}
    characters.update(c for c in text if ord(c) > 0x7F)
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    font = TTFont(face.path, fontNumber=face.face_index, lazy=True, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ('@font-face { font-family: "fzcompare CJK"; font-display: block; '
            f'src: url(data:font/otf;base64,{encoded}) format("opentype"); }}')


def render_markdown(context: Mapping[str, Any]) -> str:
    """A short Markdown summary (ranking and verdicts) for mail bodies and chat posts."""
    meta = context["meta"]
    lines = [f"# {meta['title']} · {meta['year']}", ""]
    if meta.get("synthetic"):
        lines += [f"**合成数据 / SYNTHETIC DATA** — {meta['synthetic_note']}", ""]
    lines += [context["summary_text"], "",
              f"Validation: {context['validation']['verdict']}. {context['validation']['text']}",
              ""]
    for group in context["ranking"]:
        lines += [f"## {group['name']}", "", "| rank | change | region | share | verdict |",
                  "|---:|---:|---|---:|---|"]
        lines += [f"| {r['rank']} | {r['change']} | {_md(r['name'])} | {r['share']} | "
                  f"{r['verdict_label']} |" for r in group["rows"]]
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return html.escape(text).replace("|", "\\|")
