"""Scoring against rubrics: hand-computed fixtures for every comparator, rule and policy."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from fzcompare.benchmark import benchmark, composite
from fzcompare.criteria import CriteriaSet, load_criteria, parse_criteria, rubric_raw_example
from fzcompare.errors import SchemaError

CITY, CITY2, CITY3 = "420300", "420100", "420500"


def obs(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """Rows of (region, year, indicator, value[, qualifier[, scope]])."""
    records = []
    for row in rows:
        region, year, code, value = row[:4]
        qualifier = row[4] if len(row) > 4 else "eq"
        scope = row[5] if len(row) > 5 else ("全县" if not region.endswith("00") else "全市")
        records.append({"region_code": region, "year": year, "indicator_code": code,
                        "scope": scope, "value": float(value), "unit": "", "qualifier": qualifier,
                        "source_id": "t", "quote": ""})
    return pl.DataFrame(records, schema={"region_code": pl.String, "year": pl.Int32,
                                         "indicator_code": pl.String, "scope": pl.String,
                                         "value": pl.Float64, "unit": pl.String,
                                         "qualifier": pl.String, "source_id": pl.String,
                                         "quote": pl.String})


def one_area(*criteria: dict[str, Any], share: float = 0.6, **top: Any) -> CriteriaSet:
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A", "name": "Area", "criteria": list(criteria)}]
    raw["pass_line"] = {"share": share}
    raw.update(top)
    return parse_criteria(raw)


def c(cid: str, indicator: str, **keys: Any) -> dict[str, Any]:
    return {"id": cid, "name": cid, "indicator": indicator, **keys}


def cell(result: Any, criterion: str, region: str = CITY, year: int = 2023) -> dict[str, Any]:
    rows = result.criteria.filter((pl.col("criterion_id") == criterion)
                                  & (pl.col("region_code") == region) & (pl.col("year") == year))
    assert rows.height == 1
    row: dict[str, Any] = rows.row(0, named=True)
    return row


def total(result: Any, region: str = CITY, year: int = 2023) -> dict[str, Any]:
    rows = result.totals.filter((pl.col("region_code") == region) & (pl.col("year") == year))
    assert rows.height == 1
    row: dict[str, Any] = rows.row(0, named=True)
    return row


RATE = "gov_service_online_rate"
LOSS = "admin_litigation_loss_rate"
ON_TIME = "info_disclosure_on_time_rate"
CORRECTION = "reconsideration_correction_rate"
MEETINGS = "exec_meetings_on_rule_of_law"
STUDY = "leaders_collective_law_study_sessions"
COVERAGE = "leaders_law_reporting_coverage_rate"
CROSS = "cross_province_services"
DRILLS = "emergency_drills"


# ------------------------------------------------------------------------ comparators


@pytest.mark.parametrize(("value", "status", "earned", "gap"), [
    (90.0, "met", 2.0, 0.0), (95.0, "met", 2.0, 0.0), (89.5, "not_met", 0.0, 0.5)])
def test_greater_or_equal(value: float, status: str, earned: float, gap: float) -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=90, points=2))
    row = cell(benchmark(obs((CITY, 2023, RATE, value)), rubric), "k")
    assert (row["status"], row["points_earned"]) == (status, earned)
    assert row["gap"] == pytest.approx(gap)
    assert (row["threshold"], row["value"], row["required_value"]) == (90.0, value, 90.0)


@pytest.mark.parametrize(("value", "status", "gap"), [
    (10.0, "met", 0.0), (3.0, "met", 0.0), (12.5, "not_met", -2.5)])
def test_less_or_equal_gap_is_negative(value: float, status: str, gap: float) -> None:
    rubric = one_area(c("k", LOSS, comparator="<=", threshold=10, points=2))
    row = cell(benchmark(obs((CITY, 2023, LOSS, value)), rubric), "k")
    assert row["status"] == status
    assert row["gap"] == pytest.approx(gap)


@pytest.mark.parametrize(("value", "tolerance", "status"), [
    (100.0, None, "met"), (99.5, None, "not_met"), (99.5, 0.5, "met"), (99.4, 0.5, "not_met")])
def test_equal_with_tolerance(value: float, tolerance: float | None, status: str) -> None:
    keys = {"comparator": "==", "threshold": 100, "points": 2}
    if tolerance is not None:
        keys["tolerance"] = tolerance
    row = cell(benchmark(obs((CITY, 2023, ON_TIME, value)), one_area(c("k", ON_TIME, **keys))),
               "k")
    assert row["status"] == status
    assert row["points_earned"] == (2.0 if status == "met" else 0.0)


@pytest.mark.parametrize(("value", "status", "gap", "required"), [
    (12.0, "met", 0.0, 12.0), (5.0, "met", 0.0, 5.0), (20.0, "met", 0.0, 20.0),
    (4.0, "not_met", 1.0, 5.0), (25.0, "not_met", -5.0, 20.0)])
def test_between(value: float, status: str, gap: float, required: float) -> None:
    rubric = one_area(c("k", CORRECTION, comparator="between", threshold=5, threshold_high=20,
                        points=1))
    row = cell(benchmark(obs((CITY, 2023, CORRECTION, value)), rubric), "k")
    assert (row["status"], row["threshold_high"]) == (status, 20.0)
    assert row["gap"] == pytest.approx(gap)
    assert row["required_value"] == pytest.approx(required)


def test_exists_absence_is_not_met_not_missing() -> None:
    rubric = one_area(c("k", MEETINGS, rule="exists", points=1))
    data = obs((CITY, 2023, MEETINGS, 3), (CITY2, 2023, MEETINGS, 0), (CITY3, 2023, RATE, 50))
    result = benchmark(data, rubric)
    assert cell(result, "k")["status"] == "met"
    zero = cell(result, "k", CITY2)
    absent = cell(result, "k", CITY3)
    assert (zero["status"], zero["points_earned"], zero["gap"]) == ("not_met", 0.0, None)
    assert (absent["status"], absent["value"], absent["rule"]) == ("not_met", None, "exists")
    assert total(result, CITY3)["n_missing"] == 0


# ------------------------------------------------------------------------ rules


@pytest.mark.parametrize(("value", "earned", "status", "gap"), [
    (70.0, 0.0, "not_met", 30.0), (80.0, 0.0, "not_met", 20.0), (90.0, 2.0, "partial", 10.0),
    (95.0, 3.0, "partial", 5.0), (100.0, 4.0, "met", 0.0)])
def test_linear_partial_credit_between_goalposts(value: float, earned: float, status: str,
                                                 gap: float) -> None:
    rubric = one_area(c("k", COVERAGE, comparator=">=", rule="linear", threshold=80,
                        threshold_high=100, points=4))
    row = cell(benchmark(obs((CITY, 2023, COVERAGE, value)), rubric), "k")
    assert row["points_earned"] == pytest.approx(earned)
    assert (row["status"], row["rule"]) == (status, "linear")
    assert row["gap"] == pytest.approx(gap)


@pytest.mark.parametrize(("value", "earned"), [(4.0, 2.0), (5.0, 2.0), (10.0, 1.0), (15.0, 0.0),
                                               (18.0, 0.0)])
def test_linear_lower_is_better(value: float, earned: float) -> None:
    rubric = one_area(c("k", LOSS, comparator="<=", rule="linear", threshold=5,
                        threshold_high=15, points=2))
    assert cell(benchmark(obs((CITY, 2023, LOSS, value)), rubric), "k")["points_earned"] == \
        pytest.approx(earned)


@pytest.mark.parametrize(("value", "earned", "status"), [
    (3, 2.0, "met"), (5, 2.0, "met"), (2, 1.5, "partial"), (1, 1.0, "partial"),
    (0, 0.5, "partial")])
def test_deduction_per_unit_without_cap(value: int, earned: float, status: str) -> None:
    # 全年专题研究不少于3次，每少一次扣0.5分 (2 points): 0 meetings -> 2 - 3 * 0.5 = 0.5
    rubric = one_area(c("k", MEETINGS, comparator=">=", threshold=3, rule="deduction",
                        deduct=0.5, points=2))
    row = cell(benchmark(obs((CITY, 2023, MEETINGS, value)), rubric), "k")
    assert (row["points_earned"], row["status"]) == (pytest.approx(earned), status)


@pytest.mark.parametrize(("value", "earned"), [(4, 2.0), (3, 1.7), (1, 1.1), (0, 0.8)])
def test_deduction_with_cap(value: int, earned: float) -> None:
    # 每少一次扣0.3分，累计扣分不超过1.2分 (2 points): 0 sessions -> 4 * 0.3 = 1.2 -> 0.8
    rubric = one_area(c("k", STUDY, comparator=">=", threshold=4, rule="deduction",
                        deduct=0.3, cap=1.2, points=2))
    row = cell(benchmark(obs((CITY, 2023, STUDY, value)), rubric), "k")
    assert row["points_earned"] == pytest.approx(earned)


@pytest.mark.parametrize(("rounding", "earned"), [("up", 1.6), ("down", 1.8), ("none", 1.7)])
def test_deduction_rounding_of_partial_units(rounding: str, earned: float) -> None:
    # 每低1个百分点扣0.2分: 98.5 % is 1.5 points short
    rubric = one_area(c("k", COVERAGE, comparator=">=", threshold=100, rule="deduction",
                        deduct=0.2, per=1, rounding=rounding, points=2))
    row = cell(benchmark(obs((CITY, 2023, COVERAGE, 98.5)), rubric), "k")
    assert row["points_earned"] == pytest.approx(earned)
    assert row["gap"] == pytest.approx(1.5)


def test_deduction_lower_is_better_and_floor_at_zero() -> None:
    rubric = one_area(c("k", LOSS, comparator="<=", threshold=10, rule="deduction", deduct=0.5,
                        points=1))
    result = benchmark(obs((CITY, 2023, LOSS, 11), (CITY2, 2023, LOSS, 19)), rubric)
    assert cell(result, "k")["points_earned"] == pytest.approx(0.5)
    assert cell(result, "k", CITY2)["points_earned"] == 0.0
    assert cell(result, "k", CITY2)["status"] == "not_met"


def test_bonus_items_exceed_area_points_up_to_the_cap() -> None:
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A", "name": "Area", "bonus_cap": 1.5, "criteria": [
        c("base", RATE, comparator=">=", threshold=90, points=10),
        c("b1", RATE, rule="bonus", comparator=">=", threshold=95, points=1),
        c("b2", CROSS, rule="bonus", comparator=">=", threshold=200, add=0.5, per=100,
          points=2)]}]
    rubric = parse_criteria(raw)
    data = obs((CITY, 2023, RATE, 96), (CITY, 2023, CROSS, 450),
               (CITY2, 2023, RATE, 96), (CITY2, 2023, CROSS, 150))
    result = benchmark(data, rubric)
    # CITY: b1 = 1, b2 = floor((450 - 200) / 100) * 0.5 = 1.0 -> 2.0, capped at 1.5
    assert cell(result, "b2")["points_earned"] == pytest.approx(1.0)
    assert cell(result, "b2")["status"] == "partial"
    assert cell(result, "b2")["required_value"] == pytest.approx(600)
    area = result.areas.filter(pl.col("region_code") == CITY).row(0, named=True)
    assert (area["points_possible"], area["points_earned"], area["bonus_points"]) == \
        (10.0, 11.5, 1.5)
    assert area["share"] == pytest.approx(1.15)
    city = total(result)
    assert (city["points_possible"], city["points_earned"], city["bonus_points"]) == \
        (10.0, 11.5, 1.5)
    assert total(result, CITY2)["bonus_points"] == pytest.approx(1.0)
    assert cell(result, "b2", CITY2)["status"] == "not_met"


def test_set_wide_bonus_cap() -> None:
    raw = rubric_raw_example()
    raw["bonus_cap"] = 0.5
    raw["areas"].append({"id": "B", "name": "bonus", "criteria": [
        c("b1", RATE, rule="bonus", comparator=">=", threshold=95, points=1)]})
    result = benchmark(obs((CITY, 2023, RATE, 96)), parse_criteria(raw))
    assert total(result)["bonus_points"] == 0.5
    assert total(result)["points_earned"] == 10.5
    bonus_area = result.areas.filter(pl.col("area_id") == "B").row(0, named=True)
    assert (bonus_area["points_possible"], bonus_area["share"]) == (0.0, None)


def test_veto_fails_whatever_the_points() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=90, points=10),
                      c("v1", LOSS, rule="veto", comparator="<=", threshold=20),
                      c("v2", ON_TIME, rule="veto", comparator=">=", threshold=95))
    data = obs((CITY, 2023, RATE, 99), (CITY, 2023, LOSS, 25), (CITY, 2023, ON_TIME, 90),
               (CITY2, 2023, RATE, 99), (CITY2, 2023, LOSS, 5), (CITY2, 2023, ON_TIME, 99))
    result = benchmark(data, rubric)
    vetoed = total(result)
    assert (vetoed["points_earned"], vetoed["verdict"], vetoed["vetoed_by"]) == \
        (10.0, "vetoed", "v1,v2")
    assert cell(result, "v1")["points_possible"] == 0.0
    assert (total(result, CITY2)["verdict"], total(result, CITY2)["vetoed_by"]) == ("pass", None)


# ------------------------------------------------------------------------ missing data


def test_missing_zero_scores_zero_and_counts() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=4),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=6),
                      missing_policy="zero")
    # min_evidence 0: the rubric's own missing-data verdict, not the evidence gate
    result = benchmark(obs((CITY, 2023, RATE, 95)), rubric, min_evidence=0.0)
    row = cell(result, "b")
    assert (row["status"], row["points_earned"], row["gap"], row["value"]) == \
        ("missing", 0.0, None, None)
    assert (total(result)["points_earned"], total(result)["n_missing"]) == (4.0, 1)
    assert total(result)["verdict"] == "fail"


def test_missing_rescale_leaves_out_and_rescales_the_area() -> None:
    rubric = one_area(c("a", COVERAGE, comparator=">=", rule="linear", threshold=80,
                        threshold_high=100, points=4),
                      c("b", RATE, comparator=">=", threshold=90, points=6),
                      missing_policy="rescale")
    result = benchmark(obs((CITY, 2023, COVERAGE, 90)), rubric)
    assert cell(result, "b")["points_earned"] is None
    # 2 of the 4 available points -> rescaled to the area's 10: 5
    assert result.areas["points_earned"].item() == pytest.approx(5.0)
    assert total(result)["points_earned"] == pytest.approx(5.0)
    assert total(result)["points_possible"] == 10.0


def test_rescale_of_a_whole_area_moves_to_the_total() -> None:
    raw = rubric_raw_example()
    raw["missing_policy"] = "rescale"
    raw["areas"] = [
        {"id": "A", "name": "a", "criteria": [c("a1", RATE, comparator=">=", threshold=90,
                                                points=6)]},
        {"id": "B", "name": "b", "criteria": [c("b1", COVERAGE, comparator=">=",
                                                threshold=90, points=4)]},
    ]
    result = benchmark(obs((CITY, 2023, RATE, 95)), parse_criteria(raw))
    areas = dict(zip(result.areas["area_id"], result.areas["points_earned"], strict=True))
    assert areas == {"A": 6.0, "B": None}
    assert total(result)["points_earned"] == pytest.approx(10.0)


def test_everything_left_out_is_missing_evidence() -> None:
    rubric = one_area(c("a", COVERAGE, comparator=">=", threshold=90, points=4),
                      missing_policy="rescale")
    # min_evidence 0: the rubric's own missing-data verdict, not the evidence gate
    result = benchmark(obs((CITY, 2023, RATE, 95)), rubric, min_evidence=0.0)
    row = total(result)
    assert (row["points_earned"], row["verdict"], row["rank"]) == (None, "missing_evidence", None)


@pytest.mark.parametrize(("rate", "verdict"), [(95, "missing_evidence"), (80, "fail")])
def test_flag_reports_missing_evidence_only_when_it_could_decide(rate: float,
                                                                 verdict: str) -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=5),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=3),
                      c("c", ON_TIME, comparator=">=", threshold=90, points=2),
                      missing_policy="flag", share=0.6)
    result = benchmark(obs((CITY, 2023, RATE, rate), (CITY, 2023, ON_TIME, 50)), rubric)
    row = total(result)
    assert row["verdict"] == verdict
    assert row["points_earned_max"] == row["points_earned"] + 3
    assert cell(result, "b")["points_earned"] == 0.0


def test_flag_passes_when_the_lower_bound_passes() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=8),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=2),
                      missing_policy="flag", share=0.6)
    row = total(benchmark(obs((CITY, 2023, RATE, 95)), rubric))
    assert (row["verdict"], row["n_missing"]) == ("pass", 1)


@pytest.mark.parametrize(("policy", "verdict", "vetoed_by"), [
    ("zero", "vetoed", "v"), ("flag", "missing_evidence", None), ("rescale", "pass", None)])
def test_missing_veto_item_per_policy(policy: str, verdict: str, vetoed_by: str | None) -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=10),
                      c("v", LOSS, rule="veto", comparator="<=", threshold=20,
                        missing_policy=policy))
    row = total(benchmark(obs((CITY, 2023, RATE, 95)), rubric))
    assert (row["verdict"], row["vetoed_by"]) == (verdict, vetoed_by)


def test_flagged_veto_does_not_hide_a_sure_fail() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=10),
                      c("v", LOSS, rule="veto", comparator="<=", threshold=20,
                        missing_policy="flag"))
    assert total(benchmark(obs((CITY, 2023, RATE, 50)), rubric))["verdict"] == "fail"


def test_lazy_observations_give_the_same_result() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=10))
    data = obs((CITY, 2022, RATE, 95), (CITY, 2023, RATE, 80), (CITY2, 2023, RATE, 91))
    eager, lazy = benchmark(data, rubric, years=2023), benchmark(data.lazy(), rubric, years=2023)
    assert eager.totals.equals(lazy.totals)
    assert eager.criteria.equals(lazy.criteria)
    assert total(eager)["prev_rank"] == 1


# ------------------------------------------------------------------------ scope, qualifiers


def test_whole_scope_follows_the_region_level_and_explicit_scope_is_exact() -> None:
    rubric = one_area(c("whole", RATE, comparator=">=", threshold=90, points=1),
                      c("own", RATE, comparator=">=", threshold=90, points=1, scope="市本级"))
    data = obs((CITY, 2023, RATE, 95, "eq", "全市"), (CITY, 2023, RATE, 80, "eq", "市本级"),
               ("420322", 2023, RATE, 91, "eq", "全县"), ("420322", 2023, RATE, 99, "eq", "全市"))
    result = benchmark(data, rubric)
    assert cell(result, "whole")["value"] == 95.0
    assert cell(result, "whole")["scope_used"] == "全市"
    assert (cell(result, "own")["value"], cell(result, "own")["scope"]) == (80.0, "市本级")
    county = cell(result, "whole", "420322")
    assert (county["value"], county["scope_used"]) == (91.0, "全县")
    assert cell(result, "own", "420322")["status"] == "missing"


def test_criteria_reading_the_same_figure_each_get_it() -> None:
    rubric = one_area(c("low", RATE, comparator=">=", threshold=80, points=1),
                      c("high", RATE, comparator=">=", threshold=95, points=1),
                      c("own", RATE, comparator=">=", threshold=90, points=1, scope="市本级"),
                      c("own_strict", RATE, comparator=">=", threshold=99, points=1,
                        scope="市本级"))
    data = obs((CITY, 2023, RATE, 90, "ge", "全市"), (CITY, 2023, RATE, 99.5, "eq", "市本级"),
               (CITY2, 2023, RATE, 96, "eq", "全市"), (CITY2, 2023, RATE, 1, "eq", "全县"),
               (CITY3, 2023, RATE, 97, "eq", "未知范围"), (CITY3, 2023, "not_in_rubric", 5))
    result = benchmark(data, rubric)
    assert [cell(result, k)["status"] for k in ("low", "high", "own", "own_strict")] == \
        ["met", "not_met", "met", "met"]
    assert [cell(result, k)["qualifier"] for k in ("low", "high", "own")] == ["ge", "ge", "eq"]
    assert [cell(result, k, CITY2)["value"] for k in ("low", "high", "own")] == [96, 96, None]
    assert {cell(result, k, CITY3)["status"] for k in ("low", "own")} == {"missing"}
    assert total(result, CITY3)["n_missing"] == 4


def test_criteria_table_is_built_on_first_use_or_in_part() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=90, points=1),
                      c("m", MEETINGS, comparator=">=", threshold=2, points=1))
    data = obs((CITY, 2022, RATE, 95), (CITY, 2023, RATE, 80), (CITY2, 2023, RATE, 91),
               (CITY2, 2022, MEETINGS, 3), (CITY3, 2023, MEETINGS, 1))
    result = benchmark(data, rubric)
    assert "criteria" not in result.__dict__
    part = result.criteria_for(years=2023, regions=[CITY2, CITY3])
    assert "criteria" not in result.__dict__
    full = result.criteria
    assert full.select("year", "region_code", "criterion_id").rows() == [
        (year, region, k) for year in (2022, 2023) for region in sorted({CITY, CITY2, CITY3})
        if (region, year) != (CITY3, 2022) for k in ("k", "m")]
    expected = full.filter((pl.col("year") == 2023)
                           & pl.col("region_code").is_in([CITY2, CITY3]))
    assert part.equals(expected)
    assert result.criteria_for(years=2023, regions=[CITY2, CITY3]).equals(expected)
    assert result.criteria_for(years=[2021]).height == 0
    with pytest.raises(TypeError, match="list of region codes"):
        result.criteria_for(regions=CITY)


def test_qualified_values_count_as_their_number_and_stay_visible() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=80, points=1))
    data = obs((CITY, 2023, RATE, 80, "ge"), (CITY2, 2023, RATE, 79.9, "gt"))
    result = benchmark(data, rubric)
    assert (cell(result, "k")["status"], cell(result, "k")["qualifier"]) == ("met", "ge")
    assert (cell(result, "k", CITY2)["status"], cell(result, "k", CITY2)["qualifier"]) == \
        ("not_met", "gt")


def test_unmapped_codes_are_never_scored() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=80, points=1))
    data = obs((CITY, 2023, RATE, 90), (CITY, 2023, "unmapped_rate", 10),
               (CITY2, 2023, "unmapped_rate", 99))
    result = benchmark(data, rubric)
    assert set(result.criteria["indicator_code"]) == {RATE}
    assert cell(result, "k", CITY2)["status"] == "missing"


def test_rubric_levels_limit_the_regions_scored() -> None:
    county = load_criteria("county-demo-2024")
    data = obs((CITY, 2023, MEETINGS, 3), ("420322", 2023, MEETINGS, 3))
    assert benchmark(data, county).totals["region_code"].to_list() == ["420322"]


def test_duplicate_keys_are_an_error() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=80, points=1))
    data = obs((CITY, 2023, RATE, 90), (CITY, 2023, RATE, 91))
    with pytest.raises(SchemaError, match="share a key"):
        benchmark(data, rubric)


def test_missing_columns_are_an_error() -> None:
    rubric = one_area(c("k", RATE, comparator=">=", threshold=80, points=1))
    with pytest.raises(SchemaError, match="missing columns: qualifier"):
        benchmark(obs((CITY, 2023, RATE, 90)).drop("qualifier"), rubric)


# ------------------------------------------------------------------------ ranks, peers, years


def test_ties_share_the_lowest_rank() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=5),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=5))
    data = obs((CITY, 2023, RATE, 95), (CITY2, 2023, RATE, 99), (CITY3, 2023, COVERAGE, 95),
               ("420600", 2023, RATE, 80))
    ranks = dict(benchmark(data, rubric).totals.select("region_code", "rank").iter_rows())
    assert ranks == {CITY: 1, CITY2: 1, CITY3: 1, "420600": 4}


def test_tie_survives_float_noise() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", rule="linear", threshold=0,
                        threshold_high=100, points=0.3),
                      c("b", COVERAGE, comparator=">=", rule="linear", threshold=0,
                        threshold_high=100, points=0.3))
    data = obs((CITY, 2023, RATE, 100 / 3), (CITY, 2023, COVERAGE, 200 / 3),
               (CITY2, 2023, RATE, 200 / 3), (CITY2, 2023, COVERAGE, 100 / 3))
    assert benchmark(data, rubric).totals["rank"].to_list() == [1, 1]


def test_ranks_within_peer_groups_and_rank_change() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", rule="linear", threshold=80,
                        threshold_high=100, points=10))
    data = obs((CITY, 2022, RATE, 90), (CITY2, 2022, RATE, 95), (CITY3, 2022, RATE, 85),
               (CITY, 2023, RATE, 99), (CITY2, 2023, RATE, 95), (CITY3, 2023, RATE, 85),
               ("420322", 2023, RATE, 81), ("420323", 2023, RATE, 99))
    result = benchmark(data, rubric, years=2023)
    assert result.settings.years == (2023,)
    assert set(result.totals["year"]) == {2023}
    city = total(result)
    assert (city["rank"], city["prev_rank"], city["rank_change"]) == (1, 2, 1)
    assert (total(result, CITY2)["rank"], total(result, CITY2)["rank_change"]) == (2, -1)
    assert total(result, "420322")["peer_group"] == "county/420000"
    assert total(result, "420322")["rank"] == 2
    assert total(result, "420322")["prev_rank"] is None


def test_peers_as_list_restrict_and_mapping_regroups() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", rule="linear", threshold=80,
                        threshold_high=100, points=10))
    data = obs((CITY, 2023, RATE, 90), (CITY2, 2023, RATE, 95), ("420322", 2023, RATE, 99))
    restricted = benchmark(data, rubric, peers=[CITY, "420322"])
    assert set(restricted.totals["region_code"]) == {CITY, "420322"}
    assert "restricted to 2 regions" in restricted.settings.peers
    grouped = benchmark(data, rubric, peers={CITY: "g", CITY2: "g", "420322": "g"})
    assert dict(grouped.totals.select("region_code", "rank").iter_rows()) == \
        {"420322": 1, CITY2: 2, CITY: 3}


def test_regions_table_overrides_the_code_pattern() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=80, points=1))
    data = obs(("429004", 2023, RATE, 90, "eq", "全市"))  # 仙桃: prefecture-level in the table
    row = cell(benchmark(data, rubric), "a", "429004")
    assert (row["value"], row["scope_used"]) == (90.0, "全市")
    regions = pl.DataFrame({"region_code": ["429004"], "level": ["county"],
                            "parent_code": ["420000"]})
    result = benchmark(data, rubric, regions_table=regions)
    assert cell(result, "a", "429004")["status"] == "missing"


# ------------------------------------------------------------------------ hierarchy, result


def test_subareas_with_weights_and_subtotals() -> None:
    county = load_criteria("county-demo-2024")
    data = obs(("420322", 2023, "enforcement_case_review_pass_rate", 93),
               ("420322", 2023, "major_enforcement_decision_legal_review_rate", 100),
               ("420322", 2023, LOSS, 10), ("420322", 2023, ON_TIME, 100))
    result = benchmark(data, county)
    sub = dict(zip(result.subareas["subarea_id"], result.subareas["points_earned"], strict=True))
    # C2a: 5 points; case review 93 % -> 2 units short * 0.5 = 1 off 3 -> 2; legal review 2
    # C2b: 5 points; loss 10 % -> 1 of 2; correction rate missing (rescale); on-time 2 of 2
    #      -> 3 of 4 available, rescaled to 5 -> 3.75
    assert sub == pytest.approx({"C2a": 4.0, "C2b": 3.75})
    c2 = result.areas.filter(pl.col("area_id") == "C2").row(0, named=True)
    assert c2["points_earned"] == pytest.approx(7.75)
    assert c2["points_possible"] == 10


def test_result_tables_follow_the_contract() -> None:
    result = benchmark(obs((CITY, 2023, RATE, 95)), parse_criteria(rubric_raw_example()))
    assert result.criteria.columns[:10] == [
        "region_code", "year", "peer_group", "area_id", "area_name", "subarea_id",
        "subarea_name", "criterion_id", "criterion_name", "indicator_code"]
    for name in ("scope", "rule", "comparator", "threshold", "threshold_high", "value",
                 "status", "points_possible", "points_earned", "gap", "threshold_source",
                 "qualifier"):
        assert name in result.criteria.columns
    assert result.areas.columns == ["region_code", "year", "peer_group", "area_id", "area_name",
                                    "points_possible", "points_earned", "bonus_points", "share",
                                    "synthetic"]
    for table in (result.criteria, result.subareas, result.totals):
        assert table.columns[-1] == "synthetic"
    assert result.totals["synthetic"].to_list() == [False]
    for name in ("points_possible", "points_earned", "bonus_points", "share", "verdict",
                 "vetoed_by", "rank", "prev_rank", "rank_change", "n_missing"):
        assert name in result.totals.columns
    assert result.to_polars() is result.totals
    assert result.to_pandas().shape[0] == 1
    assert result.settings.criteria_id == "example"
    assert len(result.settings.criteria_sha256) == 64
    assert result.settings.as_dict()["years"] == [2023]
    assert "pass 1" in repr(result)


def test_html_repr_escapes_data() -> None:
    raw = rubric_raw_example()
    result = benchmark(obs((CITY, 2023, RATE, 95)), parse_criteria(raw),
                       peers={CITY: "<script>alert(1)</script>"})
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "BenchmarkResult" in html


def test_demo_panel_scores_without_a_loop_over_regions() -> None:
    from fzcompare.synthetic import demo_panel

    panel = demo_panel()
    result = benchmark(panel.observations, load_criteria("hubei-demo-2024"), years=2024)
    assert result.totals.height == 17
    assert set(result.totals["verdict"]) <= {"pass", "fail", "vetoed", "missing_evidence"}
    assert result.criteria.height == 17 * load_criteria("hubei-demo-2024").criteria.height
    assert (result.criteria["status"] == "missing").mean() < 0.1  # type: ignore[operator]


# ------------------------------------------------------------------------ composites


def test_goalposts_are_sample_independent_and_minmax_is_not() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=2,
                        goalposts=[80, 100]),
                      c("b", LOSS, comparator="<=", threshold=10, points=1, goalposts=[0, 20]))
    base = obs((CITY, 2023, RATE, 90), (CITY, 2023, LOSS, 5),
               (CITY2, 2023, RATE, 85), (CITY2, 2023, LOSS, 15))
    extra = pl.concat([base, obs((CITY3, 2023, RATE, 100), (CITY3, 2023, LOSS, 0))])
    for method in ("goalposts", "distance_to_target"):
        before = composite(base, rubric, normalisation=method)
        after = composite(extra, rubric, normalisation=method)
        joined = before.normalised.join(after.normalised, on=["region_code", "criterion_id"])
        assert joined.height == 4
        assert (joined["normalised"] == joined["normalised_right"]).all()
        scores = before.scores.join(after.scores, on="region_code")
        assert (scores["score"] == scores["score_right"]).all()
    goal = composite(base, rubric, normalisation="goalposts")
    # CITY: rate (90-80)/20 = 0.5 (w 2), loss (20-5)/20 = 0.75 (w 1) -> 100 * 1.75 / 3
    assert goal.scores.filter(pl.col("region_code") == CITY)["score"].item() == \
        pytest.approx(100 * 1.75 / 3)
    minmax_before = composite(base, rubric, normalisation="minmax").normalised
    minmax_after = composite(extra, rubric, normalisation="minmax").normalised
    joined = minmax_before.join(minmax_after, on=["region_code", "criterion_id"])
    assert not (joined["normalised"] == joined["normalised_right"]).all()
    assert composite(base, rubric).settings.normalisation == "goalposts"


def test_geometric_aggregation_and_invalid_choices() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=1,
                        goalposts=[80, 100]),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=1,
                        goalposts=[80, 100]))
    data = obs((CITY, 2023, RATE, 100), (CITY, 2023, COVERAGE, 80))
    geo = composite(data, rubric, aggregation="geometric")
    # values 1 and 0 -> shifted to 100 and 1 -> sqrt(100 * 1) = 10
    assert geo.scores["score"].item() == pytest.approx(10.0)
    assert composite(data, rubric).scores["score"].item() == pytest.approx(50.0)
    with pytest.raises(ValueError, match="z-scores"):
        composite(data, rubric, normalisation="zscore", aggregation="geometric")
    with pytest.raises(ValueError, match="unknown normalisation"):
        composite(data, rubric, normalisation="rank")


def test_composite_rescales_weights_over_missing_values() -> None:
    rubric = one_area(c("a", RATE, comparator=">=", threshold=90, points=3,
                        goalposts=[80, 100]),
                      c("b", COVERAGE, comparator=">=", threshold=90, points=1,
                        goalposts=[80, 100]))
    result = composite(obs((CITY, 2023, RATE, 90)), rubric)
    row = result.scores.row(0, named=True)
    assert (row["score"], row["coverage"]) == (pytest.approx(50.0), pytest.approx(0.75))


WORKED_EXAMPLE = """
id: example-2024
name: 示例考评细则
version: "1"
edition: 2024
source: {user_set: true, statement: worked example}
threshold_source: illustrative
levels: [county]
peer_group: {by: [level, parent]}
missing_policy: zero
pass_line: {share: 0.8}
areas:
  - id: A
    name: 组织领导
    points: 6
    criteria:
      - {id: A.1, name: 专题研究不少于3次，每少一次扣0.5分, indicator: exec_meetings_on_rule_of_law,
         comparator: ">=", threshold: 3, rule: deduction, deduct: 0.5, points: 2}
      - {id: A.2, name: 集体学法不少于4次，每少一次扣0.3分，累计不超过1.2分,
         indicator: leaders_collective_law_study_sessions, comparator: ">=", threshold: 4,
         rule: deduction, deduct: 0.3, cap: 1.2, points: 2}
      - {id: A.3, name: 述法覆盖率（80%起计分，100%满分）,
         indicator: leaders_law_reporting_coverage_rate, comparator: ">=", rule: linear,
         threshold: 80, threshold_high: 100, points: 2}
  - id: B
    name: 复议应诉
    points: 4
    missing_policy: rescale
    criteria:
      - {id: B.1, name: 行政诉讼败诉率不高于10%, indicator: admin_litigation_loss_rate,
         comparator: "<=", threshold: 10, points: 2}
      - {id: B.2, name: 行政复议纠错率保持在5%-20%, indicator: reconsideration_correction_rate,
         comparator: between, threshold: 5, threshold_high: 20, points: 2}
  - id: X
    name: 加分与否决
    bonus_cap: 1
    criteria:
      - {id: X.1, name: 政务服务网办率达97%以上加1分, indicator: gov_service_online_rate,
         rule: bonus, comparator: ">=", threshold: 97, points: 1}
      - {id: X.2, name: 重大行政决策合法性审查率低于95%一票否决,
         indicator: major_decision_legal_review_rate, rule: veto, comparator: ">=",
         threshold: 95}
