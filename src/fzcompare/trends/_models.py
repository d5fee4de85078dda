"""Significance tests, dispersion, convergence and outlook for ``fzcompare.trends``.

Private helper. statsmodels does the inference here: two-proportion z tests and exact
Poisson (conditional binomial) tests are called on whole arrays at once; the convergence
regressions and the Holt forecasts are fitted per group or per series.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from fzcompare.catalog import Catalog
from fzcompare.schema import UNMAPPED_PREFIX
from fzcompare.trends._frames import floats, labels, names
from fzcompare.trends._prepare import FloatArray, IntArray, Panel
from fzcompare.trends._vocab import (
    CONVERGENCE_REASONS,
    DISPERSION_REASONS,
    MIN_POINTS_OUTLOOK,
    MIN_REGIONS_BETA,
    MIN_REGIONS_DISPERSION,
    MIN_YEARS_SIGMA,
    OUTLOOK_METHOD,
    OUTLOOK_REASONS,
    TEST_REASONS,
    TESTS,
)


def _enum(values: list[str | None], vocabulary: tuple[str, ...], name: str) -> pl.Series:
    return pl.Series(name, values, dtype=pl.String).cast(pl.Enum(vocabulary))


# --- significance of one year's change ---------------------------------------------------

_UNTESTED: Final[tuple[str, ...]] = ("not comparable", "not_disclosed", "no_report")
"""Verdicts of changes that are not tested: nothing (honest) to compare."""


def _test_reason(name: str) -> int:
    return TEST_REASONS.index(name) + 1


@dataclass(frozen=True)
class _Tests:
    """Per-change arrays the tests fill in place (changes order)."""

    reason: npt.NDArray[np.int8]
    test: npt.NDArray[np.int8]
    count: FloatArray
    total: FloatArray
    prev_count: FloatArray
    prev_total: FloatArray
    statistic: FloatArray
    p_value: FloatArray

    @classmethod
    def empty(cls, changes: pl.DataFrame) -> _Tests:
        n = changes.height
        # TEST_REASONS starts with CHANGE_REASONS, so a change reason's physical code + 1 fits.
        reason_codes = changes.get_column("reason").to_physical().fill_null(-1).to_numpy()
        return cls((reason_codes + 1).astype(np.int8), np.zeros(n, dtype=np.int8),
                   *(np.full(n, np.nan) for _ in range(6)))


def _two_proportion_tests(tests: _Tests, changes: pl.DataFrame, catalog: Catalog,
                          compared: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Score tests of catalog ratio rates from their counts; returns the rows handled."""
    frame = changes.select("region_code", "indicator_code", "scope", "year", "prev_year",
                           "value", "prev_value").with_row_index("_row")
    ratio_rows = _ratio_components(frame.filter(pl.Series(compared)), changes, catalog)
    handled = np.zeros(changes.height, dtype=np.bool_)
    if ratio_rows.height == 0:
        return handled
    rows = ratio_rows.get_column("_row").to_numpy()
    handled[rows] = True
    why = ratio_rows.get_column("_why").to_physical().fill_null(-1).to_numpy()
    tests.reason[rows] = why + 1
    ok = rows[why < 0]
    if not ok.size:
        return handled
    # heavy (statsmodels pulls in scipy and patsy): imported when a test runs
    from statsmodels.stats.proportion import test_proportions_2indep

    ok_rows = ratio_rows.filter(pl.col("_why").is_null())
    arrays = [ok_rows.get_column(c).to_numpy().astype(np.float64)
              for c in ("_k1", "_n1", "_k0", "_n0")]
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # its ratios when a count is 0
        result = test_proportions_2indep(*arrays, method="score", compare="diff",
                                         correction=False)
    tests.count[ok], tests.total[ok], tests.prev_count[ok], tests.prev_total[ok] = arrays
    tests.statistic[ok] = np.asarray(result.statistic, dtype=np.float64)
    tests.p_value[ok] = np.asarray(result.pvalue, dtype=np.float64)
    tests.test[ok] = TESTS.index("two_proportion") + 1
    # Pooled proportion 0 or 1 (no corrections at all, or all corrected): no variance.
    flat = ok[~np.isfinite(tests.p_value[ok])]
    tests.test[flat] = 0
    tests.statistic[flat] = tests.p_value[flat] = np.nan
    tests.reason[flat] = _test_reason("no_variation")
    return handled


