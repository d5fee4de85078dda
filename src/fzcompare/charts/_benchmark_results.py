"""Charts of benchmark results.

``bullet_chart``, ``area_profile``, ``criteria_heatmap`` and ``rank_bump``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import polars as pl

from fzcompare._names import regions_in
from fzcompare.charts._common import (
    _COMPARATOR_ALIASES,
    _COMPARATOR_SIGN,
    _FULL_ZONE,
    _PARTIAL_ZONE,
    AREAS_COLUMNS,
    BULLET_COLUMNS,
    CRITERIA_COLUMNS,
    MAX_GRID_REGIONS,
    TOTALS_COLUMNS,
    ChartSetup,
    _axis_title,
    _fmt,
    _latest_year,
    _nonempty,
    _num,
    _one_value,
    _ordered,
    _too_many,
    _wrap,
    _year_axis,
    chart_setup,
    right_labels,
)
from fzcompare.charts._labels import (
    Lang,
    Namer,
    display_width,
    legend_text,
    safe_text,
)
from fzcompare.charts._style import (
    BLUE,
    FIG_WIDTH,
    INK,
    MUTED,
    STATUS_STYLE,
    chart_context,
    finish,
    label_inches,
    new_figure,
    series_style,
    text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.projections.polar import PolarAxes

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
    setup = chart_setup(criteria, BULLET_COLUMNS, what="criteria frame", lang=lang,
                        labels=labels, synthetic=synthetic)
    region = str(_one_value(criteria, "region_code", region_code, "bullet_chart"))
    frame = criteria.filter(pl.col("region_code") == region)
    the_year = _latest_year(frame, year, "bullet_chart")
    frame = _nonempty(frame.filter(pl.col("year") == the_year), "bullet_chart")
    entries = _bullet_entries(frame.with_row_index("_order").sort(["area_id", "_order"]),
                              setup.namer)
    left = [_wrap(name, 36 if row is not None else 40, 3) for name, row in entries]
    heights = [0.30 + 0.13 * label.count("\n") for label in left]
    tops = [sum(heights[i + 1:]) + heights[i] / 2 for i in range(len(entries))]
    heading = title or text(setup.lang, "bullet_title", region=setup.namer.region(region),
                            year=the_year)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.7 + sum(heights), lang=setup.lang, title=heading,
                               notes=[text(setup.lang, "bullet_note")],
                               synthetic=setup.synthetic)
        ax = body.add_subplot()
        partial_used = False
        right: list[str] = []
        for (_name, row), y in zip(entries, tops, strict=True):
            if row is None:
                right.append("")
                continue
            partial_used |= _draw_bullet(ax, y, row, setup.lang)
            right.append(_bullet_text(row, setup))
        ax.set_yticks(tops, labels=left)
        for tick, (_name, entry) in zip(ax.get_yticklabels(), entries, strict=True):
            if entry is None:
                tick.set_color(BLUE)
                tick.set_fontsize(8.5)
        ax.set_xlim(0, 1.0)
        ax.set_ylim(0, sum(heights))
        ax.set_xticks([])
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
        right_labels(ax, tops, [safe_text(t) for t in right])
        _bullet_legend(body, setup.lang, partial_used=partial_used)
        return finish(fig)


_Row = dict[str, Any]


def _bullet_entries(frame: pl.DataFrame, namer: Namer) -> list[tuple[str, _Row | None]]:
    """Rows of the chart in order: an area heading (no record) before its criteria."""
    areas = list(dict.fromkeys(frame["area_id"].to_list()))
    entries: list[tuple[str, _Row | None]] = []
    for area in areas:
        part = frame.filter(pl.col("area_id") == area)
        if len(areas) > 1:
            entries.append((namer.area(area, part["area_name"][0]), None))
        records = list(part.iter_rows(named=True))
        entries += list(zip(namer.criteria(records), records, strict=True))
    return entries


def _bullet_zones(low: float | None, high: float | None, comparator: str
                  ) -> list[tuple[float | None, float | None, str]]:
    """Full-credit zone and, for linear rules (``threshold_high`` set), the partial zone.

    ``>=``: credit from threshold, full from threshold_high; ``<=``: full up to threshold,
    none from threshold_high; ``between``: full inside the range. None is an open end.
    """
    if low is None:
        return []
    if comparator == "between" and high is not None:
        return [(low, high, _FULL_ZONE)]
    if comparator in (">=", ">"):
        if high is not None and high > low:
            return [(low, high, _PARTIAL_ZONE), (high, None, _FULL_ZONE)]
        return [(low, None, _FULL_ZONE)]
    if comparator in ("<=", "<"):
        zones: list[tuple[float | None, float | None, str]] = [(None, low, _FULL_ZONE)]
        if high is not None and high > low:
            zones.append((low, high, _PARTIAL_ZONE))
        return zones
    return []


def _comparator(row: _Row) -> str:
    comparator = str(row["comparator"] or "")
    return _COMPARATOR_ALIASES.get(comparator, comparator)


def _draw_bullet(ax: Axes, y: float, row: _Row, lang: Lang) -> bool:
    """One criterion's row on its own scale; True when it drew a partial-credit zone."""
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.patches import Rectangle

    value = _num(row["value"])
    low, high = _num(row["threshold"]), _num(row["threshold_high"])
    numbers = [v for v in (value, low, high) if v is not None]
    lo = min([0.0, *numbers])
    hi = max([*numbers, lo + 1e-9]) * 1.12 if numbers else 1.0
    hi = hi if hi > lo else lo + 1.0

    def pos(v: float | None, default: float) -> float:
        return default if v is None else (v - lo) / (hi - lo)

    ax.add_patch(Rectangle((0, y - 0.12), 1.0, 0.24, facecolor="#F0F0F0", edgecolor="none",
                           zorder=1))
    zones = _bullet_zones(low, high, _comparator(row))
    for start, stop, shade in zones:
        ax.add_patch(Rectangle((pos(start, 0.0), y - 0.12), pos(stop, 1.0) - pos(start, 0.0),
                               0.24, facecolor=shade, edgecolor="none", zorder=1))
    status = str(row["status"] or "missing")
    fill = STATUS_STYLE.get(status, STATUS_STYLE["missing"])[0]
    if value is not None:
        base = pos(0.0, 0.0) if lo < 0 else 0.0
        start = pos(min(0.0, value), 0.0) if lo < 0 else 0.0
        ax.add_patch(Rectangle((start, y - 0.05), pos(value, 0.0) - base, 0.10,
                               facecolor=fill, edgecolor=INK, lw=0.6, zorder=3))
    else:
        ax.text(0.015, y, text(lang, "missing_value"), va="center", ha="left", fontsize=8,
                color=MUTED, zorder=3)
    for level in (low, high):
        if level is not None:
            ax.plot([pos(level, 0.0)] * 2, [y - 0.1, y + 0.1], color=INK, lw=2.0,
                    solid_capstyle="butt", zorder=4)
    return any(shade == _PARTIAL_ZONE for *_z, shade in zones)


