"""fzcompare.coverage: disclosure states per cell, evidence share, common set, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import fzcompare
from fzcompare.cli import main
from fzcompare.coverage import common_set, disclosure_frame, evidence_share, report_years
from fzcompare.schema import DISCLOSURE_STATES, SOURCE_SCHEMA, check_observations
from fzcompare.synthetic import demo_panel


def _sources(*rows: tuple[str, str, str | None, int | None]) -> pl.DataFrame:
    return pl.DataFrame([{"source_id": sid, "title": "t", "publisher": "p", "published": None,
                          "url": "", "kind": kind, "region_code": region, "year": year,
                          "note": ""} for sid, kind, region, year in rows],
                        schema=SOURCE_SCHEMA)


def _obs(rows: list[tuple[str, int, str, float | None, str]]) -> pl.DataFrame:
    return check_observations(pl.DataFrame(
        [{"region_code": r, "year": y, "indicator_code": c, "scope": "全市", "value": v,
          "unit": "件", "qualifier": "eq", "source_id": "s1", "quote": "", "disclosure": d}
         for r, y, c, v, d in rows],
        schema_overrides={"value": pl.Float64(), "year": pl.Int32()}))


@pytest.fixture
def cells() -> pl.DataFrame:
    """420300 has reports for 2022 and 2023; 420500 has one for 2023 only (2022: a news item)."""
    sources = _sources(("s1", "report", "420300", 2022), ("s2", "report", "420300", 2023),
                       ("s3", "report", "420500", 2023), ("s4", "news", "420500", 2022),
                       ("s5", "news", None, None))
    obs = _obs([
        ("420300", 2022, "reconsideration_applications", 400.0, "reported"),
        ("420300", 2022, "admin_litigation_cases", 0.0, "reported"),
        ("420300", 2023, "reconsideration_applications", None, "withheld"),
        ("420300", 2023, "admin_litigation_cases", None, "no_number"),
        ("420500", 2022, "reconsideration_applications", 12.0, "reported"),
    ])
    return disclosure_frame(obs, sources)


def _state(cells: pl.DataFrame, region: str, year: int, code: str) -> str:
    return str(cells.filter(pl.col("region_code") == region, pl.col("year") == year,
                            pl.col("indicator_code") == code)["state"].item())


def test_every_cell_state(cells: pl.DataFrame) -> None:
    assert cells.height == 2 * 2 * 2
    assert _state(cells, "420300", 2022, "reconsideration_applications") == "reported"
    assert _state(cells, "420300", 2022, "admin_litigation_cases") == "zero"
    assert _state(cells, "420300", 2023, "reconsideration_applications") == "withheld"
    assert _state(cells, "420300", 2023, "admin_litigation_cases") == "no_number"
    assert _state(cells, "420500", 2023, "admin_litigation_cases") == "not_disclosed"
    # a news item is no report: the region-year has a figure, but no report
    assert _state(cells, "420500", 2022, "reconsideration_applications") == "reported"
    assert _state(cells, "420500", 2022, "admin_litigation_cases") == "no_report"
    assert set(cells["state"]) <= set(DISCLOSURE_STATES)


def test_report_years_read_the_sources_only() -> None:
    sources = _sources(("a", "report", "420300", 2022), ("b", "news", "420300", 2023),
                       ("c", "synthetic", "420500", 2023), ("d", "report", None, None))
    assert report_years(sources).rows() == [("420300", 2022), ("420500", 2023)]


def test_a_missing_row_without_a_report_is_not_not_disclosed() -> None:
    """The same observations with and without the report row give different states."""
    obs = _obs([("420300", 2022, "reconsideration_applications", 1.0, "reported"),
                ("420300", 2023, "reconsideration_applications", 2.0, "reported")])
    both = _sources(("s1", "report", "420300", 2022), ("s2", "report", "420300", 2023))
    codes = ["reconsideration_applications", "admin_litigation_cases"]
    with_reports = disclosure_frame(obs, both, indicators=codes)
    without = disclosure_frame(obs, _sources(("s1", "report", None, None)), indicators=codes)
    assert set(with_reports.filter(pl.col("indicator_code") == "admin_litigation_cases")
               ["state"]) == {"not_disclosed"}
    assert set(without.filter(pl.col("indicator_code") == "admin_litigation_cases")
               ["state"]) == {"no_report"}


def test_evidence_share_counts_points_of_criteria_with_a_figure() -> None:
    rubric = fzcompare.load_criteria("hubei-demo-2024")
    scored = rubric.criteria.filter(~pl.col("rule").is_in(["bonus", "veto"]))
    first, second = scored.row(0, named=True), scored.row(1, named=True)
    obs = _obs([("420300", 2023, first["indicator_code"], 5.0, "reported"),
                ("420300", 2023, second["indicator_code"], None, "no_number")])
    cells = disclosure_frame(obs, _sources(("s1", "report", "420300", 2023)),
                             indicators=rubric.criteria["indicator_code"].to_list())
    row = evidence_share(cells, rubric).row(0, named=True)
    assert row["points_possible"] == pytest.approx(scored["points"].sum())
    assert row["points_with_evidence"] == pytest.approx(first["points"])  # no_number: none
    assert row["evidence_share"] == pytest.approx(first["points"] / scored["points"].sum())


def test_evidence_share_is_null_where_the_rubric_does_not_apply() -> None:
    rubric = fzcompare.load_criteria("hubei-demo-2024")  # prefecture-level rubric
    obs = _obs([("420322", 2023, "reconsideration_applications", 5.0, "reported")])
    cells = disclosure_frame(obs, _sources(("s1", "report", "420322", 2023)),
                             indicators=rubric.criteria["indicator_code"].to_list())
    row = evidence_share(cells, rubric).row(0, named=True)
    assert row["points_possible"] == 0 and row["evidence_share"] is None


def test_common_set_threshold_is_settable(cells: pl.DataFrame) -> None:
    half = common_set(cells, share=0.5).filter(pl.col("year") == 2023)
    assert not half.filter(pl.col("in_common_set")).height  # nothing numeric in 2023
    all_2022 = common_set(cells, share=1.0).filter(pl.col("year") == 2022)
    assert all_2022.filter(pl.col("in_common_set"))["indicator_code"].to_list() == [
        "admin_litigation_cases", "reconsideration_applications"]
    with pytest.raises(fzcompare.FzcompareError, match="outside"):
        common_set(cells, share=0.0)


def test_sparse_panel_has_less_evidence_than_the_dense_one() -> None:
    dense, sparse = demo_panel(), demo_panel(disclosure="sparse")
    rubric = "hubei-demo-2024"
    full = fzcompare.coverage.coverage(dense.observations, dense.sources, rubric=rubric)
    thin = fzcompare.coverage.coverage(sparse.observations, sparse.sources, rubric=rubric)
    assert full.region_years["report"].all()
    assert not thin.region_years["report"].all()
    full_shares = full.region_years["evidence_share"].drop_nulls().to_list()
    thin_shares = thin.region_years["evidence_share"].drop_nulls().to_list()
    criterion_shares = thin.criteria["share_with_evidence"].drop_nulls().to_list()
    assert min(full_shares) >= 0.85  # the 2.5 % gaps
    assert sum(thin_shares) / len(thin_shares) < 0.6
    assert max(criterion_shares) > 0.5  # headline counts: often
    assert min(criterion_shares) < 0.3  # most rates: rarely
    assert "<table>" in thin._repr_html_()


def test_cli_coverage_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "datasets/real", "--criteria", "hubei-demo-2024", "--year",
                 "2023", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    shiyan = next(r for r in document["rows"] if r["region_code"] == "420300")
    assert shiyan["report"] is True and 0.4 < shiyan["evidence_share"] < 0.5
    out = tmp_path / "c.csv"
    assert main(["coverage", "datasets/demo", "-t", "common-set", "-f", "csv",
                 "-o", str(out)]) == 0
    assert pl.read_csv(out).columns[:3] == ["peer_group", "year", "indicator_code"]
    assert "SYNTHETIC" in capsys.readouterr().err
    assert main(["coverage", "datasets/real", "-t", "criteria"]) == 2
    assert main(["coverage", "datasets/real", "-t", "no-such-table"]) == 2


def test_coverage_heatmap_draws_every_state_and_carries_the_synthetic_mark() -> None:
    from fzcompare.charts import coverage_heatmap

    sparse = demo_panel(disclosure="sparse")
    cells = disclosure_frame(sparse.observations, sparse.sources)
    year = 2023
    shown = cells.filter(pl.col("year") == year, pl.col("region_code").str.ends_with("00"))
    fig = coverage_heatmap(shown, year=year)
    assert [t.get_text() for t in fig.subfigs[0].texts] == [f"{year} 年各地区公开情况",
                                                            "合成数据 / SYNTHETIC"]
    symbols = [t.get_text() for t in fig.axes[0].texts]
    expected = shown.filter(pl.col("indicator_code").is_in(
        shown.filter(pl.col("state").is_in(["reported", "no_number"]))["indicator_code"]
        .implode()))
    assert symbols.count("●") == expected.filter(pl.col("state") == "reported").height
    assert symbols.count("◐") == expected.filter(pl.col("state") == "no_number").height
    with pytest.raises(fzcompare.ChartError):
        coverage_heatmap(shown.with_columns(pl.lit("not_disclosed").alias("state")))