def _poisson_tests(tests: _Tests, changes: pl.DataFrame, counts: IntArray) -> None:
    """Exact conditional Poisson tests of count changes (rows ``counts``)."""
    value = changes.get_column("value").to_numpy()[counts]
    prev = changes.get_column("prev_value").to_numpy()[counts]
    qualified = changes.get_column("uncertain").to_numpy()[counts]
    whole = (value == np.round(value)) & (prev == np.round(prev)) & (value >= 0) & (prev >= 0)
    events = (value + prev) > 0
    tests.reason[counts[~events]] = _test_reason("no_events")
    tests.reason[counts[~whole]] = _test_reason("not_integer")
    tests.reason[counts[qualified]] = _test_reason("qualified_value")
    good = ~qualified & whole & events
    if not good.any():
        return
    # heavy (statsmodels pulls in scipy and patsy): imported when a test runs
    from statsmodels.stats.rates import test_poisson_2indep

    k1, k0 = value[good], prev[good]
    # Equal exposures (one year each) make the conditional binomial symmetric, so the
    # two-sided p-value is twice the smaller one-sided one (capped at 1).
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # its rate ratio when k0 = 0
        larger = test_poisson_2indep(k1, 1.0, k0, 1.0, method="exact-cond",
                                     alternative="larger").pvalue
        smaller = test_poisson_2indep(k1, 1.0, k0, 1.0, method="exact-cond",
                                      alternative="smaller").pvalue
    rows = counts[good]
    tests.p_value[rows] = np.minimum(1.0, 2.0 * np.minimum(larger, smaller))
    tests.count[rows], tests.prev_count[rows] = k1, k0
    tests.test[rows] = TESTS.index("poisson_exact") + 1


def significance_frame(changes: pl.DataFrame, panel: Panel, catalog: Catalog,
                       *, confidence: float) -> pl.DataFrame:
    """Test each compared change: two-proportion for catalog ratios, exact Poisson for counts.

    ``changes`` is the ``fzcompare.trends._frames.changes_frame`` of ``panel`` (same
    rows, same order), possibly passed through ``disclosed_pairs``: a pair with a side not
    disclosed (verdict ``not_disclosed`` or ``no_report``) is not tested and keeps its
    change reason.
    """
    tests = _Tests.empty(changes)
    compared = ~changes.get_column("verdict").is_in(list(_UNTESTED)).to_numpy()
    handled = _two_proportion_tests(tests, changes, catalog, compared)
    is_count = np.array([k == "count" for k in panel.kind], dtype=np.bool_)[panel.indicator]
    counts = np.flatnonzero(compared & ~handled & is_count)
    if counts.size:
        _poisson_tests(tests, changes, counts)
    tests.reason[compared & (tests.test == 0) & (tests.reason == 0)] = \
        _test_reason("not_testable")

    alpha = 1.0 - confidence
    p_series = floats("p_value", tests.p_value)
    return changes.select(
        "region_code", "indicator_code", "scope", "year", "prev_year", "value", "prev_value",
        "change_abs", "verdict",
    ).with_columns(
        labels("test", TESTS, tests.test.astype(np.int64), zero_is_null=True),
        floats("count", tests.count), floats("total", tests.total),
        floats("prev_count", tests.prev_count), floats("prev_total", tests.prev_total),
        floats("statistic", tests.statistic), p_series,
        (p_series < alpha).alias("significant"),
        labels("reason", TEST_REASONS, tests.reason.astype(np.int64), zero_is_null=True),
    )


