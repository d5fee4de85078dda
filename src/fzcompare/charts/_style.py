"""The one chart style: Okabe–Ito colours, the CJK font, figure frame and saving.

The style is applied through ``matplotlib.rc_context`` around building and saving a
figure, never to the global ``rcParams``.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Final, Literal

from fzcompare._io import atomic_write_bytes
from fzcompare.charts._fonts import chart_font
from fzcompare.charts._labels import Lang, display_width, safe_text
from fzcompare.errors import InvalidArgumentError

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

# Okabe & Ito (2008), "Color Universal Design": safe for the common colour-vision deficiencies.
BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
GREY: Final = "#8C8C8C"
LIGHT_GREY: Final = "#DDDDDD"
INK: Final = "#222222"
MUTED: Final = "#555555"

SERIES_COLORS: Final[tuple[str, ...]] = (
    BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, BLACK,
)
"""Line colours in order; yellow is left out (too faint as a line on white)."""
SERIES_DASHES: Final[tuple[str, ...]] = ("-", "--", ":")

VERDICT_STYLE: Final[dict[str, tuple[str, str]]] = {
    "improved": (BLUISH_GREEN, "^"),
    "worsened": (VERMILLION, "v"),
    "increased": (REDDISH_PURPLE, "^"),
    "decreased": (REDDISH_PURPLE, "v"),
    "unchanged": (BLUE, "o"),
    "not comparable": (GREY, "X"),
}
"""verdict -> (colour, marker); shapes repeat the colour's message for grey-scale print.

