"""The benchmark harness compares like with like: fzcompare and its baselines give the same
tables on the same synthetic panel (so a ratio in docs/performance.md is a ratio of equal work).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fzcompare.synthetic import national_panel

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def harness() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _baseline
        import bench_benchmark
        import pipeline
    finally:
        sys.path.remove(str(BENCHMARKS))
    return pipeline, _baseline, bench_benchmark


@pytest.fixture(scope="module")
def panel() -> Any:
    return national_panel(n_regions=60, years=range(2019, 2025), n_indicators=100, seed=3)


def test_report_tables_agree_with_the_pandas_baseline(harness: Any, panel: Any) -> None:
    pipeline, baseline, bench = harness
    rubric = bench.national_rubric()
    obs = panel.observations
    ours = pipeline.report_tables(obs, rubric, panel.regions)
    theirs = baseline.report_tables_pandas(obs.to_pandas(), rubric)
    keys = ["region_code", "year"]

    totals = ours["totals"].join(pl.from_pandas(theirs["totals"]), on=keys, suffix="_base")
    assert totals.height == ours["totals"].height == len(theirs["totals"]) == 60 * 6
    assert (totals["points_earned"] - totals["points_earned_base"]).abs().max() < 1e-9
    assert totals["verdict"].to_list() == totals["verdict_base"].to_list()
    assert totals["rank"].cast(pl.Int64).to_list() == totals["rank_base"].to_list()
    assert (totals["prev_rank"].cast(pl.Float64).to_list()
            == pl.Series(totals["prev_rank_base"]).cast(pl.Float64).fill_nan(None).to_list())

    criteria = ours["criteria"].join(pl.from_pandas(theirs["criteria"]),
                                     on=[*keys, "criterion_id"], suffix="_base")
    assert set(ours["criteria"]["year"].to_list()) == {2024}
    assert criteria.height == ours["criteria"].height == len(theirs["criteria"]) == 60 * 100
    assert (criteria["points_earned"].fill_null(0.0)
            - criteria["points_earned_base"]).abs().max() < 1e-9

    areas = ours["areas"].join(pl.from_pandas(theirs["areas"]), on=[*keys, "area_id"],
                               suffix="_base")
    assert areas.height == len(theirs["areas"])
    assert (areas["points_earned"] - areas["bonus_points"]
            - areas["points_earned_base"]).abs().max() < 1e-9
    # the loop writes no row for an area of bonus or veto items only (no points possible)
    only_ours = ours["areas"].join(areas, on=[*keys, "area_id"], how="anti")
    assert only_ours.height and (only_ours["points_possible"] == 0).all()

    series = ["region_code", "indicator_code", "scope", "year"]
    changes = ours["changes"].join(pl.from_pandas(theirs["changes"]), on=series,
                                   suffix="_base")
    assert set(ours["changes"]["year"].to_list()) == {2024}
    assert changes.height == ours["changes"].height == len(theirs["changes"])
    compared = changes.filter(pl.col("prev_value").is_not_null())
    assert compared.height > 0.9 * changes.height
    assert (compared["change_abs"] - compared["change_abs_base"]).abs().max() < 1e-9


def test_benchmark_agrees_with_the_loop_baseline(harness: Any, panel: Any) -> None:
    _, _, bench = harness
    from fzcompare.benchmark import benchmark

    rubric = bench.national_rubric()
    ours = benchmark(panel.observations, rubric, years=2024, regions_table=panel.regions).totals
    theirs = pl.from_pandas(bench.benchmark_loop(panel.observations.to_pandas(), rubric,
                                                 year=2024))
    joined = ours.join(theirs, on="region_code", suffix="_base")
    assert joined.height == ours.height == theirs.height == 60
    gap = (joined["points_earned"] - joined["points_earned_base"]).abs().max()
    assert isinstance(gap, float) and gap < 1e-9
    assert joined["verdict"].to_list() == joined["verdict_base"].to_list()
    assert joined["rank"].cast(pl.Int64).to_list() == joined["rank_base"].to_list()
    assert joined["prev_rank"].cast(pl.Float64).to_list() == \
        joined["prev_rank_base"].cast(pl.Float64).to_list()
    assert joined["prev_rank"].null_count() == 0  # the panel has 2023, so 2024 has a rank change


def test_polars_floor_judges_like_great_expectations(panel: Any) -> None:
    """The validate floor counts the same failing rows as great_expectations, per expectation."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _validate_floor
    finally:
        sys.path.remove(str(BENCHMARKS))
    from fzcompare.validate import validate

    obs = panel.observations
    faulty = pl.concat([
        obs.head(3),  # three duplicated keys
        obs.slice(10, 2).with_columns(pl.lit("999999").alias("region_code")),  # unknown
        obs.slice(20, 1).with_columns(pl.lit(-5.0).alias("value")),  # below every range
        obs.slice(30, 2).with_columns(pl.lit("zz").alias("qualifier")),
    ])
    rows = pl.concat([obs, faulty])
    result = validate(rows, regions_table=panel.regions, sources=panel.sources)
    floor = _validate_floor.validate_polars_floor(rows, regions=panel.regions,
                                                  sources=panel.sources)
    outcomes = result.outcomes.with_columns(
        pl.int_range(pl.len()).over("suite").alias("index"))
    assert outcomes.height == len(floor) > 50
    failed = 0
    for row in outcomes.iter_rows(named=True):
        ours = floor[f"{row['suite']}#{row['index']}"]
        assert ours.success == row["success"], row
        if ours.unexpected_count is not None:
            assert ours.unexpected_count == row["unexpected_count"], row
        failed += not ours.success
    assert failed >= 4
