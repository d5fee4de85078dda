"""Charts of changes: ``yoy_dumbbell`` (year-over-year) and ``dispersion_chart``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from fzcompare._names import regions_in
from fzcompare.charts._common import (
    OBSERVATION_COLUMNS,
    TRENDS_COLUMNS,
    _axis_title,
    _latest_year,
    _nonempty,
    _num,
    _one_value,
    _signed,
    _unit_label,
    cap_at_100,
    chart_setup,
    is_rate_unit,
    right_labels,
)
from fzcompare.charts._labels import Lang, safe_text
from fzcompare.charts._style import (
    BLUE,
    FIG_WIDTH,
    GREY,
    INK,
    MUTED,
    SKY_BLUE,
    VERDICT_STYLE,
    VERMILLION,
    chart_context,
    finish,
    new_figure,
    text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


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
    setup = chart_setup(trends, TRENDS_COLUMNS, what="trends frame", lang=lang, labels=labels,
                        synthetic=synthetic)
    lang_, namer = setup.lang, setup.namer
    frame = trends
    if scope is not None:
        frame = frame.filter(pl.col("scope") == scope)
    if regions is not None:
        regions = regions_in(trends, regions)
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    code = str(_one_value(frame, "indicator_code", indicator_code, "yoy_dumbbell"))
    frame = frame.filter(pl.col("indicator_code") == code)
    the_year = _latest_year(frame, year, "yoy_dumbbell")
    frame = _nonempty(frame.filter(pl.col("year") == the_year), "yoy_dumbbell")
    note: list[str] = []
    if frame.height > max_rows:
        note.append(text(lang_, "shown_of", shown=max_rows, total=frame.height))
        frame = frame.sort(pl.col("change_abs").abs(), descending=True,
                           nulls_last=True).head(max_rows)
    frame = _dumbbell_order(frame, sort_by)
    show_scope = frame["scope"].n_unique() > 1
    rows = list(frame.iter_rows(named=True))
    units = frame["unit"].drop_nulls().unique().to_list() if "unit" in frame.columns else []
    unit = str(units[0]) if len(units) == 1 else namer.unit(code)
    names = [safe_text(namer.region(r["region_code"]) + (
        f" · {namer.scope(r['scope'])}" if show_scope else ""), 30) for r in rows]
    prev_label = _prev_label(rows, lang_)
    heading = title or text(lang_, "dumbbell_title", indicator=namer.indicator(code),
                            prev=prev_label, year=the_year)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.9 + 0.26 * len(rows), lang=lang_, title=heading,
                               subtitle=namer.scope(frame["scope"][0]) if not show_scope
                               else None,
                               notes=note, synthetic=setup.synthetic)
        ax = body.add_subplot()
        colors = [_draw_dumbbell(ax, i, row) for i, row in enumerate(rows)]
        ax.set_yticks(range(len(rows)), labels=names)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.margins(x=0.06)
        if is_rate_unit(unit):
            cap_at_100(ax, axis="x")
        right_labels(ax, range(len(rows)),
                     [_change_text(row, unit, lang_) for row in rows],
                     colors=[INK if str(r["verdict"]) == "unchanged" else c
                             for r, c in zip(rows, colors, strict=True)])
        if unit:
            ax.set_xlabel(_unit_label(lang_, namer.unit_text(unit)))
        _dumbbell_legend(body, rows, prev_label=prev_label, year=the_year, lang=lang_)
        return finish(fig)


def _dumbbell_order(frame: pl.DataFrame, sort_by: str) -> pl.DataFrame:
    if sort_by == "change":
        return frame.sort(["change_abs", "region_code"], descending=[False, False],
                          nulls_last=False)
    if sort_by == "value":
        return frame.sort(["value", "region_code"], nulls_last=False)
    return frame.sort(["region_code", "scope"], descending=True)


def _prev_label(rows: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """The previous year(s) compared: ``2023``, ``2022/2023``, or "previous year" for more."""
    years = sorted({int(r["prev_year"]) for r in rows if r["prev_year"] is not None})
    if not years or len(years) > 3:
        return text(lang, "prev")
    return "/".join(str(y) for y in years)


def _verdict_of(row: Mapping[str, Any]) -> str:
    return str(row["verdict"]) if row["verdict"] is not None else "not comparable"


def _draw_dumbbell(ax: Axes, i: int, row: Mapping[str, Any]) -> str:
    """One region's previous (hollow) and current (coloured) value; returns the colour."""
    verdict = _verdict_of(row)
    color, marker = VERDICT_STYLE.get(verdict, VERDICT_STYLE["not comparable"])
    value, prev = _num(row["value"]), _num(row["prev_value"])
    if value is not None and prev is not None:
        ax.plot([prev, value], [i, i], color=color, lw=2.2, alpha=0.55,
                solid_capstyle="round", zorder=2,
                linestyle="-" if verdict != "not comparable" else (0, (2, 2)))
    if prev is not None:
        ax.plot([prev], [i], linestyle="none", marker="o", markersize=6,
                markerfacecolor="white", markeredgecolor=GREY, markeredgewidth=1.2, zorder=3)
    if value is not None:
        ax.plot([value], [i], linestyle="none", marker=marker, markersize=7, color=color,
                markeredgecolor="white", markeredgewidth=0.6, zorder=4)
    return color