def _bullet_rule(row: _Row, lang: Lang) -> str:
    """The rule in words: ``≥95``, ``5–20``, or for linear rules where credit starts and ends."""
    comparator = _comparator(row)
    low, high = _num(row["threshold"]), _num(row["threshold_high"])
    sign = _COMPARATOR_SIGN.get(comparator, "")
    if low is None:
        return ""
    if high is None or comparator == "between":
        return f"{sign}{_fmt(low)}" + (f"–{_fmt(high)}" if high is not None else "")
    key = "rule_rising" if comparator in (">=", ">") else "rule_falling"
    return text(lang, key, low=_fmt(low), high=_fmt(high))


def _bullet_text(row: _Row, setup: ChartSetup) -> str:
    unit = str(row.get("unit") or "") or (
        setup.namer.unit(row["indicator_code"]) if row["indicator_code"] else "")
    value = _num(row["value"])
    shown = _fmt(value, unit) if value is not None else text(setup.lang, "missing_value")
    rule = _bullet_rule(row, setup.lang)
    possible, earned = _num(row["points_possible"]), _num(row["points_earned"])
    points = (f"  {_fmt(earned or 0.0)}/{_fmt(possible)}{text(setup.lang, 'points')}"
              if possible is not None else "")
    return shown + (f" ({rule})" if rule else "") + points


