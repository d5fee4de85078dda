"""The coverage heatmap: region × indicator disclosure states of one year."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from fzcompare.charts._common import MAX_GRID_REGIONS, _latest_year, _nonempty, _too_many
from fzcompare.charts._labels import Namer, check_lang, is_synthetic, require_columns, safe_text
from fzcompare.charts._style import (
    BLACK,
    BLUISH_GREEN,
    LIGHT_GREY,
    MUTED,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    chart_context,
    finish,
    label_inches,
    new_figure,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["COVERAGE_COLUMNS", "coverage_heatmap"]

COVERAGE_COLUMNS: Final[tuple[str, ...]] = ("region_code", "year", "indicator_code", "state")
"""Columns ``coverage_heatmap`` needs (``fzcompare.disclosure_frame`` has them)."""

_STATE_STYLE: Final[dict[str, tuple[str, str, str, str, str]]] = {
    # state: fill, symbol, symbol colour, Chinese label, English label
    "reported": (BLUISH_GREEN, "●", "white", "已公开数值", "Figure disclosed"),
    "zero": (SKY_BLUE, "0", BLACK, "公开为零", "Disclosed as zero"),
    "no_number": (YELLOW, "◐", BLACK, "有表述无数值", "Statement, no figure"),
    "withheld": (VERMILLION, "×", "white", "明确未公开", "Explicitly withheld"),
    "not_disclosed": ("#FFFFFF", "·", MUTED, "报告未提及", "Not in the report"),
    "no_report": (LIGHT_GREY, "", MUTED, "无报告", "No report"),
}


def coverage_heatmap(
    cells: pl.DataFrame,
    *,
    year: int | None = None,
    regions: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Regions × indicators grid of disclosure states in one year.

    Cells carry a symbol as well as a colour, so the chart survives grey-scale printing.
    Indicators (rows) are ordered by how many regions disclose them, most first.

    Args:
        cells: A ``fzcompare.disclosure_frame`` (``region_code, year, indicator_code,
            state``; ``source_id`` marks synthetic data).
        year: The year (default: the latest).
        regions: Region codes to show, in this order.
        indicators: Indicator codes to show (default: those disclosed by any region).
        lang: ``zh`` or ``en``.
        labels: ``code -> display name`` overrides.
        title: Figure title.
        synthetic: Force the synthetic-data mark.

    Raises:
        SchemaError: A needed column is missing.
        ChartError: Nothing to draw, or too many regions.

    Examples:
        >>> import polars as pl
        >>> cells = pl.DataFrame({"region_code": ["420300", "420300", "420500", "420500"],
        ...     "year": [2023] * 4, "indicator_code": ["reconsideration_applications",
        ...     "admin_litigation_loss_rate"] * 2,
        ...     "state": ["reported", "no_number", "not_disclosed", "zero"]})
        >>> fig = coverage_heatmap(cells, lang="en")
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['◐', '0', '●', '·']
    """
    lang_ = check_lang(lang)
    require_columns(cells, COVERAGE_COLUMNS, what="disclosure frame")
    mark = is_synthetic(cells, synthetic)
    the_year = _latest_year(cells, year, "coverage_heatmap")
    frame = cells.filter(pl.col("year") == the_year)
    if regions is not None:
        frame = frame.filter(pl.col("region_code").is_in(list(regions)))
    disclosed = pl.col("state").is_in(["reported", "zero", "no_number", "withheld"])
    if indicators is not None:
        frame = frame.filter(pl.col("indicator_code").is_in(list(indicators)))
    else:
        shown = frame.filter(disclosed)["indicator_code"].unique()
        frame = frame.filter(pl.col("indicator_code").is_in(shown.implode()))
    frame = _nonempty(frame, "coverage_heatmap", "no indicator is disclosed in that year")
    region_order = (list(dict.fromkeys(r for r in regions if r in set(frame["region_code"])))
                    if regions is not None else sorted(set(frame["region_code"])))
    if len(region_order) > MAX_GRID_REGIONS:
        msg = "coverage_heatmap"
        raise _too_many(msg, len(region_order), MAX_GRID_REGIONS, "regions",
                        "pass regions=[...] (e.g. one peer group)")
    counts = frame.group_by("indicator_code").agg(disclosed.sum().alias("n"))
    code_order = counts.sort(["n", "indicator_code"], descending=[True, False])[
        "indicator_code"].to_list()
    states = list(_STATE_STYLE)
    grid = np.full((len(code_order), len(region_order)), states.index("no_report"), dtype=int)
    row_of = {c: i for i, c in enumerate(code_order)}
    col_of = {r: j for j, r in enumerate(region_order)}
    for region, code, state in frame.select("region_code", "indicator_code",
                                            "state").iter_rows():
        if state in _STATE_STYLE:
            grid[row_of[code], col_of[region]] = states.index(state)
    return _draw(grid, code_order, region_order, Namer(lang_, labels), lang_ == "zh",
                 title or (f"{the_year} 年各地区公开情况" if lang_ == "zh"
                           else f"What was disclosed, {the_year}"), mark)


def _draw(grid: np.ndarray, codes: list[str], regions: list[str], namer: Namer, zh: bool,
          title: str, mark: bool) -> Figure:
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    states = list(_STATE_STYLE)
    row_labels = [safe_text(namer.indicator(c), 30) for c in codes]
    col_labels = [safe_text(namer.region(r), 14) for r in regions]
    nrows, ncols = grid.shape
    cell = 0.3
    left_in = label_inches(row_labels, 8) + 0.3
    width = max(5.0, left_in + cell * ncols + 0.6)
    height = 0.9 + label_inches(col_labels, 8) + cell * nrows
    with chart_context():
        fig, body = new_figure(width, height, lang="zh" if zh else "en", title=title,
                               synthetic=mark)
        ax = body.add_subplot()
        cmap = ListedColormap([_STATE_STYLE[s][0] for s in states])
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(states) - 0.5, aspect="auto",
                  interpolation="nearest")
        if nrows * ncols <= 2500:
            for (i, j), value in np.ndenumerate(grid):
                _fill, symbol, color, _zh, _en = _STATE_STYLE[states[int(value)]]
                if symbol:
                    ax.text(j, i, symbol, ha="center", va="center", fontsize=7.5, color=color)
        ax.set_xticks(range(ncols), labels=col_labels, rotation=90)
        ax.set_yticks(range(nrows), labels=row_labels)
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(-0.5, ncols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, nrows, 1), minor=True)
        ax.grid(which="major", visible=False)
        ax.grid(which="minor", color="#DDDDDD", linewidth=0.8)
        ax.tick_params(which="both", length=0)
        handles = [Patch(facecolor=_STATE_STYLE[s][0], edgecolor="#999999", lw=0.5)
                   for s in states]
        body.legend(handles, [f"{_STATE_STYLE[s][1]} {_STATE_STYLE[s][3 if zh else 4]}"
                              for s in states], loc="outside lower left", ncols=3,
                    handlelength=1.4)
        return finish(fig)
