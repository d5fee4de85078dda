"""Benchmark on evidence: evidence shares, the insufficient-evidence gate, rank changes between
ranked years only, criteria not applicable to a level, the common set, and min_evidence from the
rubric file and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from fzcompare.benchmark import benchmark, compare_editions, what_it_would_take
from fzcompare.cli import app
from fzcompare.criteria import load_criteria, parse_criteria, rubric_raw_example
from fzcompare.errors import CriteriaError, EvidenceThresholdError
from fzcompare.store import dataset_regions, load

ROOT = Path(__file__).resolve().parents[1]
RATE = "gov_service_online_rate"
COVERAGE = "leaders_law_reporting_coverage_rate"
MEETINGS = "exec_meetings_on_rule_of_law"
STUDY = "leaders_collective_law_study_sessions"
_SCHEMA = {"region_code": pl.String, "year": pl.Int32, "indicator_code": pl.String,
           "scope": pl.String, "value": pl.Float64, "unit": pl.String, "qualifier": pl.String,
           "source_id": pl.String, "quote": pl.String}


def obs(*rows: tuple[str, int, str, float]) -> pl.DataFrame:
    """Rows of (region, year, indicator, value); whole-jurisdiction scope."""
    return pl.DataFrame([{"region_code": r, "year": y, "indicator_code": code,
                          "scope": "全市" if r.endswith("00") else "全县", "value": float(v),
                          "unit": "", "qualifier": "eq", "source_id": "t", "quote": ""}
                         for r, y, code, v in rows], schema=_SCHEMA)


def c(cid: str, indicator: str, **keys: Any) -> dict[str, Any]:
    return {"id": cid, "name": cid, "indicator": indicator, **keys}
A, B, C, D = "420300", "420500", "420600", "420700"
COUNTY = "420302"


def rubric(*criteria: dict[str, Any], **top: Any) -> Any:
    raw = rubric_raw_example()
    raw["areas"] = [{"id": "A", "name": "Area", "criteria": list(criteria)}]
    raw["pass_line"] = {"share": 0.5}
    raw.update(top)
    return parse_criteria(raw)


FOUR = (c("a", RATE, comparator=">=", threshold=90, points=4),
        c("b", COVERAGE, comparator=">=", threshold=90, points=3),
        c("m", MEETINGS, comparator=">=", threshold=3, points=2),
        c("s", STUDY, comparator=">=", threshold=4, points=1))


def row_of(result: Any, region: str, year: int = 2023) -> dict[str, Any]:
    frame = result.totals.filter((pl.col("region_code") == region) & (pl.col("year") == year))
    assert frame.height == 1
    found: dict[str, Any] = frame.row(0, named=True)
    return found


def test_evidence_share_is_the_share_of_points_with_a_disclosed_figure() -> None:
    data = obs((A, 2023, RATE, 95), (A, 2023, COVERAGE, 80), (A, 2023, MEETINGS, 4),
               (B, 2023, RATE, 99))
    result = benchmark(data, rubric(*FOUR))
    a, b = row_of(result, A), row_of(result, B)
    assert a["evidence_share"] == pytest.approx(0.9)
    assert b["evidence_share"] == pytest.approx(0.4)
    # A: 4 + 0 + 2 earned on 9 disclosed points, rescaled to 10
    assert a["points_on_evidence"] == pytest.approx(6 / 9 * 10)
    assert a["share_on_evidence"] == pytest.approx(6 / 9)
    assert a["points_earned"] == pytest.approx(6.0)  # the rubric's zero policy


def test_insufficient_evidence_gets_no_rank_no_change_and_no_plan() -> None:
    data = obs((A, 2023, RATE, 80), (A, 2023, COVERAGE, 80), (A, 2023, MEETINGS, 1),
               (B, 2023, RATE, 99), (C, 2023, RATE, 99), (C, 2023, COVERAGE, 99))
    result = benchmark(data, rubric(*FOUR))
    assert row_of(result, B)["verdict"] == "insufficient_evidence"
    assert (row_of(result, B)["rank"], row_of(result, B)["rank_change"]) == (None, None)
    ranked = result.totals.filter(pl.col("rank").is_not_null())
    assert sorted(ranked["region_code"].to_list()) == [A, C]
    assert (ranked["evidence_share"] >= 0.5).all()
    assert row_of(result, C)["rank"] == 1  # 7 of 7 disclosed points beat A's 0 of 9
    plan = what_it_would_take(result, year=2023)
    assert B not in set(plan["region_code"].to_list())
    assert A in set(plan["region_code"].to_list())


def test_no_evidence_at_all_is_never_rank_one_on_zero_points() -> None:
    data = obs((A, 2023, RATE, 95), (A, 2023, COVERAGE, 95), (B, 2023, "emergency_drills", 3),
               (C, 2023, "emergency_drills", 4))
    totals = benchmark(data, rubric(*FOUR)).totals
    first = totals.filter(pl.col("rank") == 1)
    assert first["region_code"].to_list() == [A]
    assert totals.filter(pl.col("region_code").is_in([B, C]))["rank"].null_count() == 2


def test_rank_change_only_between_two_ranked_years() -> None:
    full = [(r, y, code, v) for y in (2021, 2022, 2023) for r, v in ((A, 95), (C, 85))
            for code in (RATE, COVERAGE)]
    # B is ranked in 2021 and 2023 but has too little evidence in 2022
    b_rows = [(B, 2021, RATE, 99), (B, 2021, COVERAGE, 99), (B, 2022, RATE, 99),
              (B, 2023, RATE, 99), (B, 2023, COVERAGE, 99)]
    result = benchmark(obs(*full, *b_rows), rubric(*FOUR))
    b = {r["year"]: r for r in result.totals.filter(pl.col("region_code") == B)
         .iter_rows(named=True)}
    assert b[2022]["rank"] is None and b[2022]["rank_change"] is None
    assert b[2023]["rank"] == 1 and b[2023]["prev_rank"] is None
    assert b[2023]["rank_change"] is None  # 2022 was not ranked: no arrow
    assert b[2021]["rank"] == 1
    # C moves from 3rd (behind A and B, tied) to 2nd when B drops out of the ranking
    c_rows = {r["year"]: r for r in result.totals.filter(pl.col("region_code") == C)
              .iter_rows(named=True)}
    assert (c_rows[2022]["prev_rank"], c_rows[2022]["rank"], c_rows[2022]["rank_change"]) == \
        (3, 2, 1)


def test_not_applicable_criterion_leaves_the_denominator() -> None:
    criteria = (c("a", RATE, comparator=">=", threshold=90, points=4),
                c("g", "gov_regulations_enacted", comparator=">=", threshold=1, points=6,
                  applies_to=["prefecture"]))
    rules = rubric(*criteria, levels=["prefecture", "county"], peer_group="all")
    assert rules.criteria["applies_to"].to_list() == [None, ["prefecture"]]
    data = obs((COUNTY, 2023, RATE, 95), (A, 2023, RATE, 95))
    result = benchmark(data, rules)
    county, city = row_of(result, COUNTY), row_of(result, A)
    cell = result.criteria.filter((pl.col("region_code") == COUNTY)
                                  & (pl.col("criterion_id") == "g")).row(0, named=True)
    assert (cell["status"], cell["points_earned"], cell["gap"]) == ("not_applicable", None, None)
    assert (county["evidence_share"], county["n_not_applicable"], county["n_missing"]) == \
        (1.0, 1, 0)
    assert county["points_earned"] == pytest.approx(10.0)  # 4 of 4 applicable, rescaled
    assert (city["evidence_share"], city["n_missing"]) == (pytest.approx(0.4), 1)
    assert city["verdict"] == "insufficient_evidence"


def test_applies_to_rejects_unknown_levels() -> None:
    with pytest.raises(CriteriaError, match=r"applies_to\[0\].*'city' is not one of"):
        rubric(c("a", RATE, comparator=">=", threshold=90, points=4, applies_to=["city"]))
    with pytest.raises(CriteriaError, match="must list at least one level"):
        rubric(c("a", RATE, comparator=">=", threshold=90, points=4, applies_to=[]))


def test_common_set_holds_criteria_disclosed_by_half_the_peer_group() -> None:
    data = obs((A, 2023, RATE, 95), (A, 2023, COVERAGE, 95), (A, 2023, MEETINGS, 4),
               (B, 2023, RATE, 80), (B, 2023, COVERAGE, 95),
               (C, 2023, RATE, 99), (D, 2023, STUDY, 4))
    result = benchmark(data, rubric(*FOUR), min_evidence=0.0)
    common = dict(result.common_set.select("criterion_id", "in_common_set").iter_rows())
    assert common == {"a": True, "b": True, "m": False, "s": False}
    disclosing = dict(result.common_set.select("criterion_id", "regions_disclosing")
                      .iter_rows())
    assert disclosing == {"a": 3, "b": 2, "m": 1, "s": 1}
    # B on the common set: 0 of 4 on a, 3 of 3 on b -> 3/7; D has nothing on it
    assert row_of(result, B)["share_common_set"] == pytest.approx(3 / 7)
    assert row_of(result, D)["share_common_set"] is None


def test_min_evidence_from_the_rubric_file_and_the_argument() -> None:
    data = obs((A, 2023, RATE, 95), (B, 2023, RATE, 99), (B, 2023, COVERAGE, 99))
    default = benchmark(data, rubric(*FOUR))
    assert default.settings.min_evidence == 0.5
    assert row_of(default, A)["verdict"] == "insufficient_evidence"
    lenient = rubric(*FOUR, min_evidence=0.4)
    assert lenient.min_evidence == 0.4
    assert row_of(benchmark(data, lenient), A)["rank"] == 1  # 95 % meets a: 4 of 4 points
    assert row_of(benchmark(data, lenient), A)["verdict"] == "fail"
    strict = benchmark(data, lenient, min_evidence=0.9)
    assert strict.settings.min_evidence == 0.9
    assert strict.totals["rank"].null_count() == 2


@pytest.mark.parametrize("bad", [1.5, -0.1, "half", True])
def test_min_evidence_out_of_range_is_an_argument_error(bad: Any) -> None:
    with pytest.raises(EvidenceThresholdError) as caught:
        benchmark(obs((A, 2023, RATE, 95)), rubric(*FOUR), min_evidence=bad)
    assert isinstance(caught.value, ValueError) and caught.value.hint


def test_min_evidence_in_the_rubric_must_be_a_share() -> None:
    with pytest.raises(CriteriaError, match="min_evidence: must be a share"):
        rubric(*FOUR, min_evidence=2)


def test_zero_policy_is_said_in_the_settings() -> None:
    zero = benchmark(obs((A, 2023, RATE, 95)), rubric(*FOUR, missing_policy="zero"))
    assert any("missing_policy zero" in note for note in zero.settings.notes)
    assert "missing_policy zero" in zero._repr_html_()
    rescale = benchmark(obs((A, 2023, RATE, 95)), rubric(*FOUR, missing_policy="rescale"))
    assert rescale.settings.notes == ()


def test_compare_editions_passes_min_evidence() -> None:
    data = obs((A, 2023, RATE, 95))
    default = compare_editions(data, rubric(*FOUR), rubric(*FOUR))  # evidence 0.4 < 0.5
    assert default["verdict_a"].to_list() == ["insufficient_evidence"]
    lenient = compare_editions(data, rubric(*FOUR), rubric(*FOUR), min_evidence=0.3)
    assert lenient["verdict_a"].to_list() == ["fail"]


# ------------------------------------------------------------------ the bundled real data


@pytest.fixture(scope="module")
def real() -> Any:
    return benchmark(load(ROOT / "datasets/real"), load_criteria("hubei-demo-2024"),
                     regions_table=dataset_regions(ROOT / "datasets/real"))


def test_real_data_ranks_only_regions_with_enough_evidence(real: Any) -> None:
    totals = real.totals
    below = totals.filter(pl.col("evidence_share") < real.settings.min_evidence)
    assert below.height > 0
    assert below["rank"].null_count() == below.height
    assert set(below["verdict"].to_list()) == {"insufficient_evidence"}
    ranked = totals.filter(pl.col("rank").is_not_null())
    assert (ranked["evidence_share"] >= real.settings.min_evidence).all()
    first = totals.filter(pl.col("rank") == 1)
    assert first.filter(pl.col("points_on_evidence") == 0).height <= 1
    assert first.group_by("year", "peer_group").len()["len"].max() in (None, 1)


def test_real_data_ranks_shiyan_2023_only_when_asked_for_less_evidence() -> None:
    runner = CliRunner()
    args = ["benchmark", str(ROOT / "datasets/real"), "--criteria", "hubei-demo-2024",
            "--year", "2023", "--format", "json"]
    strict = json.loads(runner.invoke(app, args).stdout)
    assert strict["settings"]["min_evidence"] == 0.5
    assert all(r["rank"] is None for r in strict["rows"])
    assert any("not ranked" in n for n in strict["notes"])
    lenient = json.loads(runner.invoke(app, [*args, "--min-evidence", "0.2"]).stdout)
    ranked = [(r["region_code"], r["rank"]) for r in lenient["rows"] if r["rank"] is not None]
    assert ranked == [("420300", 1)]
    shiyan = next(r for r in lenient["rows"] if r["region_code"] == "420300")
    assert shiyan["evidence_share"] == pytest.approx(0.27)
    bad = runner.invoke(app, [*args, "--min-evidence", "3"])
    assert bad.exit_code == 2
