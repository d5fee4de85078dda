"""fzcompare.trends: year-over-year changes, OLS / CAGR / Mann-Kendall, summary, bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fzcompare import trends
from fzcompare.catalog import INDICATOR_SCHEMA, RELATION_SCHEMA, Catalog
from fzcompare.errors import SchemaError, UnknownNameError


def _catalog(*rows: tuple[str, str, str, tuple[float, float] | None]) -> Catalog:
    """A test catalog: (code, kind, direction, typical band)."""
    indicators = pl.DataFrame([{
        "code": code, "name_zh": code, "name_en": code, "domain": 1, "unit": "%",
        "kind": kind, "direction": direction, "min_value": 0.0, "max_value": 100.0,
        "main": True, "typical_low": band[0] if band else None,
        "typical_high": band[1] if band else None, "synonyms": [], "full_statements": [],
    } for code, kind, direction, band in rows], schema=INDICATOR_SCHEMA)
    return Catalog(indicators=indicators, relations=pl.DataFrame(schema=RELATION_SCHEMA),
                   domains=pl.DataFrame(), version="test")


CATALOG = _catalog(
    ("up", "rate", "higher", None),
    ("down", "rate", "lower", None),
    ("flat", "count", "neutral", None),
    ("aim", "rate", "target", (5.0, 20.0)),
    ("aim_noband", "rate", "target", None),
)


def _obs(values: list[Any], years: list[int], *, indicator: str = "up", region: str = "420300",
         scope: str = "全市", unit: str | list[str] = "%",
         qualifier: str | list[str] = "eq") -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame({
        "region_code": [region] * n, "year": years, "indicator_code": [indicator] * n,
        "scope": [scope] * n, "value": values,
        "unit": unit if isinstance(unit, list) else [unit] * n,
        "qualifier": qualifier if isinstance(qualifier, list) else [qualifier] * n,
        "source_id": ["s"] * n,
    }, schema_overrides={"year": pl.Int32})


def _yoy(frame: pl.DataFrame, **options: Any) -> list[dict[str, Any]]:
    return trends.year_over_year(frame, catalog=CATALOG, **options).to_dicts()


# --- year over year ----------------------------------------------------------------------

def test_changes_are_hand_computed_and_gaps_are_labelled() -> None:
    rows = _yoy(_obs([80.0, 84.0, 90.0], [2021, 2022, 2024]))
    assert [r["prev_year"] for r in rows] == [None, 2021, 2022]
    assert [r["gap_years"] for r in rows] == [None, 1, 2]
    assert rows[1]["change_abs"] == 4.0
    assert rows[1]["change_pct"] == pytest.approx(5.0, abs=1e-12)
    assert rows[2]["change_abs"] == 6.0
    assert rows[2]["change_pct"] == pytest.approx(100 * 6 / 84, abs=1e-12)
    assert rows[2]["change_pct_annual"] == pytest.approx(100 * ((90 / 84) ** 0.5 - 1), abs=1e-12)
    assert rows[1]["change_pct_annual"] == rows[1]["change_pct"]
    assert [r["verdict"] for r in rows] == ["not comparable", "improved", "improved"]
    assert rows[0]["reason"] == "no_previous"
    assert rows[1]["reason"] is None


def test_ending_in_equals_filtering_the_full_table() -> None:
    obs = pl.concat([
        _obs([80.0, 84.0, 90.0], [2021, 2022, 2024]),
        _obs([5.0, None, 7.0, 6.0], [2020, 2022, 2023, 2024], indicator="down"),
        _obs([1.0, 2.0], [2023, 2024], region="420500", unit=["件", "%"]),
        _obs([3.0], [2022], region="420600"),
    ])
    full = trends.year_over_year(obs, catalog=CATALOG)
    for years in ([2024], [2022, 2024], 2023, []):
        wanted = [years] if isinstance(years, int) else years
        part = trends.year_over_year(obs, catalog=CATALOG, ending_in=years)
        assert part.equals(full.filter(pl.col("year").is_in(wanted)))
    # the previous year may lie outside the years asked for: 2024 against 2022
    row = trends.year_over_year(obs, catalog=CATALOG, indicators=["up"],
                                ending_in=[2024]).row(0, named=True)
    assert (row["prev_year"], row["gap_years"]) == (2022, 2)


@pytest.mark.parametrize(("indicator", "values", "expected"), [
    ("up", [50.0, 60.0, 55.0, 55.0], ["improved", "worsened", "unchanged"]),
    ("down", [50.0, 60.0, 55.0, 55.0], ["worsened", "improved", "unchanged"]),
    ("flat", [50.0, 60.0, 55.0, 55.0], ["increased", "decreased", "unchanged"]),
    ("unmapped_thing", [50.0, 60.0, 55.0, 55.0], ["increased", "decreased", "unchanged"]),
    # band 5-20: 30 -> 25 closer, 25 -> 10 inside (closer), 10 -> 15 both inside.
    ("aim", [30.0, 25.0, 10.0, 15.0], ["improved", "improved", "unchanged"]),
    ("aim", [10.0, 4.0, 2.0, 2.0], ["worsened", "worsened", "unchanged"]),
    ("aim_noband", [10.0, 12.0, 11.0, 11.0], ["increased", "decreased", "unchanged"]),
])
def test_verdict_follows_catalog_direction(indicator: str, values: list[float],
                                           expected: list[str]) -> None:
    rows = _yoy(_obs(values, [2020, 2021, 2022, 2023], indicator=indicator))
    assert [r["verdict"] for r in rows[1:]] == expected


def test_direction_column() -> None:
    frame = trends.year_over_year(_obs([1.0, 2.0], [2022, 2023], indicator="down"),
                                  catalog=CATALOG)
    assert frame["direction"].to_list() == ["lower", "lower"]
    frame = trends.year_over_year(_obs([1.0, 2.0], [2022, 2023], indicator="unmapped_x"),
                                  catalog=CATALOG)
    assert frame["direction"].to_list() == [None, None]


def test_tolerance_absolute_and_relative() -> None:
    obs = _obs([90.0, 90.4, 91.0], [2021, 2022, 2023])
    assert [r["verdict"] for r in _yoy(obs)][1:] == ["improved", "improved"]
    loose = _yoy(obs, tolerance=trends.Tolerance(absolute=0.5))
    assert [r["verdict"] for r in loose][1:] == ["unchanged", "improved"]
    relative = _yoy(obs, tolerance=trends.Tolerance(relative=0.01))  # 1 % of ~90 = 0.9
    assert [r["verdict"] for r in relative][1:] == ["unchanged", "unchanged"]
    assert relative[1]["change_abs"] == pytest.approx(0.4)  # numbers are still reported


def test_tolerance_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="absolute"):
        trends.Tolerance(absolute=-1.0)
    with pytest.raises(ValueError, match="relative"):
        trends.Tolerance(relative=float("nan"))


def test_qualified_values_make_a_change_uncertain() -> None:
    rows = _yoy(_obs([140.0, 160.0, 170.0], [2021, 2022, 2023], qualifier=["gt", "eq", "eq"]))
    assert [r["uncertain"] for r in rows] == [False, True, False]
    assert rows[1]["verdict"] == "improved"


def test_unit_change_is_not_comparable_and_not_computed() -> None:
    rows = _yoy(_obs([1.2, 15000.0, 16000.0], [2021, 2022, 2023], unit=["万件", "件", "件"],
                     indicator="flat"))
    assert rows[1]["verdict"] == "not comparable"
    assert rows[1]["reason"] == "unit_changed"
    assert rows[1]["change_abs"] is None and rows[1]["change_pct"] is None
    assert rows[2]["verdict"] == "increased" and rows[2]["change_abs"] == 1000.0


def test_scope_change_is_not_comparable_with_reason() -> None:
    obs = pl.concat([_obs([10.0], [2022], scope="全市"), _obs([12.0], [2023], scope="市本级")])
    rows = {(r["scope"], r["year"]): r for r in _yoy(obs)}
    assert rows[("全市", 2022)]["reason"] == "no_previous"
    assert rows[("市本级", 2023)]["verdict"] == "not comparable"
    assert rows[("市本级", 2023)]["reason"] == "scope_changed"
    assert rows[("市本级", 2023)]["change_abs"] is None


def test_first_point_with_later_other_scope_is_just_first() -> None:
    obs = pl.concat([_obs([10.0], [2023], scope="全市"), _obs([12.0], [2022], scope="市本级")])
    rows = {(r["scope"], r["year"]): r for r in _yoy(obs)}
    assert rows[("全市", 2023)]["reason"] == "scope_changed"
    assert rows[("市本级", 2022)]["reason"] == "no_previous"


def test_duplicate_years_are_kept_marked_and_skipped() -> None:
    obs = _obs([10.0, 11.0, 12.0, 13.0], [2020, 2021, 2021, 2022])
    rows = _yoy(obs)
    assert len(rows) == 4
    assert [r["reason"] for r in rows] == ["no_previous", "duplicate_year", "duplicate_year",
                                           None]
    assert [r["verdict"] for r in rows[1:3]] == ["not comparable"] * 2
    assert rows[3]["prev_year"] == 2020 and rows[3]["gap_years"] == 2
    assert rows[3]["change_abs"] == 3.0
    series = trends.trend(obs, catalog=CATALOG).row(0, named=True)
    assert series["n_points"] == 2 and series["n_excluded"] == 2


def test_missing_non_numeric_and_non_finite_values_are_kept_with_reasons() -> None:
    obs = _obs(["10", None, "abc", "nan", "14.5"], [2019, 2020, 2021, 2022, 2023])
    rows = _yoy(obs)
    assert [r["reason"] for r in rows] == ["no_previous", "missing_value", "non_numeric",
                                           "non_finite", None]
    assert [r["verdict"] for r in rows[:4]] == ["not comparable"] * 4
    assert rows[4]["prev_year"] == 2019 and rows[4]["gap_years"] == 4
    assert rows[4]["change_abs"] == pytest.approx(4.5)
    float_obs = _obs([1.0, None, float("inf"), 2.0], [2020, 2021, 2022, 2023])
    assert [r["reason"] for r in _yoy(float_obs)] == ["no_previous", "missing_value",
                                                      "non_finite", None]


def test_zero_previous_value_has_no_percentage() -> None:
    rows = _yoy(_obs([0.0, 5.0], [2022, 2023]))
    assert rows[1]["change_abs"] == 5.0
    assert rows[1]["change_pct"] is None
    assert rows[1]["verdict"] == "improved"


def test_single_point() -> None:
    obs = _obs([42.0], [2023])
    assert _yoy(obs)[0]["reason"] == "no_previous"
    series = trends.trend(obs, catalog=CATALOG).row(0, named=True)
    assert series["n_points"] == 1
    for stat, why in (("slope", "slope_reason"), ("cagr", "cagr_reason"),
                      ("mk_tau", "mk_reason")):
        assert series[stat] is None
        assert series[why] == "too_few_points"


def test_input_order_and_lazy_input_do_not_matter() -> None:
    rng = np.random.default_rng(1)
    frames = [_obs(list(rng.uniform(0, 100, 6)), list(range(2018, 2024)), region=r,
                   indicator=i) for r in ("420300", "420500") for i in ("up", "down")]
    obs = pl.concat(frames)
    shuffled = obs.sample(fraction=1.0, shuffle=True, seed=3)
    expected = trends.summarize(obs, catalog=CATALOG)
    assert trends.summarize(shuffled, catalog=CATALOG).equals(expected)
    assert trends.summarize(shuffled.lazy(), catalog=CATALOG).equals(expected)
    assert expected.select("region_code", "indicator_code", "year").rows() == sorted(
        expected.select("region_code", "indicator_code", "year").rows())


def test_filters() -> None:
    obs = pl.concat([_obs([1.0, 2.0, 3.0], [2021, 2022, 2023], region=r, indicator=i)
                     for r in ("420300", "420500") for i in ("up", "down")])
    out = trends.year_over_year(obs, catalog=CATALOG, indicators=["up"], regions=["420500"],
                                years=range(2022, 2024))
    assert out.select("region_code", "indicator_code").unique().rows() == [("420500", "up")]
    assert out["year"].to_list() == [2022, 2023]
    assert out["reason"].to_list() == ["no_previous", None]
    with pytest.raises(TypeError, match="list of codes"):
        trends.year_over_year(obs, indicators="up")


def test_empty_input_gives_empty_tables() -> None:
    empty = _obs([], [])
    assert trends.summarize(empty, catalog=CATALOG).columns == list(trends.SUMMARY_COLUMNS)
    assert trends.summarize(empty, catalog=CATALOG).height == 0
    assert trends.trend(empty, catalog=CATALOG).height == 0


def test_structural_problems_raise_schema_errors() -> None:
    with pytest.raises(SchemaError, match="missing columns: value") as info:
        trends.summarize(_obs([1.0], [2023]).drop("value"))
    assert info.value.details["reason"] == "missing_column"
    bad_year = _obs([1.0, 2.0], [2022, 2023]).with_columns(
        pl.Series("year", [2022, None], dtype=pl.Int32))
    with pytest.raises(SchemaError, match="year") as info:
        trends.summarize(bad_year)
    assert info.value.details["reason"] == "null_value"
    assert info.value.details["rows"]["row"].to_list() == [1]
    half_year = _obs([1.0, 2.0], [2022, 2023]).with_columns(
        pl.Series("year", [2022.0, 2022.5]))
    with pytest.raises(SchemaError, match="whole years") as info:
        trends.summarize(half_year)
    assert info.value.details["reason"] == "bad_year"
    with pytest.raises(SchemaError, match="expected numbers"):
        trends.summarize(_obs([1.0], [2023]).with_columns(pl.lit(True).alias("value")))
    with pytest.raises(ValueError, match="confidence"):
        trends.trend(_obs([1.0], [2023]), confidence=1.5)


# --- trend statistics --------------------------------------------------------------------

def _statsmodels_ols(years: list[int], values: list[float], confidence: float) -> dict[str, float]:
    import statsmodels.api as sm

    fit = sm.OLS(np.asarray(values), sm.add_constant(np.asarray(years, dtype=float))).fit()
    low, high = fit.conf_int(alpha=1 - confidence)[1]
    return {"slope": fit.params[1], "slope_se": fit.bse[1], "slope_p": fit.pvalues[1],
            "slope_ci_low": low, "slope_ci_high": high}


@pytest.mark.parametrize("confidence", [0.95, 0.9])
@pytest.mark.parametrize(("years", "values"), [
    ([2019, 2020, 2021], [10.0, 12.5, 11.0]),
    ([2015, 2016, 2018, 2021, 2022], [95.1, 96.0, 96.0, 98.7, 99.2]),  # gaps and a tie
    (list(range(2013, 2025)), [1200.0, 1350, 1100, 1500, 1620, 1480, 1700, 1900, 1650, 2100,
                               2050, 2300]),
    ([2020, 2021, 2022, 2023], [3e8, 2.5e8, 2.7e8, 2.2e8]),  # 亿-sized amounts
])
def test_ols_matches_statsmodels(years: list[int], values: list[float],
                                 confidence: float) -> None:
    row = trends.trend(_obs(values, years), confidence=confidence,
                       catalog=CATALOG).row(0, named=True)
    expected = _statsmodels_ols(years, values, confidence)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    years=st.lists(st.integers(2000, 2030), min_size=3, max_size=15, unique=True),
    data=st.data(),
)
def test_ols_matches_statsmodels_property(years: list[int], data: st.DataObject) -> None:
    values = data.draw(st.lists(st.integers(0, 100_000).map(lambda v: v / 10),
                                min_size=len(years), max_size=len(years)))
    assume(np.ptp(values) > 0)
    row = trends.trend(_obs(values, years), catalog=CATALOG).row(0, named=True)
    order = np.argsort(years)
    expected = _statsmodels_ols([years[i] for i in order], [values[i] for i in order], 0.95)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


def test_many_series_at_once_match_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    frames = []
    for k in range(40):
        n = int(rng.integers(1, 12))
        years = sorted(rng.choice(np.arange(2010, 2025), size=n, replace=False).tolist())
        frames.append(_obs(list(np.round(rng.normal(50, 10, n), 1)), years,
                           region=f"{420000 + k:06d}"))
    obs = pl.concat(frames)
    together = trends.trend(obs, catalog=CATALOG)
    for k, frame in enumerate(frames):
        alone = trends.trend(frame, catalog=CATALOG)
        assert together.filter(pl.col("region_code") == f"{420000 + k:06d}").equals(alone)


def test_cagr_hand_computed() -> None:
    def cagr(values: list[float], years: list[int]) -> dict[str, Any]:
        return trends.trend(_obs(values, years), catalog=CATALOG).select(
            "cagr", "cagr_reason").row(0, named=True)

    assert cagr([100.0, 121.0], [2021, 2023])["cagr"] == pytest.approx(10.0, abs=1e-12)
    assert cagr([100.0, 50.0, 133.1], [2019, 2020, 2022])["cagr"] == pytest.approx(
        10.0, abs=1e-9)
    assert cagr([80.0, 80.0, 80.0], [2019, 2020, 2021])["cagr"] == 0.0
    assert cagr([5.0, 0.0], [2022, 2023])["cagr"] == pytest.approx(-100.0)
    assert cagr([0.0, 5.0], [2022, 2023]) == {"cagr": None, "cagr_reason": "non_positive_start"}
    assert cagr([5.0, -1.0], [2022, 2023]) == {"cagr": None, "cagr_reason": "negative_end"}
    assert cagr([5.0], [2023]) == {"cagr": None, "cagr_reason": "too_few_points"}


def test_mann_kendall_worked_example() -> None:
    # y = 1, 3, 2, 4, 5: 9 concordant and 1 discordant pair, S = 8, Var(S) = 5*4*15/18.
    row = trends.trend(_obs([1.0, 3.0, 2.0, 4.0, 5.0], list(range(2019, 2024))),
                       catalog=CATALOG).row(0, named=True)
    assert row["mk_s"] == 8
    assert row["mk_var_s"] == pytest.approx(300 / 18, abs=1e-12)
    assert row["mk_z"] == pytest.approx(7 / math.sqrt(300 / 18), abs=1e-12)
    assert row["mk_p"] == pytest.approx(math.erfc(7 / math.sqrt(300 / 18) / math.sqrt(2)),
                                        abs=1e-12)
    assert row["mk_tau"] == pytest.approx(0.8)
    assert row["sen_slope"] == 1.0  # slopes -1, .5, .5, .67, 1, 1, 1, 1.5, 2, 2
    # One tie group of size 2: Var(S) = (4*3*13 - 2*1*9) / 18.
    tied = trends.trend(_obs([1.0, 2.0, 2.0, 3.0], list(range(2020, 2024))),
                        catalog=CATALOG).row(0, named=True)
    assert tied["mk_s"] == 5
    assert tied["mk_var_s"] == pytest.approx(138 / 18, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.integers(0, 6).map(float), min_size=4, max_size=20))
def test_mann_kendall_matches_pymannkendall(values: list[float]) -> None:
    import pymannkendall

    assume(np.ptp(values) > 0)
    row = trends.trend(_obs(values, list(range(2000, 2000 + len(values)))),
                       catalog=CATALOG).row(0, named=True)
    reference = pymannkendall.original_test(values)
    assert row["mk_s"] == reference.s
    assert row["mk_var_s"] == pytest.approx(reference.var_s, rel=1e-12)
    assert row["mk_z"] == pytest.approx(reference.z, rel=1e-12, abs=1e-12)
    assert row["mk_p"] == pytest.approx(reference.p, rel=1e-9, abs=1e-12)
    assert row["mk_tau"] == pytest.approx(reference.Tau, rel=1e-12)
    assert row["sen_slope"] == pytest.approx(reference.slope, rel=1e-12, abs=1e-12)


def test_sen_slope_uses_years_across_gaps() -> None:
    row = trends.trend(_obs([10.0, 12.0, 18.0, 20.0], [2010, 2011, 2014, 2015]),
                       catalog=CATALOG).row(0, named=True)
    slopes = [2 / 1, 8 / 4, 10 / 5, 6 / 3, 8 / 4, 2 / 1]
    assert row["sen_slope"] == pytest.approx(float(np.median(slopes)))


def test_constant_series() -> None:
    row = trends.trend(_obs([7.0] * 6, list(range(2018, 2024))),
                       catalog=CATALOG).row(0, named=True)
    assert (row["slope"], row["slope_se"], row["slope_ci_low"], row["slope_ci_high"]) == (
        0.0, 0.0, 0.0, 0.0)
    assert row["slope_p"] is None and row["slope_reason"] == "constant_series"
    assert row["mk_s"] == 0 and row["mk_tau"] == 0.0 and row["sen_slope"] == 0.0
    assert row["mk_p"] is None and row["mk_reason"] == "constant_series"
    assert row["cagr"] == 0.0


def test_minimum_points_are_enforced() -> None:
    assert trends.MIN_POINTS["ols"] == 3 and trends.MIN_POINTS["mann_kendall"] == 4
    assert trends.MIN_POINTS["cagr"] == 2 and trends.MIN_POINTS["outlook"] == 5
    by_n = {}
    for n in (2, 3, 4):
        by_n[n] = trends.trend(_obs([1.0, 3.0, 2.0, 5.0][:n], list(range(2020, 2020 + n))),
                               catalog=CATALOG).row(0, named=True)
    assert by_n[2]["slope"] is None and by_n[2]["slope_reason"] == "too_few_points"
    assert by_n[2]["cagr"] is not None
    assert by_n[3]["slope"] is not None and by_n[3]["slope_p"] is not None
    assert by_n[3]["mk_tau"] is None and by_n[3]["mk_reason"] == "too_few_points"
    assert by_n[4]["mk_tau"] is not None and by_n[4]["sen_slope"] is not None


def test_perfect_line_has_tiny_p() -> None:
    row = trends.trend(_obs([10.0, 12.0, 14.0, 16.0], list(range(2020, 2024))),
                       catalog=CATALOG).row(0, named=True)
    assert row["slope"] == pytest.approx(2.0)
    assert row["slope_p"] < 1e-9


def test_mixed_units_are_not_computed() -> None:
    row = trends.trend(_obs([1.0, 2.0, 3.0, 4.0], list(range(2020, 2024)),
                            unit=["件", "件", "万件", "件"]), catalog=CATALOG).row(0, named=True)
    assert row["unit"] is None
    for name in ("slope", "cagr", "mk_tau"):
        assert row[name] is None
    assert {row["slope_reason"], row["cagr_reason"], row["mk_reason"]} == {"mixed_units"}


def test_qualified_points_are_counted() -> None:
    row = trends.trend(_obs([1.0, 2.0, 3.0], [2021, 2022, 2023], qualifier=["ge", "eq", "gt"]),
                       catalog=CATALOG).row(0, named=True)
    assert row["n_qualified"] == 2


# --- summary, result objects --------------------------------------------------------------

def test_summary_columns_and_agreement_with_parts() -> None:
    rng = np.random.default_rng(5)
    obs = pl.concat([_obs(list(np.round(rng.uniform(0, 100, 7), 2)), list(range(2017, 2024)),
                          region=r) for r in ("420300", "420500")])
    summary = trends.summarize(obs, catalog=CATALOG)
    required = ["region_code", "indicator_code", "scope", "year", "prev_year", "value",
                "prev_value", "change_abs", "change_pct", "verdict", "slope", "slope_ci_low",
                "slope_ci_high", "slope_p", "cagr", "mk_tau", "mk_p", "sen_slope", "n_points"]
    assert summary.columns[:len(required)] == required
    changes = trends.year_over_year(obs, catalog=CATALOG)
    series = trends.trend(obs, catalog=CATALOG)
    assert summary.select(changes.columns).equals(changes)
    joined = summary.join(series, on=["region_code", "indicator_code", "scope"], suffix="_s")
    for name in ("slope", "slope_p", "cagr", "mk_tau", "mk_p", "sen_slope", "n_points"):
        assert (joined[name] == joined[f"{name}_s"]).all()


def test_analyze_and_html_escaping() -> None:
    obs = pl.concat([_obs([1.0, 2.0, 4.0, 3.0], list(range(2020, 2024)), region=r,
                          indicator="unmapped_<b>x</b>") for r in ("420300", "420500", "420600")])
    result = trends.analyze(obs, catalog=CATALOG)
    assert result.to_polars().equals(result.summary)
    assert result.series.height == 3 and result.outlook is None
    assert "TrendsResult(12 observations in 3 series" in repr(result)
    page = result._repr_html_()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert result.to_pandas().shape == result.summary.shape
    # An unknown code is an error that suggests (issue 18), no longer an empty result.
    with pytest.raises(UnknownNameError, match="unknown indicator code 'nothing'"):
        trends.analyze(obs, catalog=CATALOG, indicators=["nothing"])


def test_series_model_uses_statsmodels() -> None:
    obs = _obs([80.0, 84.0, 90.0, 92.0, 95.0], list(range(2019, 2024)))
    model = trends.series_model(obs, region="420300", indicator="up", scope="全市",
                                catalog=CATALOG)
    row = model.trend.row(0, named=True)
    assert float(model.ols.params[1]) == pytest.approx(row["slope"], rel=1e-9)
    assert float(model.ols.bse[1]) == pytest.approx(row["slope_se"], rel=1e-9)
    assert model.to_polars().height == 5
    assert repr(model).startswith("SeriesModel(420300 up 全市: 5 points")
    assert "<table>" in model._repr_html_()
    assert model.outlook.item(0, "forecast") is not None
    with pytest.raises(SchemaError, match="no observations"):
        trends.series_model(obs, region="999999", indicator="up", scope="全市")
