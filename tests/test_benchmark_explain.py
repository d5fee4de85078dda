"""What it would take, edition comparisons and rank robustness."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from fzcompare.benchmark import (
    benchmark,
    compare_editions,
    rank_robustness,
    what_it_would_take,
)
from fzcompare.benchmark._composite import min_ranks
from fzcompare.criteria import parse_criteria, rubric_raw_example
from fzcompare.errors import UnknownNameError

CITY, CITY2, CITY3 = "420300", "420100", "420500"
RATE = "gov_service_online_rate"
LOSS = "admin_litigation_loss_rate"
ON_TIME = "info_disclosure_on_time_rate"
COVERAGE = "leaders_law_reporting_coverage_rate"


def obs(*rows: tuple[str, int, str, float]) -> pl.DataFrame:
    """Rows of (region, year, indicator, value); whole-city scope."""
    return pl.DataFrame(
        [{"region_code": r, "year": y, "indicator_code": i, "scope": "全市", "value": float(v),
          "unit": "", "qualifier": "eq", "source_id": "t", "quote": ""} for r, y, i, v in rows],
        schema_overrides={"year": pl.Int32})


def c(cid: str, indicator: str, **keys: Any) -> dict[str, Any]:
    return {"id": cid, "name": cid, "indicator": indicator, **keys}


def four_criteria(**top: Any) -> dict[str, Any]:
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A", "name": "Area", "criteria": [
        c("a", RATE, comparator=">=", threshold=90, points=4),
        c("b", COVERAGE, comparator=">=", threshold=90, points=2),
        c("c", ON_TIME, comparator=">=", threshold=90, points=2),
        c("d", LOSS, comparator="<=", threshold=10, points=2)]}]
    raw["pass_line"] = {"points": 6}
    raw.update(top)
    return raw


def test_fewest_criteria_first_even_when_a_pair_is_cheaper() -> None:
    data = obs((CITY, 2023, RATE, 50), (CITY, 2023, COVERAGE, 89), (CITY, 2023, ON_TIME, 89),
               (CITY, 2023, LOSS, 5))
    steps = what_it_would_take(benchmark(data, parse_criteria(four_criteria()), min_evidence=0.0))
    assert steps.select("criterion_id", "current_value", "required_value", "points_gained",
                        "cumulative_points", "reaches_pass_line", "kind").rows() == [
        ("a", 50.0, 90.0, 4.0, 6.0, True, "improve")]
    assert steps["relative_effort"].item() == pytest.approx(40 / 90)
    assert steps["exact"].item()


def test_least_effort_among_sets_of_the_same_size() -> None:
    data = obs((CITY, 2023, RATE, 50), (CITY, 2023, COVERAGE, 89), (CITY, 2023, ON_TIME, 95),
               (CITY, 2023, LOSS, 5))
    steps = what_it_would_take(benchmark(data, parse_criteria(four_criteria()), min_evidence=0.0))
    assert steps["criterion_id"].to_list() == ["b"]
    assert steps["relative_effort"].item() == pytest.approx(1 / 90)


def test_several_steps_accumulate_and_missing_values_need_evidence() -> None:
    data = obs((CITY, 2023, RATE, 85), (CITY, 2023, LOSS, 12))
    steps = what_it_would_take(benchmark(data, parse_criteria(four_criteria()), min_evidence=0.0))
    # 0 points now; a (4) plus one 2-point item reaches 6; the cheapest 2-point item is d
    # (effort 2/12) rather than the missing b or c (effort 1.0)
    assert steps.select("step", "criterion_id", "points_gained", "cumulative_points",
                        "reaches_pass_line").rows() == [
        (1, "a", 4.0, 4.0, False), (2, "d", 2.0, 6.0, True)]
    assert steps["relative_effort"].to_list() == pytest.approx([5 / 90, 2 / 12])
    evidence = obs((CITY, 2023, RATE, 85))
    steps = what_it_would_take(benchmark(evidence, parse_criteria(four_criteria()),
                                         min_evidence=0.0))
    assert steps["kind"].to_list() == ["improve", "evidence"]
    assert steps.filter(pl.col("kind") == "evidence")["current_value"].item() is None


def test_vetoed_region_must_fix_the_veto_first() -> None:
    raw = four_criteria()
    raw["areas"][0]["criteria"].append(c("v", "admin_litigation_loss_rate", rule="veto",
                                         comparator="<=", threshold=20))
    data = obs((CITY, 2023, RATE, 95), (CITY, 2023, COVERAGE, 95), (CITY, 2023, ON_TIME, 95),
               (CITY, 2023, LOSS, 25), (CITY2, 2023, RATE, 95), (CITY2, 2023, LOSS, 25))
    steps = what_it_would_take(benchmark(data, parse_criteria(raw), min_evidence=0.0))
    city = steps.filter(pl.col("region_code") == CITY)
    assert city.select("kind", "criterion_id", "points_gained", "reaches_pass_line").rows() == [
        ("veto", "v", 0.0, True)]
    other = steps.filter(pl.col("region_code") == CITY2)
    assert other["kind"].to_list()[0] == "veto"
    assert other["reaches_pass_line"].to_list()[-1]


def test_passing_regions_need_nothing_and_filters_apply() -> None:
    data = obs((CITY, 2023, RATE, 95), (CITY, 2023, COVERAGE, 95),
               (CITY2, 2023, RATE, 50), (CITY3, 2023, RATE, 50))
    result = benchmark(data, parse_criteria(four_criteria()), min_evidence=0.0)
    steps = what_it_would_take(result)
    assert set(steps["region_code"]) == {CITY2, CITY3}
    assert set(what_it_would_take(result, regions=[CITY2])["region_code"]) == {CITY2}
    with pytest.raises(UnknownNameError, match="year 2022 is outside the data"):
        what_it_would_take(result, year=2022)  # 2023 was the only year scored


def test_swap_search_when_combinations_are_too_many() -> None:
    data = obs((CITY, 2023, RATE, 50), (CITY, 2023, COVERAGE, 89), (CITY, 2023, ON_TIME, 95),
               (CITY, 2023, LOSS, 5))
    steps = what_it_would_take(benchmark(data, parse_criteria(four_criteria()), min_evidence=0.0),
                               max_combinations=0)
    assert steps["criterion_id"].to_list() == ["b"]
    assert not steps["exact"].item()


def test_deduction_gain_is_what_was_deducted() -> None:
    raw = four_criteria()
    raw["areas"][0]["criteria"][0] = c("a", "exec_meetings_on_rule_of_law", comparator=">=",
                                       threshold=3, rule="deduction", deduct=0.5, points=4)
    data = obs((CITY, 2023, "exec_meetings_on_rule_of_law", 1))
    steps = what_it_would_take(benchmark(data, parse_criteria(raw), min_evidence=0.0))
    # a earns 4 - 2 * 0.5 = 3 of 4; 3 more points are needed: a (+1, effort 2/3) and one
    # missing 2-point item (+2, effort 1) is the cheapest pair
    assert steps["criterion_id"].to_list() == ["b", "a"]
    second = steps.row(1, named=True)
    assert (second["points_gained"], second["required_value"], second["current_value"]) == \
        (1.0, 3.0, 1.0)
    assert second["cumulative_points"] == 6.0


# ------------------------------------------------------------------------ editions


def test_compare_editions_explains_changed_verdicts() -> None:
    a = parse_criteria(four_criteria())
    raw_b = four_criteria(version="2")
    raw_b["areas"][0]["criteria"][1]["threshold"] = 85
    raw_b["areas"][0]["criteria"].append(c("v", ON_TIME, rule="veto", comparator=">=",
                                           threshold=50, missing_policy="rescale"))
    raw_b["areas"][0]["criteria"].append(c("e", "mediation_success_rate", comparator=">=",
                                           threshold=90, points=1))
    b = parse_criteria(raw_b)
    data = obs((CITY, 2023, RATE, 95), (CITY, 2023, COVERAGE, 87),
               (CITY2, 2023, RATE, 95), (CITY2, 2023, COVERAGE, 95), (CITY2, 2023, ON_TIME, 30),
               (CITY3, 2023, RATE, 95), (CITY3, 2023, COVERAGE, 95), (CITY3, 2023, ON_TIME, 95))
    table = compare_editions(data, a, b, min_evidence=0.0)
    rows = {r["region_code"]: r for r in table.iter_rows(named=True)}
    assert (rows[CITY]["verdict_a"], rows[CITY]["verdict_b"], rows[CITY]["changed"]) == \
        ("fail", "pass", True)
    assert "b b +2 pts (threshold 90 -> 85)" in rows[CITY]["reason"]
    assert rows[CITY]["share_a"] == pytest.approx(0.4)
    assert rows[CITY]["share_b"] == pytest.approx(6 / 11)
    assert rows[CITY2]["verdict_b"] == "vetoed"
    assert "vetoed in B by v" in rows[CITY2]["reason"]
    assert (rows[CITY3]["changed"], rows[CITY3]["reason"]) == (False, None)


def test_compare_editions_names_a_pass_line_change_and_new_criteria() -> None:
    a = parse_criteria(four_criteria())
    raw_b = four_criteria(pass_line={"points": 5})
    raw_b["areas"][0]["criteria"].append(c("e", "mediation_success_rate", comparator=">=",
                                           threshold=90, points=1))
    data = obs((CITY, 2023, RATE, 95), (CITY, 2023, "mediation_success_rate", 95))
    row = compare_editions(data, a, parse_criteria(raw_b), min_evidence=0.0).row(0, named=True)
    assert row["changed"]
    assert "pass line 60.0% -> 45.5%" in row["reason"]
    assert "e e +1 pts (only in B)" in row["reason"]


# ------------------------------------------------------------------------ robustness


def test_min_ranks_give_ties_the_lowest_rank() -> None:
    scores = np.array([[3.0, 1.0], [1.0, np.nan], [3.0, 2.0], [2.0, 2.0]])
    ranks = min_ranks(scores)
    assert ranks[:, 0].tolist() == [1, 4, 1, 3]
    assert ranks[[0, 2, 3], 1].tolist() == [3, 1, 1]
    assert np.isnan(ranks[1, 1])


def test_no_spread_and_one_choice_reproduces_the_nominal_rank() -> None:
    data = obs((CITY, 2023, RATE, 95), (CITY, 2023, COVERAGE, 95), (CITY2, 2023, RATE, 95),
               (CITY3, 2023, COVERAGE, 95), (CITY3, 2023, ON_TIME, 95))
    rubric = parse_criteria(four_criteria())
    result = rank_robustness(data, rubric, draws=20, weight_spread=0.0,
                             normalisations=["rubric"], aggregations=["arithmetic"])
    table = result.ranks
    assert (table["median_rank"] == table["nominal_rank"]).all()
    assert (table["rank_p05"] == table["rank_p95"]).all()
    ranks = benchmark(data, rubric).totals.select("region_code", "rank")
    joined = table.join(ranks, on="region_code")
    assert (joined["nominal_rank"] == joined["rank"]).all()
    assert dict(table.select("region_code", "nominal_rank").iter_rows()) == \
        {CITY: 1, CITY2: 2, CITY3: 2}


def test_monte_carlo_intervals_and_settings() -> None:
    rows = []
    rng = np.random.default_rng(3)
    for i in range(12):
        code = f"42{i + 1:02d}00"
        for indicator in (RATE, COVERAGE, ON_TIME):
            rows.append((code, 2023, indicator, float(rng.uniform(80, 100))))
        rows.append((code, 2023, LOSS, float(rng.uniform(0, 20))))
    data = obs(*rows)
    rubric = parse_criteria(four_criteria())
    first = rank_robustness(data, rubric, draws=200, seed=7)
    again = rank_robustness(data, rubric, draws=200, seed=7)
    assert first.ranks.equals(again.ranks)
    table = first.ranks
    assert table.height == 12
    assert (table["rank_p05"] <= table["median_rank"]).all()
    assert (table["median_rank"] <= table["rank_p95"]).all()
    assert table["rank_p95"].max() <= 12  # type: ignore[operator]
    assert (table["rank_p95"] - table["rank_p05"]).max() > 0  # type: ignore[operator]
    settings = first.settings
    assert settings.draws == 200
    assert "zscore+geometric" not in settings.combinations
    assert settings.nominal == "rubric+arithmetic"
    assert "RobustnessResult" in repr(first)
    with pytest.raises(ValueError, match="weight_spread"):
        rank_robustness(data, rubric, weight_spread=1.5)


RANDOM_CODES = ("gov_service_online_rate", "leaders_law_reporting_coverage_rate",
                "info_disclosure_on_time_rate", "reconsideration_correction_rate",
                "admin_litigation_loss_rate", "exec_meetings_on_rule_of_law",
                "leaders_collective_law_study_sessions", "emergency_drills")


def _random_rubric(rng: np.random.Generator, *, bonus: bool, policy: str) -> dict[str, Any]:
    criteria = []
    for k, code in enumerate(RANDOM_CODES[:7]):
        rule = ("all_or_nothing", "linear", "deduction")[k % 3]
        crit = c(f"k{k}", code, comparator=">=", threshold=float(rng.integers(40, 60)),
                 points=float(rng.integers(1, 5)), rule=rule)
        if rule == "linear":
            crit["threshold_high"] = crit["threshold"] + 30
        if rule == "deduction":
            crit.update(deduct=0.5, per=5, cap=crit["points"])
        criteria.append(crit)
    if bonus:
        criteria.append(c("b", RANDOM_CODES[7], comparator=">=", threshold=3, rule="bonus",
                          points=2, add=1))
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A", "name": "A", "criteria": criteria[:4]},
                    {"id": "B", "name": "B", "criteria": criteria[4:], "bonus_cap": 1.5}]
    raw["pass_line"] = {"share": 0.75}
    raw["missing_policy"] = policy
    return raw


def _scenario_code(i: int) -> str:
    """A county-level code (never ending in 00) under the unused province prefix 9x."""
    return f"9{i // 99:03d}{i % 99 + 1:02d}"


@pytest.mark.parametrize(("seed", "bonus", "policy"), [
    (0, False, "zero"), (1, False, "zero"), (2, True, "zero"), (3, False, "rescale"),
    (4, True, "rescale")])
def test_plans_reach_the_line_and_no_smaller_or_cheaper_set_does(seed: int, bonus: bool,
                                                                 policy: str) -> None:
    """Brute force with the public API: every plan, applied to the data, passes; no set of
    fewer criteria passes, and no set of the same size with less effort does."""
    import itertools

    rng = np.random.default_rng(seed)
    rubric = parse_criteria(_random_rubric(rng, bonus=bonus, policy=policy))
    regions = [f"4203{i:02d}" for i in range(1, 31)]
    rows = [(r, 2023, code, float(rng.uniform(0, 100)) if code != RANDOM_CODES[7]
             else float(rng.integers(0, 8)))
            for r in regions for code in RANDOM_CODES if rng.uniform() > 0.1]
    data = pl.DataFrame(
        [{"region_code": r, "year": y, "indicator_code": i, "scope": "全县", "value": v,
          "unit": "", "qualifier": "eq", "source_id": "t", "quote": ""} for r, y, i, v in rows],
        schema_overrides={"year": pl.Int32})
    result = benchmark(data, rubric)
    plans = what_it_would_take(result)
    crit = result.criteria
    failing = result.totals.filter(pl.col("verdict") != "pass")["region_code"].to_list()
    assert failing and set(plans["region_code"].to_list()) <= set(failing)

    # Every scenario is a copy of a failing region with some criteria raised to their
    # required value; all scenarios are scored in one call.
    scenarios: list[tuple[str, int, tuple[str, ...], float]] = []
    frames = []
    for region in failing:
        mine = crit.filter(pl.col("region_code") == region)
        open_ = mine.filter((pl.col("status") != "met") & (pl.col("rule") != "veto"))
        effort = {r["criterion_id"]: (1.0 if r["value"] is None else
                                      abs(r["required_value"] - r["value"])
                                      / max(abs(r["required_value"]), abs(r["value"])))
                  for r in open_.iter_rows(named=True)}
        plan = plans.filter(pl.col("region_code") == region)
        size = plan.height
        reaches = plan.height > 0 and plan["reaches_pass_line"].to_list()[-1]
        for k in range(size + 1):
            for chosen in itertools.combinations(sorted(effort), k):
                code = _scenario_code(len(scenarios))
                cost = sum(effort[x] for x in chosen)
                scenarios.append((region, k, chosen, cost))
                raised = mine.with_columns(pl.when(pl.col("criterion_id").is_in(list(chosen)))
                                           .then(pl.col("required_value"))
                                           .otherwise(pl.col("value")).alias("value"))
                frames.append(raised.filter(pl.col("value").is_not_null()).select(
                    pl.lit(code).alias("region_code"), "year", "indicator_code",
                    pl.lit("全县").alias("scope"), "value", pl.lit("").alias("unit"),
                    pl.lit("eq").alias("qualifier"), pl.lit("t").alias("source_id"),
                    pl.lit("").alias("quote")))
        assert reaches or size == open_.height
    scored = benchmark(pl.concat(frames), rubric).totals
    passes = dict(zip(scored["region_code"], scored["verdict"] == "pass", strict=True))
    for region in failing:
        plan = plans.filter(pl.col("region_code") == region)
        chosen_plan = tuple(sorted(plan["criterion_id"].to_list()))
        tried = [(k, chosen, cost, passes.get(_scenario_code(i), False))
                 for i, (r, k, chosen, cost) in enumerate(scenarios) if r == region]
        if not plan["reaches_pass_line"].to_list()[-1]:
            assert not any(ok for *_, ok in tried)
            continue
        assert next(ok for k, chosen, _, ok in tried if chosen == chosen_plan)
        assert not any(ok for k, _, _, ok in tried if k < len(chosen_plan))
        plan_cost = next(cost for _, chosen, cost, _ in tried if chosen == chosen_plan)
        assert not any(ok and cost < plan_cost - 1e-9
                       for k, _, cost, ok in tried if k == len(chosen_plan))