def _bullet_legend(body: SubFigure, lang: Lang, *, partial_used: bool) -> None:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=STATUS_STYLE[s][0], edgecolor=INK, lw=0.6)
                          for s in ("met", "partial", "not_met")]
    names = [text(lang, s) for s in ("met", "partial", "not_met")]
    handles.append(Patch(facecolor=_FULL_ZONE))
    names.append(text(lang, "pass_zone"))
    if partial_used:
        handles.append(Patch(facecolor=_PARTIAL_ZONE))
        names.append(text(lang, "partial_zone"))
    handles.append(Line2D([], [], color=INK, lw=2.0))
    names.append(text(lang, "threshold"))
    body.legend(handles, names, loc="outside upper left", ncols=len(names),
                handlelength=1.4, columnspacing=1.2)


# ---------------------------------------------------------------- area profile


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
    setup = chart_setup(areas, AREAS_COLUMNS, what="areas frame", lang=lang, labels=labels,
                        synthetic=synthetic)
    lang_, namer = setup.lang, setup.namer
    own = areas.filter(pl.col("region_code") == region_code)
    the_year = _latest_year(own, year, "area_profile")
    own = _nonempty(own.filter(pl.col("year") == the_year), "area_profile",
                    hint=f"no rows for region {region_code!r} in {the_year}")
    group = peer_group if peer_group is not None else own["peer_group"].drop_nulls().first()
    peers = areas.filter((pl.col("year") == the_year) & (pl.col("peer_group") == group)
                         if group is not None else pl.col("year") == the_year)
    profile = _profile(own, peers, namer)
    region_name = namer.region(region_code)
    heading = title or text(lang_, "profile_title", region=region_name, year=the_year)
    subtitle = text(lang_, "peer_group", group=namer.peer_group(group)
                    if group is not None else "–", n=peers["region_code"].n_unique())
    with chart_context():
        if kind == "radar":
            fig, body = new_figure(FIG_WIDTH * 0.8, 5.6, lang=lang_, title=heading,
                                   subtitle=subtitle, notes=profile.notes,
                                   synthetic=setup.synthetic)
            handles = _radar(body, profile)
        else:
            fig, body = new_figure(FIG_WIDTH, 0.9 + 0.42 * len(profile.order), lang=lang_,
                                   title=heading, subtitle=subtitle, notes=profile.notes,
                                   synthetic=setup.synthetic)
            handles = _profile_bars(body, profile, lang_)
        body.legend(handles, [legend_text(safe_text(region_name, 24)),
                              text(lang_, "peer_median")],
                    loc="outside upper left", ncols=2)
        return finish(fig)


@dataclass(frozen=True)
class _Profile:
    """A region's areas in order with its shares (in %), the peer medians and the notes."""

    order: list[Any]
    names: list[str]
    shares: list[float | None]
    medians: dict[Any, float | None]
    earned: list[Any]
    possible: list[Any]
    notes: list[str]


def _profile(own: pl.DataFrame, peers: pl.DataFrame, namer: Namer) -> _Profile:
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
    notes = ([text(namer.lang, "unscored_areas", areas="、".join(
        namer.area(a, n) for a, n in unscored.select("area_id", "area_name").iter_rows()))]
        if unscored.height else [])
    return _Profile(order=order,
                    names=[namer.area(a, n) for a, n in zip(order, own["area_name"].to_list(),
                                                            strict=True)],
                    shares=[_num(v) for v in own["share"].to_list()], medians=medians,
                    earned=own["points_earned"].to_list(),
                    possible=own["points_possible"].to_list(), notes=notes)


