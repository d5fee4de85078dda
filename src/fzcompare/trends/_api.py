"""Did a region get better, by how much, and is that real? Trends over observations.

Every function takes observations (a polars ``DataFrame`` or ``LazyFrame`` in the data
model; ``unit``, ``qualifier`` and ``source_id`` are optional) and keyword-only options, and
returns polars DataFrames. A *series* is one (``region_code``, ``indicator_code``, ``scope``);
units are not part of the key, so a change of unit inside a series is reported, never mixed.

- ``year_over_year``: each observation against the previous usable year of its series,
  with a direction-aware verdict.
- ``trend``: per series OLS slope (standard error, confidence interval, p-value), CAGR,
  Mann-Kendall test and Sen's slope.
- ``summarize``: the two above joined, one row per observation (the CLI's CSV).
- ``change_significance``: whether one year's change is statistically real.
- ``dispersion`` / ``convergence``: spread across regions, sigma and beta convergence.
- ``outlook``: next-year Holt forecast with a prediction interval.
- ``series_model``: one series in detail, with the statsmodels OLS results.
- ``analyze``: all of it as a ``TrendsResult``.

Bad rows are never dropped: empty, unreadable or non-finite values and duplicate years stay in
the output as ``not comparable`` rows with a reason, and are left out of every statistic.
How each statistic is computed, and the minimum number of points, is in
``docs/statistics.md`` (``MIN_POINTS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._names import check_filters
from fzcompare._provenance import provenance_of
from fzcompare.catalog import Catalog, load_catalog
from fzcompare.errors import ArgumentTypeError, InvalidArgumentError, SchemaError
from fzcompare.schema import OBSERVATION_SCHEMA, REPORT_KINDS, conform_sources, with_added_columns
from fzcompare.trends._frames import (
    changes_frame,
    disclosed_pairs,
    series_frame,
    series_states,
    summary_frame,
    with_not_disclosed,
)
from fzcompare.trends._intervals import rate_intervals, with_rate_intervals
from fzcompare.trends._kernels import series_statistics
from fzcompare.trends._kernels import year_over_year as change_arrays_of
from fzcompare.trends._models import (
    convergence_frame,
    dispersion_coded,
    dispersion_frame,
    outlook_frame,
    significance_frame,
)
from fzcompare.trends._prepare import Panel, prepare
from fzcompare.trends._result import SeriesModel, Tolerance, TrendsResult
from fzcompare.trends._vocab import (
    CHANGE_REASONS,
    MIN_POINTS_CAGR,
    MIN_POINTS_MANN_KENDALL,
    MIN_POINTS_OLS,
    MIN_POINTS_OUTLOOK,
    MIN_REGIONS_BETA,
    MIN_REGIONS_DISPERSION,
    MIN_YEARS_SIGMA,
    SERIES_REASONS,
    SUMMARY_COLUMNS,
    VERDICTS,
)

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

MIN_POINTS: Final[Mapping[str, int]] = MappingProxyType({
    "ols": MIN_POINTS_OLS,
    "cagr": MIN_POINTS_CAGR,
    "mann_kendall": MIN_POINTS_MANN_KENDALL,
    "outlook": MIN_POINTS_OUTLOOK,
    "dispersion_regions": MIN_REGIONS_DISPERSION,
    "sigma_years": MIN_YEARS_SIGMA,
    "beta_regions": MIN_REGIONS_BETA,
})
"""Fewest usable points (or regions, or years) each statistic needs; fewer gives null."""


def _check_confidence(confidence: float) -> float:
    if not isinstance(confidence, int | float) or not 0.0 < float(confidence) < 1.0:
        msg = f"confidence must be between 0 and 1, got {confidence!r}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. confidence=0.95", argument="confidence")
    return float(confidence)


def _panel(obs: pl.DataFrame | pl.LazyFrame, indicators: Iterable[str] | None,
           regions: Iterable[str] | None, years: Iterable[int] | None,
           catalog: Catalog | None) -> Panel:

    for name, given in (("indicators", indicators), ("regions", regions)):
        if isinstance(given, str):
            msg = f"{name}= takes a list of codes, not one string"
            raise ArgumentTypeError(msg,
                                    hint=f"pass a list, e.g. {name}=[{given!r}]", argument=name)
    return prepare(obs, indicators=indicators, regions=regions, years=years, catalog=catalog)


def _disclosure(obs: pl.DataFrame | pl.LazyFrame, sources: pl.DataFrame | None,
                indicators: Iterable[str] | None, regions: Iterable[str] | None,
                years: Iterable[int] | None,
                ) -> tuple[pl.DataFrame, pl.DataFrame | None] | None:
    """Series states and report years for ``disclosed_pairs``; None when nothing can differ.

    Without report rows in ``sources`` and without a stored ``no_number``/``withheld`` row,
    the pairs are those of the kernels (the fast path: nothing is collected).
    """
    unreported = ["no_number", "withheld"]
    lazy = obs.lazy()
    reports = None if sources is None else conform_sources(sources).filter(
        pl.col("kind").is_in(list(REPORT_KINDS)), pl.col("region_code").is_not_null(),
        pl.col("year").is_not_null()).select("region_code", "year").unique()
    if reports is not None and reports.height == 0:
        reports = None  # sources that tie no report to a region-year say nothing about one
    if reports is None and ("disclosure" not in lazy.collect_schema().names() or not lazy.select(
            pl.col("disclosure").is_in(unreported).any()).collect().item()):
        return None
    keys = ["region_code", "indicator_code", "scope"]
    lazy = with_added_columns(lazy, OBSERVATION_SCHEMA).select(
        *[pl.col(c).cast(pl.String) for c in keys], pl.col("year").cast(pl.Int32),
        "disclosure")
    if indicators is not None:
        lazy = lazy.filter(pl.col("indicator_code").is_in([str(c) for c in indicators]))
    if regions is not None:
        lazy = lazy.filter(pl.col("region_code").is_in([str(c) for c in regions]))
    if years is not None:
        lazy = lazy.filter(pl.col("year").is_in([int(y) for y in years]))
    return series_states(lazy.collect()), reports


@renamed_arguments(obs="observations")
def year_over_year(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    ending_in: int | Iterable[int] | None = None,
    tolerance: Tolerance | None = None,
    catalog: Catalog | None = None,
    intervals: bool = False,
    sources: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Each observation against the previous usable year of its series.

    Only two disclosed figures are compared (issue 16): a row whose own figure is stored as
    ``no_number``/``withheld``, or whose previous year has a report (``sources``) but no
    figure for the series, gets verdict ``not_disclosed`` and no change; a row whose region
    had no report the year before (and none earlier) gets ``no_report``. Rates change in
    percentage points (``change_pp``); ``change_pct`` is the relative change, the measure
    for counts.

    Args:
        observations: Observations.
        indicators: Keep only these indicator codes.
        regions: Keep only these region codes.
        years: Keep only these years (e.g. ``range(2019, 2024)``); a change is then
            measured against the previous usable year among them.
        ending_in: Return only the rows of this year (or these years), each still compared
            with the previous usable year of the whole input (a report's year against
            whichever earlier year its series last reported). Cheaper than filtering the
            result.
        tolerance: What counts as unchanged (default ``Tolerance``).
        catalog: Catalog giving each indicator's direction (default the bundled one).
        intervals: Also add ``value_ci_low`` / ``value_ci_high``: the 95 % Wilson interval
            of catalog rates whose counts are in ``observations`` (``rate_intervals``), else null.
        sources: The dataset's sources table: which region-years have a report (its
            ``region_code``/``year``, kinds report or synthetic). Without it a year with no
            row at all cannot be told from a year without a report, and is bridged.

    Returns:
        One row per observation, sorted by region, indicator, scope and year: ``region_code,
        indicator_code, scope, year, prev_year, gap_years, value, prev_value, unit,
        qualifier, change_abs, change_pct, change_pct_annual, change_pp, verdict, uncertain,
        reason, direction, source_id``. ``change_pp`` is ``change_abs`` for rates (catalog
        kind ``rate`` or unit ``%``: percentage points) and null for counts.
        ``gap_years`` is ``year - prev_year`` (2021 -> 2023 is 2); ``change_pct`` is over
        the whole gap, ``change_pct_annual`` per year compounded.
        ``verdict`` is improved/worsened (``higher``/``lower``/``target`` indicators),
        increased/decreased (``neutral`` or uncatalogued ones), unchanged, or
        ``not comparable`` with ``reason`` saying why. ``uncertain`` marks changes that
        involve a qualified value (超过 140 -> 160).

    Raises:
        SchemaError: A required column is missing, or a key column or year is empty or
            malformed.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 3, "indicator_code": ["gov_service_online_rate"] * 3,
        ...     "scope": ["全市"] * 3, "year": [2021, 2023, 2024], "value": [90.0, 95.0, 95.0],
        ...     "unit": ["%"] * 3, "qualifier": ["eq", "eq", "gt"]})
        >>> year_over_year(obs).select("year", "gap_years", "change_abs", "verdict", "uncertain")
        shape: (3, 5)
        ┌──────┬───────────┬────────────┬────────────────┬───────────┐
        │ year ┆ gap_years ┆ change_abs ┆ verdict        ┆ uncertain │
        │ ---  ┆ ---       ┆ ---        ┆ ---            ┆ ---       │
        │ i32  ┆ i32       ┆ f64        ┆ enum           ┆ bool      │
        ╞══════╪═══════════╪════════════╪════════════════╪═══════════╡
        │ 2021 ┆ null      ┆ null       ┆ not comparable ┆ false     │
        │ 2023 ┆ 2         ┆ 5.0        ┆ improved       ┆ false     │
        │ 2024 ┆ 1         ┆ 0.0        ┆ unchanged      ┆ true      │
        └──────┴───────────┴────────────┴────────────────┴───────────┘
        >>> year_over_year(obs, ending_in=2023).select("year", "prev_year").rows()
        [(2023, 2021)]
    """
    tol = tolerance if tolerance is not None else Tolerance()
    panel = _panel(observations, indicators, regions, years, catalog)
    rows = None
    if ending_in is not None:
        wanted = [ending_in] if isinstance(ending_in, int) else [int(y) for y in ending_in]
        rows = np.flatnonzero(np.isin(panel.year, wanted))
    changes = changes_frame(panel, change_arrays_of(panel, tolerance_abs=tol.absolute,
                                           tolerance_rel=tol.relative, only=rows), rows)
    marks = _disclosure(observations, sources, indicators, regions, years)
    if marks is not None:
        changes = disclosed_pairs(changes, *marks)
    if intervals:
        changes = with_rate_intervals(changes, rate_intervals(observations, catalog=catalog))
    return changes


