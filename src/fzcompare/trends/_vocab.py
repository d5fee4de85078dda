"""Names, reason codes and minimum sizes shared by the trends modules (no NumPy import).

Private helper of ``fzcompare.trends``; documented in ``docs/statistics.md``.
"""

from __future__ import annotations

from typing import Final

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "year", "indicator_code", "scope", "value",
)
OPTIONAL_COLUMNS: Final[tuple[str, ...]] = ("unit", "qualifier", "source_id")

ROW_REASONS: Final[tuple[str, ...]] = (
    "missing_value", "non_numeric", "non_finite", "duplicate_year",
)
"""Why a row cannot be used; code k in ``Panel.row_reason`` is ``ROW_REASONS[k - 1]``."""

DIRECTIONS: Final[tuple[str, ...]] = ("higher", "lower", "target", "neutral")
"""Direction code k (1-based) in ``Panel.direction``; 0: the indicator is not in the catalog."""

VERDICTS: Final[tuple[str, ...]] = (
    "improved", "worsened", "unchanged", "increased", "decreased", "not comparable",
    "not_disclosed", "no_report",
)
"""The last two (issue 16): one side of the pair was not disclosed with a number although a
report exists (``not_disclosed``), or the region has no report for the previous year
(``no_report``); no change is computed for either."""
CHANGE_REASONS: Final[tuple[str, ...]] = (
    *ROW_REASONS, "no_previous", "scope_changed", "unit_changed",
    "not_disclosed", "previous_not_disclosed", "previous_no_report",
)
SERIES_REASONS: Final[tuple[str, ...]] = (
    "too_few_points", "mixed_units", "constant_series", "non_positive_start", "negative_end",
)

MIN_POINTS_OLS: Final[int] = 3
MIN_POINTS_CAGR: Final[int] = 2
MIN_POINTS_MANN_KENDALL: Final[int] = 4

SUMMARY_COLUMNS: Final[tuple[str, ...]] = (
    "region_code", "indicator_code", "scope", "year", "prev_year", "value", "prev_value",
    "change_abs", "change_pct", "verdict", "slope", "slope_ci_low", "slope_ci_high", "slope_p",
    "cagr", "mk_tau", "mk_p", "sen_slope", "n_points", "n_not_disclosed",
    "unit", "qualifier", "gap_years", "change_pct_annual", "change_pp", "uncertain", "reason",
    "direction",
    "slope_se", "slope_reason", "cagr_reason", "mk_reason", "source_id",
)
"""Columns of ``fzcompare.trends.summarize``: the required CSV columns first."""

TESTS: Final[tuple[str, ...]] = ("two_proportion", "poisson_exact")
TEST_REASONS: Final[tuple[str, ...]] = (
    *CHANGE_REASONS, "qualified_value", "not_integer", "components_missing",
    "components_qualified", "components_invalid", "no_events", "no_variation", "not_testable",
)
DISPERSION_REASONS: Final[tuple[str, ...]] = ("too_few_regions", "non_positive_mean")
CONVERGENCE_REASONS: Final[tuple[str, ...]] = (
    "too_few_years", "too_few_regions", "constant_initial_level", "single_year",
)
OUTLOOK_REASONS: Final[tuple[str, ...]] = (
    "too_few_points", "too_few_consecutive_points", "constant_series", "fit_failed",
)
OUTLOOK_METHOD: Final[str] = "ETS(A,A,N): Holt linear trend, additive errors (statsmodels)"

MIN_REGIONS_DISPERSION: Final[int] = 2
MIN_YEARS_SIGMA: Final[int] = 3
MIN_REGIONS_BETA: Final[int] = 3
MIN_POINTS_OUTLOOK: Final[int] = 5