def _radar(body: SubFigure, profile: _Profile) -> list[Any]:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.lines import Line2D

    polar = cast("PolarAxes", body.add_subplot(projection="polar"))
    count = len(profile.order)
    polar.set_theta_offset(math.pi / 2)
    polar.set_theta_direction(-1)
    angles = [2 * math.pi * i / count for i in range(count)]
    closed = [*angles, angles[0]]
    own_vals = [v or 0.0 for v in profile.shares]
    peer_vals = [profile.medians.get(a) or 0.0 for a in profile.order]
    polar.fill(closed, [*own_vals, own_vals[0]], color=BLUE, alpha=0.18, lw=0)
    polar.plot(closed, [*own_vals, own_vals[0]], color=BLUE, lw=2.0, marker="o", markersize=4)
    polar.plot(closed, [*peer_vals, peer_vals[0]], color=INK, lw=1.3, linestyle=(0, (4, 3)))
    polar.set_xticks(angles, labels=[_wrap(s, 20, 2) for s in profile.names])
    polar.set_ylim(0, 112)  # keeps labels clear of points near 100 %; rings stop at 100
    polar.set_yticks([25, 50, 75, 100], labels=["25", "50", "75", "100%"])
    polar.tick_params(axis="y", labelsize=7.5, labelcolor=MUTED)
    polar.tick_params(axis="x", pad=14)
    polar.set_rlabel_position(180 / count)
    polar.spines["polar"].set_visible(False)
    return [Line2D([], [], color=BLUE, lw=2.0, marker="o", markersize=4),
            Line2D([], [], color=INK, lw=1.3, linestyle=(0, (4, 3)))]


def _profile_bars(body: SubFigure, profile: _Profile, lang: Lang) -> list[Any]:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = body.add_subplot()
    ys = list(range(len(profile.order)))[::-1]  # first area on top
    for y, share in zip(ys, profile.shares, strict=True):
        if share is not None:
            ax.barh(y, share, height=0.6, color=BLUE, alpha=0.85, zorder=2)
    for y, area in zip(ys, profile.order, strict=True):
        median = profile.medians.get(area)
        if median is not None:
            # unclipped: a median of 100 % sits on the axis end, whole
            ax.plot([median, median], [y - 0.42, y + 0.42], color=INK, lw=2.2,
                    solid_capstyle="butt", zorder=3, clip_on=False)
    ax.set_yticks(ys, labels=[_wrap(s, 30, 2) for s in profile.names])
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], labels=["0", "25", "50", "75", "100%"])
    ax.set_xlabel(text(lang, "share"))
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    right_labels(ax, ys, [
        f"{s:.1f}%  ({_fmt(_num(e))}/{_fmt(_num(p))})" if s is not None else "–"
        for s, e, p in zip(profile.shares, profile.earned, profile.possible, strict=True)])
    return [Patch(facecolor=BLUE, alpha=0.85), Line2D([], [], color=INK, lw=2.2)]


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
    setup = chart_setup(criteria, CRITERIA_COLUMNS, what="criteria frame", lang=lang,
                        labels=labels, synthetic=synthetic)
    the_year = _latest_year(criteria, year, "criteria_heatmap")
    frame = criteria.filter(pl.col("year") == the_year)
    if regions is not None:
        regions = regions_in(criteria, regions)
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    frame = _nonempty(frame, "criteria_heatmap")
    region_order = _region_order(frame, regions)
    if len(region_order) > MAX_GRID_REGIONS:
        what = "criteria_heatmap"
        raise _too_many(what, len(region_order), MAX_GRID_REGIONS, "regions",
                        "pass regions=[...] (e.g. one prefecture's counties)")
    crit_rows = list(frame.with_row_index("_order")
                     .group_by("criterion_id", maintain_order=True)
                     .agg(pl.col("_order").min(), pl.col("area_id").first(),
                          pl.col("area_name").first(), pl.col("criterion_name").first(),
                          pl.col("indicator_code").first())
                     .sort(["area_id", "_order"]).iter_rows(named=True))
    grid = _status_grid(frame, crit_rows, region_order)
    row_labels = [_wrap(name, 40, 3) for name in setup.namer.criteria(crit_rows)]
    col_labels, stacked = _column_labels([setup.namer.region(c) for c in region_order])
    area_names = {r["area_id"]: _wrap(setup.namer.area(r["area_id"], r["area_name"]), 24, 3)
                  for r in crit_rows}
    lines = max((label.count("\n") + 1 for label in row_labels), default=1)
    cell_h = 0.3 if lines <= 2 else 0.42
    cell = 0.3
    left_in = label_inches([p for s in row_labels for p in s.split("\n")], 8) + 0.3
    right_in = label_inches([p for s in area_names.values() for p in s.split("\n")], 8) + 0.3
    top_in = (max(len(c.split("\n")) for c in col_labels) * 8 * 1.25 / 72 if stacked
              else label_inches(col_labels, 8)) + 0.2
    nrows, ncols = grid.shape
    with chart_context():
        fig, body = new_figure(max(5.0, left_in + right_in + cell * ncols + 0.3),
                               0.7 + top_in + cell_h * nrows, lang=setup.lang,
                               title=title or text(setup.lang, "heatmap_title", year=the_year),
                               synthetic=setup.synthetic)
        ax = body.add_subplot()
        _draw_grid(ax, grid)
        ax.set_xticks(range(ncols), labels=col_labels, rotation=0 if stacked else 90,
                      linespacing=1.0)
        ax.set_yticks(range(nrows), labels=row_labels, linespacing=1.05)
        ax.xaxis.tick_top()
        groups: dict[Any, list[int]] = {}
        for i, r in enumerate(crit_rows):
            groups.setdefault(r["area_id"], []).append(i)
        for members in list(groups.values())[1:]:
            ax.axhline(members[0] - 0.5, color=INK, lw=1.2)
        right_labels(ax, [sum(m) / len(m) for m in groups.values()],
                     [area_names[a] for a in groups], colors=[BLUE] * len(groups))
        _heatmap_legend(body, setup.lang)
        return finish(fig)