@renamed_arguments(obs="observations")
def trend(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
    sources: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Multi-year trend statistics for every series, on its usable points.

    The statistics rest on the disclosed figures only: ``n_points`` is the number of
    disclosed years used, ``n_not_disclosed`` the years of the series' span (first to last
    row) whose report gave no figure (stored ``no_number``/``withheld`` rows, and with
    ``sources`` the report years without a row). A slope over 3 points of a 6-year span
    says so.

    Args:
        observations: Observations.
        indicators: Keep only these indicator codes.
        regions: Keep only these region codes.
        years: Keep only these years.
        confidence: Level of the slope's confidence interval.
        catalog: Catalog (for the ``direction`` column; default the bundled one).
        sources: The sources table, for ``n_not_disclosed`` (as in ``year_over_year``).

    Returns:
        One row per series: ``region_code, indicator_code, scope, unit, n_points,
        n_excluded, n_not_disclosed, n_qualified, first_year, last_year, first_value,
        last_value, slope, slope_se, slope_ci_low, slope_ci_high, slope_p, slope_reason,
        cagr, cagr_reason, mk_s, mk_var_s, mk_z, mk_tau, mk_p, sen_slope, mk_reason,
        direction``. The slope is OLS of value on year (units per year; needs 3 points),
        ``cagr`` is in percent per year between the first and last points (needs 2),
        Mann-Kendall and Sen's slope need 4. A statistic that cannot be computed is null
        and its ``*_reason`` says why.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 4, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "year": [2020, 2021, 2022, 2023],
        ...     "value": [80.0, 84.0, 90.0, 92.0]})
        >>> row = trend(obs).row(0, named=True)
        >>> round(row["slope"], 3), round(row["mk_tau"], 3), round(row["sen_slope"], 3)
        (4.2, 1.0, 4.0)
    """
    level = _check_confidence(confidence)
    panel = _panel(observations, indicators, regions, years, catalog)
    frame = series_frame(panel, series_statistics(panel, confidence=level))
    marks = _disclosure(observations, sources, indicators, regions, years)
    return with_not_disclosed(frame, marks, after="n_excluded")


@renamed_arguments(obs="observations")
def summarize(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    tolerance: Tolerance | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
    sources: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Year-over-year changes with their series' trend statistics, one row per observation.

    The columns are ``SUMMARY_COLUMNS``: ``region_code, indicator_code, scope, year,
    prev_year, value, prev_value, change_abs, change_pct, verdict, slope, slope_ci_low,
    slope_ci_high, slope_p, cagr, mk_tau, mk_p, sen_slope, n_points`` then
    ``n_not_disclosed, unit, qualifier, gap_years, change_pct_annual, change_pp, uncertain,
    reason, direction, slope_se, slope_reason, cagr_reason, mk_reason, source_id``.
    Arguments as in ``year_over_year`` and ``trend`` (pairs with an undisclosed side:
    ``not_disclosed``; ``n_not_disclosed`` is the series' count, as in ``trend``).

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 2, "indicator_code": ["gov_service_online_rate"] * 2,
        ...     "scope": ["全市"] * 2, "year": [2022, 2023], "value": [90.0, 88.0]})
        >>> summarize(obs).select("year", "verdict", "n_points", "slope_reason").to_dicts()[1]
        {'year': 2023, 'verdict': 'worsened', 'n_points': 2, 'slope_reason': 'too_few_points'}
    """
    tol = tolerance if tolerance is not None else Tolerance()
    level = _check_confidence(confidence)
    panel = _panel(observations, indicators, regions, years, catalog)
    change_arrays = change_arrays_of(panel, tolerance_abs=tol.absolute, tolerance_rel=tol.relative)
    marks = _disclosure(observations, sources, indicators, regions, years)
    return summary_frame(panel, change_arrays, series_statistics(panel, confidence=level),
                         marks=marks)


