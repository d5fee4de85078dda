"""Provenance travels (issue 18): results keep the source kinds of their inputs, and charts of
results of synthetic inputs are marked without the caller passing ``synthetic=True``."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import fzcompare
from fzcompare import Provenance, benchmark, charts, trends
from fzcompare._provenance import provenance_of
from fzcompare.charts._style import SYNTHETIC_MARK
from fzcompare.criteria import load_criteria


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


@pytest.fixture(scope="module")
def demo() -> pl.DataFrame:
    return fzcompare.load("datasets/demo")


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    return fzcompare.load("datasets/real")


@pytest.fixture(scope="module")
def demo_result(demo: pl.DataFrame) -> benchmark.BenchmarkResult:
    return benchmark.benchmark(demo, load_criteria("hubei-demo-2024"), years=2023)


@pytest.fixture(scope="module")
def real_result(real: pl.DataFrame) -> benchmark.BenchmarkResult:
    # min_evidence 0: rank on whatever was disclosed, so that every chart has rows to draw
    # (no real region reaches the rubric's evidence threshold).
    return benchmark.benchmark(real, load_criteria("hubei-demo-2024"), years=2023,
                               min_evidence=0.0)


def test_a_benchmark_of_synthetic_data_says_so(demo_result: benchmark.BenchmarkResult) -> None:
    assert demo_result.provenance == Provenance(frozenset({"synthetic"}))
    assert demo_result.provenance.synthetic and not demo_result.provenance.mixed
    for table in (demo_result.totals, demo_result.areas, demo_result.criteria):
        assert table["synthetic"].all()


def test_a_benchmark_of_real_data_is_not_marked(real_result: benchmark.BenchmarkResult) -> None:
    assert not real_result.provenance.synthetic
    assert not real_result.totals["synthetic"].any()
    assert not real_result.criteria["synthetic"].any()


@pytest.mark.parametrize("draw", [
    lambda r: charts.criteria_heatmap(r.criteria),
    lambda r: charts.rank_bump(r.totals),
    lambda r: charts.area_profile(r.areas, region_code="420300"),
    lambda r: charts.bullet_chart(r.criteria, region_code="420300"),
], ids=["criteria_heatmap", "rank_bump", "area_profile", "bullet_chart"])
def test_charts_of_a_synthetic_benchmark_are_marked_without_asking(
        demo_result: benchmark.BenchmarkResult,
        real_result: benchmark.BenchmarkResult,
        draw: Callable[[benchmark.BenchmarkResult], Figure]) -> None:
    assert SYNTHETIC_MARK in _texts(draw(demo_result))
    assert SYNTHETIC_MARK not in _texts(draw(real_result))


def test_mixed_inputs_are_marked_mixed_row_by_row(demo: pl.DataFrame, real: pl.DataFrame) -> None:
    real_regions = set(real["region_code"].to_list())
    both = pl.concat([demo.filter(~pl.col("region_code").is_in(list(real_regions))), real],
                     how="diagonal_relaxed")
    result = benchmark.benchmark(both, load_criteria("hubei-demo-2024"), years=2023)
    assert result.provenance.mixed
    assert result.provenance.label.startswith("mixed: ")
    marks = dict(zip(result.totals["region_code"], result.totals["synthetic"], strict=True))
    assert marks["420300"] is False  # Shiyan: published reports
    assert any(marks.values())


def test_the_sources_table_gives_the_kinds(real: pl.DataFrame) -> None:
    sources = fzcompare.load_sources("datasets/real")
    provenance, _ = provenance_of(real, sources=sources, dataset_version="v1")
    assert provenance.source_kinds == frozenset(sources["kind"].unique().to_list())
    assert provenance.dataset_version == "v1" and not provenance.synthetic


def test_trends_results_keep_the_provenance(demo: pl.DataFrame, real: pl.DataFrame) -> None:
    assert trends.analyze(demo.filter(pl.col("region_code") == "420300")).provenance.synthetic
    assert not trends.analyze(real.filter(pl.col("region_code") == "420300")).provenance.synthetic


def test_composite_and_robustness_results_keep_the_provenance(demo: pl.DataFrame) -> None:
    rubric = load_criteria("hubei-demo-2024")
    scores = benchmark.composite(demo, rubric, years=2023)
    assert scores.provenance.synthetic and scores.scores["synthetic"].all()
    ranks = benchmark.rank_robustness(demo, rubric, years=2023, draws=20, seed=1)
    assert ranks.provenance.synthetic and ranks.ranks["synthetic"].all()


def test_every_share_column_is_a_fraction_between_0_and_1(
        demo: pl.DataFrame, demo_result: benchmark.BenchmarkResult) -> None:
    rubric = load_criteria("hubei-demo-2024")
    frames = {"totals": demo_result.totals, "areas": demo_result.areas,
              "subareas": demo_result.subareas, "criteria": demo_result.criteria,
              "editions": benchmark.compare_editions(demo, rubric, rubric, years=2023)}
    checked = []
    for name, frame in frames.items():
        for column in frame.columns:
            if column == "share" or column.endswith("_share") or column.startswith("share_"):
                values = frame[column].drop_nulls().cast(pl.Float64)
                assert values.is_empty() or values.is_between(0.0, 1.0).all(), \
                    (name, column, values.max())
                checked.append(f"{name}.{column}")
    assert {"totals.share", "areas.share", "editions.share_a"} <= set(checked)
