"""Issue 19 part A: progress toward targets (Open SDG measure), statuses at their boundaries."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fzcompare import trends
from fzcompare.errors import InvalidArgumentError, SchemaError
from fzcompare.trends import Target
from fzcompare.trends._progress import LIMIT_BAND

UP = "gov_service_online_rate"  # higher is better, max 100
DOWN = "admin_litigation_loss_rate"  # lower is better


def _series(values: dict[int, float], *, indicator: str = UP, region: str = "420300"
            ) -> pl.DataFrame:
    return pl.DataFrame({"region_code": region, "indicator_code": indicator, "scope": "全市",
                         "year": list(values), "value": list(values.values())})


def _status(values: dict[int, float], target: Target, *, limit_band: float = LIMIT_BAND
            ) -> dict[str, object]:
    table = trends.progress(_series(values, indicator=target.indicator_code),
                            targets=[target], limit_band=limit_band).table
    row: dict[str, object] = table.row(0, named=True)
    return row


def _value_at_ratio(ratio: float, *, base: float = 60.0, target: float = 80.0,
                    t0: int = 2020, t1: int = 2023, year: int = 2025) -> float:
    required = (target / base) ** (1 / (year - t0)) - 1
    return float(base * (1 + ratio * required) ** (t1 - t0))


@pytest.mark.parametrize(("ratio", "status"), [
    (0.95 + 1e-9, "on_track"), (0.95 - 1e-9, "acceleration_needed"),
    (0.60 + 1e-9, "acceleration_needed"), (0.60 - 1e-9, "limited_progress"),
    (1e-9, "limited_progress"), (-1e-9, "deterioration"), (1.4, "on_track")])
def test_growth_ratio_thresholds(ratio: float, status: str) -> None:
    row = _status({2020: 60.0, 2023: _value_at_ratio(ratio)}, Target(UP, 80.0, 2025))
    assert row["ratio"] == pytest.approx(ratio, abs=1e-7)
    assert row["status"] == status and row["growth"] == "compound"
    assert row["rule"] == "growth_ratio"


def test_ratio_is_observed_over_required_compound_growth_by_hand() -> None:
    row = _status({2019: 50.0, 2021: 55.0, 2023: 58.0}, Target(UP, 75.0, 2027))
    observed = (58.0 / 50.0) ** (1 / 4) - 1
    required = (75.0 / 50.0) ** (1 / 8) - 1
    assert row["observed_growth"] == pytest.approx(observed)
    assert row["required_growth"] == pytest.approx(required)
    assert row["ratio"] == pytest.approx(observed / required)
    assert (row["base_year"], row["current_year"]) == (2019, 2023)


def test_lower_is_better_and_target_achieved() -> None:
    falling = _status({2020: 20.0, 2023: 16.0}, Target(DOWN, 10.0, 2025))
    ratio = (0.8 ** (1 / 3) - 1) / (0.5 ** (1 / 5) - 1)  # 0.554: both growths negative
    assert falling["ratio"] == pytest.approx(ratio) and falling["direction"] == "lower"
    assert falling["status"] == "limited_progress"
    faster = _status({2020: 20.0, 2023: 13.0}, Target(DOWN, 10.0, 2025))
    assert faster["status"] == "on_track"
    rising = _status({2020: 20.0, 2023: 22.0}, Target(DOWN, 10.0, 2025))
    assert rising["status"] == "deterioration"
    achieved = _status({2020: 20.0, 2023: 10.0}, Target(DOWN, 10.0, 2025))
    assert achieved["status"] == "target_achieved"


def test_base_already_beyond_target_then_falling_back_is_deterioration() -> None:
    row = _status({2020: 85.0, 2023: 79.0}, Target(UP, 80.0, 2025))
    assert row["status"] == "deterioration" and row["rule"] == "fell_below_target"


def test_natural_limit_sustained_is_on_track_not_stagnant() -> None:
    row = _status({2020: 99.9, 2023: 99.9}, Target(UP, 100.0, 2025))
    assert row["status"] == "on_track" and row["rule"] == "natural_limit"
    # the same flat series far from the limit is limited progress
    flat = _status({2020: 60.0, 2023: 60.0}, Target(UP, 80.0, 2025))
    assert flat["status"] == "limited_progress" and flat["ratio"] == 0.0
    # a fall of more than the band near the limit is not excused
    fell = _status({2020: 99.9, 2023: 99.3}, Target(UP, 100.0, 2025), limit_band=0.5)
    assert fell["status"] == "deterioration"
    # lower is better: 0.2 % sustained against a target of 0 is at the natural minimum
    low = _status({2020: 0.2, 2023: 0.2}, Target(DOWN, 0.0, 2025))
    assert low["status"] == "on_track" and low["rule"] == "natural_limit"
    # the band is a real boundary: 0.6 % sustained is not at the limit
    above = _status({2020: 0.6, 2023: 0.6}, Target(DOWN, 0.0, 2025))
    assert above["status"] == "limited_progress" and above["growth"] == "linear"


def test_linear_growth_when_the_base_is_zero() -> None:
    row = _status({2021: 0.0, 2023: 10.0}, Target(UP, 40.0, 2025))
    assert row["growth"] == "linear"
    assert row["ratio"] == pytest.approx((10.0 / 2) / (40.0 / 4))


def test_no_target_is_never_invented_and_short_series_say_so() -> None:
    obs = pl.concat([_series({2022: 70.0, 2023: 75.0}),
                     _series({2023: 70.0}, region="420500"),
                     _series({2020: 5.0, 2023: 4.0}, indicator=DOWN)])
    result = trends.progress(obs, targets=[Target(UP, 90.0, 2025)])
    status = {(r["region_code"], r["indicator_code"]): r["status"]
              for r in result.table.iter_rows(named=True)}
    assert status == {("420300", UP): "acceleration_needed",
                      ("420500", UP): "insufficient_data", ("420300", DOWN): "no_target"}
    no_target = result.table.filter(pl.col("status") == "no_target").row(0, named=True)
    assert no_target["target_value"] is None and no_target["ratio"] is None
    assert "Progress(3 series" in repr(result) and "<table>" in result._repr_html_()


def test_region_target_wins_over_the_general_one() -> None:
    obs = pl.concat([_series({2020: 60.0, 2023: 70.0}), _series({2020: 60.0, 2023: 70.0},
                                                               region="420500")])
    targets = [Target(UP, 100.0, 2025), Target(UP, 70.0, 2025, region_code="420500")]
    table = trends.progress(obs, targets=targets).table.sort("region_code")
    assert table["target_value"].to_list() == [100.0, 70.0]
    assert table["status"].to_list() == ["limited_progress", "target_achieved"]


def test_targets_from_yaml_and_csv(tmp_path: Path) -> None:
    yaml_file = tmp_path / "targets.yaml"
    yaml_file.write_text(f"targets:\n  - {{indicator_code: {UP}, value: 90, year: 2025, "
                         "base_year: 2020, source: 纲要}\n", encoding="utf-8")
    csv_file = tmp_path / "targets.csv"
    csv_file.write_text(f"indicator_code,value,year,base_year\n{UP},90,2025,2020\n",
                        encoding="utf-8")
    obs = _series({2020: 60.0, 2021: 62.0, 2023: 70.0})
    from_yaml = trends.progress(obs, targets=yaml_file).table
    from_csv = trends.progress(obs, targets=str(csv_file)).table
    assert from_yaml.drop("target_source").equals(from_csv.drop("target_source"))
    assert from_yaml["target_source"][0] == "纲要" and from_yaml["base_year"][0] == 2020


def test_bad_target_files_name_the_row_and_suggest(tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("indicator_code,value,year\ngov_service_online_rat,90,2025\n",
                   encoding="utf-8")
    with pytest.raises(SchemaError, match="row 2") as error:
        trends.load_targets(bad)
    assert error.value.hint == f"did you mean {UP!r}?"
    missing = tmp_path / "m.csv"
    missing.write_text(f"indicator_code,value\n{UP},90\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing year"):
        trends.load_targets(missing)
    empty = tmp_path / "e.yaml"
    empty.write_text("targets: []\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no targets"):
        trends.load_targets(empty)
    with pytest.raises(SchemaError, match="cannot read"):
        trends.load_targets(tmp_path / "absent.csv")
    with pytest.raises(InvalidArgumentError, match="base_year"):
        Target(UP, 90.0, 2025, base_year=2025)
