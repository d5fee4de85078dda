"""The bundled indicator catalog and regions table."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from fzcompare.catalog import (
    DIRECTIONS,
    INDICATOR_KINDS,
    REGION_LEVELS,
    _parse_catalog,
    load_catalog,
    load_regions,
)
from fzcompare.errors import CatalogError
from fzcompare.schema import UNMAPPED_PREFIX

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "datasets" / "raw" / "shiyan-2023.gold.csv"
PUBLISHED = ROOT / "datasets" / "raw" / "published-figures.csv"
SHIYAN_COUNTIES = {
    "420302": "茅箭区", "420303": "张湾区", "420304": "郧阳区", "420322": "郧西县",
    "420323": "竹山县", "420324": "竹溪县", "420325": "房县", "420381": "丹江口市",
}


def _gold_rows() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@pytest.fixture(scope="module")
def indicators() -> pl.DataFrame:
    return load_catalog().indicators


# ------------------------------------------------------------------------------ catalog


def test_catalog_loads_with_eight_domains(indicators: pl.DataFrame) -> None:
    catalog = load_catalog()
    assert catalog.domains["domain"].to_list() == list(range(1, 9))
    assert 100 <= indicators.height <= 200
    assert indicators["code"].is_unique().all()
    assert catalog.version


def test_main_indicators_cover_every_domain(indicators: pl.DataFrame) -> None:
    main = indicators.filter(pl.col("main"))
    assert 30 <= main.height <= 45
    assert sorted(main["domain"].unique().to_list()) == list(range(1, 9))
    missing_typical = main.filter(pl.col("typical_low").is_null()
                                  | pl.col("typical_high").is_null())
    assert missing_typical.height == 0, missing_typical["code"].to_list()


def test_every_gold_code_has_the_gold_domain_and_unit(indicators: pl.DataFrame) -> None:
    by_code = {row["code"]: row for row in indicators.iter_rows(named=True)}
    gold = _gold_rows()
    assert len({row["indicator_code"] for row in gold}) == 93
    for row in gold:
        entry = by_code.get(row["indicator_code"])
        assert entry is not None, row["indicator_code"]
        assert entry["domain"] == int(row["domain"]), row["indicator_code"]
        assert entry["unit"] == row["unit"], row["indicator_code"]


def test_gold_names_are_phrases_of_their_code(indicators: pl.DataFrame) -> None:
    phrases = {row["code"]: {_norm(p) for p in [row["name_zh"], *row["synonyms"]]}
               for row in indicators.iter_rows(named=True)}
    for row in _gold_rows():
        assert _norm(row["name_zh"]) in phrases[row["indicator_code"]], row["indicator_code"]


def test_gold_values_fall_in_the_typical_range(indicators: pl.DataFrame) -> None:
    by_code = {row["code"]: row for row in indicators.iter_rows(named=True)}
    for row in _gold_rows():
        entry = by_code[row["indicator_code"]]
        if entry["typical_low"] is not None:
            assert entry["typical_low"] <= float(row["value"]) <= entry["typical_high"], row


def test_every_indicator_is_well_formed(indicators: pl.DataFrame) -> None:
    for row in indicators.iter_rows(named=True):
        code = row["code"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*[a-z0-9]", code), code
        assert not code.startswith(UNMAPPED_PREFIX), code
        assert row["name_zh"].strip() and row["name_en"].strip(), code
        assert 1 <= row["domain"] <= 8, code
        assert row["kind"] in INDICATOR_KINDS and row["direction"] in DIRECTIONS, code
        assert row["synonyms"], f"{code} has no synonyms"
        if row["kind"] == "rate":
            assert row["unit"] == "%", code
            assert (row["min_value"], row["max_value"]) == (0.0, 100.0), code
        else:
            assert row["unit"] != "%", code
        if row["kind"] == "rank":
            assert (row["unit"], row["direction"], row["min_value"]) == ("位", "lower", 1.0), code
        if row["full_statements"]:
            assert row["kind"] == "rate", f"{code}: full statements only make sense for rates"
        if row["typical_low"] is not None:
            assert row["typical_low"] <= row["typical_high"], code
            assert row["min_value"] is None or row["typical_low"] >= row["min_value"], code
            assert row["max_value"] is None or row["typical_high"] <= row["max_value"], code


def test_each_phrase_belongs_to_one_code(indicators: pl.DataFrame) -> None:
    owners: dict[str, set[str]] = {}
    for row in indicators.iter_rows(named=True):
        for phrase in [row["name_zh"], *row["synonyms"]]:
            owners.setdefault(_norm(phrase), set()).add(row["code"])
    shared = {phrase: codes for phrase, codes in owners.items() if len(codes) > 1}
    assert not shared


def test_published_phrases_of_recurring_indicators_are_in_the_catalog(
    indicators: pl.DataFrame,
) -> None:
    phrases = {_norm(p) for row in indicators.iter_rows(named=True)
               for p in [row["name_zh"], *row["synonyms"]]}
    for written in ["任前考法参考率", "宪法宣誓覆盖率", "受理率", "跨省通办事项",
                    "政务服务可网办率", "全省法治建设绩效考核排名", "督察问题整改完成率",
                    "会前学法",
                    "提请审议地方性法规草案", "新收行政复议申请", "依申请准时答复率"]:
        assert written in phrases, written


def test_relations_reference_catalog_codes_of_fitting_kinds(indicators: pl.DataFrame) -> None:
    catalog = load_catalog()
    by_code = {row["code"]: row for row in indicators.iter_rows(named=True)}
    relations = catalog.relations
    assert relations.height >= 20
    for rel in relations.iter_rows(named=True):
        numerator, denominator = by_code[rel["numerator"]], by_code[rel["denominator"]]
        assert numerator["kind"] == denominator["kind"] == "count", rel
        assert numerator["unit"] == denominator["unit"], rel
        if rel["kind"] == "ratio":
            assert by_code[rel["target"]]["kind"] == "rate", rel
            assert rel["tolerance"] is not None and 0 < rel["tolerance"] <= 1, rel
        else:
            assert rel["target"] is None, rel
    pairs = set(zip(relations["numerator"], relations["denominator"], strict=True))
    assert ("reconsideration_accepted", "reconsideration_applications") in pairs
    assert ("reconsideration_concluded", "reconsideration_accepted") in pairs
    assert ("reconsideration_corrected", "reconsideration_concluded") in pairs
    assert ("court_judgment_compliance_fixed", "court_judgment_compliance_issues") in pairs
    assert ("traffic_enforcement_leads_closed", "traffic_enforcement_leads_received") in pairs
    ratio_targets = set(relations.filter(pl.col("kind") == "ratio")["target"])
    assert {"reconsideration_correction_rate", "reconsideration_acceptance_rate",
            "info_disclosure_on_time_rate"} <= ratio_targets


def test_gold_reconsideration_figures_satisfy_the_relations() -> None:
    catalog = load_catalog()
    city = {row["indicator_code"]: float(row["value"]) for row in _gold_rows()
            if row["scope"] == "市本级"}
    for rel in catalog.relations.iter_rows(named=True):
        if rel["numerator"] in city and rel["denominator"] in city:
            assert city[rel["numerator"]] <= city[rel["denominator"]], rel
            if rel["kind"] == "ratio" and rel["target"] in city:
                computed = 100 * city[rel["numerator"]] / city[rel["denominator"]]
                assert abs(computed - city[rel["target"]]) <= rel["tolerance"], rel


# ------------------------------------------------------------------------------ malformed YAML

_GOOD: dict[str, Any] = {"code": "x_count", "name_zh": "某项", "name_en": "Something",
                         "domain": 1, "unit": "件", "kind": "count", "direction": "neutral"}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"indicators": [{k: v for k, v in _GOOD.items() if k != "unit"}]}, "'unit'"),
        ({"indicators": [{**_GOOD, "kind": "ratio"}]}, "kind 'ratio'"),
        ({"indicators": [{**_GOOD, "direction": "up"}]}, "direction 'up'"),
        ({"indicators": [{**_GOOD, "domain": 9}]}, "domain"),
        ({"indicators": [{**_GOOD, "domain": "two"}]}, "domain"),
        ({"indicators": [{**_GOOD, "typical": [5]}]}, "typical"),
        ({"indicators": [{**_GOOD, "typical": [9, 1]}]}, "typical"),
        ({"indicators": [{**_GOOD, "synonyms": "收到"}]}, "synonyms"),
        ({"indicators": [{**_GOOD, "synonym": ["收到"]}]}, "unknown key 'synonym'"),
        ({"indicators": [{**_GOOD, "main": "yes"}]}, "main"),
        ({"indicators": [_GOOD, _GOOD]}, "duplicate code"),
        ({"indicators": ["x_count"]}, "expected a mapping"),
        ({"indicators": {"x_count": _GOOD}}, "'indicators' list"),
        ({"indicators": [_GOOD], "relations": [{"kind": "le", "numerator": "x_count"}]},
         "'denominator'"),
        ({"indicators": [_GOOD], "relations": [{"kind": "le", "numerator": "x_count",
                                                "denominator": "nope"}]}, "'nope'"),
        ({"indicators": [_GOOD], "relations": [{"kind": "ratio", "target": "x_count",
                                                "numerator": "x_count",
                                                "denominator": "x_count"}]}, "'tolerance'"),
        ({"indicators": [_GOOD], "relations": [{"kind": "ge", "numerator": "x_count",
                                                "denominator": "x_count"}]}, "kind 'ge'"),
    ],
)
def test_malformed_catalog_names_the_key(raw: dict[str, Any], named: str) -> None:
    with pytest.raises(CatalogError) as info:
        _parse_catalog(raw, source="bad.yaml")
    assert named in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_malformed_yaml_text_names_the_indicator() -> None:
    text = """