def _ratio_components(rates: pl.DataFrame, changes: pl.DataFrame,
                      catalog: Catalog) -> pl.DataFrame:
    """Rate rows of catalog ``ratio`` relations with their numerator and denominator counts."""
    relations = catalog.relations.filter(pl.col("kind") == "ratio").unique(
        "target", keep="first", maintain_order=True)
    if relations.height == 0 or rates.height == 0:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_why": pl.Enum(TEST_REASONS)})
    rates = rates.filter(pl.col("indicator_code").is_in(relations["target"].implode())).join(
        relations.select(pl.col("target").alias("indicator_code"), "numerator", "denominator"),
        on="indicator_code", how="inner")
    if rates.height == 0:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_why": pl.Enum(TEST_REASONS)})
    components = pl.concat([relations["numerator"], relations["denominator"]]).implode()
    parts = changes.filter(pl.col("value").is_not_null()
                           & pl.col("indicator_code").is_in(components)).select(
        "region_code", "scope", "year", "indicator_code", pl.col("value").alias("_v"),
        (pl.col("qualifier") != "eq").alias("_q"))
    keys = ["region_code", "scope"]
    for code_col, year_col, value_name in (
            ("numerator", "year", "_k1"), ("denominator", "year", "_n1"),
            ("numerator", "prev_year", "_k0"), ("denominator", "prev_year", "_n0")):
        part = parts.rename({"indicator_code": code_col, "year": year_col,
                             "_v": value_name, "_q": value_name + "_q"})
        rates = rates.join(part, on=[*keys, code_col, year_col], how="left",
                           maintain_order="left")
    values = [pl.col(c) for c in ("_k1", "_n1", "_k0", "_n0")]
    missing = pl.any_horizontal([v.is_null() for v in values])
    qualified = pl.any_horizontal([pl.col(c + "_q").fill_null(False)
                                   for c in ("_k1", "_n1", "_k0", "_n0")])
    invalid = pl.any_horizontal(
        [v.round(0) != v for v in values]
        + [pl.col("_k1") < 0, pl.col("_k0") < 0, pl.col("_k1") > pl.col("_n1"),
           pl.col("_k0") > pl.col("_n0"), pl.col("_n1") <= 0, pl.col("_n0") <= 0])
    return rates.with_columns(
        pl.when(missing).then(pl.lit("components_missing"))
        .when(qualified).then(pl.lit("components_qualified"))
        .when(invalid).then(pl.lit("components_invalid"))
        .otherwise(pl.lit(None, dtype=pl.String)).cast(pl.Enum(TEST_REASONS)).alias("_why"))


# --- dispersion and convergence ----------------------------------------------------------

def dispersion_coded(panel: Panel) -> pl.DataFrame:
    """Cross-region statistics per indicator, scope, unit (as codes ``_i, _s, _u``) and year.

    ``unmapped_`` indicators are left out: the data model never compares them across regions.
    """
    unmapped = panel.indicator_names.str.starts_with(UNMAPPED_PREFIX).to_numpy()
    frame = pl.DataFrame({
        "_i": panel.indicator, "_s": panel.scope, "_u": panel.unit,
        "year": pl.Series(panel.year).cast(pl.Int32),
        "_v": floats("_v", panel.value), "_ok": panel.usable,
    }).filter(pl.Series(~unmapped[panel.indicator]))
    value = pl.col("_v")
    enough = pl.col("n_regions") >= MIN_REGIONS_DISPERSION
    positive = pl.col("mean") > 0
    return frame.group_by("_i", "_s", "_u", "year").agg(
        pl.col("_ok").sum().cast(pl.Int32).alias("n_regions"),
        (~pl.col("_ok")).sum().cast(pl.Int32).alias("n_excluded"),
        value.mean().alias("mean"), value.median().alias("median"),
        value.std(ddof=1).alias("std"), value.min().alias("min"), value.max().alias("max"),
    ).sort("_i", "_s", "_u", "year").with_columns(
        pl.when(enough).then(pl.col("std")).alias("std"),
        pl.when(enough & positive).then(pl.col("std") / pl.col("mean")).alias("cv"),
        pl.when(~enough).then(pl.lit("too_few_regions"))
        .when(~positive).then(pl.lit("non_positive_mean"))
        .cast(pl.Enum(DISPERSION_REASONS)).alias("reason"),
    )


