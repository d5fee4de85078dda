"""Figures: numbers, 万/亿, percentages, qualifiers, units, Chinese numerals, non-figures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fzcompare.extract import find_numbers, normalize, parse_figure
from fzcompare.extract._numbers import chinese_numeral_value

# Phrasing of the Shiyan 2023 report as quoted in its gold table (real wording, short).
GOLD_QUOTES = [
    ("排查整治隐患问题1.76万条", 17600.0, "条", "eq"),
    ("达标率80%以上", 80.0, "%", "ge"),
    ("通办事项超过140项", 140.0, "项", "gt"),
    ("储备应急物资19.61万件/套", 196100.0, "件/套", "eq"),
    ("归集各类信用信息1.2亿条", 120000000.0, "条", "eq"),
    ("好评率达99.9%以上", 99.9, "%", "ge"),
    ("参演1.61万人次", 16100.0, "人次", "eq"),
    ("涉法征求意见回复106件次", 106.0, "件次", "eq"),
    ("行政机关负责人出庭提升至100%", 100.0, "%", "eq"),
    ("8.5万路视频监控", 85000.0, "路", "eq"),
]


@pytest.mark.parametrize(("phrase", "value", "unit", "qualifier"), GOLD_QUOTES)
def test_gold_quote_snippets(phrase: str, value: float, unit: str, qualifier: str) -> None:
    figure = parse_figure(normalize(phrase).text)
    assert figure is not None
    assert (figure.value, figure.unit, figure.qualifier) == (value, unit, qualifier)


def test_every_written_gold_figure_parses() -> None:
    """All gold rows read from a written number come out of their quote (when present)."""
    gold_path = Path("../shared/seed/shiyan-2023.gold.csv")
    if not gold_path.exists():
        gold_path = Path("datasets/raw/shiyan-2023.gold.csv")
    if not gold_path.exists():
        pytest.skip("the Shiyan gold table is not available here")
    gold = pl.read_csv(gold_path)
    wording = {"info_disclosure_on_time_rate", "major_decisions_in_catalog",
               "gov_regulations_enacted", "local_regulations_submitted"}
    missing = []
    for row in gold.filter(~pl.col("indicator_code").is_in(list(wording))).iter_rows(named=True):
        found = [(n.value, n.unit, n.qualifier) for n in find_numbers(normalize(row["quote"]).text)]
        if (float(row["value"]), row["unit"], row["qualifier"]) not in found:
            missing.append((row["quote"], found))
    assert missing == []


@pytest.mark.parametrize(("phrase", "expected"), [
    ("350余人", [(350.0, "人", "approx")]),
    ("2万余人次", [(20000.0, "人次", "approx")]),
    ("120多场次", [(120.0, "场次", "approx")]),
    ("近500人次", [(500.0, "人次", "approx")]),
    ("不少于30场", [(30.0, "场", "ge")]),
    ("不超过5个工作日", [(5.0, "工作日", "le")]),
    ("12,265条", [(12265.0, "条", "eq")]),
    ("投入资金500万元", [(500.0, "万元", "eq")]),
    ("1.2亿元", [(12000.0, "万元", "eq")]),
    ("召开常务会议三次", [(3.0, "次", "eq")]),
    ("举办两期培训班", [(2.0, "期", "eq")]),
    ("出台两部规章", [(2.0, "部", "eq")]),
    ("全省排名第3名", [(3.0, "位", "eq")]),
])
def test_figures(phrase: str, expected: list[tuple[float, str, str]]) -> None:
    assert [(n.value, n.unit, n.qualifier) for n in find_numbers(normalize(phrase).text)] == (
        expected)


@pytest.mark.parametrize("phrase", [
    "2023年", "2023年1月22日", "2023-2025年", "十四五规划", "八五普法", "第五届论坛",
    "推行三项制度", "落实四统一", "市县两级", "“1半0”", "“15333”热线", "〔2023〕5号",
    "《十堰市2023年工作要点》", "5G基站", "1+N", "3至5个", "一批", "进一步", "12345热线",
])
def test_not_figures(phrase: str) -> None:
    assert find_numbers(normalize(phrase).text) == []


def test_change_and_level_percentages() -> None:
    kinds = [n.kind for n in find_numbers("同比增长12.5%，网办率达99.5%，提高2个百分点")]
    assert kinds == ["change", "rate", "change"]


@pytest.mark.parametrize(("numeral", "value"), [
    ("三", 3), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105),
    ("三千", 3000), ("二〇二三", 2023), ("两万", 20000),
])
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_numeral_value(numeral) == value


def test_spans_cover_the_written_number() -> None:
    text = "全市排查整治隐患问题1.76万条，达标率80%以上"
    for figure in find_numbers(text):
        assert text[figure.start:figure.end].startswith(figure.written)
