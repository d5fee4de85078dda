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

One private module per family: ``_observations`` (``trend_panels``), ``_changes``
(``yoy_dumbbell``, ``dispersion_chart``), ``_coverage`` (``coverage_heatmap``),
``_benchmark_results`` (``bullet_chart``, ``area_profile``, ``criteria_heatmap``,
``rank_bump``), ``_waterfall`` (``change_waterfall``), ``_funnel`` (``funnel_plot``,
``funnel_limits``, ``funnel_table``) and ``_output`` (``save_png``, ``figure_to_data_uri``);
``_style``, ``_labels``, ``_fonts`` and ``_common`` are shared.
matplotlib is imported on the first chart call, not by ``import fzcompare.charts``.

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

from fzcompare.charts._benchmark_results import (
    area_profile,
    bullet_chart,
    criteria_heatmap,
    rank_bump,
)
from fzcompare.charts._changes import dispersion_chart, yoy_dumbbell
from fzcompare.charts._common import OBSERVATION_COLUMNS, TRENDS_COLUMNS
from fzcompare.charts._coverage import COVERAGE_COLUMNS, coverage_heatmap
from fzcompare.charts._fonts import ChartFont, chart_font
from fzcompare.charts._funnel import FUNNEL_LEVELS, funnel_limits, funnel_plot, funnel_table
from fzcompare.charts._observations import trend_panels
from fzcompare.charts._output import figure_to_data_uri, save_png
from fzcompare.charts._waterfall import change_waterfall

__all__ = [
    "COVERAGE_COLUMNS",
    "FUNNEL_LEVELS",
    "OBSERVATION_COLUMNS",
    "TRENDS_COLUMNS",
    "ChartFont",
    "area_profile",
    "bullet_chart",
    "change_waterfall",
    "chart_font",
    "coverage_heatmap",
    "criteria_heatmap",
    "dispersion_chart",
    "figure_to_data_uri",
    "funnel_limits",
    "funnel_plot",
    "funnel_table",
    "rank_bump",
    "save_png",
    "trend_panels",
    "yoy_dumbbell",
]