def _with_names(panel: Panel, coded: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame([
        names("indicator_code", panel.indicator_names, coded.get_column("_i").to_numpy()),
        names("scope", panel.scope_names, coded.get_column("_s").to_numpy()),
        names("unit", panel.unit_names, coded.get_column("_u").to_numpy()),
    ]).hstack(coded.drop("_i", "_s", "_u"))


def dispersion_frame(panel: Panel, coded: pl.DataFrame | None = None) -> pl.DataFrame:
    """Cross-region statistics per indicator, scope, unit and year."""
    return _with_names(panel, coded if coded is not None else dispersion_coded(panel))


def _ols(x: FloatArray, y: FloatArray, confidence: float) -> dict[str, float]:
    import statsmodels.api as sm  # heavy: scipy and patsy come with it

    result = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit()
    low, high = result.conf_int(alpha=1.0 - confidence)[1]
    return {"slope": float(result.params[1]), "se": float(result.bse[1]),
            "p": float(result.pvalues[1]), "low": float(low), "high": float(high)}


def convergence_frame(panel: Panel, coded: pl.DataFrame | None = None,
                      *, confidence: float) -> pl.DataFrame:
    """Sigma- and beta-convergence per indicator, scope and unit.

    ``coded`` is ``dispersion_coded`` of the panel (computed when not given).
    """
    alpha = 1.0 - confidence
    keys = ["_i", "_s", "_u"]
    spread = coded if coded is not None else dispersion_coded(panel)
    groups = spread.filter(pl.col("n_regions") > 0).group_by(keys, maintain_order=True).agg(
        pl.col("year").min().alias("first_year"), pl.col("year").max().alias("last_year"),
        pl.col("year").filter(pl.col("cv").is_not_null()).alias("_cv_years"),
        pl.col("cv").filter(pl.col("cv").is_not_null()).alias("_cv"),
        pl.col("cv").sort_by("year").first().alias("cv_first"),
        pl.col("cv").sort_by("year").last().alias("cv_last"),
    )
    usable = panel.usable & ~panel.indicator_names.str.starts_with(
        UNMAPPED_PREFIX).to_numpy()[panel.indicator]
    levels = pl.DataFrame({
        "_i": panel.indicator[usable], "_s": panel.scope[usable], "_u": panel.unit[usable],
        "_r": panel.region[usable], "year": pl.Series(panel.year[usable]).cast(pl.Int32),
        "_v": panel.value[usable],
    })
    ends = groups.select(*keys, "first_year", "last_year")
    start = levels.join(ends.select(*keys, pl.col("first_year").alias("year")),
                        on=[*keys, "year"]).select(*keys, "_r", pl.col("_v").alias("_start"))
    end = levels.join(ends.select(*keys, pl.col("last_year").alias("year")),
                      on=[*keys, "year"]).select(*keys, "_r", pl.col("_v").alias("_end"))
    pairs = start.join(end, on=[*keys, "_r"], how="inner").sort(*keys, "_r")
    by_group = dict(pairs.partition_by(keys, as_dict=True).items())
    empty = pairs.clear()
    rows: list[dict[str, Any]] = []
    for group in groups.iter_rows(named=True):
        row: dict[str, Any] = {k: group[k] for k in (*keys, "first_year", "last_year",
                                                       "cv_first", "cv_last")}
        row.update(_sigma(group, confidence, alpha))
        mine = by_group.get((group["_i"], group["_s"], group["_u"]), empty)
        row.update(_beta(mine, group, confidence, alpha))
        rows.append(row)
    enums = {"sigma_reason": pl.Enum(CONVERGENCE_REASONS),
             "growth_measure": pl.Enum(("log", "absolute")),
             "beta_reason": pl.Enum(CONVERGENCE_REASONS)}
    schema = {
        "_i": pl.Int32, "_s": pl.Int32, "_u": pl.Int32,
        "first_year": pl.Int32, "last_year": pl.Int32, "n_years": pl.Int32,
        "cv_first": pl.Float64, "cv_last": pl.Float64,
        "sigma_slope": pl.Float64, "sigma_se": pl.Float64, "sigma_ci_low": pl.Float64,
        "sigma_ci_high": pl.Float64, "sigma_p": pl.Float64, "sigma_converging": pl.Boolean,
        "sigma_reason": pl.String,
        "n_regions_beta": pl.Int32, "growth_measure": pl.String,
        "beta": pl.Float64, "beta_se": pl.Float64, "beta_ci_low": pl.Float64,
        "beta_ci_high": pl.Float64, "beta_p": pl.Float64, "beta_converging": pl.Boolean,
        "beta_reason": pl.String,
    }
    table = pl.DataFrame(rows, schema=schema).cast(enums)  # type: ignore[arg-type]
    return _with_names(panel, table)


def _sigma(group: dict[str, Any], confidence: float, alpha: float) -> dict[str, Any]:
    years = np.asarray(group["_cv_years"], dtype=np.float64)
    cv = np.asarray(group["_cv"], dtype=np.float64)
    out: dict[str, Any] = {"n_years": int(years.size), "sigma_slope": None, "sigma_se": None,
                           "sigma_ci_low": None, "sigma_ci_high": None, "sigma_p": None,
                           "sigma_converging": None, "sigma_reason": None}
    if years.size < MIN_YEARS_SIGMA:
        out["sigma_reason"] = "too_few_years"
        return out
    fit = _ols(years, cv, confidence)
    p = fit["p"] if np.isfinite(fit["p"]) else None
    out.update(sigma_slope=fit["slope"], sigma_se=fit["se"], sigma_ci_low=fit["low"],
               sigma_ci_high=fit["high"], sigma_p=p,
               sigma_converging=None if p is None else bool(fit["slope"] < 0 and p < alpha))
    return out


def _beta(pairs: pl.DataFrame, group: dict[str, Any], confidence: float,
          alpha: float) -> dict[str, Any]:
    """Growth from the first to the last year regressed on the initial level.

    Across the regions present in both years (``pairs`` holds their ``_start`` and ``_end``
    values).
    """
    out: dict[str, Any] = {"n_regions_beta": 0, "growth_measure": None, "beta": None,
                           "beta_se": None, "beta_ci_low": None, "beta_ci_high": None,
                           "beta_p": None, "beta_converging": None, "beta_reason": None}
    first, last = group["first_year"], group["last_year"]
    if first == last:
        out["beta_reason"] = "single_year"
        return out
    out["n_regions_beta"] = pairs.height
    if pairs.height < MIN_REGIONS_BETA:
        out["beta_reason"] = "too_few_regions"
        return out
    initial = pairs.get_column("_start").to_numpy()
    final = pairs.get_column("_end").to_numpy()
    span = float(last - first)
    if (initial > 0).all() and (final > 0).all():
        out["growth_measure"] = "log"
        level = np.log(initial)
        growth = (np.log(final) - level) / span
    else:
        out["growth_measure"] = "absolute"
        level = initial
        growth = (final - initial) / span
    if np.ptp(level) == 0:
        out["beta_reason"] = "constant_initial_level"
        return out
    fit = _ols(level, growth, confidence)
    p = fit["p"] if np.isfinite(fit["p"]) else None
    out.update(beta=fit["slope"], beta_se=fit["se"], beta_ci_low=fit["low"],
               beta_ci_high=fit["high"], beta_p=p,
               beta_converging=None if p is None else bool(fit["slope"] < 0 and p < alpha))
    return out


# --- outlook -----------------------------------------------------------------------------

def trailing_runs(panel: Panel) -> tuple[IntArray, IntArray, IntArray]:
    """Per series: usable points, and the last run of consecutive usable years in one unit.

    The run is given by its start row and length (rows index the usable-row arrays).
    """
    usable = np.flatnonzero(panel.usable)
    sid = panel.series[usable]
    year = panel.year[usable]
    unit = panel.unit[usable]
    n_series = panel.n_series
    counts = np.bincount(sid, minlength=n_series).astype(np.int64)
    breaks = np.ones(usable.size, dtype=np.bool_)
    if usable.size > 1:
        breaks[1:] = (sid[1:] != sid[:-1]) | (year[1:] - year[:-1] != 1) | (unit[1:] != unit[:-1])
    run_start = np.maximum.accumulate(np.where(breaks, np.arange(usable.size), 0)) \
        if usable.size else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts) - 1
    start = np.full(n_series, -1, dtype=np.int64)
    length = np.zeros(n_series, dtype=np.int64)
    has = counts > 0
    start[has] = run_start[ends[has]]
    length[has] = ends[has] - start[has] + 1
    return counts, start, length


