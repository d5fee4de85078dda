"""Charts of observations: ``trend_panels`` (small multiples of values over years)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from fzcompare._names import regions_in
from fzcompare.charts._common import (
    MAX_PANELS,
    MAX_SERIES,
    OBSERVATION_COLUMNS,
    ChartSetup,
    Thresholds,
    _fmt,
    _nonempty,
    _num,
    _ordered,
    _threshold_map,
    _too_many,
    _with_gaps,
    _wrap,
    _year_axis,
    cap_at_100,
    chart_setup,
    is_rate_unit,
    legend_columns,
    legend_inches,
)
from fzcompare.charts._labels import Lang, Namer, legend_text
from fzcompare.charts._style import (
    FIG_WIDTH,
    INK,
    LIGHT_GREY,
    chart_context,
    finish,
    new_figure,
    series_style,
    text,
)
from fzcompare.errors import ChartError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    setup = chart_setup(observations, OBSERVATION_COLUMNS, what="observations", lang=lang,
                        labels=labels, synthetic=synthetic)
    if regions is not None:  # names resolved once: the rows and the panels use the codes
        regions = regions_in(observations, regions)
    frame = _trend_rows(observations, indicators=indicators, regions=regions, scope=scope)
    plan = _plan(frame, setup, panel_by=panel_by, indicators=indicators, regions=regions)
    if len(plan.series) > MAX_SERIES:
        msg = (f"trend_panels: {len(plan.series)} lines per panel are too many to tell "
               f"apart (at most {MAX_SERIES})")
        raise ChartError(msg, reason="too_many_series",
                         hint="pass regions=[...] or indicators=[...] or scope=...")
    n = len(plan.panel_keys)
    if n > MAX_PANELS:
        what = "trend_panels"
        raise _too_many(what, n, MAX_PANELS, "panels",
                        "pass indicators=[...] or regions=[...] to choose the panels")
    cols = ncols or min(3, n)
    rows = math.ceil(n / cols)
    legend = _legend_entries(plan, setup)
    legend_cols = legend_columns(legend, width=FIG_WIDTH - 0.3)
    legend_h = legend_inches(len(legend), legend_cols) if len(plan.series) > 1 else 0.0
    limits = _threshold_map(thresholds)
    with chart_context():
        fig, body = new_figure(
            FIG_WIDTH, 2.2 * rows + legend_h, lang=setup.lang,
            title=title or text(setup.lang, "trend_title"), subtitle=plan.subtitle,
            notes=[text(setup.lang, "qualified")] if plan.hollow_any else [],
            synthetic=setup.synthetic)
        axes = body.subplots(rows, cols, squeeze=False)
        handles: dict[tuple[str, str], Any] = {}
        for idx, key in enumerate(plan.panel_keys):
            ax = axes[idx // cols][idx % cols]
            sub = frame.filter(pl.col(plan.panel_col) == key)
            handles |= _draw_lines(ax, sub, plan)
            codes = _draw_thresholds(ax, sub, key, plan, limits, setup.lang)
            _panel_title(ax, sub, key, codes, plan, setup, cells=int(
                (FIG_WIDTH / cols - 0.45) * 72 / 9.5 * 1.8))
            _year_axis(ax, plan.years)
            ax.margins(y=0.15)
            if _panel_is_rate(sub, codes, setup.namer):
                cap_at_100(ax)
        for idx in range(n, rows * cols):
            axes[idx // cols][idx % cols].set_visible(False)
        if len(plan.series) > 1:
            shown = [legend[plan.series.index(k)] for k in handles]
            body.legend(list(handles.values()), shown, loc="outside lower center",
                        ncols=legend_cols, handlelength=2.6)
        return finish(fig)


@dataclass(frozen=True)
class _TrendPlan:
    """Which column makes the panels, which the lines, and what the figure says on top."""

    panel_col: str
    line_col: str
    panel_keys: list[str]
    series: list[tuple[str, str]]
    scopes: list[str]
    years: list[int]
    has_qualifier: bool
    hollow_any: bool
    subtitle: str | None


def _trend_rows(observations: pl.DataFrame, *, indicators: Sequence[str] | None,
                regions: Sequence[str] | None, scope: str | None) -> pl.DataFrame:
    frame = observations
    if indicators is not None:
        frame = frame.filter(pl.col("indicator_code").is_in(list(indicators)))
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    if scope is not None:
        frame = frame.filter(pl.col("scope") == scope)
    return _nonempty(frame.filter(pl.col("value").is_not_null() & pl.col("year").is_not_null()),
                     "trend_panels", hint="check the indicators/regions/scope filters")


def _plan(frame: pl.DataFrame, setup: ChartSetup, *, panel_by: str,
          indicators: Sequence[str] | None, regions: Sequence[str] | None) -> _TrendPlan:
    by_indicator = panel_by == "indicator"
    panel_col = "indicator_code" if by_indicator else "region_code"
    line_col = "region_code" if by_indicator else "indicator_code"
    panel_keys = _ordered(frame[panel_col].to_list(), indicators if by_indicator else regions)
    line_keys = _ordered(frame[line_col].to_list(), regions if by_indicator else indicators)
    scopes = sorted(set(frame["scope"].to_list()))
    present = set(frame.select(line_col, "scope").unique().iter_rows())
    series = [(k, s) for k in line_keys for s in scopes if (k, s) in present]
    has_qualifier = "qualifier" in frame.columns
    hollow_any = has_qualifier and frame.filter(
        pl.col("qualifier").is_not_null() & (pl.col("qualifier") != "eq")).height > 0
    namer = setup.namer
    subtitle = None
    if by_indicator and len(line_keys) == 1:
        subtitle = namer.region(line_keys[0]) + (f" · {namer.scope(scopes[0])}"
                                                 if len(scopes) == 1 else "")
    elif len(scopes) == 1:
        subtitle = namer.scope(scopes[0])
    return _TrendPlan(panel_col=panel_col, line_col=line_col, panel_keys=panel_keys,
                      series=series, scopes=scopes,
                      years=[int(y) for y in frame["year"].to_list()],
                      has_qualifier=has_qualifier, hollow_any=hollow_any, subtitle=subtitle)


def _legend_entries(plan: _TrendPlan, setup: ChartSetup) -> list[str]:
    """One legend text per series, whole (the legend gets as many rows as it needs)."""
    name_of = (setup.namer.region if plan.line_col == "region_code"
               else setup.namer.indicator)
    show_scope = len(plan.scopes) > 1
    return [legend_text(_wrap(name_of(k) + (
        f" · {setup.namer.scope(s)}" if show_scope else ""), 44, 2)) for k, s in plan.series]


def _draw_lines(ax: Axes, sub: pl.DataFrame, plan: _TrendPlan) -> dict[tuple[str, str], Any]:
    """The panel's lines (hollow points for qualified values); their legend handles."""
    handles: dict[tuple[str, str], Any] = {}
    for s_idx, (line_key, line_scope) in enumerate(plan.series):
        part = sub.filter((pl.col(plan.line_col) == line_key)
                          & (pl.col("scope") == line_scope)).sort("year")
        if part.height == 0:
            continue
        color, dash = series_style(s_idx)
        xs, ys = _with_gaps([int(y) for y in part["year"].to_list()],
                            [float(v) for v in part["value"].to_list()])
        (line,) = ax.plot(xs, ys, color=color, linestyle=dash, marker="o", markersize=4.5,
                          markerfacecolor=color, markeredgecolor=color)
        handles[(line_key, line_scope)] = line
        if not plan.has_qualifier:
            continue
        loose = part.filter(pl.col("qualifier").is_not_null() & (pl.col("qualifier") != "eq"))
        if loose.height:
            ax.plot([int(y) for y in loose["year"].to_list()],
                    [float(v) for v in loose["value"].to_list()], linestyle="none",
                    marker="o", markersize=4.5, markerfacecolor="white",
                    markeredgecolor=color, markeredgewidth=1.3, zorder=3)
    return handles


