"""Small numbers: confidence intervals for rates and empirical-Bayes shrinkage.

A rate whose numerator and denominator are both known (a catalog ``ratio`` relation, e.g.
纠错率 = 纠错 / 办结) is a binomial proportion: 9 corrections out of 80 cases is 11.25 %,
but the same process could as well have produced 5 or 15. ``rate_intervals`` gives each
such rate its interval (statsmodels ``proportion_confint``), ``with_rate_intervals`` joins
the interval onto any table keyed by region, indicator, scope and year (``year_over_year``
rows, benchmark criterion rows), and ``shrunk_rates`` pulls small-caseload rates towards
their peer group's rate (beta-binomial, method of moments) so a ranking is not led by the
region with 3 cases. How each is computed is in ``docs/statistics.md``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._display import html_table
from fzcompare.catalog import Catalog, load_catalog
from fzcompare.errors import ArgumentTypeError, InvalidArgumentError, SchemaError

__all__ = [
    "INTERVAL_METHODS",
    "INTERVAL_REASONS",
    "RateIntervals",
    "ShrunkRates",
    "rate_intervals",
    "shrunk_rates",
    "with_rate_intervals",
]

INTERVAL_METHODS: Final[tuple[str, ...]] = ("wilson", "jeffreys", "beta")
"""``proportion_confint`` methods offered: Wilson score, Jeffreys, Clopper-Pearson (beta)."""

INTERVAL_REASONS: Final[tuple[str, ...]] = (
    "components_missing", "components_qualified", "components_invalid",
    "components_duplicated")
"""Why a rate row has no interval (``reason``); null when it has one."""

KEY: Final[tuple[str, ...]] = ("region_code", "indicator_code", "scope", "year")
MIN_REGIONS_SHRINKAGE: Final[int] = 3
"""Fewest regions with counts a peer group needs before its beta prior is fitted."""

_NEEDED: Final[tuple[str, ...]] = ("region_code", "indicator_code", "scope", "year", "value")


@dataclass(frozen=True)
class RateIntervals:
    """Confidence intervals of catalog rates (``rate_intervals``); ``to_polars()`` is the table.

    Attributes:
        table: One row per (region, ratio indicator, scope, year) with a reported rate or
            both counts (columns in ``rate_intervals``).
        method: ``proportion_confint`` method.
        confidence: Confidence level.
    """

    table: pl.DataFrame
    method: str
    confidence: float

    def to_polars(self) -> pl.DataFrame:
        """The interval table."""
        return self.table

    def __repr__(self) -> str:
        with_ci = int(self.table.get_column("value_ci_low").is_not_null().sum())
        return (f"RateIntervals({self.table.height} rates, {with_ci} with a "
                f"{self.confidence:.0%} {self.method} interval)")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + html_table(self.table, max_rows=20)


@dataclass(frozen=True)
class ShrunkRates:
    """Empirical-Bayes rates of one peer group (``shrunk_rates``).

    Attributes:
        table: One row per region: raw and shrunk rate side by side (see ``shrunk_rates``).
        prior_alpha: Fitted beta prior's alpha (null when not fitted).
        prior_beta: Fitted beta prior's beta (``inf`` both when the regions vary no more
            than binomial noise: every rate is then shrunk to the group rate).
        reason: Why no prior was fitted, or None.
    """

    table: pl.DataFrame
    prior_alpha: float | None
    prior_beta: float | None
    reason: str | None

    def to_polars(self) -> pl.DataFrame:
        """The table of raw and shrunk rates."""
        return self.table

    def __repr__(self) -> str:
        if self.prior_alpha is None or self.prior_beta is None:
            return f"ShrunkRates({self.table.height} regions; no prior: {self.reason})"
        return (f"ShrunkRates({self.table.height} regions; prior Beta("
                f"{self.prior_alpha:.4g}, {self.prior_beta:.4g}))")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + html_table(self.table, max_rows=20)


def _collect(obs: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    if not isinstance(obs, pl.DataFrame | pl.LazyFrame):
        msg = (
            f"observations must be a polars DataFrame or LazyFrame, got "
                                f"{type(obs).__name__}"
        )
        raise ArgumentTypeError(msg, hint="load them with fzcompare.store.load",
                                argument="observations")
    frame = obs.collect() if isinstance(obs, pl.LazyFrame) else obs
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        msg = f"observations: missing columns: {', '.join(missing)}"
        raise SchemaError(msg,
                          reason="missing_column", column=missing[0],
                          hint=f"observations need the columns {', '.join(_NEEDED)}")
    if "qualifier" not in frame.columns:
        frame = frame.with_columns(pl.lit("eq").alias("qualifier"))
    return frame


def _check_level(confidence: float, method: str) -> None:
    if not isinstance(confidence, int | float) or not 0.0 < float(confidence) < 1.0:
        msg = f"confidence must be between 0 and 1, got {confidence!r}"
        raise InvalidArgumentError(msg,
                                   hint="e.g. confidence=0.95", argument="confidence")
    if method not in INTERVAL_METHODS:
        msg = f"unknown interval method {method!r}"
        raise InvalidArgumentError(msg,
                                   hint=f"use one of {', '.join(INTERVAL_METHODS)}",
                                   argument="method")


def _components(frame: pl.DataFrame, relations: pl.DataFrame) -> pl.DataFrame:
    """Numerator and denominator per (region, target, scope, year), with their flags."""
    keys = ["region_code", "scope", "year"]
    codes = pl.concat([relations["numerator"], relations["denominator"]]).unique().implode()
    parts = frame.filter(pl.col("indicator_code").is_in(codes)).select(
        *keys, "indicator_code", pl.col("value").cast(pl.Float64),
        (pl.col("qualifier").cast(pl.String) != "eq").alias("_q"))
    parts = parts.group_by(*keys, "indicator_code").agg(
        pl.col("value").first(), pl.col("_q").any(), pl.len().alias("_n"))
    out = None
    for role in ("numerator", "denominator"):
        part = relations.select("target", pl.col(role).alias("indicator_code")).join(
            parts, on="indicator_code", how="inner").select(
            *keys, pl.col("target").alias("indicator_code"),
            pl.col("value").alias(role), pl.col("_q").alias(f"_{role}_q"),
            pl.col("_n").alias(f"_{role}_n"))
        out = part if out is None else out.join(part, on=[*keys, "indicator_code"],
                                                how="full", coalesce=True)
    assert out is not None
    return out


@renamed_arguments(obs="observations")
def rate_intervals(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    method: str = "wilson",
    confidence: float = 0.95,
    catalog: Catalog | None = None,
) -> RateIntervals:
    """Confidence interval of every catalog rate whose numerator and denominator are known.

    The rows are the catalog ``ratio`` targets (纠错率, 败诉率, 调解率, 出庭应诉率 …) present in
    ``observations`` as a reported rate or as a numerator count. ``rate`` is ``100 * numerator /
    denominator``; the interval is around that rate (statsmodels ``proportion_confint``),
    in percent like the value. No interval (null, ``reason`` says why) when a count is
    missing, qualified (超过 …), not a whole number, negative, larger than its denominator, a
    denominator of 0, or given twice.

    Args:
        observations: Observations (the counts must not be filtered away).
        indicators: Keep only these rate indicators.
        method: ``wilson`` (default; Wilson score), ``jeffreys`` (equal-tailed Jeffreys
            prior interval) or ``beta`` (Clopper-Pearson exact).
        confidence: Level of the interval.
        catalog: Catalog with the ``ratio`` relations (default the bundled one).

    Returns:
        ``RateIntervals`` whose table has ``region_code, indicator_code, scope, year, value
        (reported rate or null), numerator, denominator, rate, value_ci_low, value_ci_high,
        ci_method, reason``, sorted by the key.

    Examples:
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 3, "scope": ["全市"] * 3,
        ...     "year": [2023] * 3, "value": [11.25, 9.0, 80.0], "indicator_code": [
        ...     "reconsideration_correction_rate", "reconsideration_corrected",
        ...     "reconsideration_concluded"]})
        >>> row = rate_intervals(obs).to_polars().row(0, named=True)
        >>> row["rate"], round(row["value_ci_low"], 2), round(row["value_ci_high"], 2)
        (11.25, 6.03, 20.02)
    """
    _check_level(confidence, method)
    frame = _collect(observations)
    cat = catalog if catalog is not None else load_catalog()
    relations = cat.relations.filter(pl.col("kind") == "ratio").unique(
        "target", keep="first", maintain_order=True)
    if indicators is not None:
        wanted = [indicators] if isinstance(indicators, str) else list(indicators)
        unknown = sorted(set(wanted) - set(relations["target"].to_list()))
        if unknown:
            msg = f"not a rate with known counts: {', '.join(unknown)}"
            raise InvalidArgumentError(
                msg, argument="indicators",
                hint=f"rate indicators: {', '.join(sorted(relations['target'].to_list()))}")
        relations = relations.filter(pl.col("target").is_in(wanted))
    reported = frame.filter(pl.col("indicator_code").is_in(relations["target"].implode())
                            ).group_by(*KEY).agg(pl.col("value").cast(pl.Float64).first())
    # A denominator alone (办结 is shared by 纠错率 and 调解率) does not make a rate row.
    table = reported.join(_components(frame, relations), on=list(KEY), how="full",
                          coalesce=True).filter(pl.col("value").is_not_null()
                                                | pl.col("numerator").is_not_null())
    return RateIntervals(table=_with_interval(table, method, confidence).sort(KEY),
                         method=method, confidence=float(confidence))


def _with_interval(table: pl.DataFrame, method: str, confidence: float) -> pl.DataFrame:
    k, n = pl.col("numerator"), pl.col("denominator")
    for col in ("numerator", "denominator", "_numerator_q", "_denominator_q",
                "_numerator_n", "_denominator_n"):
        if col not in table.columns:
            table = table.with_columns(pl.lit(None).alias(col))
    why = (pl.when(k.is_null() | n.is_null()).then(pl.lit("components_missing"))
           .when((pl.col("_numerator_n") > 1) | (pl.col("_denominator_n") > 1))
           .then(pl.lit("components_duplicated"))
           .when(pl.col("_numerator_q") | pl.col("_denominator_q"))
           .then(pl.lit("components_qualified"))
           .when((k.round(0) != k) | (n.round(0) != n) | (k < 0) | (n <= 0) | (k > n))
           .then(pl.lit("components_invalid"))
           .otherwise(pl.lit(None, dtype=pl.String)))
    table = table.with_columns(why.cast(pl.Enum(INTERVAL_REASONS)).alias("reason"))
    ok = table.get_column("reason").is_null().to_numpy()
    low, high = np.full(table.height, np.nan), np.full(table.height, np.nan)
    if ok.any():
        # heavy (statsmodels pulls in scipy): imported when an interval is computed
        from statsmodels.stats.proportion import proportion_confint

        counts = table.get_column("numerator").to_numpy()[ok].astype(np.float64)
        totals = table.get_column("denominator").to_numpy()[ok].astype(np.float64)
        lo, hi = proportion_confint(counts, totals, alpha=1.0 - confidence, method=method)
        low[ok], high[ok] = 100.0 * np.asarray(lo), 100.0 * np.asarray(hi)
    good = pl.col("reason").is_null()
    return table.with_columns(
        pl.when(good).then(100.0 * k / n).alias("rate"),
        pl.Series("value_ci_low", low).fill_nan(None),
        pl.Series("value_ci_high", high).fill_nan(None),
        pl.when(good).then(pl.lit(method)).alias("ci_method"),
    ).select(*KEY, "value", pl.col("numerator").cast(pl.Float64),
             pl.col("denominator").cast(pl.Float64), "rate", "value_ci_low",
             "value_ci_high", "ci_method", "reason")


def with_rate_intervals(frame: pl.DataFrame, intervals: RateIntervals | pl.DataFrame, *,
                        region_column: str = "region_code",
                        indicator_column: str = "indicator_code",
                        scope_column: str = "scope") -> pl.DataFrame:
    """``frame`` with ``value_ci_low`` / ``value_ci_high`` joined on, in the same row order.

    Joined on region, indicator, scope and year; null where there is no interval.

    For ``year_over_year`` / ``summarize`` rows, and benchmark criterion rows
    (``BenchmarkResult.criteria``: pass ``scope_column="scope_used"``, the scope the
    criterion was scored on).

    Examples:
        >>> import polars as pl
        >>> ci = pl.DataFrame({"region_code": ["a"], "indicator_code": ["r"], "scope": ["全市"],
        ...     "year": [2023], "value_ci_low": [1.0], "value_ci_high": [3.0]})
        >>> rows = pl.DataFrame({"region_code": ["a", "b"], "indicator_code": ["r", "r"],
        ...     "scope": ["全市"] * 2, "year": [2023, 2023], "value": [2.0, 5.0]})
        >>> with_rate_intervals(rows, ci).get_column("value_ci_low").to_list()
        [1.0, None]
    """
    table = intervals.table if isinstance(intervals, RateIntervals) else intervals
    right = table.select(
        pl.col("region_code").alias(region_column), pl.col("indicator_code").alias(
            indicator_column), pl.col("scope").alias(scope_column),
        pl.col("year").cast(frame.schema.get("year", pl.Int32)), "value_ci_low", "value_ci_high")
    left = frame.drop([c for c in ("value_ci_low", "value_ci_high") if c in frame.columns])
    return left.join(right, on=[region_column, indicator_column, scope_column, "year"],
                     how="left", maintain_order="left")


@renamed_arguments(obs="observations")
def shrunk_rates(
    observations: pl.DataFrame | pl.LazyFrame | RateIntervals,
    *,
    indicator: str,
    year: int,
    scope: str | None = None,
    peer_regions: Iterable[str] | None = None,
    catalog: Catalog | None = None,
) -> ShrunkRates:
    """Empirical-Bayes (beta-binomial) rates for one indicator, year and peer group.

    A beta prior ``Beta(a, b)`` is fitted across the peer group by the method of moments:
    ``m`` is the mean of the regions' proportions, ``s2`` their sample variance, and the
    between-region variance is ``s2`` less the mean binomial variance ``m(1-m) mean(1/n)``.
    Then ``a + b = m(1-m)/between - 1``, ``a = m(a+b)`` and each region's shrunk rate is
    ``100 (k + a) / (n + a + b)``; ``weight = n / (n + a + b)`` is how much of its own rate
    it keeps. When the between-region variance is not positive, the regions differ no more
    than binomial noise: ``a + b`` is infinite and every shrunk rate is the pooled rate
    ``100 sum(k) / sum(n)``. Fewer than 3 regions with counts: no prior, shrunk rate null.

    Args:
        observations: Observations, or ``rate_intervals`` output.
        indicator: A catalog rate with known counts (e.g. ``reconsideration_correction_rate``).
        year: The year.
        scope: The scope (needed when several are present).
        peer_regions: The peer group (default every region with counts).
        catalog: Catalog (default the bundled one).

    Returns:
        ``ShrunkRates``; its table has ``region_code, numerator, denominator, rate,
        shrunk_rate, weight`` (raw ``rate`` always kept), sorted by region.

    Examples:
        >>> import polars as pl
        >>> ci = pl.DataFrame({"region_code": ["a", "b", "c", "d"], "scope": ["全县"] * 4,
        ...     "indicator_code": ["reconsideration_correction_rate"] * 4, "year": [2023] * 4,
        ...     "numerator": [1.0, 20.0, 30.0, 3.0], "denominator": [2.0, 200.0, 100.0, 60.0],
        ...     "reason": [None] * 4})
        >>> result = shrunk_rates(ci, indicator="reconsideration_correction_rate", year=2023)
        >>> result.to_polars().get_column("shrunk_rate").round(1).to_list()
        [28.5, 10.6, 29.5, 7.4]
    """
    if isinstance(observations, RateIntervals):
        table = observations.table
    elif isinstance(observations, pl.DataFrame) and "numerator" in observations.columns:
        table = observations
    else:
        table = rate_intervals(observations, indicators=[indicator], catalog=catalog).table
    group = table.filter((pl.col("indicator_code") == indicator) & (pl.col("year") == year)
                         & pl.col("reason").is_null())
    if peer_regions is not None:
        group = group.filter(pl.col("region_code").is_in(list(peer_regions)))
    scopes = group.get_column("scope").unique().sort().to_list()
    if scope is None and len(scopes) > 1:
        msg = f"{indicator} {year} has several scopes: {scopes}"
        raise InvalidArgumentError(msg,
                                   hint=f"pass scope=, e.g. scope={scopes[0]!r}",
                                   argument="scope")
    if scope is not None:
        group = group.filter(pl.col("scope") == scope)
    group = group.select("region_code", "numerator", "denominator").sort("region_code")
    k = group.get_column("numerator").to_numpy().astype(np.float64)
    n = group.get_column("denominator").to_numpy().astype(np.float64)
    a, b, reason = _beta_prior(k, n)
    if a is None or b is None:
        shrunk, weight = np.full(k.size, np.nan), np.full(k.size, np.nan)
    elif math.isinf(a):
        shrunk, weight = np.full(k.size, 100.0 * k.sum() / n.sum()), np.zeros(k.size)
    else:
        shrunk, weight = 100.0 * (k + a) / (n + a + b), n / (n + a + b)
    out = group.with_columns(
        (100.0 * pl.col("numerator") / pl.col("denominator")).alias("rate"),
        pl.Series("shrunk_rate", shrunk).fill_nan(None),
        pl.Series("weight", weight).fill_nan(None))
    return ShrunkRates(table=out, prior_alpha=a, prior_beta=b, reason=reason)


def _beta_prior(k: np.ndarray, n: np.ndarray) -> tuple[float | None, float | None, str | None]:
    """Method-of-moments beta prior from counts ``k`` out of ``n`` (see ``shrunk_rates``)."""
    if k.size < MIN_REGIONS_SHRINKAGE:
        return None, None, "too_few_regions"
    p = k / n
    m = float(p.mean())
    if m <= 0.0 or m >= 1.0:
        return None, None, "no_variation"
    between = float(p.var(ddof=1)) - m * (1.0 - m) * float(np.mean(1.0 / n))
    if between <= 0.0:
        return math.inf, math.inf, None
    strength = m * (1.0 - m) / between - 1.0
    if strength <= 0.0:  # more spread than a beta allows with this mean: no pooling
        return 0.0, 0.0, None
    return m * strength, (1.0 - m) * strength, None