def outlook_frame(panel: Panel, *, confidence: float) -> pl.DataFrame:
    """Next-year Holt forecast with a prediction interval per series (at least 5 points)."""
    counts, run_start, run_length = trailing_runs(panel)
    usable = np.flatnonzero(panel.usable)
    years = panel.year[usable]
    values = panel.value[usable]
    units = panel.unit[usable]
    n_series = panel.n_series
    forecast, low, high = (np.full(n_series, np.nan) for _ in range(3))
    converged: list[bool | None] = [None] * n_series
    bounded = np.zeros(n_series, dtype=np.bool_)
    reason: list[str | None] = [None] * n_series
    fit_first = np.full(n_series, -1, dtype=np.int64)
    fit_last = np.full(n_series, -1, dtype=np.int64)
    unit = np.full(n_series, -1, dtype=np.int64)
    for k in range(n_series):
        if counts[k] < MIN_POINTS_OUTLOOK:
            reason[k] = "too_few_points"
            continue
        if run_length[k] < MIN_POINTS_OUTLOOK:
            reason[k] = "too_few_consecutive_points"
            continue
        rows = slice(run_start[k], run_start[k] + run_length[k])
        fit_first[k], fit_last[k] = years[rows][0], years[rows][-1]
        unit[k] = units[rows][0]
        y = values[rows]
        if np.ptp(y) == 0:
            reason[k] = "constant_series"
            forecast[k] = y[0]
            continue
        try:
            forecast[k], low[k], high[k], converged[k] = _holt(y, confidence)
        except (ValueError, np.linalg.LinAlgError, _NonFiniteForecastError):
            reason[k] = "fit_failed"
            continue
        code = panel.indicator[panel.start[k]]
        floor, ceiling = panel.bound_low[code], panel.bound_high[code]
        clipped = [min(max(v, floor), ceiling) for v in (forecast[k], low[k], high[k])]
        bounded[k] = clipped != [forecast[k], low[k], high[k]]
        forecast[k], low[k], high[k] = clipped
    first = panel.start
    no_fit = fit_last < 0
    return pl.DataFrame([
        names("region_code", panel.region_names, panel.region[first]),
        names("indicator_code", panel.indicator_names, panel.indicator[first]),
        names("scope", panel.scope_names, panel.scope[first]),
        names("unit", panel.unit_names, unit),
        pl.Series("n_points", run_length).cast(pl.Int32),
        _maybe_int("fit_first_year", fit_first, no_fit),
        _maybe_int("fit_last_year", fit_last, no_fit),
        _maybe_int("forecast_year", fit_last + 1, no_fit),
        floats("forecast", forecast), floats("pi_low", low), floats("pi_high", high),
        pl.Series("bounded", bounded), pl.Series("converged", converged, dtype=pl.Boolean),
        _enum(reason, OUTLOOK_REASONS, "reason"),
    ]).with_columns(pl.when(~no_fit).then(pl.lit(OUTLOOK_METHOD)).alias("method"))


def _maybe_int(name: str, values: IntArray, missing: np.ndarray[Any, Any]) -> pl.Series:
    return pl.Series(name, np.where(missing, np.nan, values), nan_to_null=True).cast(pl.Int32)


class _NonFiniteForecastError(ArithmeticError):
    """The Holt model gave an infinite or NaN forecast (the series gets a reason, not a number)."""


def _holt(y: FloatArray, confidence: float) -> tuple[float, float, float, bool]:
    # heavy: pandas and statsmodels only for the Holt forecast
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ETSModel(pd.Series(y), error="add", trend="add")
        result = model.fit(disp=False)
        frame = result.get_prediction(start=y.size, end=y.size).summary_frame(
            alpha=1.0 - confidence)
    converged = bool(result.mle_retvals.get("converged", True)) if isinstance(
        result.mle_retvals, dict) else True
    mean = float(frame["mean"].iloc[0])
    low = float(frame["pi_lower"].iloc[0])
    high = float(frame["pi_upper"].iloc[0])
    if not all(np.isfinite([mean, low, high])):
        raise _NonFiniteForecastError
    return mean, low, high, converged