def _draw_thresholds(ax: Axes, sub: pl.DataFrame, key: str, plan: _TrendPlan,
                     limits: Mapping[str, list[tuple[float | None, float | None]]],
                     lang: Lang) -> list[str]:
    """Dashed threshold lines (a band for a range) of the panel's indicators; the codes."""
    by_region = plan.panel_col == "region_code"
    codes = list(dict.fromkeys(sub["indicator_code"].to_list())) if by_region else [key]
    for code in codes:
        color = INK
        if by_region:
            color = series_style(next(i for i, (k, _s) in enumerate(plan.series)
                                      if k == code))[0]
        own = sub.filter(pl.col("indicator_code") == code)
        ends = own.filter(pl.col("year") == own["year"].max())["value"]
        latest = _num(ends.median()) if ends.len() else None
        for low, high in limits.get(str(code), []):
            if low is not None and high is not None:
                ax.axhspan(low, high, color=LIGHT_GREY, alpha=0.5, zorder=0, lw=0)
            for level in (v for v in (low, high) if v is not None):
                ax.axhline(level, color=color, linestyle=(0, (4, 3)), lw=1.0, zorder=1)
                # Put the label on the side of the line away from the latest data.
                above = latest is None or latest < level
                ax.annotate(f"{text(lang, 'threshold')} {_fmt(level)}", xy=(1.0, level),
                            xycoords=("axes fraction", "data"), xytext=(-2, 2 if above else -2),
                            textcoords="offset points", ha="right",
                            va="bottom" if above else "top", fontsize=7.5, color=color,
                            zorder=1.5)
    return codes


def _panel_units(sub: pl.DataFrame, codes: Sequence[str], namer: Namer) -> list[str]:
    from_rows = {u for u in (sub["unit"].to_list() if "unit" in sub.columns else []) if u}
    return sorted(from_rows or {namer.unit(c) for c in codes} - {""})


def _panel_is_rate(sub: pl.DataFrame, codes: Sequence[str], namer: Namer) -> bool:
    units = _panel_units(sub, codes, namer)
    return len(units) == 1 and is_rate_unit(units[0])


def _panel_title(ax: Axes, sub: pl.DataFrame, key: str, codes: Sequence[str],
                 plan: _TrendPlan, setup: ChartSetup, *, cells: int) -> None:
    """The panel's name with its unit, wrapped onto two lines when long."""
    units = _panel_units(sub, codes, setup.namer)
    shown = setup.namer.unit_text(units[0]) if len(units) == 1 else ""
    unit_note = (f"（{shown}）" if setup.lang == "zh" else f" ({shown})") if shown else ""
    name = (setup.namer.indicator(key) if plan.panel_col == "indicator_code"
            else setup.namer.region(key))
    ax.set_title(_wrap(name, cells, 2, suffix=unit_note), fontsize=9.5)
