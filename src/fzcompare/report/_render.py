"""Turn benchmark, trends and validation tables into the report's template context and HTML.

Everything here is a pure function of its inputs: no clock, no randomness, sorted tables, so the
same inputs give byte-identical output.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import markupsafe
import polars as pl

from fzcompare.charts._fonts import chart_font

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
    """One inline chart: a ``data:image/png;base64,...`` URI with alt text and caption.

    Examples:
        >>> from fzcompare.charts import figure_to_data_uri, rank_bump
        >>> totals = pl.DataFrame({"region_code": ["420300", "420500"] * 2,
        ...                        "year": [2022, 2022, 2023, 2023], "rank": [2, 1, 1, 2]})
        >>> image = ChartImage(id="ranks", uri=figure_to_data_uri(rank_bump(totals), dpi=50),
        ...                    alt="Ranks 2022-2023", caption="Rank within the peer group.")
        >>> image.uri.startswith("data:image/png;base64,")
        True
    """

    id: str
    uri: str
    alt: str
    caption: str


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
        >>> meta = dict.fromkeys(["version", "as_of", "dataset", "criteria_id", "criteria_name",
        ...     "criteria_version", "criteria_sha", "criteria_source", "prev_year_text"], "")
        >>> meta |= {"title": "对标报告", "year": 2023, "pass_share": 0.6,
        ...          "pass_line": "60 % of 10 points", "synthetic": False, "invalid": False}
        >>> context = build_context(tables, meta=meta, year=2023, charts=[],
        ...                         region_charts={})
        >>> for row in context["ranking"][0]["rows"]:
        ...     print(row["rank"], row["change"], row["name"], row["share"], row["verdict"])
        1 ▲1 十堰市 100.0 % pass
        2 ▼1 宜昌市 0.0 % fail
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
            {"rank": row["rank"], **dict(zip(("change", "change_css"),
                                             _rank_change(row["rank_change"]), strict=True)),
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
                     for r in wide.select("region_code", *area_ids).iter_rows()],
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
             "short_by": _short_by(r["verdict"], r["short"]),
             "steps": steps.get(r["region_code"], "no combination of the scored criteria reaches it"
                                if r["verdict"] != "vetoed" else "lift the veto first")}
            for r in picked.iter_rows(named=True)]})

    wanted = set(sections_for) if sections_for else None
    criteria = tables.criteria.filter(pl.col("year") == year)
    if wanted is not None:
        criteria = criteria.filter(pl.col("region_code").is_in(sorted(wanted)))
    criteria_of = criteria.sort("region_code", "area_id", "criterion_id").partition_by(
        "region_code", as_dict=True, maintain_order=True)
    sections = []
    for row in totals.iter_rows(named=True):
        code = row["region_code"]
        if wanted is not None and code not in wanted:
            continue
        crit = criteria_of.get((code,), criteria.clear())
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
    """``value`` escaped inside ``<bdi>``: a name from the data (which may hold right-to-left
    text or a U+202E override) cannot reorder the text around it.

    Used as the template filter ``bdi`` on every data-derived name.

    Examples:
        >>> str(bidi_isolated("宜昌\u202e<b>市"))
        '<bdi>宜昌\u202e&lt;b&gt;市</bdi>'
    """
    return markupsafe.Markup("<bdi>{}</bdi>").format(value)


def render_html(context: Mapping[str, Any], *, embed_font: bool = True) -> str:
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
        >>> meta = dict.fromkeys(["version", "as_of", "dataset", "criteria_id", "criteria_name",
        ...     "criteria_version", "criteria_sha", "criteria_source", "prev_year_text"], "")
        >>> meta |= {"title": "对标报告", "year": 2023, "pass_share": 0.6,
        ...          "pass_line": "60 % of 10 points", "synthetic": False, "invalid": False}
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
    page = env.get_template("report.html.j2").render(**context)
    css = font_face_css(page) if embed_font else ""
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
    """A short Markdown summary (ranking and verdicts) for mail bodies and chat posts.

    Examples:
        >>> row = {"rank": 1, "change": "▲1", "name": "十堰市", "share": "100.0 %",
        ...        "verdict_label": "pass 达标"}
        >>> context = {"meta": {"title": "对标报告", "year": 2023, "synthetic": False},
        ...     "summary_text": "1 of 2 regions reach the pass line in 2023.",
        ...     "validation": {"verdict": "pass", "text": "No expectation failed."},
        ...     "ranking": [{"name": "prefecture/420000", "rows": [row, {**row, "rank": 2,
        ...         "change": "▼1", "name": "A|<b>", "share": "0.0 %",
        ...         "verdict_label": "fail 未达标"}]}]}
        >>> print(render_markdown(context))
        # 对标报告 · 2023
        <BLANKLINE>
        1 of 2 regions reach the pass line in 2023.
        <BLANKLINE>
        Validation: pass. No expectation failed.
        <BLANKLINE>
        ## prefecture/420000
        <BLANKLINE>
        | rank | change | region | share | verdict |
        |---:|---:|---|---:|---|
        | 1 | ▲1 | 十堰市 | 100.0 % | pass 达标 |
        | 2 | ▼1 | A\\|&lt;b&gt; | 0.0 % | fail 未达标 |
        <BLANKLINE>
    """
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