_STATUS_CODES: dict[str, int] = {"met": 0, "partial": 1, "not_met": 2, "missing": 3}


def _region_order(frame: pl.DataFrame, regions: Sequence[str] | None) -> list[Any]:
    """The given order, else most points first, else by code."""
    if regions is not None:
        return _ordered(frame["region_code"].to_list(), regions)
    if "points_earned" in frame.columns:
        totals = frame.group_by("region_code").agg(pl.col("points_earned").sum().alias("p"))
        return totals.sort(["p", "region_code"], descending=[True, False],
                           nulls_last=True)["region_code"].to_list()
    return sorted(set(frame["region_code"].to_list()))


def _status_grid(frame: pl.DataFrame, crit_rows: Sequence[_Row],
                 region_order: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.int_]]:
    """Criteria x regions of status codes; a region without a row counts as missing."""
    grid = np.full((len(crit_rows), len(region_order)), 3, dtype=int)
    row_of = {r["criterion_id"]: i for i, r in enumerate(crit_rows)}
    col_of = {c: j for j, c in enumerate(region_order)}
    for rec in frame.select("criterion_id", "region_code", "status").iter_rows():
        grid[row_of[rec[0]], col_of[rec[1]]] = _STATUS_CODES.get(str(rec[2]), 3)
    return grid


def _column_labels(names: Sequence[str]) -> tuple[list[str], bool]:
    """Region names for the columns: all-CJK names read top to bottom, others are rotated."""
    labels = [safe_text(n, 20) for n in names]
    stacked = all(display_width(c.removesuffix("…")) == 2 * len(c.removesuffix("…"))
                  for c in labels)
    if stacked:
        # U+FE19 is the vertical form of the ellipsis.
        labels = ["\n".join(c.replace("…", "\ufe19")) for c in labels]
    return labels, stacked


