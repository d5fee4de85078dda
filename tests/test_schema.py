from __future__ import annotations

import polars as pl
import pytest

from fzcompare.errors import SchemaError
from fzcompare.schema import OBSERVATION_SCHEMA, check_observations

REGIONS = frozenset({"420300", "420322"})
CODES = frozenset({"reconsideration_applications"})


def _reason(frame: pl.DataFrame, **kwargs: object) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        check_observations(frame, path="obs.csv", **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_clean_frame_is_cast_to_the_contract(obs_frame: pl.DataFrame) -> None:
    checked = check_observations(obs_frame, region_codes=REGIONS, indicator_codes=CODES)
    assert checked.schema == pl.Schema(OBSERVATION_SCHEMA)
    assert checked.height == obs_frame.height


def test_missing_column_is_named(obs_frame: pl.DataFrame) -> None:
    error = _reason(obs_frame.drop("unit"))
    assert error.details["reason"] == "missing_column"
    assert error.details["column"] == "unit"
    assert "obs.csv" in str(error)


def test_non_numeric_value_names_row_and_column(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("value", ["400", "n/a", "31"]))
    error = _reason(frame)
    assert error.details["reason"] == "non_numeric"
    assert error.details["column"] == "value"
    assert error.details["rows"]["row"].to_list() == [1]
    assert "row 1" in str(error)


def test_wrong_type_for_text_column(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("region_code", [420300, 420300, 420322]))
    assert _reason(frame).details["reason"] == "wrong_type"


def test_unknown_region(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("region_code", ["420300", "420300", "429999"]))
    error = _reason(frame, region_codes=REGIONS)
    assert error.details["reason"] == "unknown_region"
    assert error.details["rows"]["region_code"].to_list() == ["429999"]


def test_malformed_region_code(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("region_code", ["42030", "420300", "420322"]))
    assert _reason(frame).details["reason"] == "bad_region_code"


def test_unknown_indicator_but_unmapped_family_allowed(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(
        pl.Series("indicator_code", ["typo_code", "unmapped_abc", "reconsideration_applications"]))
    error = _reason(frame, indicator_codes=CODES)
    assert error.details["reason"] == "unknown_indicator"
    assert error.details["rows"]["indicator_code"].to_list() == ["typo_code"]


def test_duplicate_keys(obs_frame: pl.DataFrame) -> None:
    frame = pl.concat([obs_frame, obs_frame.head(1).with_columns(pl.lit(1.0).alias("value"))])
    error = _reason(frame)
    assert error.details["reason"] == "duplicate_key"
    assert error.details["rows"].height == 2


def _keyed_frame(n_regions: int, *, order: list[str]) -> pl.DataFrame:
    regions = [f"42{i:04d}" for i in range(n_regions)]
    frame = pl.DataFrame({"region_code": regions}).join(
        pl.DataFrame({"year": pl.Series([2022, 2023], dtype=pl.Int32())}), how="cross").join(
        pl.DataFrame({"indicator_code": ["a_code", "b_code"]}), how="cross").with_columns(
        scope=pl.lit("whole"), value=pl.lit(1.0), unit=pl.lit("件"), qualifier=pl.lit("eq"),
        source_id=pl.lit("s"), quote=pl.lit("q"))
    return frame.sort(order)


@pytest.mark.parametrize("order", [["year", "region_code", "indicator_code", "scope"],
                                   ["region_code", "year", "indicator_code", "scope"],
                                   ["indicator_code", "year", "region_code", "scope"]])
@pytest.mark.parametrize("duplicate_at", [None, 0, 1500, 3999])
def test_duplicate_keys_found_in_any_row_order(order: list[str], duplicate_at: int | None) -> None:
    frame = _keyed_frame(1000, order=order)
    if duplicate_at is not None:
        # the copy sits right after the original, so a sorted frame stays sorted (not strictly)
        row = frame.slice(duplicate_at, 1).with_columns(pl.lit(2.0).alias("value"))
        frame = pl.concat([frame.head(duplicate_at + 1), row, frame.slice(duplicate_at + 1)])
    chunked = pl.concat([frame.slice(start, 700) for start in range(0, frame.height, 700)],
                        rechunk=False)
    assert chunked.n_chunks() > 1
    if duplicate_at is None:
        assert check_observations(chunked).height == frame.height
    else:
        error = _reason(chunked)
        assert error.details["reason"] == "duplicate_key"
        assert error.details["rows"]["row"].to_list() == [duplicate_at, duplicate_at + 1]


def test_bad_qualifier_and_nan(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("qualifier", ["eq", "about", "eq"]))
    assert _reason(frame).details["reason"] == "bad_qualifier"
    frame = obs_frame.with_columns(pl.Series("value", [1.0, float("nan"), 2.0]))
    assert _reason(frame).details["reason"] == "non_finite"


def test_null_in_key(obs_frame: pl.DataFrame) -> None:
    frame = obs_frame.with_columns(pl.Series("scope", ["全市", None, "全县"]))
    error = _reason(frame)
    assert error.details["reason"] == "null_value"
    assert error.details["column"] == "scope"
