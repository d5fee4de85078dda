"""Trends on comparable pairs only (issue 16): a side not disclosed is its own verdict."""

from __future__ import annotations

import polars as pl
import pytest

from fzcompare import trends
from fzcompare.synthetic import demo_panel

RATE = "admin_litigation_loss_rate"
COUNT = "reconsideration_applications"


def _obs(code: str, rows: list[tuple[int, float | None, str]], unit: str = "%") -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame({
        "region_code": ["420300"] * n, "indicator_code": [code] * n, "scope": ["全市"] * n,
        "year": [r[0] for r in rows], "value": [r[1] for r in rows], "unit": [unit] * n,
        "qualifier": ["eq"] * n, "source_id": ["s"] * n, "quote": [""] * n,
        "disclosure": [r[2] for r in rows]},
        schema_overrides={"year": pl.Int32, "value": pl.Float64})


def _reports(*years: int, region: str = "420300") -> pl.DataFrame:
    n = len(years)
    return pl.DataFrame({
        "source_id": [f"r{y}" for y in years], "title": ["t"] * n, "publisher": ["p"] * n,
        "published": [None] * n, "url": [""] * n, "kind": ["report"] * n,
        "region_code": [region] * n, "year": list(years), "note": [""] * n},
        schema_overrides={"published": pl.Date, "year": pl.Int32})


def _by_year(frame: pl.DataFrame) -> dict[int, dict[str, object]]:
    return {int(r["year"]): r for r in frame.iter_rows(named=True)}


def test_a_no_number_year_breaks_the_pair_instead_of_being_bridged() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2022, None, "no_number"),
                      (2023, 8.0, "reported"), (2024, 7.5, "reported")])
    rows = _by_year(trends.year_over_year(obs))
    assert rows[2022]["verdict"] == "not_disclosed" and rows[2022]["reason"] == "not_disclosed"
    assert rows[2023]["verdict"] == "not_disclosed"
    assert rows[2023]["reason"] == "previous_not_disclosed"
    assert rows[2023]["prev_year"] == 2022  # not bridged back to 2021
    assert rows[2023]["change_abs"] is None and rows[2023]["prev_value"] is None
    assert rows[2024]["verdict"] == "improved"  # a lower loss rate is better
    assert rows[2024]["change_pp"] == pytest.approx(-0.5)


def test_a_report_without_the_figure_is_not_disclosed_only_when_the_sources_say_so() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2023, 8.0, "reported")])
    bridged = _by_year(trends.year_over_year(obs))  # 2022 unknown: no row, no sources
    assert (bridged[2023]["prev_year"], bridged[2023]["verdict"]) == (2021, "worsened")
    with_report = _by_year(trends.year_over_year(obs, sources=_reports(2021, 2022, 2023)))
    assert with_report[2023]["verdict"] == "not_disclosed"
    assert (with_report[2023]["prev_year"], with_report[2023]["gap_years"]) == (2022, 1)
    assert with_report[2023]["change_pct"] is None
    no_report_2022 = _by_year(trends.year_over_year(obs, sources=_reports(2021, 2023)))
    assert no_report_2022[2023]["verdict"] == "worsened"  # no report in 2022: explicit gap
    assert no_report_2022[2023]["gap_years"] == 2


def test_a_first_figure_after_a_year_without_a_report_is_no_report() -> None:
    obs = pl.concat([_obs(RATE, [(2023, 8.0, "reported")]),
                     _obs(RATE, [(2022, 4.0, "reported")]).with_columns(
                         pl.lit("420500").alias("region_code"))])
    sources = pl.concat([_reports(2023), _reports(2022, region="420500")])
    rows = trends.year_over_year(obs, sources=sources).filter(pl.col("region_code") == "420300")
    row = rows.row(0, named=True)
    assert (row["verdict"], row["reason"], row["prev_year"]) == ("no_report",
                                                                 "previous_no_report", 2022)


def test_rates_change_in_points_and_counts_in_percent() -> None:
    rate = _by_year(trends.year_over_year(_obs(RATE, [(2022, 5.88, "reported"),
                                                      (2023, 12.5, "reported")])))
    assert rate[2023]["change_pp"] == pytest.approx(6.62)
    count = _by_year(trends.year_over_year(_obs(COUNT, [(2022, 200.0, "reported"),
                                                        (2023, 250.0, "reported")], "件")))
    assert count[2023]["change_pp"] is None
    assert count[2023]["change_pct"] == pytest.approx(25.0)


