"""``change_waterfall``: one region's score change, step by step from year to year."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import polars as pl

from fzcompare.charts._common import _axis_title, _signed, _wrap, chart_setup
from fzcompare.charts._labels import Namer, safe_text
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
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PARTS_COLUMNS = ("region_code", "year_from", "year_to", "kind", "area_id", "criterion_id",
                 "contribution")


_OPTIONAL = ("area_name", "criterion_name", "indicator_code")
_FIXED = {"zh": {"rubric": "评分标准变化", "total": "总分调整", "other": "其他", "adj": "调整"},
          "en": {"rubric": "rubric effect", "total": "total adjustment", "other": "other",
                 "adj": "adj."}}


def _named_frame(parts: pl.DataFrame) -> pl.DataFrame:
    """``parts`` with the optional name columns (null when the frame has none)."""
    missing = [pl.lit(None, dtype=pl.String()).alias(c) for c in _OPTIONAL
               if c not in parts.columns]
    return parts.with_columns(missing) if missing else parts


def _step_label(row: dict[str, object], by: str, namer: Namer, fixed: dict[str, str]) -> str:
    """The display name of one step: area or criterion names, fixed words for the rest."""
    if row["kind"] == "rubric":
        return fixed["rubric"]
    if row["area_id"] is None:
        return fixed["total"]
    area = namer.area(row["area_id"], row["area_name"])
    if by == "area":
        return area
    if row["kind"] == "adjustment":
        return f"{area} {fixed['adj']}"
    return namer.criterion(row["criterion_id"], row["criterion_name"], row["indicator_code"])


def _steps(parts: pl.DataFrame, by: str, min_share: float, namer: Namer,
           fixed: dict[str, str]) -> list[tuple[str, float]]:
    """(label, contribution) per area or criterion; small ones summed into ``other``."""
    frame = _named_frame(parts).with_columns(
        pl.when(pl.col("kind") == "rubric").then(pl.lit(None, dtype=pl.String()))
        .otherwise(pl.col("area_id")).alias("area_id"))
    if by == "area":
        frame = (frame.with_columns(pl.when(pl.col("kind") == "rubric")
                                    .then(pl.lit("rubric")).otherwise(pl.lit("area"))
                                    .alias("kind"))
                 .group_by("kind", "area_id", maintain_order=True)
                 .agg(pl.col("area_name").first(), pl.col("contribution").sum()))
    rows = frame.iter_rows(named=True)
    steps = [(_step_label(row, by, namer, fixed), cast("float", row["contribution"]))
             for row in rows if abs(row["contribution"]) > 1e-12]
    scale = max((abs(c) for _, c in steps), default=0.0)
    big = [(s, c) for s, c in steps if abs(c) >= min_share * scale]
    rest = sum(c for s, c in steps if abs(c) < min_share * scale)
    return big + ([(fixed["other"], rest)] if abs(rest) > 1e-12 else [])


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
            it there is no start bar and the last bar is the net change.
        by: ``area`` (one bar per area, its adjustment included) or ``criterion``.
        min_share: Parts smaller than this share of the largest are summed as ``other``.
        lang: ``zh`` or ``en``.
        labels: ``id -> display name`` overrides for areas and criteria (otherwise the
            ``area_name`` / ``criterion_name`` columns, translated in English).
        title: Figure title.
        synthetic: Force the synthetic-data mark (it is drawn anyway when ``parts`` has a
            true ``synthetic`` flag, as ``change_attribution`` gives synthetic inputs).

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
    setup = chart_setup(parts, PARTS_COLUMNS, what="attribution parts", lang=lang,
                        labels=labels, synthetic=synthetic)
    if by not in ("area", "criterion"):
        msg = f"change_waterfall: by must be 'area' or 'criterion', not {by!r}"
        raise ChartError(msg, reason="bad_value", column="by",
                         hint="by='area' sums each area's criteria; by='criterion' shows each")
    frame = parts if region_code is None else parts.filter(pl.col("region_code") == region_code)
    codes = frame["region_code"].unique().to_list()
    if not codes:
        msg = "change_waterfall: no rows left to draw"
        raise ChartError(msg, reason="no_data")
    if len(codes) > 1:
        msg = f"change_waterfall: {len(codes)} regions; pick one with region_code="
        raise ChartError(msg, reason="ambiguous", column="region_code")
    fixed = _FIXED[setup.lang]
    steps = _steps(frame, by, min_share, setup.namer, fixed)
    year_from, year_to = frame["year_from"][0], frame["year_to"][0]
    heading = title or f"{setup.namer.region(codes[0])}: {year_from} → {year_to}"
    with chart_context():
        fig, body = new_figure(FIG_WIDTH, 3.2, lang=setup.lang, title=safe_text(heading, 60),
                               synthetic=setup.synthetic)
        ax = body.add_subplot()
        _draw(ax, steps, total_from, (str(year_from), str(year_to)), setup.lang)
        ax.axhline(0, color=INK, lw=0.6)
        _axis_title(ax, "得分（分）" if setup.lang == "zh" else "Points")
        return finish(fig)


def _draw(ax: Axes, steps: list[tuple[str, float]], total_from: float | None,
          years: tuple[str, str], lang: str) -> None:
    """The bars: the start total (when known), one per step, the end total or net change."""
    level = float(total_from) if total_from is not None else 0.0
    names = []
    first = 0
    if total_from is not None:
        ax.bar(0, level, color=GREY, width=0.6)
        names.append(years[0])
        first = 1
    for i, (name, change) in enumerate(steps, start=first):
        color = BLUISH_GREEN if change >= 0 else VERMILLION
        ax.bar(i, change, bottom=level, color=color, width=0.6)
        ax.text(i, level + max(change, 0.0), _signed(round(change, 2)), ha="center",
                va="bottom", fontsize=7.5, color=INK)
        level += change
        names.append(_wrap(name, 14, 3))
    ax.bar(len(names), level, color=BLUE, width=0.6)
    if total_from is not None:
        names.append(years[1])
    else:
        names.append(f"{years[0]}→{years[1]}\n{'变化' if lang == 'zh' else 'change'}")
    ax.set_xticks(range(len(names)), labels=names, rotation=30 if len(names) > 8 else 0)