@renamed_arguments(obs="observations")
def change_significance(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    tolerance: Tolerance | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
    sources: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Whether each year's change is statistically distinguishable from no change.

    Only the pairs ``year_over_year`` compares are tested: a pair with a side not disclosed
    (stored ``no_number``/``withheld`` rows, or with ``sources`` a report year without the
    figure, or no report the year before) keeps its verdict ``not_disclosed``/``no_report``
    and its reason, with ``test`` and ``p_value`` null. Otherwise, only where the data allow
    it honestly:

    - a rate that is the ``target`` of a catalog ``ratio`` relation, with its numerator and
      denominator counts present (unqualified, whole, ``0 <= numerator <= denominator``) in
      both years: two-proportion z test (``test_proportions_2indep``, pooled score test);
    - an indicator of kind ``count`` with whole, unqualified values: exact Poisson test
      conditional on the total (``test_poisson_2indep``, ``exact-cond``), one year of
      exposure each;
    - anything else: ``test`` null and ``reason`` saying why.

    Args:
        observations: Observations (numerators and denominators must not be filtered away).
        indicators: Keep only these indicator codes in the output.
        regions: Keep only these region codes.
        years: Keep only these years.
        tolerance: As in ``year_over_year``.
        confidence: ``significant`` is ``p_value < 1 - confidence``.
        catalog: Catalog with the kinds and ``ratio`` relations (default the bundled one).
        sources: The sources table, for the pairs not disclosed (as in ``year_over_year``).

    Returns:
        One row per observation: ``region_code, indicator_code, scope, year, prev_year,
        value, prev_value, change_abs, verdict, test, count, total, prev_count, prev_total,
        statistic, p_value, significant, reason``.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 2, "indicator_code": ["reconsideration_corrected"] * 2,
        ...     "scope": ["全市"] * 2, "year": [2022, 2023], "value": [20.0, 45.0]})
        >>> row = change_significance(obs).row(1, named=True)
        >>> row["test"], round(row["p_value"], 4), row["significant"]
        ('poisson_exact', 0.0026, True)
    """
    tol = tolerance if tolerance is not None else Tolerance()
    level = _check_confidence(confidence)
    cat = catalog if catalog is not None else load_catalog()
    panel = _panel(observations, None, regions, years, cat)
    if indicators is not None:
        indicators = check_filters(observations.lazy(), indicators=indicators,
                                   catalog_codes=cat.codes)[0]
    changes = changes_frame(panel, change_arrays_of(panel, tolerance_abs=tol.absolute,
                                                 tolerance_rel=tol.relative))
    result = _tested(observations, sources, changes, panel, cat, confidence=level,
                     regions=regions, years=years)
    if indicators is not None:
        result = result.filter(pl.col("indicator_code").is_in(list(indicators)))
    return result


@renamed_arguments(obs="observations")
def dispersion(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    catalog: Catalog | None = None,
) -> pl.DataFrame:
    """Spread across regions per indicator, scope, unit and year.

    Returns:
        ``indicator_code, scope, unit, year, n_regions, n_excluded, mean, median, std, min,
        max, cv, reason``: ``cv = std / mean`` (sample standard deviation), null with a
        reason when fewer than 2 regions or the mean is not positive.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420500", "420600"], "scope": ["全市"] * 3,
        ...     "indicator_code": ["gov_service_online_rate"] * 3, "year": [2023] * 3,
        ...     "value": [90.0, 95.0, 100.0], "unit": ["%"] * 3})
        >>> dispersion(obs).select("n_regions", "mean", "median", "cv").row(0)
        (3, 95.0, 95.0, 0.05263157894736842)
    """
    panel = _panel(observations, indicators, regions, years, catalog)
    return dispersion_frame(panel)


@renamed_arguments(obs="observations")
def convergence(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
) -> pl.DataFrame:
    """Sigma- and beta-convergence across regions per indicator, scope and unit.

    Sigma: OLS (statsmodels) of the yearly coefficient of variation on year (needs 3 years
    with a CV); ``sigma_converging`` when the slope is negative and significant. Beta: OLS of
    each region's annual growth between the first and last year on its initial level (log
    growth on log level when all values are positive, else absolute change per year on
    level; needs 3 regions present in both years); ``beta_converging`` when the
    coefficient is negative and significant (lagging regions improve faster).

    Returns:
        ``indicator_code, scope, unit, first_year, last_year, n_years, cv_first, cv_last,
        sigma_slope, sigma_se, sigma_ci_low, sigma_ci_high, sigma_p, sigma_converging,
        sigma_reason, n_regions_beta, growth_measure, beta, beta_se, beta_ci_low,
        beta_ci_high, beta_p, beta_converging, beta_reason``.

    Examples:
        Three cities whose online-service rates draw together, the laggard fastest:

        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300", "420500", "420600"] * 3, "scope": ["全市"] * 9,
        ...     "indicator_code": ["gov_service_online_rate"] * 9,
        ...     "year": [2021] * 3 + [2022] * 3 + [2023] * 3,
        ...     "value": [70.0, 85.0, 95.0, 78.0, 88.0, 96.0, 86.0, 92.0, 97.0]})
        >>> row = convergence(obs).row(0, named=True)
        >>> round(row["cv_first"], 3), round(row["cv_last"], 3), row["sigma_converging"]
        (0.151, 0.06, True)
        >>> row["growth_measure"], round(row["beta"], 3), row["beta_converging"]
        ('log', -0.306, True)
    """
    level = _check_confidence(confidence)
    panel = _panel(observations, indicators, regions, years, catalog)
    return convergence_frame(panel, confidence=level)


@renamed_arguments(obs="observations")
def outlook(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
) -> pl.DataFrame:
    """Next-year forecast with a prediction interval for each series with 5+ points.

    The model is statsmodels' ``ETSModel(error="add", trend="add")`` (Holt's linear trend)
    fitted to the last run of consecutive usable years in one unit; it needs at least 5 such
    years. Forecasts and bounds are clipped to the catalog's min/max for the indicator
    (``bounded`` says so). ``n_points`` is the length of that last run. Tens of
    milliseconds per series: filter large panels first.

    Returns:
        ``region_code, indicator_code, scope, unit, n_points, fit_first_year,
        fit_last_year, forecast_year, forecast, pi_low, pi_high, bounded, converged, reason,
        method``.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 6, "indicator_code": ["gov_service_online_rate"] * 6,
        ...     "scope": ["全市"] * 6, "year": list(range(2018, 2024)),
        ...     "value": [80.0, 83.0, 85.0, 88.0, 90.0, 93.0]})
        >>> row = outlook(obs).row(0, named=True)
        >>> row["n_points"], row["forecast_year"], round(row["forecast"], 1)
        (6, 2024, 95.4)
        >>> round(row["pi_low"], 1), round(row["pi_high"], 1), row["bounded"]
        (94.9, 95.9, False)
    """
    level = _check_confidence(confidence)
    panel = _panel(observations, indicators, regions, years, catalog)
    return outlook_frame(panel, confidence=level)


@renamed_arguments(obs="observations")
def analyze(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    tolerance: Tolerance | None = None,
    confidence: float = 0.95,
    significance: bool = True,
    forecast: bool = False,
    catalog: Catalog | None = None,
    sources: pl.DataFrame | None = None,
) -> TrendsResult:
    """Run every analysis once over the same prepared observations.

    Args:
        observations: Observations.
        indicators: Keep only these indicator codes.
        regions: Keep only these region codes.
        years: Keep only these years.
        tolerance: What counts as unchanged.
        confidence: Confidence level of intervals and tests.
        significance: Also test each change (``change_significance``).
        forecast: Also fit the Holt outlook (``outlook``; tens of ms per series).
        catalog: Catalog (default the bundled one).
        sources: The sources table: pairs with an undisclosed side become ``not_disclosed``
            in ``summary`` and ``changes``, and ``series`` counts ``n_not_disclosed`` (as in
            ``year_over_year`` and ``trend``); ``significance`` tests only the disclosed
            pairs (as ``change_significance``).

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 3, "indicator_code": ["gov_service_online_rate"] * 3,
        ...     "scope": ["全市"] * 3, "year": [2021, 2022, 2023], "value": [90.0, 92.0, 91.0]})
        >>> analyze(obs)
        TrendsResult(3 observations in 1 series; verdicts: not comparable 1, ...)
    """
    tol = tolerance if tolerance is not None else Tolerance()
    level = _check_confidence(confidence)
    cat = catalog if catalog is not None else load_catalog()
    panel = _panel(observations, None, regions, years, cat)
    if indicators is not None:
        indicators = check_filters(observations.lazy(), indicators=indicators,
                                   catalog_codes=cat.codes)[0]
    change_arrays = change_arrays_of(panel, tolerance_abs=tol.absolute, tolerance_rel=tol.relative)
    stats = series_statistics(panel, confidence=level)
    changes = changes_frame(panel, change_arrays)
    tested = _tested(observations, sources, changes, panel, cat,
                     confidence=level, regions=regions, years=years) if significance else None
    if indicators is not None:
        panel = _panel(observations, indicators, regions, years, cat)
        change_arrays = change_arrays_of(panel, tolerance_abs=tol.absolute,
                                         tolerance_rel=tol.relative)
        stats = series_statistics(panel, confidence=level)
        changes = changes_frame(panel, change_arrays)
        if tested is not None:
            tested = tested.filter(pl.col("indicator_code").is_in(list(indicators)))
    spread = dispersion_coded(panel)
    marks = _disclosure(observations, sources, indicators, regions, years)
    summary = summary_frame(panel, change_arrays, stats, marks=marks)
    if marks is not None:
        changes = disclosed_pairs(changes, *marks)
    return TrendsResult(
        summary=summary,
        changes=changes,
        series=with_not_disclosed(series_frame(panel, stats), marks, after="n_excluded"),
        significance=tested,
        dispersion=dispersion_frame(panel, spread),
        convergence=convergence_frame(panel, spread, confidence=level),
        outlook=outlook_frame(panel, confidence=level) if forecast else None,
        confidence=level,
        tolerance=tol,
        provenance=provenance_of(observations)[0],
    )


def _tested(observations: pl.DataFrame | pl.LazyFrame, sources: pl.DataFrame | None,
            changes: pl.DataFrame, panel: Panel, catalog: Catalog, *, confidence: float,
            regions: Iterable[str] | None, years: Iterable[int] | None) -> pl.DataFrame:
    """``significance_frame`` of every indicator's changes, on disclosed pairs only."""
    marks = _disclosure(observations, sources, None, regions, years)
    if marks is not None:
        changes = disclosed_pairs(changes, *marks)
    return significance_frame(changes, panel, catalog, confidence=confidence)


