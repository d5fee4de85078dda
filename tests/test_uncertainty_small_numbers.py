"""Issue 19 part A: rate intervals, shrinkage and the funnel plot, against hand/scipy values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

from fzcompare import charts, trends
from fzcompare.catalog import load_catalog
from fzcompare.errors import ChartError, InvalidArgumentError

RATE = "reconsideration_correction_rate"
NUM, DEN = "reconsideration_corrected", "reconsideration_concluded"
Z95 = stats.norm.ppf(0.975)


def _obs(counts: Mapping[str, tuple[float | None, float | None]], *, year: int = 2023,
         scope: str = "全县", qualifier: str = "eq", source_kind: str = "report",
         rate: bool = False) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for region, (k, n) in counts.items():
        for code, value in ((NUM, k), (DEN, n)):
            if value is not None:
                rows.append({"region_code": region, "indicator_code": code, "value": value})
        if rate and k is not None and n:
            rows.append({"region_code": region, "indicator_code": RATE,
                         "value": round(100 * k / n, 2)})
    return pl.DataFrame(rows, schema_overrides={"value": pl.Float64}).with_columns(
        scope=pl.lit(scope), year=pl.lit(year, dtype=pl.Int32), qualifier=pl.lit(qualifier),
        source_kind=pl.lit(source_kind))


def _wilson(k: float, n: float, z: float) -> tuple[float, float]:
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return 100 * (centre - half), 100 * (centre + half)


# --- intervals -----------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n"), [(9, 80), (0, 12), (12, 12), (1, 3), (250, 1000)])
def test_wilson_endpoints_match_the_formula(k: int, n: int) -> None:
    row = trends.rate_intervals(_obs({"a": (k, n)})).table.row(0, named=True)
    low, high = _wilson(k, n, Z95)
    assert row["rate"] == pytest.approx(100 * k / n)
    assert row["value_ci_low"] == pytest.approx(low, abs=1e-9)
    assert row["value_ci_high"] == pytest.approx(high, abs=1e-9)
    assert row["ci_method"] == "wilson" and row["reason"] is None


@pytest.mark.parametrize(("k", "n"), [(9, 80), (3, 7), (40, 41)])
def test_jeffreys_and_clopper_pearson_are_beta_quantiles(k: int, n: int) -> None:
    obs = _obs({"a": (k, n)})
    jeffreys = trends.rate_intervals(obs, method="jeffreys", confidence=0.9).table
    assert jeffreys["value_ci_low"][0] == pytest.approx(
        100 * stats.beta.ppf(0.05, k + 0.5, n - k + 0.5), rel=1e-9)
    assert jeffreys["value_ci_high"][0] == pytest.approx(
        100 * stats.beta.ppf(0.95, k + 0.5, n - k + 0.5), rel=1e-9)
    exact = trends.rate_intervals(obs, method="beta").table
    assert exact["value_ci_low"][0] == pytest.approx(100 * stats.beta.ppf(0.025, k, n - k + 1))
    assert exact["value_ci_high"][0] == pytest.approx(
        100 * stats.beta.ppf(0.975, k + 1, n - k))


def test_rows_without_usable_counts_are_kept_with_a_reason() -> None:
    obs = pl.concat([
        _obs({"a": (5, None), "b": (7, 5), "c": (2.5, 10)}, rate=False),
        _obs({"d": (3, 30)}, qualifier="gt"),
        _obs({"e": (3, 30), "f": (1, 10)}),
        _obs({"e": (4, 30)}).filter(pl.col("indicator_code") == NUM),  # a second numerator
    ], how="diagonal_relaxed")
    table = trends.rate_intervals(obs).table
    reasons = dict(zip(table["region_code"], table["reason"].cast(pl.String), strict=True))
    assert reasons == {"a": "components_missing", "b": "components_invalid",
                       "c": "components_invalid", "d": "components_qualified",
                       "e": "components_duplicated", "f": None}
    assert table.filter(pl.col("reason").is_not_null())["value_ci_low"].null_count() == 5


def test_reported_rate_is_kept_next_to_the_count_rate() -> None:
    table = trends.rate_intervals(_obs({"a": (1, 3)}, rate=True)).table
    assert table.select("value", "rate").row(0) == (33.33, pytest.approx(100 / 3))


def test_year_over_year_carries_the_interval_only_on_rates_with_counts() -> None:
    obs = pl.concat([_obs({"a": (9, 80)}, year=2022, rate=True),
                     _obs({"a": (12, 90)}, year=2023, rate=True)])
    plain = trends.year_over_year(obs)
    rows = trends.year_over_year(obs, intervals=True)
    assert rows.drop("value_ci_low", "value_ci_high").equals(plain)
    rate_rows = rows.filter(pl.col("indicator_code") == RATE).sort("year")
    assert rate_rows["value_ci_low"].to_list() == pytest.approx(
        [_wilson(9, 80, Z95)[0], _wilson(12, 90, Z95)[0]])
    assert rows.filter(pl.col("indicator_code") != RATE)["value_ci_low"].null_count() == 4


def test_interval_arguments_are_checked() -> None:
    obs = _obs({"a": (1, 3)})
    with pytest.raises(InvalidArgumentError, match="wilson"):
        trends.rate_intervals(obs, method="wald2")
    with pytest.raises(ValueError, match="not a rate with known counts"):
        trends.rate_intervals(obs, indicators=["reconsideration_corrected"])
    with pytest.raises(ValueError):
        trends.rate_intervals(obs, confidence=1.5)


def test_rate_intervals_repr_and_html() -> None:
    result = trends.rate_intervals(_obs({"<b>": (1, 3)}))
    assert repr(result) == "RateIntervals(1 rates, 1 with a 95% wilson interval)"
    assert "&lt;b&gt;" in result._repr_html_() and "<b>" not in result._repr_html_()


# --- shrinkage -----------------------------------------------------------------------------

def test_shrinkage_matches_the_method_of_moments_by_hand() -> None:
    counts = {"a": (1, 2), "b": (20, 200), "c": (30, 100), "d": (3, 60)}
    result = trends.shrunk_rates(_obs(counts), indicator=RATE, year=2023)
    k = np.array([c[0] for c in counts.values()], dtype=float)
    n = np.array([c[1] for c in counts.values()], dtype=float)
    p = k / n
    m = p.mean()
    between = p.var(ddof=1) - m * (1 - m) * np.mean(1 / n)
    strength = m * (1 - m) / between - 1
    assert result.prior_alpha == pytest.approx(m * strength)
    assert result.prior_beta == pytest.approx((1 - m) * strength)
    table = result.table
    assert table["rate"].to_list() == pytest.approx(list(100 * p))  # raw rate kept
    assert table["shrunk_rate"].to_list() == pytest.approx(
        list(100 * (k + m * strength) / (n + strength)))
    # the 2-case region keeps least of its own rate, the 200-case one most
    weight = table["weight"].to_list()
    assert weight == pytest.approx(list(n / (n + strength)))
    assert weight[0] == min(weight) and weight[1] == max(weight)


def test_shrinkage_to_the_pooled_rate_when_regions_vary_like_noise() -> None:
    counts = {"a": (10, 100), "b": (11, 100), "c": (9, 100)}
    result = trends.shrunk_rates(_obs(counts), indicator=RATE, year=2023)
    assert result.prior_alpha == math.inf
    assert result.table["shrunk_rate"].to_list() == pytest.approx([10.0] * 3)
    assert result.table["weight"].to_list() == [0.0] * 3


def test_shrinkage_needs_three_regions_and_one_scope() -> None:
    result = trends.shrunk_rates(_obs({"a": (1, 2), "b": (3, 9)}), indicator=RATE, year=2023)
    assert result.reason == "too_few_regions" and result.table["shrunk_rate"].null_count() == 2
    assert "no prior" in repr(result)
    both = pl.concat([_obs({"a": (1, 2)}), _obs({"a": (1, 2)}, scope="县本级")])
    with pytest.raises(InvalidArgumentError, match="scope"):
        trends.shrunk_rates(both, indicator=RATE, year=2023)


# --- funnel --------------------------------------------------------------------------------

def test_normal_limits_by_hand() -> None:
    limits = charts.funnel_limits(20.0, [25, 400], method="normal")
    for row in limits.iter_rows(named=True):
        z = stats.norm.ppf(1 - (1 - row["level"]) / 2)
        half = 100 * z * math.sqrt(0.2 * 0.8 / row["denominator"])
        assert row["low"] == pytest.approx(max(0.0, 20.0 - half))
        assert row["high"] == pytest.approx(20.0 + half)
    assert limits.filter(pl.col("level") == 0.998)["high"][0] > limits.filter(
        pl.col("level") == 0.95)["high"][0]


def test_binomial_limits_follow_spiegelhalter_interpolation() -> None:
    p0, n = 0.15, 60
    limits = charts.funnel_limits(100 * p0, [n]).filter(pl.col("level") == 0.95)
    for prob, column in ((0.025, "low"), (0.975, "high")):
        r = stats.binom.ppf(prob, n, p0)
        upper, lower = stats.binom.cdf(r, n, p0), stats.binom.cdf(r - 1, n, p0)
        alpha = (upper - prob) / (upper - lower)
        assert limits[column][0] == pytest.approx(100 * (r - alpha) / n)
    # the limits bracket the target and the funnel narrows as n grows
    wide = charts.funnel_limits(15.0, [20, 200, 2000], levels=[0.998])
    assert all(wide["low"] < 15.0) and all(wide["high"] > 15.0)
    assert wide["high"].to_list() == sorted(wide["high"].to_list(), reverse=True)


def test_funnel_table_positions() -> None:
    counts = {"a": (5, 50), "b": (9, 80), "c": (40, 120), "d": (12, 150), "e": (30, 200)}
    table = charts.funnel_table(_obs(counts), indicator=RATE, year=2023, method="normal")
    p0 = 100 * 96 / 600
    assert table["group_rate"][0] == pytest.approx(p0)
    expected = []
    for k, n in counts.values():
        rate, se = 100 * k / n, 100 * math.sqrt(p0 / 100 * (1 - p0 / 100) / n)
        z = (rate - p0) / se
        side = "above" if z > 0 else "below"
        z3, z2 = stats.norm.ppf(0.999), stats.norm.ppf(0.975)
        expected.append(f"{side}_998" if abs(z) > z3 else f"{side}_95" if abs(z) > z2
                        else "within")
    assert table["position"].to_list() == expected
    assert "above_998" in expected  # the fixture has an outlier to label
    peers = charts.funnel_table(_obs(counts), indicator=RATE, year=2023,
                                peer_regions=["a", "b"])
    assert peers["region_code"].to_list() == ["a", "b"]


def test_funnel_plot_labels_outliers_and_carries_the_synthetic_mark() -> None:
    counts = {"420302": (5, 50), "420303": (9, 80), "420304": (40, 120), "420322": (12, 150)}
    fig = charts.funnel_plot(_obs(counts, source_kind="synthetic"), indicator=RATE, year=2023,
                             lang="en", labels={"420304": "Outlier County"})
    assert [t.get_text() for t in fig.axes[0].texts] == ["Outlier County"]
    all_text = [t.get_text() for sub in fig.subfigs for t in sub.texts]
    assert any("SYNTHETIC" in t for t in all_text)
    real = charts.funnel_plot(_obs(counts), indicator=RATE, year=2023)
    assert not any("SYNTHETIC" in t.get_text() for sub in real.subfigs for t in sub.texts)


def test_funnel_plot_errors() -> None:
    with pytest.raises(ChartError, match="no region has both counts"):
        charts.funnel_plot(_obs({"a": (1, None)}), indicator=RATE, year=2023)
    with pytest.raises(InvalidArgumentError, match="binomial"):
        charts.funnel_limits(10.0, [10], method="poisson")


# --- overdispersion ------------------------------------------------------------------------

def _counts(now: list[float], before: list[float]) -> pl.DataFrame:
    regions = [f"r{i}" for i in range(len(now))]
    return pl.DataFrame({"region_code": regions * 2, "scope": "全县",
                         "indicator_code": "reconsideration_applications",
                         "year": [2022] * len(now) + [2023] * len(now),
                         "value": before + now})


def test_dispersion_equals_the_statsmodels_poisson_glm_pearson_chi2() -> None:
    import statsmodels.api as sm

    now, before = [160.0, 60.0, 100.0, 45.0], [100.0, 100.0, 100.0, 50.0]
    phi, df = trends.poisson_dispersion(np.array(now), np.array(before))
    r = len(now)
    y = np.array(before + now)
    design = np.column_stack([np.tile(np.eye(r), (2, 1)), np.repeat([0.0, 1.0], r)])
    fit = sm.GLM(y, design, family=sm.families.Poisson()).fit()
    assert df == fit.df_resid == r - 1
    assert phi == pytest.approx(fit.pearson_chi2 / fit.df_resid, rel=1e-9)


def test_overdispersed_counts_switch_to_quasi_poisson() -> None:
    out = trends.count_change_significance(_counts([160.0, 60.0, 100.0], [100.0] * 3)).filter(
        pl.col("year") == 2023).sort("region_code")
    phi = out["dispersion"][0]
    assert out["test_method"].to_list() == ["quasi_poisson"] * 3
    assert out["dispersion_p"][0] == pytest.approx(stats.chi2.sf(phi * 2, 2))
    z = (160 - 100) / math.sqrt(phi * 260)
    assert out["p_value"][0] == pytest.approx(2 * stats.norm.sf(z))
    assert out["p_value_poisson"][0] < 0.001 < out["p_value"][0]  # no longer "significant"
    assert out["significant"].to_list() == [False] * 3


def test_poisson_like_counts_keep_the_exact_test() -> None:
    out = trends.count_change_significance(_counts([110.0, 52.0, 205.0], [100.0, 50.0, 200.0])
                                           ).filter(pl.col("year") == 2023)
    assert out["test_method"].to_list() == ["poisson_exact"] * 3
    assert out["p_value"].to_list() == out["p_value_poisson"].to_list()
    assert all(d < 1.5 for d in out["dispersion"])
    few = trends.count_change_significance(_counts([110.0, 52.0], [100.0, 50.0]))
    assert few.filter(pl.col("year") == 2023)["dispersion"].null_count() == 2


# --- on the bundled synthetic demo panel ---------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> pl.DataFrame:
    from fzcompare import synthetic

    return synthetic.demo_panel().observations


def test_intervals_join_onto_benchmark_criterion_rows(demo: pl.DataFrame) -> None:
    from fzcompare import benchmark
    from fzcompare.criteria import load_criteria

    criteria = benchmark.benchmark(demo, load_criteria("county-demo-2024")).criteria
    joined = trends.with_rate_intervals(criteria, trends.rate_intervals(demo),
                                        scope_column="scope_used")
    assert joined.drop("value_ci_low", "value_ci_high").equals(
        criteria.drop("value_ci_low", "value_ci_high"))
    # the benchmark's own interval columns are the join on the scored rows
    assert joined.select("value_ci_low", "value_ci_high").equals(
        criteria.select("value_ci_low", "value_ci_high"))
    rated = joined.filter(pl.col("indicator_code") == RATE)
    with_ci = rated.filter(pl.col("value_ci_low").is_not_null())
    assert with_ci.height > 0
    # the interval brackets the reported rate (up to its rounding) on every such row
    assert ((with_ci["value_ci_low"] <= with_ci["value"] + 0.5)
            & (with_ci["value"] - 0.5 <= with_ci["value_ci_high"])).all()
    non_rates = joined.filter(~pl.col("indicator_code").is_in(
        ["reconsideration_mediation_rate", "reconsideration_correction_rate",
         "agency_head_court_appearance_rate", "admin_litigation_loss_rate",
         "reconsideration_acceptance_rate", "info_disclosure_on_time_rate",
         "rule_of_law_inspection_rectification_rate", "enforcement_case_review_pass_rate",
         "major_decision_legal_review_rate"]))
    assert non_rates["value_ci_low"].null_count() == non_rates.height


def test_funnel_of_the_demo_panel_is_marked_synthetic(demo: pl.DataFrame) -> None:
    fig = charts.funnel_plot(demo, indicator=RATE, year=2024, scope="全市")
    texts = [t.get_text() for sub in fig.subfigs for t in sub.texts]
    assert any("SYNTHETIC" in t for t in texts)
    table = charts.funnel_table(demo, indicator=RATE, year=2024, scope="全市")
    assert table.height == demo.filter((pl.col("indicator_code") == NUM)
                                       & (pl.col("year") == 2024)
                                       & (pl.col("scope") == "全市")).height


def test_benchmark_criterion_rows_carry_the_rate_intervals(demo: pl.DataFrame) -> None:
    from statsmodels.stats.proportion import proportion_confint

    from fzcompare import benchmark
    from fzcompare.criteria import load_criteria

    criteria = benchmark.benchmark(demo, load_criteria("county-demo-2024")).criteria
    at = criteria.columns.index("value_ci_low")
    assert criteria.columns[at + 1] == "value_ci_high"
    with_ci = criteria.filter(pl.col("value_ci_low").is_not_null())
    assert with_ci.height > 0
    for row in with_ci.head(5).iter_rows(named=True):
        relation = load_catalog().relations.filter(
            (pl.col("kind") == "ratio") & (pl.col("target") == row["indicator_code"])).row(
            0, named=True)

        def count(code: str, row: dict[str, Any] = row) -> float:
            return float(demo.filter(
                (pl.col("region_code") == row["region_code"]) & (pl.col("year") == row["year"])
                & (pl.col("indicator_code") == code))["value"].item())

        k, n = count(relation["numerator"]), count(relation["denominator"])
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert row["value_ci_low"] == pytest.approx(100 * low)
        assert row["value_ci_high"] == pytest.approx(100 * high)
    no_rate = load_criteria("hubei-demo-2024")
    plain = benchmark.benchmark(demo.filter(pl.col("indicator_code") != RATE), no_rate).criteria
    assert {"value_ci_low", "value_ci_high"} <= set(plain.columns)
