"""Tests of the seeded synthetic panels (fzcompare.synthetic) and datasets/generate_demo.py."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fzcompare.catalog import REGION_SCHEMA, load_catalog, load_regions
from fzcompare.errors import FzcompareError
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, SOURCE_SCHEMA, check_observations
from fzcompare.synthetic import (
    DEMO_SEED,
    DEMO_YEARS,
    GAP_SHARE,
    SyntheticPanel,
    demo_panel,
    national_panel,
)

ROOT = Path(__file__).resolve().parents[1]
SHIYAN = "420300"
SMALL_INDICATORS = min(100, load_catalog().indicators.height)


@pytest.fixture(scope="module")
def demo() -> SyntheticPanel:
    return demo_panel()


@pytest.fixture(scope="module")
def national() -> SyntheticPanel:
    return national_panel(n_regions=50, years=range(2018, 2024), n_indicators=SMALL_INDICATORS)


def _wide(observations: pl.DataFrame) -> pl.DataFrame:
    return observations.pivot("indicator_code", index=["region_code", "year", "scope"],
                              values="value")


def _check_relations(observations: pl.DataFrame) -> int:
    """Assert every catalog relation on every row where both sides exist; rows checked."""
    wide = _wide(observations)
    checked = 0
    for rel in load_catalog().relations.iter_rows(named=True):
        num, den, target = rel["numerator"], rel["denominator"], rel["target"]
        if rel["kind"] == "le":
            if num not in wide.columns or den not in wide.columns:
                continue
            rows = wide.filter(pl.col(num).is_not_null() & pl.col(den).is_not_null())
            bad = rows.filter(pl.col(num) > pl.col(den))
            assert bad.height == 0, f"{num} > {den}: {bad.head(3)}"
        else:
            if not {num, den, target} <= set(wide.columns):
                continue
            rows = wide.filter(pl.col(num).is_not_null() & pl.col(den).is_not_null()
                               & pl.col(target).is_not_null())
            bad = rows.filter(pl.col(target) != (100 * pl.col(num) / pl.col(den)).round(2))
            assert bad.height == 0, f"{target} != round(100*{num}/{den}, 2): {bad.head(3)}"
            tolerance = rel["tolerance"] if rel["tolerance"] is not None else 0.01
            worst = rows.select((pl.col(target) - 100 * pl.col(num) / pl.col(den)).abs().max())
            assert (worst.item() or 0.0) <= tolerance
        checked += rows.height
    return checked


def _with_catalog(observations: pl.DataFrame) -> pl.DataFrame:
    catalog = load_catalog().indicators.select("code", "kind", "min_value", "max_value")
    return observations.join(catalog, left_on="indicator_code", right_on="code", how="left")


def _check_values(observations: pl.DataFrame) -> None:
    joined = _with_catalog(observations)
    assert joined["kind"].null_count() == 0
    out_of_range = joined.filter(
        (pl.col("min_value").is_not_null() & (pl.col("value") < pl.col("min_value")))
        | (pl.col("max_value").is_not_null() & (pl.col("value") > pl.col("max_value"))))
    assert out_of_range.height == 0, out_of_range.head(5)
    whole = joined.filter(pl.col("kind").is_in(["count", "rank", "status"]))
    assert whole.filter(pl.col("value") != pl.col("value").floor()).height == 0
    assert whole.filter(pl.col("value") < 0).height == 0
    amounts = joined.filter(pl.col("kind") == "amount")
    assert amounts.filter(pl.col("value") < 0).height == 0
    rates = joined.filter(pl.col("kind") == "rate")
    assert rates.filter(pl.col("value") != pl.col("value").round(2)).height == 0


def _check_schema(panel: SyntheticPanel, region_codes: frozenset[str]) -> None:
    obs = panel.observations
    assert dict(obs.schema) == OBSERVATION_SCHEMA
    assert dict(panel.sources.schema) == SOURCE_SCHEMA
    assert dict(panel.regions.schema) == REGION_SCHEMA
    checked = check_observations(obs, region_codes=region_codes,
                                 indicator_codes=load_catalog().codes)
    assert checked.equals(obs)
    assert obs["qualifier"].unique().to_list() == ["eq"]
    assert obs["quote"].unique().to_list() == [""]


def _check_synthetic_source(panel: SyntheticPanel) -> None:
    assert set(panel.sources["kind"]) == {"synthetic"}
    panel_sources = panel.sources.filter(pl.col("region_code").is_null())
    assert panel_sources.height == 1
    source = panel_sources.row(0, named=True)
    assert source["kind"] == "synthetic"
    assert "SYNTHETIC" in source["title"] and "not real figures" in source["title"]
    assert "fzcompare.synthetic" in source["title"]
    kinds = panel.observations.join(panel.sources, on="source_id", how="left")["kind"]
    assert kinds.null_count() == 0
    assert kinds.unique().to_list() == ["synthetic"]
    reports = panel.sources.filter(pl.col("region_code").is_not_null())
    assert reports["title"].str.starts_with("SYNTHETIC").all()


def _cv(values: pl.Series) -> float:
    return float(values.std()) / float(values.mean())  # type: ignore[arg-type]


# --- demo panel --------------------------------------------------------------------------


def test_demo_schema_passes_the_checker(demo: SyntheticPanel) -> None:
    _check_schema(demo, frozenset(load_regions()["region_code"].to_list()))


def test_demo_covers_hubei_prefectures_and_shiyan_counties(demo: SyntheticPanel) -> None:
    obs = demo.observations
    regions = load_regions()
    prefectures = regions.filter((pl.col("level") == "prefecture")
                                 & (pl.col("parent_code") == "420000"))["region_code"]
    counties = regions.filter((pl.col("level") == "county")
                              & (pl.col("parent_code") == SHIYAN))["region_code"]
    assert prefectures.len() == 17 and counties.len() == 8
    scopes = dict(obs.select("region_code", "scope").unique().iter_rows())
    assert {c: scopes[c] for c in prefectures} == dict.fromkeys(prefectures, "全市")
    assert {c: scopes[c] for c in counties} == dict.fromkeys(counties, "全县")
    assert set(scopes) == set(prefectures) | set(counties)
    assert sorted(obs["year"].unique()) == list(DEMO_YEARS)
    main = load_catalog().indicators.filter(pl.col("main"))["code"]
    assert set(obs["indicator_code"].unique()) == set(main)
    assert set(demo.regions["region_code"]) >= set(scopes) | {"420000"}


def test_demo_relations_hold(demo: SyntheticPanel) -> None:
    assert _check_relations(demo.observations) > 0


def test_demo_values_in_range_and_whole(demo: SyntheticPanel) -> None:
    _check_values(demo.observations)


def test_demo_counts_are_smaller_for_counties(demo: SyntheticPanel) -> None:
    joined = _with_catalog(demo.observations).filter(pl.col("kind") == "count")
    medians = dict(joined.group_by("scope").agg(pl.col("value").median()).iter_rows())
    assert medians["全县"] < medians["全市"]


def test_demo_has_a_small_share_of_gaps(demo: SyntheticPanel) -> None:
    obs = demo.observations
    cells = (obs["region_code"].n_unique() * obs["year"].n_unique()
             * obs["indicator_code"].n_unique())
    missing = 1 - obs.height / cells
    assert 0.01 <= missing <= 0.05
    per_series = obs.group_by("region_code", "indicator_code").len()
    assert per_series.filter(pl.col("len") < len(DEMO_YEARS)).height > 0  # trends meet gaps


def test_demo_source_is_synthetic(demo: SyntheticPanel) -> None:
    _check_synthetic_source(demo)
    assert demo.sources["source_id"][0] == f"synthetic-demo-{DEMO_SEED}"
    reports = demo.sources.filter(pl.col("region_code").is_not_null()).select("region_code",
                                                                              "year")
    region_years = demo.observations.select("region_code", "year").unique()
    assert reports.sort(reports.columns).equals(region_years.sort(reports.columns))
    assert demo.observations["source_id"].unique().to_list() == [f"synthetic-demo-{DEMO_SEED}"]


def test_demo_is_deterministic_by_seed(demo: SyntheticPanel) -> None:
    again = demo_panel(seed=DEMO_SEED)
    assert again.observations.equals(demo.observations)
    assert again.regions.equals(demo.regions)
    assert again.sources.equals(demo.sources)
    other = demo_panel(seed=DEMO_SEED + 1)
    assert not other.observations.equals(demo.observations)
    assert other.sources["source_id"][0] == f"synthetic-demo-{DEMO_SEED + 1}"


def test_demo_shiyan_counties_converge(demo: SyntheticPanel) -> None:
    """Dispersion (CV across the 8 Shiyan counties) of main 'higher' rates falls 2019 -> 2024."""
    catalog = load_catalog()
    targets = set(catalog.relations["target"].drop_nulls())
    rates = catalog.indicators.filter(pl.col("main") & (pl.col("kind") == "rate")
                                      & (pl.col("direction") == "higher")
                                      & ~pl.col("code").is_in(list(targets)))["code"]
    assert rates.len() > 0
    counties = demo.observations.filter(pl.col("scope") == "全县")
    for code in rates:
        series = counties.filter(pl.col("indicator_code") == code)
        first = series.filter(pl.col("year") == DEMO_YEARS[0])["value"]
        last = series.filter(pl.col("year") == DEMO_YEARS[-1])["value"]
        assert first.len() >= 6 and last.len() >= 6
        assert _cv(last) < _cv(first), code


def test_panel_repr_and_html_say_synthetic(demo: SyntheticPanel) -> None:
    text = repr(demo)
    assert text.startswith("SyntheticPanel(") and "SYNTHETIC" in text
    assert f"rows={demo.observations.height:,}" in text
    page = demo._repr_html_()
    assert "not real figures" in page and "<table>" in page
    assert page.count("<tr>") == 1 + 8
    assert demo.to_polars() is demo.observations
    assert len(demo.to_pandas()) == demo.observations.height


def test_panel_html_escapes_data() -> None:
    row: dict[str, Any] = {"region_code": "<b>x</b>", "year": 2023, "indicator_code": "a&b",
                           "scope": "全市", "value": 1.0, "unit": "件", "qualifier": "eq",
                           "source_id": "s", "quote": "<script>"}
    panel = SyntheticPanel(observations=pl.DataFrame([row], schema=OBSERVATION_SCHEMA),
                           regions=pl.DataFrame(schema=REGION_SCHEMA),
                           sources=pl.DataFrame(schema=SOURCE_SCHEMA))
    page = panel._repr_html_()
    assert "<script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;" in page and "a&amp;b" in page


# --- national panel ----------------------------------------------------------------------


def test_national_row_count_and_unique_keys(national: SyntheticPanel) -> None:
    obs = national.observations
    n_years, cells_per_year = 6, 50 * SMALL_INDICATORS
    assert obs.height == n_years * (cells_per_year - round(GAP_SHARE * cells_per_year))
    assert obs.select(KEY_COLUMNS).is_duplicated().sum() == 0
    assert obs["region_code"].n_unique() == 50
    assert sorted(obs["year"].unique()) == list(range(2018, 2024))
    assert obs["scope"].unique().to_list() == ["全县"]


def test_national_indicators_are_main_first() -> None:
    catalog = load_catalog()
    main = catalog.indicators.filter(pl.col("main"))["code"].to_list()
    n = min(len(main) + 2, catalog.indicators.height)
    panel = national_panel(n_regions=5, years=[2024], n_indicators=n)
    codes = panel.observations["indicator_code"].unique(maintain_order=True).to_list()
    assert set(main) <= set(codes) and len(set(codes)) == n
    rest = catalog.indicators.filter(~pl.col("main"))["code"].to_list()
    assert set(codes) - set(main) == set(rest[: n - len(main)])


def test_national_regions_are_synthetic_and_complete(national: SyntheticPanel) -> None:
    regions = national.regions
    real = set(load_regions()["region_code"])
    assert not set(regions["region_code"]) & real
    assert regions["region_code"].str.contains(r"^9[1-9]\d{4}$").all()
    assert regions["name_en"].str.starts_with("Synthetic ").all()
    assert regions["name_zh"].str.starts_with("合成").all()
    counties = regions.filter(pl.col("level") == "county")
    assert set(counties["region_code"]) == set(national.observations["region_code"])
    assert counties["name_zh"].sort()[0] == "合成县00001"
    parents = set(regions["parent_code"])
    assert parents <= set(regions["region_code"]) | {"000000"}
    assert {"prefecture", "province"} <= set(regions["level"])
    _check_schema(national, frozenset(regions["region_code"]))


def test_national_relations_and_ranges_hold(national: SyntheticPanel) -> None:
    assert _check_relations(national.observations) > 0
    _check_values(national.observations)
    _check_synthetic_source(national)
    assert national.sources["source_id"].item() == "synthetic-national-0"


def test_national_is_deterministic_by_seed(national: SyntheticPanel) -> None:
    again = national_panel(n_regions=50, years=range(2018, 2024), n_indicators=SMALL_INDICATORS)
    assert again.observations.equals(national.observations)
    assert again.regions.equals(national.regions)
    other = national_panel(n_regions=50, years=range(2018, 2024),
                           n_indicators=SMALL_INDICATORS, seed=1)
    assert not other.observations.equals(national.observations)


def test_national_many_regions_get_valid_codes() -> None:
    panel = national_panel(n_regions=9000, years=[2024], n_indicators=1)
    regions = panel.regions
    assert regions["region_code"].is_unique().all()
    assert regions.filter(pl.col("level") == "county").height == 9000
    assert regions["region_code"].str.contains(r"^9[1-9](0[1-9]|[1-9]\d)(0[1-9]|[1-9]\d)$"
                                               ).sum() == 9000


@pytest.mark.parametrize(("options", "option"), [
    ({"n_regions": 0}, "n_regions"),
    ({"years": []}, "years"),
    ({"years": [2020, 2020]}, "years"),
    ({"n_indicators": 0}, "n_indicators"),
    ({"n_indicators": 10_000}, "n_indicators"),
])
def test_national_bad_options_raise(options: dict[str, Any], option: str) -> None:
    with pytest.raises(FzcompareError) as info:
        national_panel(**options)
    assert info.value.details["option"] == option
    assert info.value.hint


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_regions=st.integers(1, 40),
       years=st.lists(st.integers(2000, 2030), min_size=1, max_size=6, unique=True),
       n_indicators=st.integers(1, load_catalog().indicators.height))
def test_national_invariants_hold_for_any_seed(seed: int, n_regions: int, years: list[int],
                                               n_indicators: int) -> None:
    panel = national_panel(n_regions=n_regions, years=years, n_indicators=n_indicators,
                           seed=seed)
    _check_relations(panel.observations)
    _check_values(panel.observations)
    assert panel.observations.select(KEY_COLUMNS).is_duplicated().sum() == 0


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_demo_invariants_hold_for_any_seed(seed: int) -> None:
    panel = demo_panel(seed=seed)
    _check_relations(panel.observations)
    _check_values(panel.observations)


# --- writing datasets --------------------------------------------------------------------


def _generate_demo_module() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "datasets" / "generate_demo.py"))


def test_generate_demo_writes_a_loadable_dataset(tmp_path: Path) -> None:
    from fzcompare.store import load, load_sources

    module = _generate_demo_module()
    out = tmp_path / "demo"
    assert module["main"](["--out", str(out)]) == 0
    loaded = load(out)
    expected = demo_panel().observations
    assert loaded.sort(KEY_COLUMNS).equals(expected.sort(KEY_COLUMNS))
    assert load_sources(out).equals(demo_panel().sources)
    (out / "observations" / "year=2030").mkdir()  # a stale partition is gone after a rerun
    assert module["main"](["--out", str(out), "--seed", "3"]) == 0
    assert not (out / "observations" / "year=2030").exists()
    assert load(out)["source_id"].unique().to_list() == ["synthetic-demo-3"]
    assert load_sources(out)["source_id"][0] == "synthetic-demo-3"
    assert load_sources(out)["source_id"].str.starts_with("synthetic-demo-3").all()


def test_generate_demo_national_writes_regions(tmp_path: Path) -> None:
    from fzcompare.store import dataset_regions, load

    module = _generate_demo_module()
    out = tmp_path / "national"
    assert module["main"](["--national", str(out), "--n-regions", "12", "--seed", "5"]) == 0
    assert (out / "regions" / "_delta_log").is_dir()
    loaded = load(out)
    assert loaded["region_code"].n_unique() == 12
    assert set(loaded["region_code"]) <= set(dataset_regions(out)["region_code"])


def test_generate_demo_refuses_a_foreign_folder(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    module = _generate_demo_module()
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    assert module["main"](["--out", str(tmp_path)]) == 2
    assert "not part of a dataset" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