indicators:
  - code: ok_count
    name_zh: 甲
    name_en: A
    domain: 2
    unit: 件
    kind: count
    direction: neutral
  - code: broken_rate
    name_zh: 乙
    name_en: B
    domain: 2
    unit: "%"
    kind: rate
    direction: higher
    typical: [90, 120]
"""
    with pytest.raises(CatalogError, match=r"indicators\[1\] \(broken_rate\): typical"):
        _parse_catalog(yaml.safe_load(text))


def test_a_minimal_catalog_parses_with_defaults() -> None:
    catalog = _parse_catalog({"indicators": [{**_GOOD, "kind": "rate", "unit": "%"}]})
    row = catalog.indicators.row(0, named=True)
    assert (row["min_value"], row["max_value"], row["main"]) == (0.0, 100.0, False)
    assert row["synonyms"] == [] and catalog.relations.height == 0


# ------------------------------------------------------------------------------ regions


@pytest.fixture(scope="module")
def regions() -> pl.DataFrame:
    return load_regions()


def test_region_codes_are_six_digit_and_unique(regions: pl.DataFrame) -> None:
    assert regions["region_code"].str.contains(r"^\d{6}$").all()
    assert regions["region_code"].is_unique().all()
    assert set(regions["level"]) <= REGION_LEVELS
    # names repeat across the country (鼓楼区 x4) but never under one parent
    assert not regions.select("parent_code", "name_zh").is_duplicated().any()
    hubei = regions.filter(pl.col("region_code").str.starts_with("42"))
    assert hubei["name_zh"].is_unique().all() and hubei["name_en"].is_unique().all()


def test_every_parent_exists_one_level_up(regions: pl.DataFrame) -> None:
    level = dict(zip(regions["region_code"], regions["level"], strict=True))
    above = {"province": {"country"}, "prefecture": {"province"},
             # a municipality's districts and counties sit directly under it
             "county": {"prefecture", "province"}}
    for row in regions.iter_rows(named=True):
        if row["level"] == "country":
            assert row["parent_code"] is None
            continue
        assert level.get(row["parent_code"]) in above[row["level"]], row
        if row["level"] == "county" and level[row["parent_code"]] == "province":
            assert row["parent_code"] in {"110000", "120000", "310000", "500000"}, row


def test_hubei_has_17_prefecture_level_divisions(regions: pl.DataFrame) -> None:
    prefectures = regions.filter(pl.col("level") == "prefecture",
                                 pl.col("parent_code") == "420000")
    assert prefectures.height == 17
    assert {"420300", "422800", "429004", "429005", "429006", "429021"} <= set(
        prefectures["region_code"])


def test_county_codes_sit_under_their_prefecture(regions: pl.DataFrame) -> None:
    counties = regions.filter(pl.col("level") == "county")
    assert counties.filter(pl.col("region_code").str.starts_with("42")).height == 99
    under_prefecture = counties.filter(~pl.col("parent_code").str.ends_with("0000"))
    assert (under_prefecture["region_code"].str.slice(0, 4)
            == under_prefecture["parent_code"].str.slice(0, 4)).all()
    under_municipality = counties.filter(pl.col("parent_code").str.ends_with("0000"))
    assert (under_municipality["region_code"].str.slice(0, 2)
            == under_municipality["parent_code"].str.slice(0, 2)).all()


def test_shiyan_has_its_eight_counties(regions: pl.DataFrame) -> None:
    shiyan = regions.filter(pl.col("parent_code") == "420300")
    assert dict(zip(shiyan["region_code"], shiyan["name_zh"], strict=True)) == SHIYAN_COUNTIES


def test_every_published_place_is_a_region(regions: pl.DataFrame) -> None:
    names = set(regions["name_zh"]) | {"恩施州", "湖北省司法厅"}
    with PUBLISHED.open(encoding="utf-8", newline="") as handle:
        places = {row["place"] for row in csv.DictReader(handle)}
    assert places <= names
