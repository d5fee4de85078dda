"""fzcompare.trends: significance tests, dispersion, convergence and outlook."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl
import pytest

from fzcompare import trends
from fzcompare.catalog import INDICATOR_SCHEMA, RELATION_SCHEMA, Catalog


def _rows(indicator: str, values: dict[int, float | None], *, region: str = "420300",
          scope: str = "全市", unit: str = "件", qualifier: str = "eq") -> list[dict[str, Any]]:
    return [{"region_code": region, "year": year, "indicator_code": indicator, "scope": scope,
             "value": value, "unit": unit, "qualifier": qualifier, "source_id": "s"}
            for year, value in values.items()]


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={"year": pl.Int32, "value": pl.Float64})


# --- significance ------------------------------------------------------------------------

def test_two_proportion_test_for_catalog_ratio() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    rows = (_rows("reconsideration_corrected", {2022: 30.0, 2023: 12.0})
            + _rows("reconsideration_concluded", {2022: 200.0, 2023: 190.0})
            + _rows("reconsideration_correction_rate", {2022: 15.0, 2023: 6.32}, unit="%"))
    result = trends.change_significance(_frame(rows),
                                        indicators=["reconsideration_correction_rate"])
    row = result.filter(pl.col("year") == 2023).row(0, named=True)
    statistic, p_value = proportions_ztest([12, 30], [190, 200])
    assert row["test"] == "two_proportion"
    assert (row["count"], row["total"], row["prev_count"], row["prev_total"]) == (
        12.0, 190.0, 30.0, 200.0)
    assert row["statistic"] == pytest.approx(statistic, rel=1e-12)
    assert row["p_value"] == pytest.approx(p_value, rel=1e-12)
    assert row["significant"] is True
    first = result.filter(pl.col("year") == 2022).row(0, named=True)
    assert first["test"] is None and first["reason"] == "no_previous"


def test_ratio_without_components_or_with_bad_components() -> None:
    base = _rows("reconsideration_correction_rate", {2022: 15.0, 2023: 6.3}, unit="%")
    alone = trends.change_significance(_frame(base)).row(1, named=True)
    assert alone["test"] is None and alone["reason"] == "components_missing"
    qualified = (base + _rows("reconsideration_corrected", {2022: 30.0, 2023: 12.0},
                              qualifier="gt")
                 + _rows("reconsideration_concluded", {2022: 200.0, 2023: 190.0}))
    row = trends.change_significance(
        _frame(qualified), indicators=["reconsideration_correction_rate"]).row(1, named=True)
    assert row["reason"] == "components_qualified"
    invalid = (base + _rows("reconsideration_corrected", {2022: 300.0, 2023: 12.0})
               + _rows("reconsideration_concluded", {2022: 200.0, 2023: 190.0}))
    row = trends.change_significance(
        _frame(invalid), indicators=["reconsideration_correction_rate"]).row(1, named=True)
    assert row["reason"] == "components_invalid"


def test_exact_poisson_test_for_counts() -> None:
    from statsmodels.stats.rates import test_poisson_2indep

    pairs = [(20, 45), (12, 15), (7, 7), (0, 3), (150, 120), (1, 0)]
    rows: list[dict[str, Any]] = []
    for k, (before, after) in enumerate(pairs):
        rows += _rows("reconsideration_applications", {2022: float(before), 2023: float(after)},
                      region=f"{420100 + k * 100:06d}")
    result = trends.change_significance(_frame(rows)).filter(pl.col("year") == 2023)
    assert result["test"].to_list() == ["poisson_exact"] * len(pairs)
    for row, (before, after) in zip(result.iter_rows(named=True), pairs, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels' ratio when before=0
            expected = test_poisson_2indep(after, 1, before, 1, method="exact-cond").pvalue
        assert row["p_value"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert row["count"] == after and row["prev_count"] == before


def test_counts_that_cannot_be_tested_honestly() -> None:
    nothing = _frame(_rows("reconsideration_applications", {2022: 0.0, 2023: 0.0}))
    row = trends.change_significance(nothing).row(1, named=True)
    assert row["test"] is None and row["reason"] == "no_events"
    qualified = _frame(_rows("reconsideration_applications", {2022: 100.0})
                       + _rows("reconsideration_applications", {2023: 150.0}, qualifier="gt"))
    row = trends.change_significance(qualified).row(1, named=True)
    assert row["test"] is None and row["reason"] == "qualified_value"
    fractional = _frame(_rows("reconsideration_applications", {2022: 1.5, 2023: 2.0}))
    assert trends.change_significance(fractional).row(1, named=True)["reason"] == "not_integer"
    rate = _frame(_rows("gov_service_online_rate", {2022: 90.0, 2023: 95.0}, unit="%"))
    row = trends.change_significance(rate).row(1, named=True)
    assert row["test"] is None and row["reason"] == "not_testable"
    assert row["p_value"] is None and row["significant"] is None


# --- dispersion and convergence ------------------------------------------------------------

def test_dispersion_hand_computed() -> None:
    rows = []
    for code, value in zip(("420300", "420500", "420600", "420700"), (90.0, 95.0, 100.0, None),
                           strict=True):
        rows += _rows("gov_service_online_rate", {2023: value}, region=code, unit="%")
    rows += _rows("gov_service_online_rate", {2023: 50.0}, region="420300", scope="全县",
                  unit="%")
    out = trends.dispersion(_frame(rows)).sort("scope")
    city = out.filter(pl.col("scope") == "全市").row(0, named=True)
    assert (city["n_regions"], city["n_excluded"]) == (3, 1)
    assert (city["mean"], city["median"], city["min"], city["max"]) == (95.0, 95.0, 90.0, 100.0)
    assert city["std"] == pytest.approx(5.0)
    assert city["cv"] == pytest.approx(5.0 / 95.0)
    county = out.filter(pl.col("scope") == "全县").row(0, named=True)
    assert county["std"] is None and county["cv"] is None
    assert county["reason"] == "too_few_regions"
    zeros = []
    for code in ("420300", "420500"):
        zeros += _rows("reconsideration_applications", {2023: 0.0}, region=code)
    assert trends.dispersion(_frame(zeros))["reason"].to_list() == ["non_positive_mean"]


def _converging_panel() -> pl.DataFrame:
    rng = np.random.default_rng(11)
    start = rng.uniform(40, 90, 12)
    rows = []
    for k, level in enumerate(start):
        values: dict[int, float | None] = {}
        for t, year in enumerate(range(2018, 2024)):
            values[year] = float(95 - (95 - level) * 0.7**t + rng.normal(0, 0.5))
        rows += _rows("gov_service_online_rate", values, region=f"{420100 + k * 100:06d}",
                      unit="%")
    return _frame(rows)


def test_sigma_and_beta_convergence_match_statsmodels() -> None:
    import statsmodels.api as sm

    obs = _converging_panel()
    out = trends.convergence(obs).row(0, named=True)
    spread = trends.dispersion(obs)
    fit = sm.OLS(spread["cv"].to_numpy(), sm.add_constant(
        spread["year"].cast(pl.Float64).to_numpy())).fit()
    assert out["sigma_slope"] == pytest.approx(fit.params[1], rel=1e-9)
    assert out["sigma_p"] == pytest.approx(fit.pvalues[1], rel=1e-9, abs=1e-12)
    assert out["sigma_converging"] is True
    assert out["n_years"] == 6 and out["cv_first"] > out["cv_last"]

    wide = obs.pivot(on="year", index="region_code", values="value")
    level = np.log(wide["2018"].to_numpy())
    growth = (np.log(wide["2023"].to_numpy()) - level) / 5
    beta = sm.OLS(growth, sm.add_constant(level)).fit()
    assert out["growth_measure"] == "log" and out["n_regions_beta"] == 12
    assert out["beta"] == pytest.approx(beta.params[1], rel=1e-9)
    assert out["beta_se"] == pytest.approx(beta.bse[1], rel=1e-9)
    low, high = beta.conf_int(alpha=0.05)[1]
    assert (out["beta_ci_low"], out["beta_ci_high"]) == (pytest.approx(low, rel=1e-9),
                                                         pytest.approx(high, rel=1e-9))
    assert out["beta_converging"] is True


def test_convergence_needs_enough_years_and_regions() -> None:
    rows = []
    for k in range(2):
        rows += _rows("reconsideration_applications", {2022: 10.0 + k, 2023: 12.0 + k},
                      region=f"{420300 + k * 200:06d}")
    out = trends.convergence(_frame(rows)).row(0, named=True)
    assert out["sigma_slope"] is None and out["sigma_reason"] == "too_few_years"
    assert out["beta"] is None and out["beta_reason"] == "too_few_regions"
    assert out["n_regions_beta"] == 2
    one_year = trends.convergence(_frame(_rows("reconsideration_applications", {2023: 5.0})))
    assert one_year["beta_reason"].to_list() == ["single_year"]


def test_beta_uses_absolute_growth_when_a_value_is_zero() -> None:
    rows = []
    for k, (first, last) in enumerate([(0.0, 5.0), (3.0, 6.0), (8.0, 9.0), (12.0, 12.5)]):
        rows += _rows("reconsideration_applications", {2020: first, 2023: last},
                      region=f"{420100 + k * 100:06d}")
    out = trends.convergence(_frame(rows)).row(0, named=True)
    assert out["growth_measure"] == "absolute"
    firsts = np.array([0.0, 3.0, 8.0, 12.0])
    growth = (np.array([5.0, 6.0, 9.0, 12.5]) - firsts) / 3
    assert out["beta"] == pytest.approx(np.polyfit(firsts, growth, 1)[0], rel=1e-9)


# --- outlook ------------------------------------------------------------------------------

def _holt_reference(values: list[float], confidence: float) -> tuple[float, float, float]:
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(pd.Series(values), error="add", trend="add").fit(disp=False)
        frame = fit.get_prediction(start=len(values), end=len(values)).summary_frame(
            alpha=1 - confidence)
    return (float(frame["mean"].iloc[0]), float(frame["pi_lower"].iloc[0]),
            float(frame["pi_upper"].iloc[0]))


def test_outlook_holt_forecast_with_interval() -> None:
    values = [100.0, 112.0, 119.0, 135.0, 141.0, 155.0]
    obs = _frame(_rows("reconsideration_applications", dict(zip(range(2018, 2024), values,
                                                                strict=True))))
    row = trends.outlook(obs, confidence=0.9).row(0, named=True)
    mean, low, high = _holt_reference(values, 0.9)
    assert row["forecast_year"] == 2024 and row["n_points"] == 6
    assert (row["fit_first_year"], row["fit_last_year"]) == (2018, 2023)
    assert row["forecast"] == pytest.approx(mean, rel=1e-9)
    assert row["pi_low"] == pytest.approx(low, rel=1e-9)
    assert row["pi_high"] == pytest.approx(high, rel=1e-9)
    assert row["pi_low"] < row["forecast"] < row["pi_high"]
    assert row["reason"] is None and "Holt" in row["method"]


def test_outlook_minimum_points_gaps_and_constants() -> None:
    four = _rows("reconsideration_applications", {2020: 1.0, 2021: 2.0, 2022: 3.0, 2023: 5.0},
                 region="420300")
    gapped = _rows("reconsideration_applications",
                   {2015: 1.0, 2016: 2.0, 2018: 3.0, 2019: 5.0, 2020: 6.0, 2021: 8.0},
                   region="420500")
    constant = _rows("reconsideration_applications", dict.fromkeys(range(2018, 2024), 4.0),
                     region="420600")
    out = {r["region_code"]: r for r in trends.outlook(_frame(four + gapped + constant))
           .iter_rows(named=True)}
    assert out["420300"]["forecast"] is None and out["420300"]["reason"] == "too_few_points"
    assert out["420500"]["forecast"] is None
    assert out["420500"]["reason"] == "too_few_consecutive_points"
    assert out["420600"]["forecast"] == 4.0 and out["420600"]["pi_low"] is None
    assert out["420600"]["reason"] == "constant_series"


def test_outlook_is_clipped_to_catalog_bounds() -> None:
    indicators = pl.DataFrame([{
        "code": "share", "name_zh": "s", "name_en": "s", "domain": 1, "unit": "%",
        "kind": "rate", "direction": "higher", "min_value": 0.0, "max_value": 100.0,
        "main": True, "typical_low": None, "typical_high": None, "synonyms": [],
        "full_statements": []}], schema=INDICATOR_SCHEMA)
    catalog = Catalog(indicators=indicators, relations=pl.DataFrame(schema=RELATION_SCHEMA),
                      domains=pl.DataFrame(), version="t")
    obs = _frame(_rows("share", {2019: 80.0, 2020: 86.0, 2021: 91.0, 2022: 96.0, 2023: 99.5},
                       unit="%"))
    row = trends.outlook(obs, catalog=catalog).row(0, named=True)
    assert row["pi_high"] <= 100.0 and row["forecast"] <= 100.0
    assert row["bounded"] is True


def test_analyze_with_everything() -> None:
    result = trends.analyze(_converging_panel(), forecast=True)
    assert result.outlook is not None and result.outlook.height == 12
    assert result.significance is not None
    assert result.convergence.height == 1 and result.dispersion.height == 6
    assert "not computed" not in repr(result)


def test_unmapped_indicators_are_not_compared_across_regions() -> None:
    rows = []
    for code in ("420300", "420500", "420600"):
        rows += _rows("unmapped_some_figure", {2022: 1.0, 2023: 2.0}, region=code)
    obs = _frame(rows)
    assert trends.dispersion(obs).height == 0
    assert trends.convergence(obs).height == 0
    assert trends.trend(obs).height == 3  # within a region they still have a series