``increased``/``decreased`` are the trends module's verdicts for indicators without a good
direction (``direction: neutral``): a change, neither better nor worse.
"""

STATUS_STYLE: Final[dict[str, tuple[str, str, str]]] = {
    "met": (BLUISH_GREEN, "✓", "white"),
    "partial": (YELLOW, "◐", BLACK),
    "not_met": (VERMILLION, "×", "white"),
    "missing": (LIGHT_GREY, "?", MUTED),
}
"""status -> (fill, symbol, symbol colour)."""

FIG_WIDTH: Final[float] = 8.0
"""Inches; fits an A4 report column at 150 dpi without scaling text."""
DPI: Final[int] = 100
SAVE_DPI: Final[int] = 150

SYNTHETIC_MARK: Final[str] = "合成数据 / SYNTHETIC"

TEXT: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "year": "年份", "value": "数值", "threshold": "阈值", "rank": "排名",
        "share": "得分率", "peer_median": "同组中位数", "cv": "变异系数",
        "cv_axis": "变异系数（%）", "prev": "上年", "this": "本年",
        "improved": "改善", "worsened": "变差", "unchanged": "持平",
        "not comparable": "不可比", "met": "达标", "partial": "部分达标",
        "not_met": "未达标", "missing": "缺数据", "qualified": "空心点：约数或上下限",
        "shown_of": "仅显示变化最大的 {shown} 个（共 {total} 个）",
        "missing_value": "缺数据", "points": "分", "trend_title": "年度趋势",
        "dumbbell_title": "{indicator}：{prev} → {year}",
        "bullet_title": "{region} {year} 年指标对照标准",
        "profile_title": "{region} {year} 年各方面得分率",
        "unscored_areas": "未画出（无可得分值）：{areas}",
        "heatmap_title": "{year} 年各地区达标情况", "bump_title": "排名变化",
        "dispersion_title": "{indicator}：各地区离散程度",
        "n_regions": "n={n}", "pass_zone": "满分区间", "partial_zone": "部分得分区间",
        "value_bar": "实际值", "increased": "增加", "decreased": "减少",
        "peer_group": "同组：{group}（{n} 个地区）", "cv_undefined": "变异系数无法计算的年份未画出",
        "per_area": "按方面分组", "lower_better": "越低越好", "region": "地区",
        "rule_rising": "≥{low} 起得分，≥{high} 满分",
        "rule_falling": "≤{low} 满分，≥{high} 不得分",
        "bullet_note": "每行刻度各自从 0 起；条为实际值，颜色示达标情况；竖线为阈值；"
                       "右侧：数值（规则）得分",
    },
    "en": {
        "year": "Year", "value": "Value", "threshold": "threshold", "rank": "Rank",
        "share": "Share of points", "peer_median": "Peer median", "cv": "Coefficient of variation",
        "cv_axis": "Coefficient of variation (%)", "prev": "Previous year", "this": "This year",
        "improved": "Improved", "worsened": "Worsened", "unchanged": "Unchanged",
        "not comparable": "Not comparable", "met": "Met", "partial": "Partly met",
        "not_met": "Not met", "missing": "No data",
        "qualified": "Hollow points: approximate values or bounds",
        "shown_of": "Showing the {shown} largest changes of {total}",
        "missing_value": "no data", "points": "pts", "trend_title": "Trends",
        "dumbbell_title": "{indicator}: {prev} → {year}",
        "bullet_title": "{region} {year}: indicators against criteria",
        "profile_title": "{region} {year}: share of points by area",
        "unscored_areas": "Not drawn (no points to earn): {areas}",
        "heatmap_title": "Criteria met, {year}", "bump_title": "Rank over time",
        "dispersion_title": "{indicator}: spread across regions",
        "n_regions": "n={n}", "pass_zone": "full points", "partial_zone": "partial points",
        "value_bar": "value", "increased": "Increased", "decreased": "Decreased",
        "peer_group": "Peers: {group} ({n} regions)",
        "cv_undefined": "Years where the CV is undefined are left out",
        "per_area": "grouped by area", "lower_better": "lower is better", "region": "Region",
        "rule_rising": "points from ≥{low}, full at ≥{high}",
        "rule_falling": "full at ≤{low}, none from ≥{high}",
        "bullet_note": "Each row has its own scale from 0; bar: the value, coloured by status; "
                       "black tick: threshold; right: value (rule) points",
    },
}


def text(lang: Lang, key: str, **fields: object) -> str:
    """A fixed interface string in ``lang`` with ``fields`` filled in."""
    template = TEXT[lang][key]
    return template.format(**fields) if fields else template


def style_rc() -> dict[str, Any]:
    """The rcParams of the chart style (resolves and registers the CJK font)."""
    from cycler import cycler  # heavy: ships with matplotlib, loaded with it

    font = chart_font()
    return {
        "font.family": font.families,
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "axes.titlelocation": "left",
        "axes.titlepad": 4.0,
        "axes.labelsize": 9.0,
        "axes.labelcolor": INK,
        "axes.edgecolor": "#777777",
        "axes.linewidth": 0.7,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=list(SERIES_COLORS)),
        "axes.unicode_minus": True,
        "grid.color": "#E6E6E6",
        "grid.linewidth": 0.6,
        "xtick.labelsize": 8.0,
        "ytick.labelsize": 8.0,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "legend.fontsize": 8.0,
        "legend.frameon": False,
        "lines.linewidth": 1.6,
        "lines.markersize": 5.0,
        "text.color": INK,
        "text.usetex": False,
        "text.parse_math": True,
        "figure.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.edgecolor": "white",
        "savefig.transparent": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "fzcompare",
        "path.simplify": True,
    }


@contextmanager
def chart_context() -> Iterator[None]:
    """Apply the chart style for the duration of the block (not globally)."""
    import matplotlib  # heavy: matplotlib loads on the first chart, not on import

    with matplotlib.rc_context(style_rc()):  # type: ignore[arg-type]
        yield


def new_figure(width: float, body_height: float, *, lang: Lang, title: str | None,
               subtitle: str | None = None, notes: Sequence[str] = (),
               synthetic: bool = False) -> tuple[Figure, SubFigure]:
    """A figure on an Agg canvas: header, body (constrained layout) and footer.

    Call it inside ``chart_context``.

    The header holds the title, the subtitle and, for synthetic data, the badge; the footer
    the notes. They are separate subfigures of fixed height, so legends placed ``outside``
    the body never collide with them. Charts draw into the returned body subfigure.
    """
    del lang  # the header texts come translated; kept for symmetry with the chart calls
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pad = 0.08
    title_size, sub_size, note_size = 12.0, 8.5, 7.5
    badge_in = 1.9 if synthetic else 0.0
    top = pad + (0.30 if title else 0.0) + (0.22 if subtitle else 0.0)
    if synthetic:
        top = max(top, 0.42)
    top += 0.04
    bottom = pad + 0.19 * len(notes) if notes else 0.0
    height = top + body_height + bottom
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ratios = [top, body_height] + ([bottom] if bottom else [])
    parts = list(fig.subfigures(len(ratios), 1, height_ratios=ratios,  # type: ignore[arg-type]
                                hspace=0.0))
    header, body = parts[0], parts[1]
    y = 1 - pad / top
    if title:
        header.text(pad / width, y, safe_text(
            title, _chars_for(width - 2 * pad - badge_in, title_size)),
            ha="left", va="top", fontsize=title_size, color=INK)
        y -= 0.30 / top
    if subtitle:
        header.text(pad / width, y, safe_text(
            subtitle, _chars_for(width - 2 * pad - badge_in, sub_size)),
            ha="left", va="top", fontsize=sub_size, color=MUTED)
    if synthetic:
        header.text(1 - pad / width, 1 - pad / top, SYNTHETIC_MARK, ha="right", va="top",
                    fontsize=10.0, color="white",
                    bbox={"boxstyle": "round,pad=0.35", "facecolor": VERMILLION,
                          "edgecolor": "none"})
        body.text(0.5, 0.5, SYNTHETIC_MARK, ha="center", va="center", rotation=28,
                  fontsize=min(width, body_height) * 7.0, color=VERMILLION, alpha=0.10,
                  zorder=20, in_layout=False)
    if notes:
        footer = parts[2]
        y = pad / bottom
        for note in reversed(list(notes)):
            footer.text(pad / width, y, safe_text(note, _chars_for(width - 2 * pad,
                                                                   note_size)),
                        ha="left", va="bottom", fontsize=note_size, color=MUTED)
            y += 0.19 / bottom
    return fig, body


def _chars_for(inches: float, fontsize: float) -> int:
    return max(8, int(inches * 72.0 / fontsize * 2.0))


def finish(fig: Figure) -> Figure:
    """Lay the figure out once inside the style, so tick labels exist with its font."""
    fig.draw_without_rendering()
    return fig


def figure_bytes(fig: Figure, *, dpi: int = SAVE_DPI, fmt: Literal["png", "svg"] = "png") -> bytes:
    """Render ``fig`` to PNG or SVG bytes that depend only on the figure (no dates, no version)."""
    metadata: dict[str, str | None] = (
        {"Software": None} if fmt == "png" else {"Date": None, "Creator": None})
    buffer = io.BytesIO()
    with chart_context():
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def palette_png(data: bytes, *, colors: int = 256) -> bytes:
    """Re-encode a PNG with an adaptive palette of ``colors`` colours (deterministic)."""
    from PIL import Image  # heavy: Pillow only for palette PNGs

    if not 2 <= colors <= 256:
        msg = f"colors must be within 2-256, got {colors}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. colors=64", argument="colors")
    with Image.open(io.BytesIO(data)) as image:
        quantized = image.convert("RGB").quantize(
            colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    quantized.save(out, format="png", optimize=True)
    return out.getvalue()


def write_bytes(data: bytes, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write to a binary file object, or atomically to a path (temp file, then replace)."""
    if not isinstance(target, (str, os.PathLike)):
        target.write(data)
        return

    atomic_write_bytes(target, data)


def data_uri(data: bytes, fmt: Literal["png", "svg"]) -> str:
    """``data:`` URI for inline HTML."""
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def series_style(i: int) -> tuple[str, str]:
    """(colour, linestyle) of the ``i``-th series: 7 colours, then dashes, then dots."""
    n = len(SERIES_COLORS)
    return SERIES_COLORS[i % n], SERIES_DASHES[(i // n) % len(SERIES_DASHES)]


def label_inches(labels: Sequence[str], fontsize: float) -> float:
    """Rough width in inches of the widest label (for sizing figures)."""
    widest = max((display_width(s) for s in labels), default=0)
    return widest * fontsize * 0.55 / 72.0
