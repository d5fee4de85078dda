"""The report's "Small numbers" section: rate intervals, funnel plots, progress to targets."""

from __future__ import annotations

import datetime as dt

import polars as pl
from statsmodels.stats.proportion import proportion_confint

from fzcompare.criteria import load_criteria
from fzcompare.report import build_report
from fzcompare.report._small_numbers_section import largest_peer_group, small_numbers_section
from fzcompare.store import dataset_regions, load, load_sources
from fzcompare.trends import Target

RATE = "reconsideration_correction_rate"


def _section(**kwargs: object):  # type: ignore[no-untyped-def]
    obs = load("datasets/demo")
    regions = dataset_regions("datasets/demo")
    prefectures = sorted(c for c in regions["region_code"].to_list()
                         if c.endswith("00") and c != "420000" and c.startswith("42"))
    names = {"420300": "<script>x</script>"}
    return obs, small_numbers_section(
        obs, year=2024, indicators=load_criteria("county-demo-2024").criteria[
            "indicator_code"].to_list(), peers=prefectures, names=names,
        **kwargs)  # type: ignore[arg-type]


def test_intervals_are_wilson_on_the_disclosed_counts_widest_first() -> None:
    _, section = _section()
    table = section.intervals
    assert table.height > 0
    assert table["width"].to_list() == sorted(table["width"].to_list(), reverse=True)
    row = table.row(0, named=True)
    low, high = proportion_confint(row["numerator"], row["denominator"], method="wilson")
    assert abs(row["value_ci_low"] - 100 * low) < 1e-9
    assert abs(row["value_ci_high"] - 100 * high) < 1e-9
    assert f"{row['numerator']:.0f} / {row['denominator']:.0f}" in section.html
    assert "&lt;script&gt;" in section.html and "<script>x" not in section.html


def test_funnel_findings_follow_the_funnel_table_and_no_target_is_invented() -> None:
    _, section = _section()
    assert section.funnel.height >= 3
    assert set(section.funnel["indicator_code"]) <= {RATE, "reconsideration_mediation_rate",
                                                     "admin_litigation_loss_rate",
                                                     "agency_head_court_appearance_rate"}
    group = section.funnel["group_rate"][0]
    assert f"group rate {group:.1f} %" in section.html
    assert "<img" not in section.html  # no figure without image_uri
    assert section.progress.height == 0
    assert "No targets were declared" in section.html


def test_declared_targets_give_a_status_per_series() -> None:
    _, section = _section(targets=[Target(RATE, 5.0, 2026, source="test")])
    assert section.progress.height > 0
    assert set(section.progress["status"]) <= {"on_track", "acceleration_needed",
                                               "limited_progress", "deterioration",
                                               "target_achieved", "insufficient_data"}
    assert "No targets were declared" not in section.html
    assert "5.0 by 2026" in section.markdown


def test_the_report_carries_the_section_and_its_table() -> None:
    obs = load("datasets/demo")
    report = build_report(obs, load_criteria("hubei-demo-2024"),
                          sources=load_sources("datasets/demo"),
                          regions_table=dataset_regions("datasets/demo"),
                          as_of=dt.date(2025, 1, 15),
                          charts=False, embed_font=False, robustness=0)
    assert 'id="small-numbers"' in report.html
    assert "rate_intervals" in report.tables
    assert "## Small numbers" in report.markdown


def test_largest_peer_group() -> None:
    totals = pl.DataFrame({"region_code": ["a", "b", "c", "d"], "year": [1, 1, 1, 2],
                           "peer_group": ["x", "y", "y", "x"]})
    assert largest_peer_group(totals, 1) == ["b", "c"]
    assert largest_peer_group(totals, 3) == []
