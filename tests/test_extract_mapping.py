"""Mapping rules read from wording, and the indexes the fast mapping path is built on.

Every report sentence here is CONSTRUCTED for the test (invented places and items).
"""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from fzcompare import load_catalog
from fzcompare.catalog import Catalog
from fzcompare.extract import extract, find_numbers, normalize
from fzcompare.extract._mapping import (
    CompiledCatalog,
    compile_catalog,
    find_statements,
    score_context,
)
from fzcompare.extract._numbers import scan_numbers

HEAD = "某市人民政府关于2024年法治政府建设情况的报告\n一、推进行政决策科学化、民主化、法治化\n"


def _rows(sentence: str, catalog: Catalog | None = None) -> list[tuple[object, ...]]:
    result = extract(HEAD + sentence, region="420300", year=2024, catalog=catalog)
    return result.observations.select("indicator_code", "scope", "value", "unit",
                                      "qualifier").rows()


@pytest.mark.parametrize(("sentence", "value", "qualifier"), [
    ("《某市城区停车设施建设方案》《某市老旧小区改造实施方案》被列入市政府2024年重大行政决策事项目录。",
     2.0, "eq"),
    ("“城区停车设施建设”“老旧小区改造”已纳入市政府重大行政决策事项目录。", 2.0, "eq"),
    ("城区停车设施建设、老旧小区改造和农村供水保障等事项被列入市政府重大行政决策事项目录。",
     3.0, "ge"),
    ("城区停车设施建设、老旧小区改造等三个事项被列入市政府重大行政决策事项目录。", 3.0, "eq"),
])
def test_items_named_before_a_listing_phrase_are_counted(sentence: str, value: float,
                                                         qualifier: str) -> None:
    assert _rows(sentence) == [("major_decisions_in_catalog", "市本级", value, "项", qualifier)]


TWO_TITLES = "《某市城区停车设施建设方案》《某市老旧小区改造实施方案》"


def test_listing_quote_and_span_cover_items_and_phrase() -> None:
    sentence = f"全年，{TWO_TITLES}被列入市政府重大行政决策事项目录。"
    result = extract(HEAD + sentence, region="420300", year=2024)
    row = result.observations.row(0, named=True)
    assert row["quote"] == sentence[3:-1]
    assert normalize((HEAD + sentence)[row["span_start"]:row["span_end"]]).text == row["quote"]


@pytest.mark.parametrize("sentence", [
    "严格执行重大行政决策程序，将涉及群众切身利益的事项列入目录管理。",  # nothing named
    "将城区停车设施建设纳入市政府重大行政决策事项目录。",  # one item, not a list
    "城区停车设施建设、老旧小区改造被列入年度工作要点。",  # not a 目录
    # A standing list: items added to it are not its size (政务服务事项基本目录).
    "城区停车设施建设、老旧小区改造事项被纳入政务服务事项目录。",
])
def test_no_listing_count_without_a_named_list(sentence: str) -> None:
    assert _rows(sentence) == []


def test_a_written_count_stays_an_ordinary_figure() -> None:
    rows = _rows("全年共有5项事项被列入市政府重大行政决策事项目录。")
    assert rows == [("major_decisions_in_catalog", "市本级", 5.0, "项", "eq")]


def test_listing_needs_a_catalog_indicator_named_after_the_list() -> None:
    catalog = load_catalog()
    without = dataclasses.replace(catalog, indicators=catalog.indicators.filter(
        ~pl.col("code").is_in(["major_decisions_in_catalog"])))
    # Nothing to map the listed items to; the titles are not counted as documents either.
    assert _rows(f"{TWO_TITLES}被列入市政府重大行政决策事项目录。", catalog=without) == []


def test_titles_counted_as_listed_items_are_not_counted_twice() -> None:
    rows = _rows("出台《某市养犬管理办法》《某市物业管理办法》等政府规章，"
                 "《某市城区停车设施建设方案》被列入市政府重大行政决策事项目录。")
    assert ("gov_regulations_enacted", "市本级", 2.0, "件", "ge") in rows
    assert ("major_decisions_in_catalog", "市本级", 1.0, "项", "eq") in rows
    assert len(rows) == 2


def test_scan_numbers_and_find_numbers_agree() -> None:
    text = normalize("排查整治隐患问题1.76万条，召开三次会议，网办率达99.5%以上，投入1.2亿元").text
    assert [tuple(n) for n in scan_numbers(text)] == [
        dataclasses.astuple(n) for n in find_numbers(text)]


def _reference_statements(text: str, compiled: CompiledCatalog
                          ) -> list[tuple[int, int, str, int]]:
    """The plain version: one str.find loop per statement (what the index must reproduce)."""
    found: list[tuple[int, int, str, int]] = []
    for core, before, statement, indicator in compiled.statement_parts:
        position = text.find(core)
        while position >= 0:
            end = position + len(core)
            if before is None:
                found.append((position, end, statement, indicator))
            else:
                match = before.search(text, max(0, position - 30), position)
                if match is not None:
                    found.append((match.start(), end, statement, indicator))
            position = text.find(core, end)
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    kept: list[tuple[int, int, str, int]] = []
    for item in found:
        if kept and item[0] < kept[-1][1] and (item[0], item[1]) != kept[-1][:2]:
            continue
        kept.append(item)
    return kept


def test_statement_index_finds_what_repeated_find_finds() -> None:
    catalog = load_catalog()
    odd = ["均", "全部全部", "审查全部全部", "全部均", "应审尽审"]
    indicators = catalog.indicators.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(odd))
        .otherwise(pl.col("full_statements")).alias("full_statements"))
    compiled = compile_catalog(dataclasses.replace(catalog, indicators=indicators))
    texts = ["审查全部全部全部均已全部按时办结", "均均全部全部全部", "应审尽审，全部整改到位",
             "实现述法全覆盖，宪法宣誓基本实现全覆盖", "全部"]
    for text in texts:
        assert find_statements(text, compiled) == _reference_statements(text, compiled)


def test_unit_decides_which_indicators_a_name_can_reach() -> None:
    compiled = compile_catalog(load_catalog())
    rate = score_context(compiled, "行政复议纠错率", "", number_kind="rate", unit="%",
                         value=12.5, section_domain=8, sentence="行政复议纠错率12.5%")
    count = score_context(compiled, "行政复议纠错", "", number_kind="count", unit="件",
                          value=12.0, section_domain=8, sentence="行政复议纠错12件")
    assert all(compiled.units[c.indicator] == "%" for c in rate)
    assert all(compiled.units[c.indicator] != "%" for c in count)
    assert compiled.codes[rate[0].indicator] == "reconsideration_correction_rate"
    assert set(compiled.unit_views) >= {("rate", "%"), ("count", "件")}
