"""The sparse synthetic panel: rates from the real data, seeded, marked, dense figures kept."""

from __future__ import annotations

import polars as pl
import pytest

from fzcompare import store
from fzcompare._synthetic_sparse import REAL_DISCLOSURE_COUNTS, disclosure_rates
from fzcompare.catalog import load_catalog
from fzcompare.coverage import report_years
from fzcompare.errors import FzcompareError
from fzcompare.schema import KEY_COLUMNS, check_observations
from fzcompare.synthetic import demo_panel


def test_rates_are_counted_from_the_bundled_real_data() -> None:
    """REAL_DISCLOSURE_COUNTS equals a recount over datasets/real (main indicators)."""
    real = store.load("datasets/real")
    main = load_catalog().indicators.filter(pl.col("main"))["code"]
    counts = (real.filter(pl.col("indicator_code").is_in(main.implode()))
              .group_by("indicator_code").agg(pl.struct("region_code", "year").n_unique()))
    assert dict(counts.rows()) == REAL_DISCLOSURE_COUNTS


def test_headline_counts_are_disclosed_more_often_than_most_rates() -> None:
    sparse = demo_panel(disclosure="sparse").observations.filter(
        pl.col("disclosure") == "reported")
    per = dict(sparse.group_by("indicator_code").len().rows())
    rates = disclosure_rates(list(per))
    often = [c for c in per if rates[c] > 0.7]
    rare = [c for c in per if REAL_DISCLOSURE_COUNTS.get(c, 0) == 0]
    assert often and rare
    assert min(per[c] for c in often) > 2 * max(per[c] for c in rare)


def test_sparse_keeps_dense_values_and_the_synthetic_mark() -> None:
    dense, sparse = demo_panel(), demo_panel(disclosure="sparse")
    kept = sparse.observations.filter(pl.col("disclosure") == "reported")
    joined = kept.join(dense.observations, on=list(KEY_COLUMNS), how="left", suffix="_dense")
    assert joined["value_dense"].null_count() == 0
    assert (joined["value"] == joined["value_dense"]).all()
    assert check_observations(sparse.observations).height == sparse.observations.height
    source = sparse.sources.filter(pl.col("region_code").is_null()).row(0, named=True)
    assert "SYNTHETIC" in source["title"] and "SPARSE" in source["note"]
    assert set(sparse.sources["kind"]) == {"synthetic"}
    assert sparse.observations.height < dense.observations.height / 3


def test_region_years_without_a_report_have_no_rows_and_no_report_source() -> None:
    sparse = demo_panel(disclosure="sparse")
    reports = report_years(sparse.sources)
    all_region_years = demo_panel().observations.select("region_code", "year").unique()
    missing = all_region_years.join(reports, on=["region_code", "year"], how="anti")
    assert 0 < missing.height < all_region_years.height / 4
    leaked = sparse.observations.join(missing, on=["region_code", "year"], how="semi")
    assert leaked.height == 0


def test_full_and_short_reports_differ_between_governments() -> None:
    sparse = demo_panel(disclosure="sparse").observations
    per_region = sparse.group_by("region_code").len()["len"].to_list()
    assert max(per_region) > 2 * min(per_region)


def test_sparse_is_seeded_and_dense_is_the_committed_demo() -> None:
    again = demo_panel(disclosure="sparse")
    assert again.observations.equals(demo_panel(disclosure="sparse").observations)
    assert not demo_panel(seed=1, disclosure="sparse").observations.equals(again.observations)
    committed = store.load("datasets/demo")  # written before the disclosure column existed
    dense = demo_panel().observations
    assert committed.sort(KEY_COLUMNS).equals(dense.sort(KEY_COLUMNS))
    assert store.load_sources("datasets/demo").equals(demo_panel().sources)


def test_unknown_disclosure_mode_suggests_the_right_one() -> None:
    with pytest.raises(FzcompareError, match="did you mean 'sparse'"):
        demo_panel(disclosure="spares")
