"""Charts of observations, year-over-year trends and benchmark results (matplotlib).

Every chart function takes polars frames, returns a ``matplotlib.figure.Figure``
built with the object API on an Agg canvas (no pyplot, no ``plt.show()``) and leaves the
global ``rcParams`` alone: the style (Okabe–Ito colours, the CJK font) is applied through
``rc_context``. Chinese text is drawn with Noto Sans CJK SC (see ``chart_font``).

Charts of synthetic data carry a "合成数据 / SYNTHETIC" badge and watermark. Pass
``synthetic=True``, or hand in a frame whose ``source_kind`` column says ``synthetic``, whose
boolean ``synthetic`` column is true, or whose ``source_id`` starts with ``synthetic``
(what ``fzcompare.synthetic`` writes).

Names (regions, indicators, criteria, areas) come from ``labels`` (a ``code -> text``
mapping), then the bundled regions table and catalog, then the code itself; they are
drawn as plain text only.

Examples:
    >>> import polars as pl
    >>> obs = pl.DataFrame({"region_code": ["420300"] * 3, "year": [2021, 2022, 2023],
    ...     "indicator_code": ["gov_service_online_rate"] * 3, "scope": ["全市"] * 3,
    ...     "value": [92.0, 95.5, 98.1]})
    >>> fig = trend_panels(obs, thresholds={"gov_service_online_rate": 95.0})
    >>> figure_to_data_uri(fig)[:22]
    'data:image/png;base64,'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal, cast

import polars as pl

from fzcompare._charts_fonts import ChartFont, chart_font
from fzcompare._charts_labels import (
    Lang,
    Namer,
    check_lang,
    display_width,
    is_synthetic,
    legend_text,
    require_columns,
    safe_text,
    truncate,
)
from fzcompare._charts_style import (
    BLUE,
    FIG_WIDTH,
    GREY,
    INK,
    LIGHT_GREY,
    MUTED,
    SAVE_DPI,
    SKY_BLUE,
    STATUS_STYLE,
    VERDICT_STYLE,
    VERMILLION,
    chart_context,
    data_uri,
    figure_bytes,
    finish,
    label_inches,
    new_figure,
    palette_png,
    series_style,
    text,
    write_bytes,
)
from fzcompare.errors import ChartError

if TYPE_CHECKING:
    import os

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.projections.polar import PolarAxes

__all__ = [
    "OBSERVATION_COLUMNS",
    "TRENDS_COLUMNS",
    "ChartFont",
    "area_profile",
    "bullet_chart",
    "chart_font",
    "criteria_heatmap",
    "dispersion_chart",
    "figure_to_data_uri",
    "rank_bump",
    "save_png",
    "trend_panels",
    "yoy_dumbbell",
]

OBSERVATION_COLUMNS = ("region_code", "year", "indicator_code", "scope", "value")
"""Observation columns the charts need (``qualifier``, ``unit`` are used when present)."""
TRENDS_COLUMNS = ("region_code", "indicator_code", "scope", "year", "prev_year", "value",
                  "prev_value", "change_abs", "verdict")
"""Year-over-year frame columns ``yoy_dumbbell`` needs (``change_pct`` when present)."""
CRITERIA_COLUMNS = ("region_code", "year", "area_id", "area_name", "criterion_id",
                    "criterion_name", "indicator_code", "status")
BULLET_COLUMNS = (*CRITERIA_COLUMNS, "comparator", "threshold", "threshold_high", "value",
                  "points_possible", "points_earned")
AREAS_COLUMNS = ("region_code", "year", "peer_group", "area_id", "area_name",
                 "points_possible", "points_earned", "share")
TOTALS_COLUMNS = ("region_code", "year", "rank")

MAX_SERIES = 21
"""Lines one chart can tell apart (7 colours × 3 dash patterns)."""
MAX_PANELS = 30
MAX_GRID_REGIONS = 80
"""Columns of ``criteria_heatmap`` and lines of ``rank_bump`` that stay legible."""


def _too_many(what: str, count: int, limit: int, thing: str, hint: str) -> ChartError:
    return ChartError(f"{what}: {count} {thing} are too many for one chart (at most {limit})",
                      reason=f"too_many_{thing}", hint=hint)

Thresholds = Mapping[str, "float | tuple[float | None, float | None]"] | pl.DataFrame

_COMPARATOR_SIGN = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "between": "",
                    "exists": ""}
_COMPARATOR_ALIASES = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "==", "=": "=="}
"""The criteria module writes ``>=, <=, ==, between, exists``; word forms are accepted too."""
_FULL_ZONE = "#C9C9C9"
_PARTIAL_ZONE = "#E1E1E1"


# ---------------------------------------------------------------- small helpers


def _num(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    value = round(value, 6)
    text_value = f"{value:,.0f}" if abs(value) >= 1000 or value == int(value) else (
        f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}")
    return f"{text_value}{unit}" if unit in ("%", "‰") else text_value


def _signed(value: float) -> str:
    """A change with its sign, one decimal, more when that would round a change to zero.

    Examples:
        >>> _signed(2.345), _signed(-0.04), _signed(0.0), _signed(1234.5)
        ('+2.3', '-0.04', '±0', '+1,234.5')
    """
    if value == 0:
        return "±0"
    decimals = 1 if abs(value) >= 0.05 else 2 if abs(value) >= 0.005 else 3
    return f"{value:+,.{decimals}f}"


def _latest_year(frame: pl.DataFrame, year: int | None, what: str) -> int:
    if year is not None:
        return int(year)
    if frame.height == 0 or frame["year"].drop_nulls().len() == 0:
        raise ChartError(f"{what}: no rows to draw", reason="no_data")
    return int(frame["year"].drop_nulls().max())  # type: ignore[arg-type]


def _one_value(frame: pl.DataFrame, column: str, given: object, what: str) -> Any:
    if given is not None:
        return given
    values = frame[column].drop_nulls().unique().sort().to_list()
    if len(values) == 1:
        return values[0]
    if not values:
        raise ChartError(f"{what}: no rows to draw", reason="no_data", column=column)
    shown = ", ".join(map(str, values[:8])) + (" ..." if len(values) > 8 else "")
    raise ChartError(f"{what}: the frame holds several {column} values ({shown})",
                     reason="ambiguous", column=column, hint=f"pass {column}=... to pick one")


def _nonempty(frame: pl.DataFrame, what: str, hint: str | None = None) -> pl.DataFrame:
    if frame.height == 0:
        raise ChartError(f"{what}: no rows left to draw", reason="no_data", hint=hint)
    return frame


def _ordered(values: Sequence[Any], preferred: Sequence[Any] | None) -> list[Any]:
    present = list(dict.fromkeys(values))
    if preferred is None:
        return sorted(present, key=str)
    chosen = [v for v in preferred if v in set(present)]
    return chosen


def _threshold_map(thresholds: Thresholds | None) -> dict[str, list[tuple[float | None,
                                                                          float | None]]]:
    if thresholds is None:
        return {}
    out: dict[str, list[tuple[float | None, float | None]]] = {}
    if isinstance(thresholds, pl.DataFrame):
        require_columns(thresholds, ("indicator_code", "threshold"), what="thresholds frame")
        cols = ["indicator_code", "threshold"] + (
            ["threshold_high"] if "threshold_high" in thresholds.columns else [])
        for row in thresholds.select(cols).unique(maintain_order=True).iter_rows(named=True):
            pair = (_num(row["threshold"]), _num(row.get("threshold_high")))
            if pair != (None, None):
                out.setdefault(str(row["indicator_code"]), []).append(pair)
        return out
    for code, spec in thresholds.items():
        pair = (_num(spec[0]), _num(spec[1])) if isinstance(spec, tuple) else (_num(spec), None)
        if pair != (None, None):
            out.setdefault(str(code), []).append(pair)
    return out


def _axis_title(ax: Axes, label: str, *, side: Literal["left", "right"] = "left",
                color: str = INK) -> None:
    """A y-axis title set horizontally above the axis (CJK reads badly when rotated)."""
    ax.set_ylabel(label, rotation=0, color=color, fontsize=8.5,
                  ha="left" if side == "left" else "right", va="bottom")
    ax.yaxis.set_label_coords(0.0 if side == "left" else 1.0, 1.015)


def _legend_width(ncols: int, width: float = FIG_WIDTH) -> int:
    return max(12, int(width / ncols * 72 / 8.0 * 2) - 8)


def _unit_label(lang: Lang, unit: str) -> str:
    if not unit:
        return text(lang, "value")
    unit = safe_text(unit)
    return f"{text(lang, 'value')}（{unit}）" if lang == "zh" else f"{text(lang, 'value')} ({unit})"


def _with_gaps(xs: list[int], ys: list[float]) -> tuple[list[float], list[float]]:
    """Insert a break (NaN) where years are missing, so lines do not bridge gaps."""
    out_x: list[float] = []
    out_y: list[float] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i and x - xs[i - 1] > 1:
            out_x.append((x + xs[i - 1]) / 2)
            out_y.append(math.nan)
        out_x.append(float(x))
        out_y.append(y)
    return out_x, out_y


def _year_axis(ax: Axes, years: Sequence[int]) -> None:
    from matplotlib.ticker import MaxNLocator

    lo, hi = min(years), max(years)
    ax.set_xlim(lo - 0.4, hi + 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    ax.grid(axis="x", visible=False)


# ---------------------------------------------------------------- trend small multiples


def trend_panels(
    observations: pl.DataFrame,
    *,
    indicators: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    scope: str | None = None,
    panel_by: Literal["indicator", "region"] = "indicator",
    thresholds: Thresholds | None = None,
    ncols: int | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Small multiples of values over the years: one panel per indicator (or per region).

    Within a panel there is one line per region (or per indicator) and scope; colours are
    consistent across panels. Values with a qualifier other than ``eq`` (约, 超过, 以上 ...)
    are drawn as hollow points.

    Args:
        observations: Observation rows (``region_code, year, indicator_code, scope, value``;
            ``qualifier`` and ``unit`` are used when present).
        indicators: Indicator codes to draw, in panel order (default: all, sorted).
        regions: Region codes to draw, in order (default: all, sorted).
        scope: Keep only this scope (default: every scope, named in the legend when
            there are several).
        panel_by: ``indicator`` (a panel per indicator, lines per region) or ``region``.
        thresholds: ``indicator_code -> threshold`` or ``-> (low, high)``, or a frame with
            ``indicator_code, threshold[, threshold_high]`` (e.g. the benchmark criteria
            frame); drawn as dashed lines (a band for a range).
        ncols: Panels per row (default up to 3).
        lang: ``zh`` or ``en`` (names from ``name_en``).
        labels: ``code -> display name`` overriding the catalog and regions table.
        title: Figure title (default: a generic one).
        synthetic: Force the synthetic-data mark (it is also detected from the frame).

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or more than 21 lines per panel.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 3 + ["420500"] * 3,
        ...     "year": [2021, 2022, 2023] * 2, "indicator_code": ["gov_service_online_rate"] * 6,
        ...     "scope": ["全市"] * 6, "value": [92.0, 95.5, 98.1, 90.0, 93.0, 94.2]})
        >>> fig = trend_panels(obs, thresholds={"gov_service_online_rate": 95.0}, lang="en",
        ...                    labels={"gov_service_online_rate": "Services online"})
        >>> [ax.get_title(loc="left") for ax in fig.axes]  # one panel per indicator
        ['Services online (%)']
        >>> [text.get_text() for text in fig.axes[0].texts]  # the threshold line's label
        ['threshold 95']
        >>> [text.get_text() for text in fig.subfigs[1].legends[0].get_texts()]
        ['Shiyan', 'Yichang']
    """
    lang_ = check_lang(lang)
    require_columns(observations, OBSERVATION_COLUMNS, what="observations")
    namer = Namer(lang_, labels)
    mark = is_synthetic(observations, synthetic)
    frame = observations
    if indicators is not None:
        frame = frame.filter(pl.col("indicator_code").is_in(list(indicators)))
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    if scope is not None:
        frame = frame.filter(pl.col("scope") == scope)
    frame = _nonempty(frame.filter(pl.col("value").is_not_null() & pl.col("year").is_not_null()),
                      "trend_panels", hint="check the indicators/regions/scope filters")
    panel_col = "indicator_code" if panel_by == "indicator" else "region_code"
    line_col = "region_code" if panel_by == "indicator" else "indicator_code"
    panel_keys = _ordered(frame[panel_col].to_list(),
                          indicators if panel_by == "indicator" else regions)
    line_keys = _ordered(frame[line_col].to_list(),
                         regions if panel_by == "indicator" else indicators)
    scopes = sorted(set(frame["scope"].to_list()))
    series = [(k, s) for k in line_keys for s in scopes
              if frame.filter((pl.col(line_col) == k) & (pl.col("scope") == s)).height]
    if len(series) > MAX_SERIES:
        raise ChartError(f"trend_panels: {len(series)} lines per panel are too many to tell "
                         f"apart (at most {MAX_SERIES})", reason="too_many_series",
                         hint="pass regions=[...] or indicators=[...] or scope=...")
    name_of = namer.region if line_col == "region_code" else namer.indicator
    panel_name = namer.indicator if panel_col == "indicator_code" else namer.region
    limits = _threshold_map(thresholds)
    years = [int(y) for y in frame["year"].to_list()]
    has_qualifier = "qualifier" in frame.columns
    has_unit = "unit" in frame.columns
    hollow_any = has_qualifier and frame.filter(
        pl.col("qualifier").is_not_null() & (pl.col("qualifier") != "eq")).height > 0
    subtitle = None
    if panel_by == "indicator" and len(line_keys) == 1:
        subtitle = name_of(line_keys[0]) + (f" · {namer.scope(scopes[0])}"
                                            if len(scopes) == 1 else "")
    elif len(scopes) == 1:
        subtitle = namer.scope(scopes[0])

    n = len(panel_keys)
    if n > MAX_PANELS:
        raise _too_many("trend_panels", n, MAX_PANELS, "panels",
                        "pass indicators=[...] or regions=[...] to choose the panels")
    cols = ncols or min(3, n)
    rows = math.ceil(n / cols)
    panel_w = FIG_WIDTH / cols
    with chart_context():
        fig, body = new_figure(
            FIG_WIDTH, 2.2 * rows + (0.35 if len(series) > 1 else 0.0), lang=lang_,
            title=title or text(lang_, "trend_title"), subtitle=subtitle,
            notes=[text(lang_, "qualified")] if hollow_any else [], synthetic=mark)
        axes = body.subplots(rows, cols, squeeze=False)
        handles: dict[tuple[str, str], Any] = {}
        for idx, key in enumerate(panel_keys):
            ax = axes[idx // cols][idx % cols]
            sub = frame.filter(pl.col(panel_col) == key)
            for s_idx, (line_key, line_scope) in enumerate(series):
                part = sub.filter((pl.col(line_col) == line_key)
                                  & (pl.col("scope") == line_scope)).sort("year")
                if part.height == 0:
                    continue
                color, dash = series_style(s_idx)
                xs, ys = _with_gaps([int(y) for y in part["year"].to_list()],
                                    [float(v) for v in part["value"].to_list()])
                (line,) = ax.plot(xs, ys, color=color, linestyle=dash, marker="o",
                                  markersize=4.5, markerfacecolor=color,
                                  markeredgecolor=color)
                handles[(line_key, line_scope)] = line
                if has_qualifier:
                    loose = part.filter(pl.col("qualifier").is_not_null()
                                        & (pl.col("qualifier") != "eq"))
                    if loose.height:
                        ax.plot([int(y) for y in loose["year"].to_list()],
                                [float(v) for v in loose["value"].to_list()], linestyle="none",
                                marker="o", markersize=4.5, markerfacecolor="white",
                                markeredgecolor=color, markeredgewidth=1.3, zorder=3)
            codes = [key] if panel_col == "indicator_code" else list(
                dict.fromkeys(sub["indicator_code"].to_list()))
            for code in codes:
                s_color = INK
                if panel_col == "region_code":
                    s_color = series_style(next(i for i, (k, _s) in enumerate(series)
                                                if k == code))[0]
                own = sub.filter(pl.col("indicator_code") == code)
                ends = own.filter(pl.col("year") == own["year"].max())["value"]
                latest = _num(ends.median()) if ends.len() else None
                for low, high in limits.get(str(code), []):
                    if low is not None and high is not None:
                        ax.axhspan(low, high, color=LIGHT_GREY, alpha=0.5, zorder=0, lw=0)
                    for level in (low, high):
                        if level is None:
                            continue
                        ax.axhline(level, color=s_color, linestyle=(0, (4, 3)), lw=1.0,
                                   zorder=1)
                        # Put the label on the side of the line away from the latest data.
                        above = latest is None or latest < level
                        ax.annotate(f"{text(lang_, 'threshold')} {_fmt(level)}",
                                    xy=(1.0, level), xycoords=("axes fraction", "data"),
                                    xytext=(-2, 2 if above else -2),
                                    textcoords="offset points", ha="right",
                                    va="bottom" if above else "top", fontsize=7,
                                    color=s_color, zorder=1.5)
            units = sorted({u for u in (sub["unit"].to_list() if has_unit else []) if u}
                           or {namer.unit(c) for c in codes} - {""})
            shown_unit = namer.unit_text(units[0]) if len(units) == 1 else ""
            unit_note = (f"（{shown_unit}）" if lang_ == "zh" else f" ({shown_unit})"
                         ) if shown_unit else ""
            cells = int((panel_w - 0.45) * 72 / 9.5 * 1.8)
            ax.set_title(_wrap(panel_name(key), cells, 2, suffix=unit_note), fontsize=9.5)
            _year_axis(ax, years)
            ax.margins(y=0.15)
        for idx in range(n, rows * cols):
            axes[idx // cols][idx % cols].set_visible(False)
        if len(series) > 1:
            show_scope = len(scopes) > 1
            legend_cols = min(4, len(handles))
            legend_labels = [legend_text(safe_text(
                name_of(k) + (f" · {namer.scope(s)}" if show_scope else ""),
                _legend_width(legend_cols) - 4)) for k, s in handles]
            body.legend(list(handles.values()), legend_labels, loc="outside lower center",
                        ncols=legend_cols, handlelength=2.6)
        return finish(fig)


# ---------------------------------------------------------------- year-over-year dumbbell


def yoy_dumbbell(
    trends: pl.DataFrame,
    *,
    indicator_code: str | None = None,
    year: int | None = None,
    scope: str | None = None,
    regions: Sequence[str] | None = None,
    sort_by: Literal["change", "value", "region"] = "change",
    max_rows: int = 40,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Previous-year → this-year dumbbells for many regions, coloured by verdict.

    A hollow grey dot marks the previous value, the coloured marker this year's value
    (▲ improved, ▼ worsened, ● unchanged, ✕ not comparable); the change is printed on
    the right.

    Args:
        trends: The year-over-year frame (``region_code, indicator_code, scope, year,
            prev_year, value, prev_value, change_abs, verdict``; ``change_pct`` optional).
        indicator_code: The indicator (needed when the frame holds several).
        year: The year (default: the latest).
        scope: Keep only this scope.
        regions: Keep only these regions.
        sort_by: Row order: ``change`` (largest increase on top), ``value`` or ``region``.
        max_rows: At most this many rows; beyond it the largest absolute changes are kept
            and a footer note says how many were left out.
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title (default: indicator and years).
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or several indicators and none chosen.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.trends import year_over_year
        >>> obs = pl.DataFrame({"region_code": ["420300", "420500", "420600"] * 2,
        ...     "year": [2022] * 3 + [2023] * 3, "indicator_code": ["gov_service_online_rate"] * 6,
        ...     "scope": ["全市"] * 6, "value": [95.5, 95.0, 90.0, 98.1, 94.2, 90.0],
        ...     "unit": ["%"] * 6})
        >>> fig = yoy_dumbbell(year_over_year(obs), lang="en",
        ...                    labels={"gov_service_online_rate": "Services online"})
        >>> fig.subfigs[0].texts[0].get_text()
        'Services online: 2022 → 2023'
        >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]  # bottom to top
        ['Yichang', 'Xiangyang', 'Shiyan']
        >>> [label.get_text() for label in fig.axes[0].child_axes[0].get_yticklabels()]
        ['-0.8 pp', '±0 pp', '+2.6 pp']
    """
    lang_ = check_lang(lang)
    require_columns(trends, TRENDS_COLUMNS, what="trends frame")
    namer = Namer(lang_, labels)
    mark = is_synthetic(trends, synthetic)
    frame = trends
    if scope is not None:
        frame = frame.filter(pl.col("scope") == scope)
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    code = str(_one_value(frame, "indicator_code", indicator_code, "yoy_dumbbell"))
    frame = frame.filter(pl.col("indicator_code") == code)
    the_year = _latest_year(frame, year, "yoy_dumbbell")
    frame = _nonempty(frame.filter(pl.col("year") == the_year), "yoy_dumbbell")
    total = frame.height
    note: list[str] = []
    if total > max_rows:
        frame = frame.sort(pl.col("change_abs").abs(), descending=True,
                           nulls_last=True).head(max_rows)
        note.append(text(lang_, "shown_of", shown=max_rows, total=total))
    show_scope = frame["scope"].n_unique() > 1
    if sort_by == "change":
        frame = frame.sort(["change_abs", "region_code"], descending=[False, False],
                           nulls_last=False)
    elif sort_by == "value":
        frame = frame.sort(["value", "region_code"], nulls_last=False)
    else:
        frame = frame.sort(["region_code", "scope"], descending=True)
    rows = list(frame.iter_rows(named=True))
    units = frame["unit"].drop_nulls().unique().to_list() if "unit" in frame.columns else []
    unit = str(units[0]) if len(units) == 1 else namer.unit(code)
    has_pct = "change_pct" in frame.columns
    names = [safe_text(namer.region(r["region_code"]) + (
        f" · {namer.scope(r['scope'])}" if show_scope else ""), 30) for r in rows]
    prev_years = sorted({int(r["prev_year"]) for r in rows if r["prev_year"] is not None})
    prev_label = str(prev_years[0]) if len(prev_years) == 1 else text(lang_, "prev")
    heading = title or text(lang_, "dumbbell_title", indicator=namer.indicator(code),
                            prev=prev_label, year=the_year)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.9 + 0.26 * len(rows), lang=lang_, title=heading,
                               subtitle=namer.scope(frame["scope"][0]) if not show_scope
                               else None,
                               notes=note, synthetic=mark)
        ax = body.add_subplot()
        right_labels: list[str] = []
        right_colors: list[str] = []
        for i, row in enumerate(rows):
            verdict = str(row["verdict"]) if row["verdict"] is not None else "not comparable"
            color, marker = VERDICT_STYLE.get(verdict, VERDICT_STYLE["not comparable"])
            value, prev = _num(row["value"]), _num(row["prev_value"])
            if value is not None and prev is not None:
                ax.plot([prev, value], [i, i], color=color, lw=2.2, alpha=0.55,
                        solid_capstyle="round", zorder=2,
                        linestyle="-" if verdict != "not comparable" else (0, (2, 2)))
            if prev is not None:
                ax.plot([prev], [i], linestyle="none", marker="o", markersize=6,
                        markerfacecolor="white", markeredgecolor=GREY, markeredgewidth=1.2,
                        zorder=3)
            if value is not None:
                ax.plot([value], [i], linestyle="none", marker=marker, markersize=7,
                        color=color, markeredgecolor="white", markeredgewidth=0.6, zorder=4)
            change = _num(row["change_abs"])
            pct = _num(row["change_pct"]) if has_pct else None
            if change is None:
                right_labels.append(text(lang_, "not comparable") if verdict ==
                                    "not comparable" else "–")
            elif unit == "%" or pct is None:
                right_labels.append(_signed(change) + (" pp" if unit == "%" else ""))
            else:
                right_labels.append(_signed(pct) + "%")
            right_colors.append(color if verdict != "unchanged" else INK)
        ax.set_yticks(range(len(rows)), labels=names)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.margins(x=0.06)
        right = ax.secondary_yaxis("right")
        right.set_yticks(range(len(rows)), labels=right_labels)
        right.tick_params(axis="y", length=0)
        right.spines["right"].set_visible(False)
        for tick, color in zip(right.get_yticklabels(), right_colors, strict=True):
            tick.set_color(color)
        if unit:
            ax.set_xlabel(_unit_label(lang_, namer.unit_text(unit)))
        from matplotlib.lines import Line2D

        present = [v for v in VERDICT_STYLE if v in {str(r["verdict"]) for r in rows}]
        handles = [Line2D([], [], linestyle="none", marker="o", markersize=6,
                          markerfacecolor="white", markeredgecolor=GREY)]
        names_legend = [prev_label]
        for verdict in present:
            color, marker = VERDICT_STYLE[verdict]
            handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=7,
                                  color=color))
            names_legend.append(f"{the_year} · {text(lang_, verdict)}")
        body.legend(handles, names_legend, loc="outside upper left",
                    ncols=min(5, len(handles)), handletextpad=0.3, columnspacing=1.2)
        return finish(fig)


# ---------------------------------------------------------------- bullet chart


def bullet_chart(
    criteria: pl.DataFrame,
    *,
    region_code: str | None = None,
    year: int | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """A region's values against its criteria thresholds, one bullet row per criterion.

    Each row has its own scale (from 0, or the lowest number involved, to a little past
    the largest): the grey band is the passing range, the black tick the threshold, the
    thin bar the value coloured by status (met / partial / not met). The numbers and
    points are printed on the right; rows are grouped by area.

    Args:
        criteria: The benchmark criteria frame (``region_code, year, area_id, area_name,
            criterion_id, criterion_name, indicator_code, comparator, threshold,
            threshold_high, value, status, points_possible, points_earned``).
        region_code: The region (needed when the frame holds several).
        year: The year (default: the region's latest).
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides (also for criterion and area ids).
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or several regions and none chosen.

    Examples:
        >>> import polars as pl
        >>> criteria = pl.DataFrame({"region_code": ["420300"] * 3, "year": [2023] * 3,
        ...     "area_id": [2, 8, 8], "area_name": ["政府职能", "矛盾化解", "矛盾化解"],
        ...     "criterion_id": ["c2.1", "c8.1", "c8.2"],
        ...     "criterion_name": ["政务服务网上可办率", "行政复议纠错率", "行政诉讼败诉率"],
        ...     "indicator_code": ["gov_service_online_rate", "reconsideration_correction_rate",
        ...                        "admin_litigation_loss_rate"],
        ...     "comparator": [">=", "between", "<="], "threshold": [95.0, 5.0, 5.0],
        ...     "threshold_high": [None, 20.0, None], "value": [98.1, 11.0, 6.2],
        ...     "status": ["met", "met", "not_met"], "points_possible": [4.0, 3.0, 3.0],
        ...     "points_earned": [4.0, 3.0, 0.0]})
        >>> fig = bullet_chart(criteria)
        >>> fig.subfigs[0].texts[0].get_text()
        '十堰市 2023 年指标对照标准'
        >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]  # areas, criteria
        ['政府职能', '政务服务网上可办率', '矛盾化解', '行政复议纠错率', '行政诉讼败诉率']
        >>> [label.get_text() for label in fig.axes[0].child_axes[0].get_yticklabels()]
        ['', '98.1% (≥95) 4/4分', '', '11% (5–20) 3/3分', '6.2% (≤5) 0/3分']
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    lang_ = check_lang(lang)
    require_columns(criteria, BULLET_COLUMNS, what="criteria frame")
    namer = Namer(lang_, labels)
    mark = is_synthetic(criteria, synthetic)
    region = str(_one_value(criteria, "region_code", region_code, "bullet_chart"))
    frame = criteria.filter(pl.col("region_code") == region)
    the_year = _latest_year(frame, year, "bullet_chart")
    frame = _nonempty(frame.filter(pl.col("year") == the_year), "bullet_chart")
    frame = frame.with_row_index("_order").sort(["area_id", "_order"])
    areas = list(dict.fromkeys(frame["area_id"].to_list()))
    entries: list[tuple[str, dict[str, Any] | None]] = []
    for area in areas:
        part = frame.filter(pl.col("area_id") == area)
        if len(areas) > 1:
            entries.append((namer.area(area, part["area_name"][0]), None))
        for record in part.iter_rows(named=True):
            entries.append((namer.criterion(record["criterion_id"], record["criterion_name"],
                                            record["indicator_code"]), record))
    n = len(entries)
    left_labels = [safe_text(name, 34 if entry is not None else 38)
                   for name, entry in entries]
    heading = title or text(lang_, "bullet_title", region=namer.region(region), year=the_year)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.7 + 0.3 * n, lang=lang_, title=heading,
                               synthetic=mark)
        ax = body.add_subplot()
        right_labels: list[str] = []
        partial_zone_used = False
        for i, (_name, row) in enumerate(entries):
            y = n - 1 - i
            if row is None:
                right_labels.append("")
                continue
            value = _num(row["value"])
            low, high = _num(row["threshold"]), _num(row["threshold_high"])
            comparator = str(row["comparator"] or "")
            comparator = _COMPARATOR_ALIASES.get(comparator, comparator)
            numbers = [v for v in (value, low, high) if v is not None]
            lo = min([0.0, *numbers])
            hi = max([*numbers, lo + 1e-9]) * 1.12 if numbers else 1.0
            hi = hi if hi > lo else lo + 1.0
            span = hi - lo

            def pos(v: float, lo: float = lo, span: float = span) -> float:
                return (v - lo) / span

            ax.add_patch(Rectangle((0, y - 0.36), 1.0, 0.72, facecolor="#F0F0F0",
                                   edgecolor="none", zorder=1))
            # Full-credit zone, and (for linear rules, threshold_high set) the partial zone:
            # ">=": credit from threshold, full from threshold_high; "<=": full up to
            # threshold, none from threshold_high; "between": full inside the range.
            zones: list[tuple[float, float, str]] = []
            if low is not None and comparator == "between" and high is not None:
                zones.append((pos(low), pos(high), _FULL_ZONE))
            elif low is not None and comparator in (">=", ">"):
                if high is not None and high > low:
                    zones += [(pos(low), pos(high), _PARTIAL_ZONE), (pos(high), 1.0, _FULL_ZONE)]
                else:
                    zones.append((pos(low), 1.0, _FULL_ZONE))
            elif low is not None and comparator in ("<=", "<"):
                zones.append((0.0, pos(low), _FULL_ZONE))
                if high is not None and high > low:
                    zones.append((pos(low), pos(high), _PARTIAL_ZONE))
            for start, stop, shade in zones:
                partial_zone_used = partial_zone_used or shade == _PARTIAL_ZONE
                ax.add_patch(Rectangle((start, y - 0.36), stop - start, 0.72,
                                       facecolor=shade, edgecolor="none", zorder=1))
            status = str(row["status"] or "missing")
            fill = STATUS_STYLE.get(status, STATUS_STYLE["missing"])[0]
            if value is not None:
                ax.add_patch(Rectangle((pos(min(0.0, value)) if lo < 0 else 0.0, y - 0.13),
                                       pos(value) - (pos(0.0) if lo < 0 else 0.0), 0.26,
                                       facecolor=fill, edgecolor=INK, lw=0.6, zorder=3))
            else:
                ax.text(0.015, y, text(lang_, "missing_value"), va="center", ha="left",
                        fontsize=7.5, color=MUTED, zorder=3)
            for level in (low, high):
                if level is not None:
                    ax.plot([pos(level)] * 2, [y - 0.3, y + 0.3], color=INK, lw=2.0,
                            solid_capstyle="butt", zorder=4)
            unit = str(row.get("unit") or "") or (
                namer.unit(row["indicator_code"]) if row["indicator_code"] else "")
            sign = _COMPARATOR_SIGN.get(comparator, "")
            if low is not None and high is not None:
                rule = f"{sign}{_fmt(low)}–{_fmt(high)}"
            elif low is not None:
                rule = f"{sign}{_fmt(low)}"
            else:
                rule = ""
            points = ""
            possible, earned = _num(row["points_possible"]), _num(row["points_earned"])
            if possible is not None:
                points = f"  {_fmt(earned or 0.0)}/{_fmt(possible)}{text(lang_, 'points')}"
            value_text = _fmt(value, unit) if value is not None else text(lang_,
                                                                           "missing_value")
            right_labels.append(f"{value_text}" + (f" ({rule})" if rule else "") + points)
        ys = [n - 1 - i for i in range(n)]
        ax.set_yticks(ys, labels=left_labels)
        for tick, (_name, entry) in zip(ax.get_yticklabels(), entries, strict=True):
            if entry is None:
                tick.set_color(BLUE)
                tick.set_fontsize(8.5)
        ax.set_xlim(0, 1.0)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
        right = ax.secondary_yaxis("right")
        right.set_yticks(ys, labels=[safe_text(s) for s in right_labels])
        right.tick_params(axis="y", length=0)
        right.spines["right"].set_visible(False)
        handles: list[Any] = [Patch(facecolor=STATUS_STYLE[s][0], edgecolor=INK, lw=0.6)
                              for s in ("met", "partial", "not_met")]
        handles += [Patch(facecolor=_FULL_ZONE)]
        names = [text(lang_, s) for s in ("met", "partial", "not_met")]
        names += [text(lang_, "pass_zone")]
        if partial_zone_used:
            handles.append(Patch(facecolor=_PARTIAL_ZONE))
            names.append(text(lang_, "partial_zone"))
        handles.append(Line2D([], [], color=INK, lw=2.0))
        names.append(text(lang_, "threshold"))
        body.legend(handles, names, loc="outside upper left", ncols=len(names),
                    handlelength=1.4, columnspacing=1.2)
        return finish(fig)


# ---------------------------------------------------------------- area profile


def _wrap(label: str, width: int, lines: int, *, suffix: str = "") -> str:
    """Safe text broken into at most ``lines`` lines of ``width`` cells (words kept whole).

    ``suffix`` (such as a unit) always stays at the end, never cut off.
    """
    if suffix:
        whole = _wrap(label + suffix, width, lines)
        if whole.endswith(safe_text(suffix)):
            return whole
        short = _wrap(label, width, lines)
        head, _, last = short.rpartition("\n")
        last = truncate(last.removesuffix("…") + "…", width - display_width(suffix))
        gap = " " if suffix.startswith(" ") else ""
        return (f"{head}\n" if head else "") + last + gap + safe_text(suffix)
    label = safe_text(label)
    spaced = " " in label
    if not spaced and display_width(label) > width:
        # Even lines for unspaced (CJK) text instead of one orphan character.
        count = min(lines, math.ceil(display_width(label) / width))
        step = math.ceil(len(label) / count)
        chunks = [label[i:i + step] for i in range(0, len(label), step)]
        if len(chunks) > lines or any(display_width(c) > width for c in chunks):
            chunks = [*chunks[:lines - 1], truncate("".join(chunks[lines - 1:]), width)]
            if any(display_width(c) > width for c in chunks[:-1]):
                chunks = [label[i:i + width // 2] for i in range(0, len(label), width // 2)]
                chunks = [*chunks[:lines - 1], truncate("".join(chunks[lines - 1:]), width)]
        return "\n".join(chunks)
    tokens = label.split(" ") if spaced else list(label)
    joiner = " " if spaced else ""
    out: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if current and display_width(candidate) > width:
            out.append(current)
            current = token
        else:
            current = candidate
    out.append(current)
    if len(out) > lines:
        out = [*out[:lines - 1], truncate(joiner.join(out[lines - 1:]), width)]
    return "\n".join(out)


def area_profile(
    areas: pl.DataFrame,
    *,
    region_code: str,
    year: int | None = None,
    peer_group: str | None = None,
    kind: Literal["bars", "radar"] = "bars",
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """A region's share of points in each of the eight areas against the peer median.

    The peer median is the median ``share`` over the regions of the same ``peer_group``
    and year in ``areas`` (the region included). Shares at most 1 are read as fractions
    and shown as percentages.

    Args:
        areas: The benchmark areas frame (``region_code, year, peer_group, area_id,
            area_name, points_possible, points_earned, share``).
        region_code: The region.
        year: The year (default: the region's latest).
        peer_group: The peer group (default: the region's own).
        kind: ``bars`` (horizontal bars, peer median as a black tick) or ``radar``.
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides (also for area ids).
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: The region has no rows.

    Examples:
        >>> import polars as pl
        >>> areas = pl.DataFrame({"region_code": ["420300", "420500", "420600"] * 2,
        ...     "year": [2023] * 6, "peer_group": ["地级市"] * 6, "area_id": [1] * 3 + [2] * 3,
        ...     "area_name": ["组织领导"] * 3 + ["政府职能"] * 3, "points_possible": [10.0] * 6,
        ...     "points_earned": [9.0, 7.0, 5.0, 6.0, 8.0, 7.0]}).with_columns(
        ...     share=pl.col("points_earned") / pl.col("points_possible"))
        >>> fig = area_profile(areas, region_code="420300")
        >>> [text.get_text() for text in fig.subfigs[0].texts]
        ['十堰市 2023 年各方面得分率', '同组：地级市（3 个地区）']
        >>> [label.get_text() for label in fig.axes[0].child_axes[0].get_yticklabels()]
        ['90.0%  (9/10)', '60.0%  (6/10)']
        >>> [float(line.get_xdata()[0]) for line in fig.axes[0].lines]  # the peer medians
        [70.0, 70.0]
        >>> area_profile(areas, region_code="420300", kind="radar").axes[0].name
        'polar'
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    lang_ = check_lang(lang)
    require_columns(areas, AREAS_COLUMNS, what="areas frame")
    namer = Namer(lang_, labels)
    mark = is_synthetic(areas, synthetic)
    own = areas.filter(pl.col("region_code") == region_code)
    the_year = _latest_year(own, year, "area_profile")
    own = _nonempty(own.filter(pl.col("year") == the_year), "area_profile",
                    hint=f"no rows for region {region_code!r} in {the_year}")
    group = peer_group if peer_group is not None else own["peer_group"].drop_nulls().first()
    peers = areas.filter((pl.col("year") == the_year) & (pl.col("peer_group") == group)
                         if group is not None else pl.col("year") == the_year)
    n_peers = peers["region_code"].n_unique()
    peer_values = [_num(v) for v in peers["share"].to_list()]
    scale = 100.0 if max((v for v in peer_values if v is not None), default=0.0) <= 1.0 else 1.0
    peer_frame = pl.DataFrame(
        {"area_id": peers["area_id"],
         "share": [None if v is None else v * scale for v in peer_values]},
        schema_overrides={"share": pl.Float64})
    medians = dict(peer_frame.group_by("area_id").agg(pl.col("share").median()).iter_rows())
    # Areas nobody can score in (bonus, veto: no points possible) would plot as zero.
    own = own.with_columns((pl.col("share").cast(pl.Float64) * scale).alias("share"))
    no_median = [a for a in own["area_id"].to_list() if medians.get(a) is None]
    unscored = own.filter(pl.col("share").is_null() & pl.col("area_id").is_in(no_median))
    own = _nonempty(own.join(unscored.select("area_id"), on="area_id", how="anti",
                             maintain_order="left"), "area_profile",
                    hint="no area of this region has a share")
    order = own["area_id"].to_list()
    shares = [_num(v) for v in own["share"].to_list()]
    names = [namer.area(a, n) for a, n in zip(order, own["area_name"].to_list(), strict=True)]
    notes = ([text(lang_, "unscored_areas", areas="、".join(
        namer.area(a, n) for a, n in unscored.select("area_id", "area_name").iter_rows()))]
        if unscored.height else [])
    region_name = namer.region(region_code)
    heading = title or text(lang_, "profile_title", region=region_name, year=the_year)
    subtitle = text(lang_, "peer_group", group=group if group is not None else "–", n=n_peers)
    with chart_context():
        ax: Axes
        if kind == "radar":
            fig, body = new_figure(FIG_WIDTH * 0.8, 5.6, lang=lang_, title=heading,
                                   subtitle=subtitle, notes=notes, synthetic=mark)
            polar = cast("PolarAxes", body.add_subplot(projection="polar"))
            ax = polar
            count = len(order)
            polar.set_theta_offset(math.pi / 2)
            polar.set_theta_direction(-1)
            angles = [2 * math.pi * i / count for i in range(count)]
            closed = [*angles, angles[0]]
            own_vals = [v or 0.0 for v in shares]
            peer_vals = [medians.get(a) or 0.0 for a in order]
            ax.fill(closed, [*own_vals, own_vals[0]], color=BLUE, alpha=0.18, lw=0)
            ax.plot(closed, [*own_vals, own_vals[0]], color=BLUE, lw=2.0, marker="o",
                    markersize=4)
            ax.plot(closed, [*peer_vals, peer_vals[0]], color=INK, lw=1.3,
                    linestyle=(0, (4, 3)))
            ax.set_xticks(angles, labels=[_wrap(s, 20, 2) for s in names])
            ax.set_ylim(0, 112)  # keeps labels clear of points near 100 %
            ax.set_yticks([25, 50, 75, 100], labels=["25", "50", "75", "100%"])
            ax.tick_params(axis="y", labelsize=7, labelcolor=MUTED)
            ax.tick_params(axis="x", pad=14)
            polar.set_rlabel_position(180 / count)
            ax.spines["polar"].set_visible(False)
            handles: list[Any] = [Line2D([], [], color=BLUE, lw=2.0, marker="o",
                                         markersize=4),
                                  Line2D([], [], color=INK, lw=1.3, linestyle=(0, (4, 3)))]
        else:
            fig, body = new_figure(FIG_WIDTH, 0.9 + 0.42 * len(order), lang=lang_,
                                   title=heading, subtitle=subtitle, notes=notes,
                                   synthetic=mark)
            ax = body.add_subplot()
            ys = list(range(len(order)))[::-1]  # first area on top
            for y, share in zip(ys, shares, strict=True):
                if share is not None:
                    ax.barh(y, share, height=0.6, color=BLUE, alpha=0.85, zorder=2)
            for y, area in zip(ys, order, strict=True):
                median = medians.get(area)
                if median is not None:
                    ax.plot([median, median], [y - 0.42, y + 0.42], color=INK, lw=2.2,
                            solid_capstyle="butt", zorder=3)
            ax.set_yticks(ys, labels=[safe_text(s, 30) for s in names])
            ax.set_xlim(0, 103)  # room for a median tick at 100 %
            ax.set_xticks([0, 25, 50, 75, 100], labels=["0", "25", "50", "75", "100%"])
            ax.set_xlabel(text(lang_, "share"))
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
            right = ax.secondary_yaxis("right")
            earned = own["points_earned"].to_list()
            possible = own["points_possible"].to_list()
            right.set_yticks(ys, labels=[
                f"{s:.1f}%  ({_fmt(_num(e))}/{_fmt(_num(p))})" if s is not None else "–"
                for s, e, p in zip(shares, earned, possible, strict=True)])
            right.tick_params(axis="y", length=0)
            right.spines["right"].set_visible(False)
            handles = [Patch(facecolor=BLUE, alpha=0.85),
                       Line2D([], [], color=INK, lw=2.2)]
        body.legend(handles, [legend_text(safe_text(region_name, 24)),
                              text(lang_, "peer_median")],
                    loc="outside upper left", ncols=2)
        return finish(fig)


# ---------------------------------------------------------------- heatmap


def criteria_heatmap(
    criteria: pl.DataFrame,
    *,
    year: int | None = None,
    regions: Sequence[str] | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Regions × criteria grid of met / partial / not met / missing.

    Criteria are rows (grouped by area, named on the right), regions are columns
    (ordered by points earned, most first, unless ``regions`` gives the order). A region
    without a row for a criterion counts as missing. Cells carry a symbol as well as a
    colour (✓ ◐ × ?), so the chart survives grey-scale printing.

    Args:
        criteria: The benchmark criteria frame (``region_code, year, area_id, area_name,
            criterion_id, criterion_name, indicator_code, status``; ``points_earned`` is
            used for the column order when present).
        year: The year (default: the latest).
        regions: Region codes to show, in this order.
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw.

    Examples:
        >>> import polars as pl
        >>> criteria = pl.DataFrame({"region_code": ["420300"] * 3 + ["420500"] * 3,
        ...     "year": [2023] * 6, "area_id": [2, 8, 8] * 2,
        ...     "area_name": ["政府职能", "矛盾化解", "矛盾化解"] * 2,
        ...     "criterion_id": ["c2.1", "c8.1", "c8.2"] * 2,
        ...     "criterion_name": ["政务服务网上可办率", "行政复议纠错率", "行政诉讼败诉率"] * 2,
        ...     "indicator_code": [None] * 6,
        ...     "status": ["met", "met", "not_met", "partial", "not_met", "met"],
        ...     "points_earned": [4.0, 3.0, 0.0, 2.0, 0.0, 3.0]})
        >>> fig = criteria_heatmap(criteria)
        >>> fig.subfigs[0].texts[0].get_text()
        '2023 年各地区达标情况'
        >>> cells = [text.get_text() for text in fig.axes[0].texts]
        >>> [cells[i:i + 2] for i in range(0, 6, 2)]  # criteria x (十堰市, 宜昌市)
        [['✓', '◐'], ['✓', '×'], ['×', '✓']]
    """
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    lang_ = check_lang(lang)
    require_columns(criteria, CRITERIA_COLUMNS, what="criteria frame")
    namer = Namer(lang_, labels)
    mark = is_synthetic(criteria, synthetic)
    the_year = _latest_year(criteria, year, "criteria_heatmap")
    frame = criteria.filter(pl.col("year") == the_year)
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    frame = _nonempty(frame, "criteria_heatmap")
    if regions is not None:
        region_order = _ordered(frame["region_code"].to_list(), regions)
    elif "points_earned" in frame.columns:
        totals = frame.group_by("region_code").agg(pl.col("points_earned").sum().alias("p"))
        region_order = totals.sort(["p", "region_code"], descending=[True, False],
                                   nulls_last=True)["region_code"].to_list()
    else:
        region_order = sorted(set(frame["region_code"].to_list()))
    crit = (frame.with_row_index("_order")
            .group_by("criterion_id", maintain_order=True)
            .agg(pl.col("_order").min(), pl.col("area_id").first(),
                 pl.col("area_name").first(), pl.col("criterion_name").first(),
                 pl.col("indicator_code").first())
            .sort(["area_id", "_order"]))
    crit_rows = list(crit.iter_rows(named=True))
    codes = {"met": 0, "partial": 1, "not_met": 2, "missing": 3}
    grid = np.full((len(crit_rows), len(region_order)), 3, dtype=int)
    row_of = {r["criterion_id"]: i for i, r in enumerate(crit_rows)}
    col_of = {c: j for j, c in enumerate(region_order)}
    for rec in frame.select("criterion_id", "region_code", "status").iter_rows():
        grid[row_of[rec[0]], col_of[rec[1]]] = codes.get(str(rec[2]), 3)
    row_labels = [safe_text(namer.criterion(r["criterion_id"], r["criterion_name"],
                                            r["indicator_code"]), 34) for r in crit_rows]
    col_labels = [safe_text(namer.region(c), 14) for c in region_order]
    # All-CJK names read top to bottom, one character per line; others are rotated.
    stacked = all(display_width(c.removesuffix("…")) == 2 * len(c.removesuffix("…"))
                  for c in col_labels)
    if stacked:
        # U+FE19 is the vertical form of the ellipsis.
        col_labels = ["\n".join(c.replace("…", "\ufe19")) for c in col_labels]
    nrows, ncols = grid.shape
    if ncols > MAX_GRID_REGIONS:
        raise _too_many("criteria_heatmap", ncols, MAX_GRID_REGIONS, "regions",
                        "pass regions=[...] (e.g. one prefecture's counties)")
    cell = 0.3
    area_names = {r["area_id"]: namer.area(r["area_id"], r["area_name"]) for r in crit_rows}
    left_in = label_inches(row_labels, 8) + 0.3
    right_in = label_inches([truncate(s, 28) for s in area_names.values()], 8) + 0.3
    top_in = (max(len(c.split("\n")) for c in col_labels) * 8 * 1.25 / 72 if stacked
              else label_inches(col_labels, 8)) + 0.2
    width = max(5.0, left_in + right_in + cell * ncols + 0.3)
    height = 0.7 + top_in + cell * nrows
    with chart_context():
        fig, body = new_figure(width, height, lang=lang_, title=title or text(
            lang_, "heatmap_title", year=the_year), synthetic=mark)
        ax = body.add_subplot()
        cmap = ListedColormap([STATUS_STYLE[s][0] for s in codes])
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto",
                  interpolation="nearest")
        if nrows * ncols <= 2500:
            for (i, j), value in np.ndenumerate(grid):
                status = list(codes)[int(value)]
                _fill, symbol, color = STATUS_STYLE[status]
                ax.text(j, i, symbol, ha="center", va="center", fontsize=7.5, color=color)
        ax.set_xticks(range(ncols), labels=col_labels, rotation=0 if stacked else 90,
                      linespacing=1.0)
        ax.set_yticks(range(nrows), labels=row_labels)
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(-0.5, ncols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, nrows, 1), minor=True)
        ax.grid(which="major", visible=False)
        ax.grid(which="minor", color="white", linewidth=1.2)
        ax.tick_params(which="both", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        groups: dict[Any, list[int]] = {}
        for i, r in enumerate(crit_rows):
            groups.setdefault(r["area_id"], []).append(i)
        for members in list(groups.values())[1:]:
            ax.axhline(members[0] - 0.5, color=INK, lw=1.2)
        right = ax.secondary_yaxis("right")
        right.set_yticks([sum(m) / len(m) for m in groups.values()],
                         labels=[safe_text(area_names[a], 28) for a in groups])
        right.tick_params(axis="y", length=0, labelcolor=BLUE)
        right.spines["right"].set_visible(False)
        handles = [Patch(facecolor=STATUS_STYLE[s][0], edgecolor="#999999", lw=0.5)
                   for s in codes]
        body.legend(handles, [f"{STATUS_STYLE[s][1]} {text(lang_, s)}" for s in codes],
                    loc="outside lower left", ncols=4, handlelength=1.4)
        return finish(fig)


# ---------------------------------------------------------------- rank bump chart


def rank_bump(
    totals: pl.DataFrame,
    *,
    regions: Sequence[str] | None = None,
    highlight: Sequence[str] | None = None,
    peer_group: str | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Ranks over the years, one line per region, rank 1 on top, names at the right.

    Args:
        totals: The benchmark totals frame (``region_code, year, rank``; ``peer_group`` is
            used when present).
        regions: Keep only these regions.
        highlight: Regions drawn in colour; the others are grey. Default: all in colour
            when there are at most 7, otherwise none.
        peer_group: The peer group (needed when the frame holds several: ranks of
            different groups are not comparable).
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or several peer groups and none chosen.

    Examples:
        >>> import polars as pl
        >>> totals = pl.DataFrame({"region_code": ["420300", "420500", "420600"] * 3,
        ...     "year": [2021] * 3 + [2022] * 3 + [2023] * 3,
        ...     "rank": [3, 1, 2, 2, 1, 3, 1, 2, 3]})
        >>> fig = rank_bump(totals)
        >>> fig.subfigs[0].texts[0].get_text()
        '排名变化'
        >>> [label.get_text() for label in fig.axes[0].child_axes[0].get_yticklabels()]
        ['十堰市', '宜昌市', '襄阳市']
    """
    lang_ = check_lang(lang)
    require_columns(totals, TOTALS_COLUMNS, what="totals frame")
    namer = Namer(lang_, labels)
    mark = is_synthetic(totals, synthetic)
    frame = totals.filter(pl.col("rank").is_not_null() & pl.col("year").is_not_null())
    group = None
    if "peer_group" in frame.columns and frame.height:
        group = _one_value(frame, "peer_group", peer_group, "rank_bump")
        frame = frame.filter(pl.col("peer_group") == group)
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    frame = _nonempty(frame, "rank_bump").sort(["region_code", "year"])
    order = _ordered(frame["region_code"].to_list(), regions)
    if len(order) > MAX_GRID_REGIONS:
        raise _too_many("rank_bump", len(order), MAX_GRID_REGIONS, "regions",
                        "pass regions=[...] or peer_group=...")
    if highlight is None:
        colored = order if len(order) <= 7 else []
    else:
        colored = [c for c in order if c in set(highlight)]
    years = [int(y) for y in frame["year"].to_list()]
    last_year = max(years)
    max_rank = int(frame["rank"].max())  # type: ignore[arg-type]
    subtitle = (text(lang_, "peer_group", group=group, n=len(order))
                if group is not None else None)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.8 + max(2.6, 0.27 * max_rank), lang=lang_,
                               title=title or text(lang_, "bump_title"), subtitle=subtitle,
                               synthetic=mark)
        ax = body.add_subplot()
        end_labels: dict[int, list[tuple[str, str]]] = {}
        for code in order:
            part = frame.filter(pl.col("region_code") == code)
            xs = [int(y) for y in part["year"].to_list()]
            ys = [int(r) for r in part["rank"].to_list()]
            if code in colored:
                color, dash = series_style(colored.index(code))
                lw, z = 2.2, 3
            else:
                color, dash, lw, z = "#B5B5B5", "-", 1.3, 2
            ax.plot(xs, ys, color=color, linestyle=dash, lw=lw, marker="o", markersize=5,
                    zorder=z, markeredgecolor="white", markeredgewidth=0.8)
            name = namer.region(code)
            if xs[-1] == last_year:
                end_labels.setdefault(ys[-1], []).append((name, color if code in colored
                                                          else MUTED))
            else:
                ax.annotate(safe_text(name, 12), (xs[-1], ys[-1]), xytext=(4, 4),
                            textcoords="offset points", fontsize=7, color=MUTED)
        ax.invert_yaxis()
        ax.set_ylim(max_rank + 0.6, 0.4)
        ax.set_yticks(range(1, max_rank + 1))
        if max_rank > 30:
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
        _axis_title(ax, text(lang_, "rank"))
        _year_axis(ax, years)
        ax.grid(axis="y", visible=False)
        right = ax.secondary_yaxis("right")
        positions = sorted(end_labels)
        right.set_yticks(positions, labels=[
            safe_text(" / ".join(n for n, _ in end_labels[p]), 24) for p in positions])
        right.tick_params(axis="y", length=0, labelsize=8)
        right.spines["right"].set_visible(False)
        for tick, p in zip(right.get_yticklabels(), positions, strict=True):
            tick.set_color(end_labels[p][0][1] if len(end_labels[p]) == 1 else INK)
        return finish(fig)


# ---------------------------------------------------------------- dispersion


def dispersion_chart(
    observations: pl.DataFrame,
    *,
    indicator_code: str,
    regions: Sequence[str] | None = None,
    scope: str | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Spread of one indicator across regions, per year: box + points, with the CV line.

    Boxes show quartiles and whiskers at 1.5 IQR; every region's value is a point
    (deterministic horizontal jitter). The coefficient of variation (sample standard
    deviation / |mean|, in %) is drawn on the right axis; years with fewer than two
    values or a zero mean have none.

    Args:
        observations: Observation rows (``region_code, year, indicator_code, scope,
            value``), e.g. all counties of one prefecture.
        indicator_code: The indicator.
        regions: Keep only these regions (e.g. the counties of one prefecture).
        scope: The scope (needed when the rows have several: 全县 and 县本级 figures
            must not be mixed).
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Returns:
        The figure.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or several scopes and none chosen.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420302", "420303", "420304", "420322"] * 2,
        ...     "year": [2022] * 4 + [2023] * 4, "indicator_code": ["gov_service_online_rate"] * 8,
        ...     "scope": ["全县"] * 8, "value": [80.0, 88.0, 92.0, 84.0, 90.0, 93.0, 95.0, 90.0]})
        >>> fig = dispersion_chart(obs, indicator_code="gov_service_online_rate")
        >>> len(fig.axes)  # boxes and points, and the CV on a right-hand axis
        2
        >>> [label.get_text().split() for label in fig.axes[0].get_xticklabels()]
        [['2022', 'n=4'], ['2023', 'n=4']]
        >>> [round(float(cv), 2) for cv in fig.axes[1].lines[0].get_ydata()]  # CV in %
        [6.0, 2.66]
    """
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    lang_ = check_lang(lang)
    require_columns(observations, OBSERVATION_COLUMNS, what="observations")
    namer = Namer(lang_, labels)
    mark = is_synthetic(observations, synthetic)
    frame = observations.filter((pl.col("indicator_code") == indicator_code)
                                & pl.col("value").is_not_null() & pl.col("year").is_not_null())
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    the_scope = _one_value(_nonempty(frame, "dispersion_chart"), "scope", scope,
                           "dispersion_chart")
    frame = _nonempty(frame.filter(pl.col("scope") == the_scope), "dispersion_chart")
    years = sorted({int(y) for y in frame["year"].to_list()})
    per_year = [np.array(frame.filter(pl.col("year") == y)["value"].to_list(), dtype=float)
                for y in years]
    cvs: list[float | None] = []
    for values in per_year:
        mean = float(values.mean())
        if values.size < 2 or mean == 0:
            cvs.append(None)
        else:
            cvs.append(float(values.std(ddof=1)) / abs(mean) * 100.0)
    rng = np.random.default_rng(20231)
    unit = namer.unit(indicator_code)
    if "unit" in frame.columns and frame["unit"].n_unique() == 1 and frame["unit"][0]:
        unit = str(frame["unit"][0])
    points = [(y, c) for y, c in zip(years, cvs, strict=True) if c is not None]
    heading = title or text(lang_, "dispersion_title", indicator=namer.indicator(indicator_code))
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 3.9, lang=lang_, title=heading,
                               subtitle=namer.scope(str(the_scope)),
                               notes=[text(lang_, "cv_undefined")] if len(points) < len(years)
                               else [], synthetic=mark)
        ax = body.add_subplot()
        box = ax.boxplot(per_year, positions=years, widths=0.5, showfliers=False,
                         patch_artist=True, manage_ticks=False,
                         medianprops={"color": INK, "linewidth": 1.6},
                         whiskerprops={"color": MUTED}, capprops={"color": MUTED},
                         boxprops={"edgecolor": MUTED, "linewidth": 0.8})
        for patch in box["boxes"]:
            patch.set_facecolor(SKY_BLUE)
            patch.set_alpha(0.45)
        for y, values in zip(years, per_year, strict=True):
            jitter = rng.uniform(-0.17, 0.17, size=values.size)
            ax.scatter(y + jitter, values, s=12, color=BLUE, alpha=0.75, zorder=3,
                       linewidths=0)
        ax.set_xticks(years, labels=[f"{y}\n{text(lang_, 'n_regions', n=v.size)}"
                                     for y, v in zip(years, per_year, strict=True)])
        ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
        ax.grid(axis="x", visible=False)
        _axis_title(ax, _unit_label(lang_, namer.unit_text(unit)))
        twin = ax.twinx()
        twin.grid(False)
        twin.spines["right"].set_visible(True)
        twin.spines["right"].set_color(VERMILLION)
        if points:
            twin.plot([p[0] for p in points], [p[1] for p in points], color=VERMILLION,
                      marker="D", markersize=5, lw=1.8, zorder=4)
            top = max(p[1] for p in points)
            twin.set_ylim(0, top * 1.25 if top > 0 else 1.0)
        _axis_title(twin, text(lang_, "cv_axis"), side="right", color=VERMILLION)
        twin.tick_params(axis="y", colors=VERMILLION, labelcolor=VERMILLION)
        handles = [Patch(facecolor=SKY_BLUE, alpha=0.45, edgecolor=MUTED),
                   Line2D([], [], linestyle="none", marker="o", markersize=4, color=BLUE),
                   Line2D([], [], color=VERMILLION, marker="D", markersize=5)]
        body.legend(handles, ["P25–P75 · " + ("中位数" if lang_ == "zh" else "median"),
                              text(lang_, "region"), text(lang_, "cv")],
                    loc="outside upper left", ncols=3)
        return finish(fig)


# ---------------------------------------------------------------- output


def save_png(fig: Figure, path_or_buffer: str | os.PathLike[str] | IO[bytes], *,
             dpi: int = SAVE_DPI) -> None:
    """Save ``fig`` as PNG with no metadata, so equal figures give equal bytes.

    A path is written atomically (temporary file in the same directory, then rename);
    a binary file object is written to directly.

    Examples:
        >>> import io, polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 2, "year": [2022, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [95.5, 98.1]})
        >>> one, two = io.BytesIO(), io.BytesIO()
        >>> save_png(trend_panels(obs), one); save_png(trend_panels(obs), two)
        >>> one.getvalue() == two.getvalue()
        True
        >>> import tempfile
        >>> from pathlib import Path
        >>> target = Path(tempfile.mkdtemp()) / "trend.png"
        >>> save_png(trend_panels(obs), target, dpi=50)
        >>> target.read_bytes()[1:4], [path.name for path in target.parent.iterdir()]
        (b'PNG', ['trend.png'])
    """
    write_bytes(figure_bytes(fig, dpi=dpi, fmt="png"), path_or_buffer)


def figure_to_data_uri(fig: Figure, *, dpi: int = SAVE_DPI,
                       fmt: Literal["png", "svg"] = "png", colors: int | None = None) -> str:
    """``data:`` URI of ``fig`` for inline HTML (deterministic; SVG draws text as paths).

    Args:
        fig: The figure.
        dpi: Resolution of a PNG.
        fmt: ``png`` or ``svg``.
        colors: Quantise a PNG to a palette of this many colours (2-256): about a third of
            the bytes, for reports that inline many charts.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 2, "year": [2022, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [95.5, 98.1]})
        >>> fig = trend_panels(obs)
        >>> figure_to_data_uri(fig, dpi=50)[:22]
        'data:image/png;base64,'
        >>> figure_to_data_uri(fig, fmt="svg")[:26]
        'data:image/svg+xml;base64,'
        >>> len(figure_to_data_uri(fig, dpi=50, colors=16)) < len(figure_to_data_uri(fig, dpi=50))
        True
        >>> figure_to_data_uri(fig, dpi=50) == figure_to_data_uri(fig, dpi=50)  # deterministic
        True
    """
    data = figure_bytes(fig, dpi=dpi, fmt=fmt)
    if fmt == "png" and colors is not None:
        data = palette_png(data, colors=colors)
    return data_uri(data, fmt)