"""


def test_worked_example_of_the_docs(tmp_path: Any) -> None:
    from fzcompare.benchmark import what_it_would_take

    path = tmp_path / "example.yaml"
    path.write_text(WORKED_EXAMPLE, encoding="utf-8")
    rubric = load_criteria(path)
    yunxi, zhushan = "420322", "420323"
    data = obs(
        (yunxi, 2024, MEETINGS, 2), (yunxi, 2024, STUDY, 0), (yunxi, 2024, COVERAGE, 90, "ge"),
        (yunxi, 2024, LOSS, 8), (yunxi, 2024, RATE, 98),
        (yunxi, 2024, "major_decision_legal_review_rate", 100),
        (zhushan, 2024, MEETINGS, 3), (zhushan, 2024, STUDY, 4), (zhushan, 2024, COVERAGE, 100),
        (zhushan, 2024, LOSS, 12), (zhushan, 2024, CORRECTION, 10), (zhushan, 2024, RATE, 90),
        (zhushan, 2024, "major_decision_legal_review_rate", 90))
    result = benchmark(data, rubric)
    earned = {r["criterion_id"]: r["points_earned"] for r in
              result.criteria.filter(pl.col("region_code") == yunxi).iter_rows(named=True)}
    assert earned == pytest.approx({"A.1": 1.5, "A.2": 0.8, "A.3": 1.0, "B.1": 2.0,
                                    "B.2": None, "X.1": 1.0, "X.2": 0.0}, nan_ok=True)
    areas = {(r["region_code"], r["area_id"]): r["points_earned"]
             for r in result.areas.iter_rows(named=True)}
    assert areas[(yunxi, "A")] == pytest.approx(3.3)
    assert areas[(yunxi, "B")] == pytest.approx(4.0)
    assert areas[(zhushan, "B")] == pytest.approx(2.0)
    first, second = total(result, yunxi, 2024), total(result, zhushan, 2024)
    assert (first["points_earned"], first["verdict"], first["rank"]) == \
        (pytest.approx(8.3), "pass", 1)
    assert (second["points_earned"], second["verdict"], second["vetoed_by"], second["rank"]) \
        == (pytest.approx(8.0), "vetoed", "X.2", 2)
    steps = what_it_would_take(result)
    assert steps.select("region_code", "kind", "criterion_id", "required_value").rows() == [
        (zhushan, "veto", "X.2", 95.0)]