def _draw_grid(ax: Axes, grid: np.ndarray[Any, np.dtype[np.int_]]) -> None:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([STATUS_STYLE[s][0] for s in _STATUS_CODES])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="nearest")
    nrows, ncols = grid.shape
    if nrows * ncols <= 2500:
        statuses = list(_STATUS_CODES)
        for (i, j), value in np.ndenumerate(grid):
            _fill, symbol, color = STATUS_STYLE[statuses[int(value)]]
            ax.text(j, i, symbol, ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(np.arange(-0.5, ncols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, nrows, 1), minor=True)
    ax.grid(which="major", visible=False)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _heatmap_legend(body: SubFigure, lang: Lang) -> None:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=STATUS_STYLE[s][0], edgecolor="#999999", lw=0.5)
               for s in _STATUS_CODES]
    body.legend(handles, [f"{STATUS_STYLE[s][1]} {text(lang, s)}" for s in _STATUS_CODES],
                loc="outside lower left", ncols=4, handlelength=1.4)


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
    setup = chart_setup(totals, TOTALS_COLUMNS, what="totals frame", lang=lang, labels=labels,
                        synthetic=synthetic)
    frame = totals.filter(pl.col("rank").is_not_null() & pl.col("year").is_not_null())
    group = None
    if "peer_group" in frame.columns and frame.height:
        group = _one_value(frame, "peer_group", peer_group, "rank_bump")
        frame = frame.filter(pl.col("peer_group") == group)
    if regions is not None:
        regions = regions_in(totals, regions)
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    frame = _nonempty(frame, "rank_bump").sort(["region_code", "year"])
    order = _ordered(frame["region_code"].to_list(), regions)
    if len(order) > MAX_GRID_REGIONS:
        what = "rank_bump"
        raise _too_many(what, len(order), MAX_GRID_REGIONS, "regions",
                        "pass regions=[...] or peer_group=...")
    if highlight is None:
        colored = order if len(order) <= 7 else []
    else:
        colored = [c for c in order if c in set(highlight)]
    years = [int(y) for y in frame["year"].to_list()]
    max_rank = int(frame["rank"].max())  # type: ignore[arg-type]
    subtitle = (text(setup.lang, "peer_group", group=setup.namer.peer_group(group),
                     n=len(order)) if group is not None else None)
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 0.8 + max(2.6, 0.27 * max_rank), lang=setup.lang,
                               title=title or text(setup.lang, "bump_title"),
                               subtitle=subtitle, synthetic=setup.synthetic)
        ax = body.add_subplot()
        end_labels = _bump_lines(ax, frame, order, colored, setup.namer, last_year=max(years))
        ax.invert_yaxis()
        ax.set_ylim(max_rank + 0.6, 0.4)
        ax.set_yticks(range(1, max_rank + 1))
        if max_rank > 30:
            # heavy: matplotlib loads on the first chart, not on import
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
        _axis_title(ax, text(setup.lang, "rank"))
        _year_axis(ax, years)
        ax.grid(axis="y", visible=False)
        positions = sorted(end_labels)
        right_labels(ax, positions, [safe_text(" / ".join(n for n, _ in end_labels[p]), 24)
                                     for p in positions],
                     colors=[end_labels[p][0][1] if len(end_labels[p]) == 1 else INK
                             for p in positions], fontsize=8)
        return finish(fig)


def _bump_lines(ax: Axes, frame: pl.DataFrame, order: Sequence[str], colored: Sequence[str],
                namer: Namer, *, last_year: int) -> dict[int, list[tuple[str, str]]]:
    """One line per region; the names that end at the last year, by final rank."""
    end_labels: dict[int, list[tuple[str, str]]] = {}
    for code in order:
        part = frame.filter(pl.col("region_code") == code)
        xs = [int(y) for y in part["year"].to_list()]
        ys = [int(r) for r in part["rank"].to_list()]
        if code in colored:
            color, dash = series_style(list(colored).index(code))
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
                        textcoords="offset points", fontsize=7.5, color=MUTED)
    return end_labels