def _change_text(row: Mapping[str, Any], unit: str, lang: Lang) -> str:
    """Points for a rate, relative % for a count, or why there is no change."""
    change = _num(row["change_abs"])
    pct = _num(row.get("change_pct"))
    if change is None:
        return text(lang, "not comparable") if _verdict_of(row) == "not comparable" else "–"
    if unit == "%":
        return _signed(change) + " pp"
    if pct is None:  # a count that was 0 last year has no relative change: say the amount
        return _signed(change) + (f" {unit}" if unit else "")
    return _signed(pct) + "%"


def _dumbbell_legend(body: SubFigure, rows: Sequence[Mapping[str, Any]], *, prev_label: str,
                     year: int, lang: Lang) -> None:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.lines import Line2D

    present = [v for v in VERDICT_STYLE if v in {str(r["verdict"]) for r in rows}]
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=6,
                      markerfacecolor="white", markeredgecolor=GREY)]
    names = [prev_label]
    for verdict in present:
        color, marker = VERDICT_STYLE[verdict]
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=7,
                              color=color))
        names.append(f"{year} · {text(lang, verdict)}")
    body.legend(handles, names, loc="outside upper left", ncols=min(5, len(handles)),
                handletextpad=0.3, columnspacing=1.2)


# ---------------------------------------------------------------- dispersion


def _coefficients_of_variation(per_year: list[np.ndarray]) -> list[float | None]:
    """Sample SD / abs(mean) in %, per year; None with fewer than two values or a zero mean."""
    cvs: list[float | None] = []
    for values in per_year:
        mean = float(values.mean())
        if values.size < 2 or mean == 0:
            cvs.append(None)
        else:
            cvs.append(float(values.std(ddof=1)) / abs(mean) * 100.0)
    return cvs


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
    from matplotlib.lines import Line2D  # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.patches import Patch

    setup = chart_setup(observations, OBSERVATION_COLUMNS, what="observations", lang=lang,
                        labels=labels, synthetic=synthetic)
    lang_, namer, mark = setup.lang, setup.namer, setup.synthetic
    frame = observations.filter((pl.col("indicator_code") == indicator_code)
                                & pl.col("value").is_not_null() & pl.col("year").is_not_null())
    if regions is not None:
        regions = regions_in(observations, regions)
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    the_scope = _one_value(_nonempty(frame, "dispersion_chart"), "scope", scope,
                           "dispersion_chart")
    frame = _nonempty(frame.filter(pl.col("scope") == the_scope), "dispersion_chart")
    years = sorted({int(y) for y in frame["year"].to_list()})
    per_year = [np.array(frame.filter(pl.col("year") == y)["value"].to_list(), dtype=float)
                for y in years]
    cvs = _coefficients_of_variation(per_year)
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
        if is_rate_unit(unit):
            ax.set_ylim(top=min(ax.get_ylim()[1], 100.0))
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