@renamed_arguments(obs="observations")
def series_model(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    region: str,
    indicator: str,
    scope: str,
    tolerance: Tolerance | None = None,
    confidence: float = 0.95,
    catalog: Catalog | None = None,
) -> SeriesModel:
    """One series in detail, with statsmodels' full OLS results.

    Raises:
        SchemaError: If the series has no observations.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({
        ...     "region_code": ["420300"] * 4, "indicator_code": ["gov_service_online_rate"] * 4,
        ...     "scope": ["全市"] * 4, "year": [2020, 2021, 2022, 2023],
        ...     "value": [80.0, 84.0, 90.0, 92.0]})
        >>> model = series_model(obs, region="420300", indicator="gov_service_online_rate",
        ...                      scope="全市")
        >>> round(float(model.ols.params[1]), 3)
        4.2
    """
    level = _check_confidence(confidence)
    lazy = observations.lazy().filter((pl.col("region_code") == region)
                             & (pl.col("indicator_code") == indicator)
                             & (pl.col("scope") == scope))
    panel = _panel(lazy, None, None, None, catalog)
    if panel.n_rows == 0:
        msg = (
            f"no observations for region {region!r}, indicator {indicator!r}, "
                          f"scope {scope!r}"
        )
        raise SchemaError(msg, reason="no_series",
                          hint="check the codes with fzcompare trends or the dataset summary")
    tol = tolerance if tolerance is not None else Tolerance()
    points = changes_frame(panel, change_arrays_of(panel, tolerance_abs=tol.absolute,
                                           tolerance_rel=tol.relative))
    trend_row = series_frame(panel, series_statistics(panel, confidence=level))
    ols = None
    if trend_row.item(0, "slope") is not None or trend_row.item(0, "slope_reason") == \
            "constant_series":
        import statsmodels.api as sm  # heavy (scipy, patsy): only series_model needs it

        usable = points.filter(pl.col("value").is_not_null())
        x = usable.get_column("year").cast(pl.Float64).to_numpy()
        ols = sm.OLS(usable.get_column("value").to_numpy(), sm.add_constant(x)).fit()
    return SeriesModel(region_code=region, indicator_code=indicator, scope=scope,
                       points=points, trend=trend_row,
                       outlook=outlook_frame(panel, confidence=level), ols=ols)
