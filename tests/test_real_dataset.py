"""The bundled real dataset datasets/real/ and its build script."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from fzcompare.catalog import load_catalog
from fzcompare.schema import KEY_COLUMNS, SOURCE_KINDS, UNMAPPED_PREFIX
from fzcompare.store import load, load_sources

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "datasets" / "real"
RAW = ROOT / "datasets" / "raw"
GOLD_SOURCE = "shiyan-2023-report"
HELD_BACK_REASONS = {"uncertain_year", "key_collides_with_gold", "key_collision"}


def _raw(name: str) -> list[dict[str, str]]:
    with (RAW / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_real", ROOT / "datasets" / "build_real.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_real", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    return load(REAL, check=True)


@pytest.fixture(scope="module")
def held_back() -> pl.DataFrame:
    return pl.read_csv(REAL / "held_back.csv", infer_schema=False)


def test_real_dataset_loads_with_checks(observations: pl.DataFrame) -> None:
    assert observations.height > 150
    assert observations.filter(pl.struct(KEY_COLUMNS).is_duplicated()).height == 0
    assert set(observations["year"].unique()) <= set(range(2015, 2026))


def test_shiyan_gold_rows_equal_the_gold_table(observations: pl.DataFrame) -> None:
    gold = pl.read_csv(RAW / "shiyan-2023.gold.csv", schema_overrides={"value": pl.Float64})
    written = observations.filter(pl.col("source_id") == GOLD_SOURCE)
    assert written.height == gold.height == 94
    assert set(written["region_code"]) == {"420300"} and set(written["year"]) == {2023}
    joined = gold.join(written, left_on=["indicator_code", "scope"],
                       right_on=["indicator_code", "scope"], how="full", suffix="_real")
    assert joined.height == 94
    for column in ("value", "unit", "qualifier", "quote"):
        assert (joined[column] == joined[f"{column}_real"]).all(), column


def test_every_row_names_a_known_non_synthetic_source(observations: pl.DataFrame) -> None:
    sources = load_sources(REAL)
    assert sources["source_id"].is_unique().all()
    assert set(observations["source_id"]) <= set(sources["source_id"])
    assert set(sources["kind"]) <= SOURCE_KINDS - {"synthetic"}
    assert sources.filter(pl.col("title").is_null() | pl.col("publisher").is_null()).height == 0
    gold = sources.filter(pl.col("source_id") == GOLD_SOURCE).row(0, named=True)
    assert gold["title"] == "十堰市人民政府关于2023年法治政府建设情况的报告"
    assert gold["kind"] == "report"
    published_urls = {row["source_url"] for row in _raw("published-figures.csv")}
    assert published_urls == set(sources.filter(pl.col("source_id") != GOLD_SOURCE)["url"])


def test_no_row_is_lost(observations: pl.DataFrame, held_back: pl.DataFrame) -> None:
    rows_in = len(_raw("shiyan-2023.gold.csv")) + len(_raw("published-figures.csv"))
    assert observations.height + held_back.height == rows_in
    assert set(held_back["reason"]) <= HELD_BACK_REASONS
    uncertain = held_back.filter(pl.col("reason") == "uncertain_year")
    assert not uncertain["year_as_written"].str.contains(r"^\d{4}$").any()


def test_published_values_multiply_out_ten_thousands(observations: pl.DataFrame) -> None:
    national = observations.filter((pl.col("region_code") == "000000")
                                   & (pl.col("indicator_code") == "reconsideration_applications"))
    assert national.row(0, named=True)["value"] == 315_000.0
    assert national.row(0, named=True)["unit"] == "件"
    assert not observations["unit"].str.starts_with("万").any()


def test_mapping_coverage(observations: pl.DataFrame, held_back: pl.DataFrame) -> None:
    published = observations.filter(pl.col("source_id") != GOLD_SOURCE)
    unmapped = published.filter(pl.col("indicator_code").str.starts_with(UNMAPPED_PREFIX))
    assert unmapped["indicator_code"].str.contains(r"^unmapped_[0-9a-f]{8}$").all()
    mapped_codes = set(published["indicator_code"]) - set(unmapped["indicator_code"])
    assert mapped_codes <= load_catalog().codes
    coverage = 1 - unmapped.height / published.height
    print(f"\nreal dataset: {published.height} published rows written, "
          f"{published.height - unmapped.height} mapped ({coverage:.0%}), "
          f"{unmapped.height} unmapped_, {held_back.height} held back")
    assert coverage >= 0.75


def test_le_relations_hold_in_the_real_data(observations: pl.DataFrame) -> None:
    relations = load_catalog().relations.filter(pl.col("kind") == "le")
    keys = ["region_code", "year", "scope"]
    checked = 0
    for rel in relations.iter_rows(named=True):
        pairs = (observations.filter(pl.col("indicator_code") == rel["numerator"])
                 .join(observations.filter(pl.col("indicator_code") == rel["denominator"]),
                       on=keys, suffix="_den"))
        checked += pairs.height
        assert (pairs["value"] <= pairs["value_den"]).all(), rel
    assert checked >= 6


def test_committed_dataset_matches_a_fresh_build(tmp_path: Path) -> None:
    counts = _build_module().build(out=tmp_path / "real")
    fresh = load(tmp_path / "real")  # the same rows (Delta files carry new ids and times)
    assert fresh.sort(KEY_COLUMNS).equals(load(REAL).sort(KEY_COLUMNS))
    assert load_sources(tmp_path / "real").equals(load_sources(REAL))
    assert (tmp_path / "real" / "held_back.csv").read_bytes() == (
        REAL / "held_back.csv").read_bytes()
    assert counts["rows_written"] == fresh.height
    assert counts["rows_written"] + counts["held_back"] == counts["rows_in"]
