"""Did a region get better, by how much, and is that real? Trends over observations.

Every function takes observations (a polars ``DataFrame`` or ``LazyFrame`` in the data
model) and keyword-only options, and returns polars DataFrames; ``analyze`` returns all of
it as a ``TrendsResult``. The public functions live in ``_api``, the result types in
``_result``; ``_prepare`` (input checks, the panel), ``_kernels`` (vectorised statistics),
``_frames`` (output tables) and ``_models`` (tests, dispersion, convergence, outlook) are
private. How each statistic is computed is in ``docs/statistics.md``.
"""

from __future__ import annotations

from fzcompare.trends._api import (
    CHANGE_REASONS,
    MIN_POINTS,
    SERIES_REASONS,
    SUMMARY_COLUMNS,
    VERDICTS,
    analyze,
    change_significance,
    convergence,
    dispersion,
    outlook,
    series_model,
    summarize,
    trend,
    year_over_year,
)
from fzcompare.trends._result import SeriesModel, Tolerance, TrendsResult

__all__ = [
    "CHANGE_REASONS",
    "MIN_POINTS",
    "SERIES_REASONS",
    "SUMMARY_COLUMNS",
    "VERDICTS",
    "SeriesModel",
    "Tolerance",
    "TrendsResult",
    "analyze",
    "change_significance",
    "convergence",
    "dispersion",
    "outlook",
    "series_model",
    "summarize",
    "trend",
    "year_over_year",
]
