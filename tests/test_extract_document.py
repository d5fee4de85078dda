"""Reading report files, document metadata and section structure."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest

from fzcompare.errors import ExtractionError
from fzcompare.extract import decode_report, extract
from fzcompare.extract._document import find_sections

TITLE = "十堰市人民政府关于2023年法治政府建设情况的报告"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_decode_encodings(encoding: str) -> None:
    text = TITLE + "\n纠错9件。"
    decoded, used = decode_report(text.encode(encoding))
    assert decoded == text
    assert used == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030",
                    "utf-16": "utf-16"}[encoding]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"  \r\n ", "empty"),
    (b"%PDF-1.7 ...", "binary"),
    (b"\x00\x01\x02\x03 binary", "binary"),
    (bytes([0xE9, 0x80, 0x41, 0xFF, 0xFE, 0x81, 0x30]) * 10, "unknown_encoding"),
])
def test_decode_errors(data: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        decode_report(data, name="x.txt")
    assert caught.value.details["reason"] == reason
    assert "x.txt" in str(caught.value)


def test_metadata_from_title_and_closing_line() -> None:
    text = f"来源：市司法局\n{TITLE}\n正文。\n十堰市人民政府\n2024年1月22日"
    document = extract(text).document
    assert (document.region_code, document.year) == ("420300", 2023)
    assert document.published == dt.date(2024, 1, 22)
    assert document.publisher == "十堰市人民政府"
    assert document.title == TITLE
    assert document.source_id.startswith("doc-") and len(document.source_id) == 16


def test_county_title_wins_over_its_city() -> None:
    text = "郧西县人民政府关于二〇二三年度法治政府建设工作情况的报告\n十堰市人民政府：\n正文"
    document = extract(text).document
    assert (document.region_code, document.region_level, document.year) == (
        "420322", "county", 2023)


def test_overrides_and_their_warnings() -> None:
    result = extract(TITLE + "\n纠错9件。", region="420100", year=2022)
    assert (result.document.region_code, result.document.year) == ("420100", 2022)
    assert {w.code for w in result.warnings} >= {"region_override", "year_override"}
    by_name = extract("正文：纠错9件。", region="十堰市", year=2023)
    assert by_name.document.region_code == "420300"
    with pytest.raises(ExtractionError):
        extract("正文", region="不存在的地方")


def test_no_title_is_a_warning_not_an_error() -> None:
    result = extract("全市办理案件12件。")
    codes = {w.code for w in result.warnings}
    assert {"no_title", "no_region", "no_year"} <= codes
    assert result.observations.height == 1
    with pytest.raises(ExtractionError):
        result.data_model()


def test_sections_map_to_domains() -> None:
    text = "\n".join([
        "一、2023年法治政府建设主要举措和成效",
        "(一)依法全面履行政府职能。正文",
        "(二)健全突发事件应对体系。正文",
        "(三)健全行政权力制约和监督体系。正文",
        "二、存在的不足",
        "三、党政主要负责人履行推进法治建设第一责任人职责情况",
        "四、2024年工作安排",
    ])
    sections = find_sections(text)
    assert [(s.label, s.domain, s.kind) for s in sections] == [
        ("一、", None, "other"), ("一、(一)", 2, "domain"), ("一、(二)", 6, "domain"),
        ("一、(三)", 7, "domain"), ("二、", None, "plan"), ("三、", 1, "domain"),
        ("四、", None, "plan"),
    ]


def test_sections_in_one_line_scrapes() -> None:
    text = "前言。一、依法全面履行政府职能正文。二、深入推进严格规范公正文明执法正文。"
    assert [s.domain for s in find_sections(text)] == [2, 5]


def test_byte_input_and_bom() -> None:
    data = codecs.BOM_UTF8 + (TITLE + "\n纠错9件。").encode()
    result = extract(data)
    assert result.document.encoding == "utf-8-sig"
    assert result.observations["value"].to_list() == [9.0]