def test_a_withheld_figure_is_never_a_change_against_zero() -> None:
    obs = _obs(COUNT, [(2022, 200.0, "reported"), (2023, None, "withheld")], "件")
    row = _by_year(trends.year_over_year(obs, sources=_reports(2022, 2023)))[2023]
    assert row["verdict"] == "not_disclosed"
    assert [row[c] for c in ("change_abs", "change_pct", "change_pct_annual")] == [None] * 3
    assert row["value"] is None


def test_summarize_marks_the_same_pairs() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2022, None, "no_number"),
                      (2023, 8.0, "reported")])
    frame = trends.summarize(obs, sources=_reports(2021, 2022, 2023))
    assert frame.columns == list(trends.SUMMARY_COLUMNS)
    assert frame["verdict"].cast(pl.String).to_list() == ["not comparable", "not_disclosed",
                                                          "not_disclosed"]


def test_trend_says_how_many_disclosed_years_it_rests_on() -> None:
    obs = _obs(RATE, [(2019, 5.0, "reported"), (2020, 6.0, "reported"),
                      (2021, None, "no_number"), (2023, 8.0, "reported"),
                      (2024, 7.5, "reported")])
    row = trends.trend(obs, sources=_reports(2019, 2020, 2021, 2022, 2023, 2024)).row(
        0, named=True)
    assert (row["n_points"], row["n_not_disclosed"]) == (4, 2)  # 2021 no number, 2022 absent
    assert trends.trend(obs).row(0, named=True)["n_not_disclosed"] == 1  # without sources


def test_no_change_on_the_sparse_panel_bridges_a_report_year() -> None:
    """On the sparse demo: every computed change spans no year in which a report existed."""
    panel = demo_panel(disclosure="sparse")
    changes = trends.year_over_year(panel.observations, sources=panel.sources)
    reports = panel.sources.filter(pl.col("region_code").is_not_null()).select(
        "region_code", pl.col("year").alias("report_year"))
    computed = changes.filter(pl.col("change_abs").is_not_null())
    assert computed.height > 100
    bridged = computed.join(reports, on="region_code").filter(
        (pl.col("report_year") > pl.col("prev_year")) & (pl.col("report_year") < pl.col("year")))
    assert bridged.height == 0
    marked = changes.filter(pl.col("verdict") == "not_disclosed")
    assert marked.height > 0
    assert marked["change_abs"].null_count() == marked.height
    dense = trends.year_over_year(panel.observations)  # without sources gaps are bridged
    assert dense.filter(pl.col("change_abs").is_not_null()).height > computed.height


def test_sources_without_report_rows_change_nothing() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2023, 8.0, "reported")])
    panel_only = _reports(2021).with_columns(pl.lit(None, pl.String).alias("region_code"),
                                             pl.lit(None, pl.Int32).alias("year"))
    assert trends.year_over_year(obs, sources=panel_only).equals(trends.year_over_year(obs))


def test_analyze_marks_the_same_pairs_and_counts() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2023, 8.0, "reported")])
    result = trends.analyze(obs, sources=_reports(2021, 2022, 2023), significance=False)
    assert result.changes.filter(pl.col("year") == 2023)["verdict"].to_list() == [
        "not_disclosed"]
    assert result.summary.filter(pl.col("year") == 2023)["reason"].to_list() == [
        "previous_not_disclosed"]
    assert result.series["n_not_disclosed"].to_list() == [1]


def _significance_by_year(obs: pl.DataFrame,
                          sources: pl.DataFrame | None = None) -> dict[int, dict[str, object]]:
    return _by_year(trends.change_significance(obs, sources=sources))


