"""``change_waterfall``: one region's score change, step by step from year to year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from fzcompare.charts._common import _axis_title, _signed, _wrap
from fzcompare.charts._labels import Namer, check_lang, require_columns, safe_text
from fzcompare.charts._style import (
    BLUE,
    BLUISH_GREEN,
    FIG_WIDTH,
    GREY,
    INK,
    VERMILLION,
    chart_context,
    finish,
    new_figure,
)
from fzcompare.errors import ChartError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PARTS_COLUMNS = ("region_code", "year_from", "year_to", "kind", "area_id", "criterion_id",
                 "contribution")


def _steps(parts: pl.DataFrame, by: str, min_share: float) -> list[tuple[str, float]]:
    """(label, contribution) per area or criterion; small ones summed into ``other``."""
    if by == "area":
        grouped = (parts.with_columns(pl.when(pl.col("kind") == "rubric").then(pl.lit("rubric"))
                                      .otherwise(pl.col("area_id").fill_null("total"))
                                      .alias("_step"))
                   .group_by("_step", maintain_order=True).agg(pl.col("contribution").sum()))
    else:
        grouped = parts.select(
            pl.when(pl.col("kind") == "rubric").then(pl.lit("rubric"))
            .when(pl.col("kind") == "adjustment")
            .then(pl.lit("adj ") + pl.col("area_id").fill_null("total"))
            .otherwise(pl.col("criterion_id")).alias("_step"), "contribution")
    steps = [(str(s), float(c)) for s, c in grouped.iter_rows() if abs(c) > 1e-12]
    scale = max((abs(c) for _, c in steps), default=0.0)
    big = [(s, c) for s, c in steps if abs(c) >= min_share * scale]
    rest = sum(c for s, c in steps if abs(c) < min_share * scale)
    return big + ([("other", rest)] if abs(rest) > 1e-12 else [])


def change_waterfall(
    parts: pl.DataFrame,
    *,
    region_code: str | None = None,
    total_from: float | None = None,
    by: str = "area",
    min_share: float = 0.02,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """A waterfall of one region's score change: start, one bar per part, end.

    Args:
        parts: ``AttributionResult.parts`` (one region, or pick one with ``region_code``).
        region_code: The region to draw (needed when ``parts`` holds several).
        total_from: The starting total (``AttributionResult.totals.total_from``); without
            it the bars start at 0 and show the change only.
        by: ``area`` (one bar per area, its adjustment included) or ``criterion``.
        min_share: Parts smaller than this share of the largest are summed as ``other``.
        lang: ``zh`` or ``en``.
        labels: ``id -> display name`` overrides for areas and criteria.
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Raises:
        ChartError: No rows for the region, several regions and none chosen, or a bad
            ``by``.

    Examples:
        >>> parts = pl.DataFrame({"region_code": ["420300"] * 3, "year_from": [2022] * 3,
        ...     "year_to": [2023] * 3, "kind": ["criterion", "criterion", "adjustment"],
        ...     "area_id": ["A1", "A2", None], "criterion_id": ["A1.1", "A2.1", None],
        ...     "contribution": [4.0, -1.5, 0.0]})
        >>> fig = change_waterfall(parts, total_from=70.0, lang="en")
        >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
        ['2022', 'A1', 'A2', '2023']
    """
    lang_ = check_lang(lang)
    require_columns(parts, PARTS_COLUMNS, what="attribution parts")
    if by not in ("area", "criterion"):
        msg = f"change_waterfall: by must be 'area' or 'criterion', not {by!r}"
        raise ChartError(msg,
                         reason="bad_value", column="by")
    frame = parts if region_code is None else parts.filter(pl.col("region_code") == region_code)
    codes = frame["region_code"].unique().to_list()
    if not codes:
        msg = "change_waterfall: no rows left to draw"
        raise ChartError(msg, reason="no_data")
    if len(codes) > 1:
        msg = (
            f"change_waterfall: {len(codes)} regions; pick one with "
                         "region_code="
        )
        raise ChartError(msg, reason="ambiguous", column="region_code")
    namer = Namer(lang_, labels)
    steps = _steps(frame, by, min_share)
    start = float(total_from) if total_from is not None else 0.0
    year_from, year_to = frame["year_from"][0], frame["year_to"][0]
    heading = title or f"{namer.region(codes[0])}: {year_from} → {year_to}"
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 3.2, lang=lang_, title=safe_text(heading, 60),
                               synthetic=synthetic)
        ax = body.add_subplot()
        level = start
        names = [str(year_from)]
        ax.bar(0, start, color=GREY, width=0.6)
        for i, (name, change) in enumerate(steps, start=1):
            color = BLUISH_GREEN if change >= 0 else VERMILLION
            ax.bar(i, change, bottom=level, color=color, width=0.6)
            ax.text(i, level + max(change, 0.0), _signed(round(change, 2)), ha="center",
                    va="bottom", fontsize=7.5, color=INK)
            level += change
            if name == "other":
                name = "其他" if lang_ == "zh" else "other"
            label = labels.get(name, name) if labels else name
            names.append(_wrap(label, 14, 2))
        ax.bar(len(steps) + 1, level, color=BLUE, width=0.6)
        names.append(str(year_to))
        ax.set_xticks(range(len(names)), labels=names, rotation=30 if len(names) > 8 else 0)
        ax.axhline(0, color=INK, lw=0.6)
        _axis_title(ax, "得分（分）" if lang_ == "zh" else "Points")
        return finish(fig)
