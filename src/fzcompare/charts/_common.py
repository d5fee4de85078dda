"""Column lists, limits and small helpers shared by the chart families."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import polars as pl

from fzcompare.charts._labels import (
    Lang,
    Namer,
    check_lang,
    display_width,
    is_synthetic,
    require_columns,
    safe_text,
    truncate,
)
from fzcompare.charts._style import (
    FIG_WIDTH,
    INK,
    text,
)
from fzcompare.errors import ChartError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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


# ---------------------------------------------------------------- figure set-up


@dataclass(frozen=True)
class ChartSetup:
    """What every chart function settles before drawing: language, names, synthetic mark."""

    lang: Lang
    namer: Namer
    synthetic: bool


def chart_setup(frame: pl.DataFrame, columns: Sequence[str], *, what: str, lang: str,
                labels: Mapping[str, str] | None, synthetic: bool) -> ChartSetup:
    """Check ``lang`` and the frame's columns; the namer and whether to mark synthetic data.

    Raises:
        ChartError: ``lang`` is not ``zh`` or ``en``.
        SchemaError: A needed column is missing.
    """
    lang_ = check_lang(lang)
    require_columns(frame, columns, what=what)
    return ChartSetup(lang=lang_, namer=Namer(lang_, labels),
                      synthetic=is_synthetic(frame, synthetic))


def right_labels(ax: Axes, ys: Sequence[float], labels: Sequence[str], *,
                 colors: Sequence[str] | None = None, fontsize: float | None = None) -> None:
    """Tick labels on a right-hand axis at ``ys`` (no ticks, no spine): values, names."""
    right = ax.secondary_yaxis("right")
    right.set_yticks(list(ys), labels=list(labels))
    right.tick_params(axis="y", length=0)
    if fontsize is not None:
        right.tick_params(axis="y", labelsize=fontsize)
    right.spines["right"].set_visible(False)
    if colors is not None:
        for tick, color in zip(right.get_yticklabels(), colors, strict=True):
            tick.set_color(color)


def is_rate_unit(unit: str | None) -> bool:
    """Whether values in ``unit`` are percentages (their axes stop at 100)."""
    return unit is not None and unit.strip() == "%"


def cap_at_100(ax: Axes, *, axis: Literal["x", "y"] = "y") -> None:
    """Stop a percentage axis at 100 when its data do (margins would run it to 106).

    Markers and lines at 100 stay whole: they are drawn unclipped.
    """
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    values = [np.asarray(artist.get_xdata() if axis == "x" else artist.get_ydata(),
                         dtype=float) for artist in ax.lines]
    finite = [v[np.isfinite(v)] for v in values]
    data_high = max((float(v.max()) for v in finite if v.size), default=-math.inf)
    if high <= 100.0 or data_high > 100.0 or low >= 100.0:
        return
    if axis == "x":
        ax.set_xlim(low, 100.0)
    else:
        ax.set_ylim(low, 100.0)
    for artist in ax.lines:
        artist.set_clip_on(False)


def legend_columns(labels: Sequence[str], *, width: float, fontsize: float = 8.0,
                   handle_em: float = 2.6, most: int = 8) -> int:
    """How many legend entries fit side by side in ``width`` inches."""
    widest = max((display_width(s) for s in labels), default=1)
    entry = (handle_em + 1.6) * fontsize / 72.0 + widest * fontsize * 0.55 / 72.0
    return max(1, min(most, len(labels), int(width // entry)))


def legend_inches(n_entries: int, ncols: int, fontsize: float = 8.0) -> float:
    """Height of a legend of ``n_entries`` in ``ncols`` columns."""
    return math.ceil(n_entries / max(ncols, 1)) * fontsize * 1.75 / 72.0 + 0.08


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
        msg = f"{what}: no rows to draw"
        raise ChartError(msg, reason="no_data")
    return int(frame["year"].drop_nulls().max())  # type: ignore[arg-type]


def _one_value(frame: pl.DataFrame, column: str, given: object, what: str) -> Any:
    if given is not None:
        return given
    values = frame[column].drop_nulls().unique().sort().to_list()
    if len(values) == 1:
        return values[0]
    if not values:
        msg = f"{what}: no rows to draw"
        raise ChartError(msg, reason="no_data", column=column)
    shown = ", ".join(map(str, values[:8])) + (" ..." if len(values) > 8 else "")
    msg = f"{what}: the frame holds several {column} values ({shown})"
    raise ChartError(msg,
                     reason="ambiguous", column=column, hint=f"pass {column}=... to pick one")


def _nonempty(frame: pl.DataFrame, what: str, hint: str | None = None) -> pl.DataFrame:
    if frame.height == 0:
        msg = f"{what}: no rows left to draw"
        raise ChartError(msg, reason="no_data", hint=hint)
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
    # heavy: matplotlib loads on the first chart, not on import
    from matplotlib.ticker import MaxNLocator

    lo, hi = min(years), max(years)
    ax.set_xlim(lo - 0.4, hi + 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    ax.grid(axis="x", visible=False)


_CJK_BREAKS: Final = re.compile(r"(?<=[，、；：。）)])|(?=[（(])")
"""Where unspaced (CJK) text may break: after a comma or closing bracket, before an opening one."""


def _pack(parts: Sequence[str], width: int) -> list[str] | None:
    """Parts packed greedily into lines of ``width`` cells; None when one part is wider."""
    out: list[str] = []
    current = ""
    for part in (p for p in parts if p):
        if display_width(part) > width:
            return None
        if current and display_width(current + part) > width:
            out.append(current)
            current = part
        else:
            current += part
    return [*out, current] if current else out


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
        at_punctuation = _pack(_CJK_BREAKS.split(label), width)
        if at_punctuation is not None and len(at_punctuation) <= lines:
            return "\n".join(at_punctuation)
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
