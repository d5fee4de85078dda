"""Charts of observations: ``trend_panels`` (small multiples of values over years)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from fzcompare._names import regions_in
from fzcompare.charts._common import (
    MAX_PANELS,
    MAX_SERIES,
    OBSERVATION_COLUMNS,
    Thresholds,
    _fmt,
    _legend_width,
    _nonempty,
    _num,
    _ordered,
    _threshold_map,
    _too_many,
    _with_gaps,
    _wrap,
    _year_axis,
)
from fzcompare.charts._labels import (
    Namer,
    check_lang,
    is_synthetic,
    legend_text,
    require_columns,
    safe_text,
)
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
    lang_ = check_lang(lang)
    require_columns(observations, OBSERVATION_COLUMNS, what="observations")
    namer = Namer(lang_, labels)
    mark = is_synthetic(observations, synthetic)
    frame = observations
    if indicators is not None:
        frame = frame.filter(pl.col("indicator_code").is_in(list(indicators)))
    if regions is not None:
        regions = regions_in(observations, regions)
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
        msg = (
            f"trend_panels: {len(series)} lines per panel are too many to tell "
                         f"apart (at most {MAX_SERIES})"
        )
        raise ChartError(msg, reason="too_many_series",
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
        msg = "trend_panels"
        raise _too_many(msg, n, MAX_PANELS, "panels",
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