def test_a_pair_with_an_undisclosed_side_gets_no_significance_test() -> None:
    obs = _obs(COUNT, [(2021, 20.0, "reported"), (2022, None, "no_number"),
                       (2023, 45.0, "reported"), (2024, 90.0, "reported")], "件")
    rows = _significance_by_year(obs)
    assert (rows[2022]["verdict"], rows[2022]["reason"]) == ("not_disclosed", "not_disclosed")
    assert (rows[2023]["verdict"], rows[2023]["reason"]) == ("not_disclosed",
                                                             "previous_not_disclosed")
    for year in (2022, 2023):  # 2021 -> 2023 would be a significant Poisson change
        assert rows[year]["test"] is None and rows[year]["p_value"] is None
        assert rows[year]["significant"] is None
    assert rows[2024]["test"] == "poisson_exact" and rows[2024]["significant"] is True


def test_significance_reads_the_report_years_from_sources() -> None:
    obs = _obs(COUNT, [(2021, 20.0, "reported"), (2023, 45.0, "reported")], "件")
    bridged = _significance_by_year(obs)[2023]
    assert bridged["test"] == "poisson_exact" and bridged["prev_year"] == 2021
    in_report = _significance_by_year(obs, _reports(2021, 2022, 2023))[2023]
    assert (in_report["verdict"], in_report["prev_year"]) == ("not_disclosed", 2022)
    assert in_report["test"] is None and in_report["p_value"] is None
    other = pl.concat([obs.filter(pl.col("year") == 2023),
                       obs.filter(pl.col("year") == 2021).with_columns(
                           pl.lit("420500").alias("region_code"))])
    gap = _significance_by_year(other.filter(pl.col("region_code") == "420300"),
                                pl.concat([_reports(2023), _reports(2022, region="420500")]))
    assert (gap[2023]["verdict"], gap[2023]["reason"]) == ("no_report", "previous_no_report")
    assert gap[2023]["p_value"] is None


def test_analyze_tests_only_the_disclosed_pairs() -> None:
    obs = _obs(COUNT, [(2021, 20.0, "reported"), (2023, 45.0, "reported")], "件")
    tested = trends.analyze(obs, sources=_reports(2021, 2022, 2023)).significance
    assert tested is not None
    row = _by_year(tested)[2023]
    assert (row["verdict"], row["test"], row["p_value"]) == ("not_disclosed", None, None)


def test_summarize_counts_the_undisclosed_years_like_trend() -> None:
    obs = _obs(RATE, [(2019, 5.0, "reported"), (2020, 6.0, "reported"),
                      (2021, None, "no_number"), (2023, 8.0, "reported"),
                      (2024, 7.5, "reported")])
    sources = _reports(2019, 2020, 2021, 2022, 2023, 2024)
    summary = trends.summarize(obs, sources=sources)
    columns = summary.columns
    assert columns[columns.index("n_points") + 1] == "n_not_disclosed"
    assert summary["n_not_disclosed"].to_list() == [2] * 5  # 2021 no number, 2022 absent
    assert trends.summarize(obs)["n_not_disclosed"].to_list() == [1] * 5  # without sources
    series = trends.trend(obs, sources=sources)
    joined = summary.join(series, on=["region_code", "indicator_code", "scope"], suffix="_s")
    assert (joined["n_not_disclosed"] == joined["n_not_disclosed_s"]).all()
    dense = _obs(RATE, [(2022, 5.0, "reported"), (2023, 6.0, "reported")])
    assert trends.summarize(dense)["n_not_disclosed"].to_list() == [0, 0]  # fast path


def test_analyze_summary_counts_the_undisclosed_years() -> None:
    obs = _obs(RATE, [(2021, 5.0, "reported"), (2023, 8.0, "reported")])
    summary = trends.analyze(obs, sources=_reports(2021, 2022, 2023)).summary
    assert summary["n_not_disclosed"].to_list() == [1, 1]
    assert summary.columns == list(trends.SUMMARY_COLUMNS)


def test_count_change_significance_passes_the_sources_on() -> None:
    obs = _obs(COUNT, [(2021, 20.0, "reported"), (2023, 45.0, "reported")], "件")
    bridged = _by_year(trends.count_change_significance(obs))[2023]
    assert bridged["test"] == "poisson_exact"
    row = _by_year(trends.count_change_significance(obs, sources=_reports(2021, 2022, 2023)))[2023]
    assert (row["verdict"], row["p_value"], row["test_method"]) == ("not_disclosed", None, None)
