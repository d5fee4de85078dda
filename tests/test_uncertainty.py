"""Rank intervals, tied groups, grade bands and p_rank_improved (``rank_uncertainty``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from fzcompare.benchmark import benchmark, rank_uncertainty
from fzcompare.benchmark._uncertainty import (
    band_index,
    draw_values,
    panel_of,
    plan_of,
    weight_factors,
)
from fzcompare.criteria import parse_criteria
from fzcompare.errors import CriteriaError
from fzcompare.synthetic import demo_panel

REGIONS = ["420100", "420200", "420300", "420500", "420600", "420700"]


def rubric_raw(bands: bool = True) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "tiny", "name": "tiny", "version": "1", "edition": 2024,
        "source": {"user_set": True, "statement": "test rubric"},
        "pass_line": {"share": 0.6}, "peer_group": "all",
        "areas": [
            {"id": "A1", "name": "meetings", "points": 60, "criteria": [
                {"id": "A1.1", "name": "meetings", "indicator": "exec_meetings_on_rule_of_law",
                 "comparator": ">=", "rule": "linear", "threshold": 0, "threshold_high": 200,
                 "points": 40},
                {"id": "A1.2", "name": "lectures", "indicator": "law_lectures_held",
                 "comparator": ">=", "rule": "linear", "threshold": 0, "threshold_high": 20,
                 "points": 20}]},
            {"id": "A2", "name": "reconsideration", "points": 40, "criteria": [
                {"id": "A2.1", "name": "correction rate",
                 "indicator": "reconsideration_correction_rate", "comparator": "<=",
                 "rule": "linear", "threshold": 5, "threshold_high": 25, "points": 40}]},
        ],
    }
    if bands:
        raw["bands"] = {"source": {"user_set": True, "statement": "test cut-offs"},
                        "cuts": [{"name": "优秀", "min_share": 0.9},
                                 {"name": "良好", "min_share": 0.75},
                                 {"name": "合格", "min_share": 0.6},
                                 {"name": "不合格", "min_share": 0}]}
    return raw


def observations(rows: list[tuple[str, int, str, float]]) -> pl.DataFrame:
    return pl.DataFrame({
        "region_code": [r[0] for r in rows], "year": [r[1] for r in rows],
        "indicator_code": [r[2] for r in rows], "scope": ["全市"] * len(rows),
        "value": [r[3] for r in rows], "unit": [""] * len(rows),
        "qualifier": ["eq"] * len(rows), "source_id": ["s"] * len(rows),
        "quote": [""] * len(rows)}, schema_overrides={"year": pl.Int32})


def panel_rows(meetings: list[float], year: int = 2024, concluded: float = 40_000.0
               ) -> list[tuple[str, int, str, float]]:
    """Regions differing in meetings only: lectures far above full marks, large caseloads."""
    rows: list[tuple[str, int, str, float]] = []
    for code, m in zip(REGIONS, meetings, strict=True):
        corrected = concluded / 10
        rows += [(code, year, "exec_meetings_on_rule_of_law", m),
                 (code, year, "law_lectures_held", 60.0),
                 (code, year, "reconsideration_correction_rate", 100 * corrected / concluded),
                 (code, year, "reconsideration_concluded", concluded)]
    return rows


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, Any]:
    panel = demo_panel()
    obs = panel.observations.filter(pl.col("year") >= 2023)
    from fzcompare.criteria import load_criteria

    return obs, benchmark(obs, load_criteria("hubei-demo-2024"), regions_table=panel.regions)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interval_holds_the_observed_rank_for_every_ranked_region(demo: Any, seed: int
                                                                  ) -> None:
    obs, result = demo
    ranks = rank_uncertainty(result, draws=60, seed=seed, observations=obs).ranks
    ranked = ranks.filter(pl.col("rank").is_not_null())
    assert ranked.height == result.totals.filter(pl.col("rank").is_not_null()).height > 0
    bad = ranked.filter((pl.col("rank_p05") > pl.col("rank"))
                        | (pl.col("rank") > pl.col("rank_p95"))
                        | (pl.col("rank_p05") > pl.col("rank_median"))
                        | (pl.col("rank_median") > pl.col("rank_p95")))
    assert bad.height == 0


def test_band_probabilities_sum_to_one(demo: Any) -> None:
    obs, result = demo
    uncertainty = rank_uncertainty(result, draws=50, seed=3, observations=obs)
    sums = uncertainty.bands.group_by("region_code", "year").agg(pl.col("probability").sum())
    assert sums.height == result.totals.height
    assert np.allclose(sums["probability"].to_numpy(), 1.0, atol=1e-12)
    assert set(uncertainty.bands["band"]) <= {"优秀", "良好", "合格", "不合格"}


def test_without_any_uncertainty_every_interval_is_the_rank_itself(demo: Any) -> None:
    obs, result = demo
    ranks = rank_uncertainty(result, draws=5, weight_spread=0.0, noise=False, impute=False,
                             observations=obs).ranks
    ranked = ranks.filter(pl.col("rank").is_not_null())
    assert (ranked["rank_p05"] == ranked["rank"]).all()
    assert (ranked["rank_p95"] == ranked["rank"]).all()
    assert (ranked["band_probability"] == 1.0).all()
    moved = ranked.filter(pl.col("rank_change").is_not_null())
    expected = (moved["rank_change"] > 0).cast(pl.Float64)
    assert moved["p_rank_improved"].to_list() == expected.to_list()


def test_equal_regions_share_a_tied_group_and_distant_ones_do_not() -> None:
    rubric = parse_criteria(rubric_raw())
    # 420100 and 420200 are equal; the others are far apart (few meetings, large noise)
    obs = observations(panel_rows([20.0, 20.0, 60.0, 110.0, 160.0, 0.0]))
    result = benchmark(obs, rubric)
    ranks = rank_uncertainty(result, draws=300, seed=5, weight_spread=0.1,
                             observations=obs).ranks
    group = dict(ranks.select("region_code", "tied_group").iter_rows())
    assert group["420100"] == group["420200"]
    assert ranks["tied_group_size"].max() == 2
    assert ranks["tied_group"].n_unique() == len(REGIONS) - 1


def test_p_rank_improved_follows_the_change_from_both_years() -> None:
    rubric = parse_criteria(rubric_raw())
    before = panel_rows([110.0, 10.0, 60.0, 70.0, 50.0, 40.0], year=2023)
    after = panel_rows([10.0, 110.0, 60.0, 70.0, 50.0, 40.0], year=2024)
    obs = observations(before + after)
    result = benchmark(obs, rubric)
    ranks = rank_uncertainty(result, draws=400, seed=7, weight_spread=0.0,
                             observations=obs).ranks.filter(pl.col("year") == 2024)
    p = dict(ranks.select("region_code", "p_rank_improved").iter_rows())
    assert p["420200"] > 0.9  # 1 -> 11 meetings: from last to first
    assert p["420100"] < 0.1
    assert ranks.filter(pl.col("p_rank_improved").is_null()).height == 0


def test_count_noise_is_poisson_and_rate_noise_binomial() -> None:
    rubric = parse_criteria(rubric_raw())
    obs = observations(panel_rows([3.0, 3.0, 30.0, 60.0, 120.0, 0.0], concluded=40.0))
    result = benchmark(obs, rubric)
    panel = panel_of(result, obs)
    plan = plan_of(panel, rubric, noise=True, impute=False)
    draws = draw_values(np.random.default_rng(11), panel, plan, 20_000)
    n = panel.values.shape[1]
    flat = panel.values.ravel()
    for cell in plan.count_cells:
        column = draws[:, cell]
        assert abs(column.mean() - flat[cell]) < 4 * np.sqrt(max(flat[cell], 1) / 20_000)
        assert abs(column.var() - flat[cell]) < 0.1 * max(flat[cell], 1)
    rate_cells = plan.rate_cells
    assert rate_cells.size == len(REGIONS)
    assert set(rate_cells % n) == {2}
    shares = draws[:, rate_cells[0]]
    assert np.allclose((shares * 40 / 100) % 1, 0)  # whole cases out of 40
    assert abs(shares.mean() - 10.0) < 0.1
    assert abs(shares.var() - 100 * 100 * 0.1 * 0.9 / 40) < 1.0


def test_imputed_figures_come_from_the_peers() -> None:
    rubric = parse_criteria(rubric_raw())
    rows = [r for r in panel_rows([3.0, 5.0, 30.0, 60.0, 120.0, 0.0])
            if not (r[0] == "420100" and r[2] == "exec_meetings_on_rule_of_law")]
    obs = observations(rows)
    result = benchmark(obs, rubric)
    panel = panel_of(result, obs)
    plan = plan_of(panel, rubric, noise=False, impute=True)
    assert plan.missing_cells.size == 1
    draws = draw_values(np.random.default_rng(2), panel, plan, 2_000)[:, plan.missing_cells[0]]
    assert set(np.unique(draws)) == {5.0, 30.0, 60.0, 120.0, 0.0}


def test_weight_draws_keep_each_area_s_points() -> None:
    rubric = parse_criteria(rubric_raw())
    obs = observations(panel_rows([3.0, 5.0, 30.0, 60.0, 120.0, 0.0]))
    panel = panel_of(benchmark(obs, rubric), obs)
    plan = plan_of(panel, rubric, noise=False, impute=False)
    factors = weight_factors(np.random.default_rng(0), rubric, plan, 100, 0.4)
    points = rubric.criteria["points"].to_numpy()
    weighted = factors * points
    assert np.allclose(weighted[:, :2].sum(axis=1), 60.0)
    assert np.allclose(weighted[:, 2], 40.0)
    assert weighted[:, 0].std() > 1.0


def test_band_index_cut_offs_and_vetoes() -> None:
    cuts = (("优秀", 0.9), ("良好", 0.75), ("合格", 0.6), ("不合格", 0.0))
    share = np.array([0.95, 0.9, 0.8999, 0.75, 0.6, 0.59, 0.0, np.nan, 0.99])
    vetoed = np.array([False] * 8 + [True])
    assert band_index(share, vetoed, cuts).tolist() == [0, 0, 1, 1, 2, 3, 3, 3, 3]


def test_without_a_bands_block_the_pass_line_makes_two_bands() -> None:
    rubric = parse_criteria(rubric_raw(bands=False))
    assert rubric.bands == (("合格", 0.6), ("不合格", 0.0))
    assert rubric.bands_source == "pass line"


@pytest.mark.parametrize(("cuts", "reason"), [
    ([{"name": "a", "min_share": 0.5}], "bad_bands"),
    ([{"name": "a", "min_share": 0.5}, {"name": "b", "min_share": 0.6},
      {"name": "c", "min_share": 0}], "out_of_range"),
    ([{"name": "a", "min_share": 0.5}, {"name": "a", "min_share": 0}], "bad_bands"),
])
def test_bad_bands_blocks_are_refused_with_the_key(cuts: list[dict[str, Any]],
                                                   reason: str) -> None:
    raw = rubric_raw()
    raw["bands"]["cuts"] = cuts
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(raw)
    assert caught.value.details["reason"] == reason
    assert "bands" in caught.value.message


def test_bad_arguments_are_value_errors(demo: Any) -> None:
    _, result = demo
    with pytest.raises(ValueError, match="draws"):
        rank_uncertainty(result, draws=0)
    with pytest.raises(ValueError, match="weight_spread"):
        rank_uncertainty(result, weight_spread=1.5)


def test_repr_and_html_escape_names(demo: Any) -> None:
    obs, result = demo
    uncertainty = rank_uncertainty(result, draws=10, observations=obs)
    assert repr(uncertainty).startswith("RankUncertaintyResult(hubei-demo-2024: 10 draws")
    assert "<table>" in uncertainty._repr_html_()
    assert uncertainty.to_polars() is uncertainty.ranks


def test_cli_robustness_and_audit_columns(tmp_path: Any, capsys: Any) -> None:
    from fzcompare import store
    from fzcompare.cli import main

    panel = demo_panel()
    path = tmp_path / "demo"
    store.write_observations(panel.observations.filter(pl.col("year") >= 2023), path,
                             sources=panel.sources)
    assert main(["benchmark", str(path), "-c", "hubei-demo-2024", "--year", "2024",
                 "--robustness", "30", "--format", "csv"]) == 0
    frame = pl.read_csv(capsys.readouterr().out.encode())
    for column in ("rank_p05", "rank_median", "rank_p95", "tied_group", "band",
                   "band_probability", "p_rank_improved"):
        assert column in frame.columns
    assert set(frame["year"]) == {2024}
    assert frame["p_rank_improved"].null_count() == 0
    assert main(["benchmark", str(path), "-c", "hubei-demo-2024", "--audit"]) == 0
    out, err = capsys.readouterr()
    assert "effective_weight" in out and "cronbach_alpha" in out and "AUDIT" in err


@pytest.mark.parametrize("rubric_id", ["hubei-demo-2024", "county-demo-2024", "bench"])
def test_cell_points_score_like_the_rubric(rubric_id: str) -> None:
    import sys
    from pathlib import Path

    from fzcompare.benchmark._score import _Params, score_values
    from fzcompare.benchmark._uncertainty import cell_points
    from fzcompare.criteria import load_criteria

    if rubric_id == "bench":
        sys.path.insert(0, str(Path("benchmarks").resolve()))
        from bench_benchmark import national_rubric

        rubric = national_rubric()
    else:
        rubric = load_criteria(rubric_id)
    crit = rubric.criteria
    rng = np.random.default_rng(4)
    t = crit["threshold"].fill_null(1.0).to_numpy()
    values = np.abs(t) * rng.uniform(0.0, 2.0, size=(400, crit.height))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[rng.random(values.shape) < 0.05] = 0.0
    expected = score_values(values, crit)
    earned, vetoed = cell_points(values, _Params.of(crit))
    assert np.array_equal(earned, expected["points_earned"], equal_nan=True)
    assert np.array_equal(vetoed, expected["vetoed"])


def test_the_summed_totals_equal_the_rubric_s_aggregation() -> None:
    from fzcompare.benchmark._score import Structure, score_values
    from fzcompare.benchmark._uncertainty import _Scorer, perturbed_cells
    from fzcompare.criteria import load_criteria

    panel_data = demo_panel()
    obs = panel_data.observations.filter(pl.col("year") == 2024)
    rubric = load_criteria("hubei-demo-2024")  # bonus items with caps, a veto item
    result = benchmark(obs, rubric, regions_table=panel_data.regions)
    panel = panel_of(result, obs)
    plan = plan_of(panel, rubric, noise=True, impute=True)
    cells = perturbed_cells(plan)
    nominal = score_values(panel.values, rubric.criteria)["points_earned"]
    structure = Structure.of(rubric)
    scorer = _Scorer.of(structure, nominal, cells)
    assert scorer.exact_sum
    rng = np.random.default_rng(9)
    draws = draw_values(rng, panel, plan, 7)
    earned = score_values(draws.reshape(-1, panel.values.shape[1]), rubric.criteria)[
        "points_earned"].reshape(7, -1)
    factors = weight_factors(rng, rubric, plan, 7, 0.3)
    fast = scorer.totals(earned[:, cells], factors)
    weighted = earned.reshape(7, *panel.values.shape) * factors[:, None, :]
    slow = structure.aggregate(weighted.reshape(-1, panel.values.shape[1]))["total"]
    assert np.allclose(fast, slow.reshape(7, -1), atol=1e-9)


def test_tabulated_poisson_draws_are_the_exact_inverse_cdf() -> None:
    from scipy.stats import poisson

    from fzcompare.benchmark._uncertainty import poisson_table

    means = np.arange(20, dtype=np.int64).repeat(50)
    u = np.random.default_rng(3).random((400, means.size))
    drawn = poisson_table().draw(np.random.default_rng(3), means, 400)
    # min{k: F(k) > u}: scipy's ppf is min{k: F(k) >= u}, equal unless u hits F exactly.
    assert np.array_equal(drawn, poisson.ppf(u, means))
    table = poisson_table()
    tails = table.several[(u * table.bins).astype(np.int64) + means * table.bins]
    assert tails.sum() > 10  # the binary-search path for the far tails ran and agreed


def test_tabulated_binomial_draws_are_the_exact_inverse_cdf() -> None:
    from scipy.stats import binom

    from fzcompare.benchmark._uncertainty import binomial_table

    trials = np.array([1, 7, 25, 25, 40, 787, 3, 12], dtype=np.int64)
    share = np.array([0.5, 0.0, 0.1, 0.96, 1.0, 0.02, 0.33, 0.5])
    table, rows = binomial_table(trials, share)
    u = np.random.default_rng(8).random((5000, trials.size))
    drawn = table.draw(np.random.default_rng(8), rows, 5000)
    assert np.array_equal(drawn, binom.ppf(u, trials, share))


def test_same_seed_same_ranks_whatever_the_threads(demo: Any, monkeypatch: Any) -> None:
    import fzcompare.benchmark._uncertainty as engine

    obs, result = demo
    monkeypatch.setattr(engine, "_CHUNK_CELLS", 5_000)  # many chunks of a few draws
    assert engine._Kernel.of(*_kernel_inputs(result, obs)).chunk_size() < 50
    two = rank_uncertainty(result, draws=300, seed=5, observations=obs)
    monkeypatch.setattr(engine, "_MAX_WORKERS", 1)
    one = rank_uncertainty(result, draws=300, seed=5, observations=obs)
    assert one.ranks.equals(two.ranks)
    assert one.bands.equals(two.bands)
    other = rank_uncertainty(result, draws=300, seed=6, observations=obs)
    assert not other.bands.equals(two.bands)


def _kernel_inputs(result: Any, obs: pl.DataFrame) -> tuple[Any, Any, Any]:
    panel = panel_of(result, obs)
    return panel, result.rubric, plan_of(panel, result.rubric, noise=True, impute=True)


def _choice_panel() -> tuple[pl.DataFrame, Any]:
    """Six regions whose rubric order (clipped linear points) differs from min-max order."""
    meetings = [10.0, 150.0, 300.0, 60.0, 120.0, 0.0]
    rates = [4.0, 30.0, 10.0, 20.0, 6.0, 8.0]
    rows: list[tuple[str, int, str, float]] = []
    for code, m, r in zip(REGIONS, meetings, rates, strict=True):
        rows += [(code, 2024, "exec_meetings_on_rule_of_law", m),
                 (code, 2024, "law_lectures_held", 60.0),
                 (code, 2024, "reconsideration_correction_rate", r)]
    obs = observations(rows)
    return obs, benchmark(obs, parse_criteria(rubric_raw()))


@pytest.mark.parametrize(("normalisation", "aggregation"),
                         [("minmax", "arithmetic"), ("rubric", "geometric"),
                          ("goalposts", "geometric"), ("zscore", "arithmetic")])
def test_a_draw_on_a_composite_choice_ranks_like_composite(normalisation: str,
                                                           aggregation: str) -> None:
    from fzcompare.benchmark import composite
    from fzcompare.benchmark._uncertainty import simulate

    obs, result = _choice_panel()
    rubric = result.rubric
    if normalisation == "goalposts":
        raw = rubric_raw()
        for area in raw["areas"]:
            for c in area["criteria"]:
                c["goalposts"] = [0, 400] if c["id"] != "A2.1" else [0, 40]
        rubric = parse_criteria(raw)
        result = benchmark(obs, rubric)
    panel = panel_of(result, obs)
    plan = plan_of(panel, rubric, noise=False, impute=False)
    combos = [("rubric", "arithmetic"), (normalisation, aggregation)]
    simulated = simulate(panel, rubric, plan, draws=60, seed=3, weight_spread=0.0,
                         combos=combos)
    assert 10 < (simulated.choice == 1).sum() < 50  # each draw picks one, uniformly
    expected = composite(obs, rubric, normalisation=normalisation,
                         aggregation=aggregation).scores
    order = panel.pairs.select("region_code").join(
        expected.select("region_code", "rank"), on="region_code", how="left",
        maintain_order="left")["rank"].to_numpy()
    observed = panel.pairs["rank"].to_numpy()
    for d in range(60):
        want = order if simulated.choice[d] == 1 else observed
        assert np.array_equal(simulated.ranks[:, d], want.astype(float))


def test_sensitivity_names_the_choice_that_moves_ranks() -> None:
    obs, result = _choice_panel()
    only_choice = rank_uncertainty(result, draws=300, seed=1, noise=False, impute=False,
                                   weight_spread=0.0, observations=obs,
                                   normalisations=("rubric", "minmax"))
    share = only_choice.sensitivity.row(0, named=True)
    assert share["factor"] == "normalisation"
    assert share["first_order_share"] == pytest.approx(1.0)  # nothing else varies
    assert only_choice.most_influential_choice() == "normalisation"
    choices = only_choice.choices
    assert choices["draws"].sum() == 300
    assert choices.filter(pl.col("combination") == "rubric+arithmetic")[
        "mean_abs_rank_shift"].item() == 0.0
    assert choices.filter(pl.col("combination") == "minmax+arithmetic")[
        "mean_abs_rank_shift"].item() > 0.2
    both = rank_uncertainty(result, draws=300, seed=1, weight_spread=0.0, noise=False,
                            impute=False, normalisations=("rubric",),
                            aggregations=("arithmetic", "geometric"))
    assert both.sensitivity["factor"].to_list() == ["aggregation"]
    nominal = rank_uncertainty(result, draws=50, observations=obs)
    assert nominal.sensitivity.height == 0
    assert nominal.most_influential_choice() is None
    assert nominal.settings.combinations == ("rubric+arithmetic",)


def test_first_order_share_by_hand() -> None:
    from fzcompare.benchmark._uncertainty import first_order_share

    ranks = np.array([[1.0, 3.0, 1.0, 3.0], [2.0, 2.0, 4.0, 4.0]])
    labels = np.array([0, 1, 0, 1])
    # row 1: all variance between labels (1 vs 3); row 2: none (means 3 and 3).
    assert first_order_share(ranks, labels) == pytest.approx(1.0 / 2.0)


def test_unknown_choice_is_refused_with_the_options(demo: Any) -> None:
    _obs, result = demo
    with pytest.raises(ValueError, match="unknown normalisation") as info:
        rank_uncertainty(result, draws=10, normalisations=("rubric", "minimax"))
    assert "minmax" in str(getattr(info.value, "hint", ""))


def test_an_imputed_figure_is_not_also_rescaled_away() -> None:
    # 420100 did not disclose its meetings; the others disclosed 0..200 (200: full marks).
    rows = [r for r in panel_rows([3.0, 0.0, 10.0, 20.0, 30.0, 200.0])
            if not (r[0] == "420100" and r[2] == "exec_meetings_on_rule_of_law")]
    obs = observations(rows)
    result = benchmark(obs, parse_criteria(rubric_raw()), min_evidence=0.5)
    assert result.totals.filter(pl.col("region_code") == "420100")["rank"].item() == 1
    ranks = rank_uncertainty(result, draws=400, seed=2, noise=False, weight_spread=0.0,
                             observations=obs).ranks
    row = ranks.filter(pl.col("region_code") == "420100").row(0, named=True)
    # Ranked on evidence it is first (100 % of what it disclosed); with its meetings drawn
    # from the peers it is first only when the draw is the peers' 200 (then tied first).
    assert row["rank_median"] > 1
    assert row["rank_p05"] == 1
