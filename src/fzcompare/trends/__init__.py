"""Did a region get better, by how much, and is that real? Trends over observations.

Every function takes observations (a polars ``DataFrame`` or ``LazyFrame`` in the data
model) and keyword-only options, and returns polars DataFrames; ``analyze`` returns all of
it as a ``TrendsResult``. The public functions live in ``_api``, the result types in
``_result``; ``_prepare`` (input checks, the panel), ``_kernels`` (vectorised statistics),
``_frames`` (output tables) and ``_models`` (tests, dispersion, convergence, outlook) are
private; ``_intervals`` (rate intervals, shrinkage), ``_overdispersion`` (count tests checked
for overdispersion) and ``_progress`` (targets) are
public through this module. How each statistic is computed is in ``docs/statistics.md``.
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
from fzcompare.trends._intervals import (
    INTERVAL_METHODS,
    INTERVAL_REASONS,
    RateIntervals,
    ShrunkRates,
    rate_intervals,
    shrunk_rates,
    with_rate_intervals,
)
from fzcompare.trends._overdispersion import (
    DISPERSION_ALPHA,
    MIN_REGIONS_OVERDISPERSION,
    TEST_METHODS,
    count_change_significance,
    poisson_dispersion,
)
from fzcompare.trends._progress import (
    PROGRESS_STATUSES,
    PROGRESS_THRESHOLDS,
    Progress,
    Target,
    load_targets,
    progress,
)
from fzcompare.trends._result import SeriesModel, Tolerance, TrendsResult

__all__ = [
    "CHANGE_REASONS",
    "DISPERSION_ALPHA",
    "INTERVAL_METHODS",
    "INTERVAL_REASONS",
    "MIN_POINTS",
    "MIN_REGIONS_OVERDISPERSION",
    "PROGRESS_STATUSES",
    "PROGRESS_THRESHOLDS",
    "SERIES_REASONS",
    "SUMMARY_COLUMNS",
    "TEST_METHODS",
    "VERDICTS",
    "Progress",
    "RateIntervals",
    "SeriesModel",
    "ShrunkRates",
    "Target",
    "Tolerance",
    "TrendsResult",
    "analyze",
    "change_significance",
    "convergence",
    "count_change_significance",
    "dispersion",
    "load_targets",
    "outlook",
    "poisson_dispersion",
    "progress",
    "rate_intervals",
    "series_model",
    "shrunk_rates",
    "summarize",
    "trend",
    "with_rate_intervals",
    "year_over_year",
]
