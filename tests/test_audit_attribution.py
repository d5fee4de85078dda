"""``audit`` (against scipy / the statistics module) and ``change_attribution`` (exact sums)."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
import polars as pl
import pytest
from matplotlib.patches import Rectangle
from scipy import stats

from fzcompare.benchmark import audit, benchmark, change_attribution, compare_editions
from fzcompare.benchmark._audit import cronbach_alpha, pairwise_corr
from fzcompare.charts import change_waterfall
from fzcompare.criteria import load_criteria, parse_criteria
from fzcompare.errors import ChartError
from fzcompare.synthetic import demo_panel

REGIONS = ["420100", "420200", "420300", "420500", "420600"]


def rubric_raw() -> dict[str, Any]:
    def linear(cid: str, indicator: str, comparator: str, low: float, high: float,
               points: float) -> dict[str, Any]:
        return {"id": cid, "name": cid, "indicator": indicator, "comparator": comparator,
                "rule": "linear", "threshold": low, "threshold_high": high, "points": points}

    return {
        "id": "audit-test", "name": "audit test", "version": "1", "edition": 2024,
        "source": {"user_set": True, "statement": "test rubric"},
        "pass_line": {"share": 0.6}, "peer_group": "all",
        "areas": [
            {"id": "A1", "name": "one", "points": 60, "criteria": [
                linear("A1.1", "exec_meetings_on_rule_of_law", ">=", 0, 200, 40),
                linear("A1.2", "law_lectures_held", ">=", 0, 20, 20)]},
            {"id": "A2", "name": "two", "points": 60, "criteria": [
                linear("A2.1", "reconsideration_correction_rate", "<=", 5, 25, 40),
                linear("A2.2", "leader_law_training_sessions", ">=", 0, 100, 20)]},
        ],
    }


def observations(year: int, meetings: list[float], lectures: list[float],
                 rates: list[float], training: list[float]) -> pl.DataFrame:
    rows = []
    for i, code in enumerate(REGIONS):
        rows += [(code, year, "exec_meetings_on_rule_of_law", meetings[i]),
                 (code, year, "law_lectures_held", lectures[i]),
                 (code, year, "reconsideration_correction_rate", rates[i]),
                 (code, year, "leader_law_training_sessions", training[i])]
    return pl.DataFrame({
        "region_code": [r[0] for r in rows], "year": [r[1] for r in rows],
        "indicator_code": [r[2] for r in rows], "scope": ["全市"] * len(rows),
        "value": [r[3] for r in rows], "unit": [""] * len(rows),
        "qualifier": ["eq"] * len(rows), "source_id": ["s"] * len(rows),
        "quote": [""] * len(rows)}, schema_overrides={"year": pl.Int32})


# points: A1.1 [0, 10, 20, 30, 40]; A1.2 [20, 20, 20, 20, 10]; A2.1 [0, 20, 10, 40, 30];
# A2.2 = A1.1 / 2 (redundant with A1.1)
OBS_2024 = observations(2024, [0, 50, 100, 150, 200], [20, 20, 20, 20, 10],
                        [25, 15, 20, 5, 10], [0, 25, 50, 75, 100])
OBS_2023 = observations(2023, [100, 50, 0, 150, 200], [20, 10, 20, 20, 10],
                        [25, 25, 20, 5, 15], [50, 25, 50, 75, 100])


def test_audit_matches_scipy_and_the_statistics_module() -> None:
    rubric = parse_criteria(rubric_raw())
    result = audit(benchmark(OBS_2024, rubric))
    points = {"A1.1": [0, 10, 20, 30, 40], "A1.2": [20, 20, 20, 20, 10],
              "A2.1": [0, 20, 10, 40, 30], "A2.2": [0, 5, 10, 15, 20]}
    total = [sum(p[i] for p in points.values()) for i in range(5)]
    rows = {r["criterion_id"]: r for r in result.criteria.iter_rows(named=True)}
    for cid, x in points.items():
        area = [sum(points[c][i] for c in points if c[:2] == cid[:2]) for i in range(5)]
        assert rows[cid]["r_total"] == pytest.approx(stats.pearsonr(x, total).statistic)
        assert rows[cid]["r_area"] == pytest.approx(stats.pearsonr(x, area).statistic)
        effective = statistics.covariance(x, total) / statistics.variance(total)
        assert rows[cid]["effective_weight"] == pytest.approx(effective)
    assert sum(r["effective_weight"] for r in rows.values()) == pytest.approx(1.0)
    assert rows["A1.2"]["share_full"] == pytest.approx(0.8)
    assert rows["A1.1"]["share_zero"] == pytest.approx(0.2)
    assert rows["A1.1"]["nominal_weight"] == pytest.approx(40 / 120)
    for area_name, area_criteria in (("A1", ["A1.1", "A1.2"]), ("A2", ["A2.1", "A2.2"])):
        k = len(area_criteria)
        summed = [sum(points[c][i] for c in area_criteria) for i in range(5)]
        alpha = k / (k - 1) * (1 - sum(statistics.variance(points[c]) for c in area_criteria)
                               / statistics.variance(summed))
        got = result.areas.filter(pl.col("area_id") == area_name)["cronbach_alpha"][0]
        assert got == pytest.approx(alpha)
    assert result.redundant.select("criterion_a", "criterion_b").rows() == [("A1.1", "A2.2")]
    assert any("nearly redundant" in f for f in result.findings)


def test_pairwise_correlation_skips_missing_rows_like_pandas() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3))
    x[rng.random((40, 3)) < 0.2] = np.nan
    import pandas as pd

    expected = pd.DataFrame(x).corr().to_numpy()
    assert np.allclose(pairwise_corr(x, x), expected, equal_nan=True)
    assert np.isnan(cronbach_alpha(np.ones((5, 2))))


def test_audit_refuses_a_year_not_scored() -> None:
    result = benchmark(OBS_2024, parse_criteria(rubric_raw()))
    with pytest.raises(ValueError, match="2020"):
        audit(result, year=2020)


def test_attribution_sums_to_the_total_change_exactly() -> None:
    rubric = parse_criteria(rubric_raw())
    result = benchmark(pl.concat([OBS_2023, OBS_2024]), rubric)
    attribution = change_attribution(result)
    sums = attribution.parts.group_by("region_code").agg(pl.col("contribution").sum())
    joined = attribution.totals.join(sums, on="region_code")
    assert joined.height == len(REGIONS)
    assert np.allclose(joined["contribution"], joined["total_change"], atol=1e-9, rtol=0)
    totals = result.totals.pivot(on="year", index="region_code", values="points_earned")
    changes = attribution.totals.join(totals, on="region_code")
    assert np.allclose(changes["total_change"], changes["2024"] - changes["2023"])
    first = attribution.parts.filter((pl.col("region_code") == "420100")
                                     & (pl.col("criterion_id") == "A1.1"))
    assert first["contribution"][0] == pytest.approx(0.0 - 20.0)  # 100 -> 0 meetings
    assert attribution.unit == "points"


def test_attribution_across_editions_splits_rubric_and_performance() -> None:
    rubric_a = parse_criteria(rubric_raw())
    raw_b = rubric_raw()
    raw_b["version"] = "2"
    raw_b["areas"][0]["criteria"][0]["threshold_high"] = 100  # A1.1 gets easier
    rubric_b = parse_criteria(raw_b)
    obs = pl.concat([OBS_2023, OBS_2024])
    before = benchmark(obs, rubric_a, years=2023)
    after = benchmark(obs, rubric_b, years=2024)
    with pytest.raises(ValueError, match="observations"):
        change_attribution(before, after)
    attribution = change_attribution(before, after, observations=obs)
    assert attribution.unit == "share points"
    totals = attribution.totals
    assert np.allclose(totals["rubric_effect"] + totals["performance_effect"],
                       totals["total_change"])
    edition = compare_editions(obs, rubric_a, rubric_b, years=2023)
    expected = totals.join(edition, on="region_code")
    assert np.allclose(expected["rubric_effect"],
                       100 * (expected["share_b"] - expected["share_a"]))
    sums = attribution.parts.group_by("region_code").agg(pl.col("contribution").sum())
    joined = totals.join(sums, on="region_code")
    assert np.allclose(joined["contribution"], joined["total_change"], atol=1e-9, rtol=0)
    assert (attribution.parts["kind"] == "rubric").sum() == len(REGIONS)


def test_attribution_on_the_demo_panel_and_its_waterfall() -> None:
    panel = demo_panel()
    obs = panel.observations.filter(pl.col("year") >= 2023)
    result = benchmark(obs, load_criteria("hubei-demo-2024"), regions_table=panel.regions)
    attribution = change_attribution(result)
    sums = attribution.parts.group_by("region_code").agg(pl.col("contribution").sum())
    joined = attribution.totals.join(sums, on="region_code")
    assert np.allclose(joined["contribution"], joined["total_change"], atol=1e-9, rtol=0)
    start = attribution.totals.filter(pl.col("region_code") == "420300")["total_from"][0]
    fig = change_waterfall(attribution.parts, region_code="420300", total_from=start,
                           lang="en")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "2023" and labels[-1] == "2024"
    with pytest.raises(ChartError, match="regions"):
        change_waterfall(attribution.parts)
    assert "<table>" in attribution._repr_html_()


def test_attribution_carries_names_and_the_synthetic_mark_to_the_waterfall() -> None:
    panel = demo_panel()
    obs = panel.observations.filter(pl.col("year") >= 2023)
    result = benchmark(obs, load_criteria("hubei-demo-2024"), regions_table=panel.regions)
    attribution = change_attribution(result)
    assert attribution.provenance.synthetic
    assert attribution.parts["synthetic"].all() and attribution.totals["synthetic"].all()
    crit = attribution.parts.filter(pl.col("kind") == "criterion")
    assert crit["area_name"].null_count() == 0 and crit["criterion_name"].null_count() == 0
    fig = change_waterfall(attribution.parts, region_code="420300", lang="zh")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert not any(label.startswith("A") and label[1:2].isdigit() for label in labels)
    assert "重大行政决策" in labels
    assert labels[0] != "2023" and labels[-1].endswith("变化")
    heights = [bar.get_height() for bar in fig.axes[0].patches if isinstance(bar, Rectangle)]
    assert len(heights) == len(labels) and all(abs(h) > 1e-12 for h in heights)
    badge = [t.get_text() for sub in fig.subfigs for t in sub.texts]
    assert any("SYNTHETIC" in text for text in badge)


def test_attribution_of_real_inputs_is_not_marked() -> None:
    obs = pl.concat([OBS_2023, OBS_2024])
    attribution = change_attribution(benchmark(obs, parse_criteria(rubric_raw())))
    assert not attribution.provenance.synthetic
    assert not attribution.parts["synthetic"].any()
