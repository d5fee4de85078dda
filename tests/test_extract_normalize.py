"""Normalisation: pinyin, Traditional -> Simplified, full-width forms, whitespace, offsets."""

from __future__ import annotations

import pytest

from fzcompare.extract import find_mojibake, normalize


@pytest.mark.parametrize(("raw", "expected"), [
    ("十堰市人民政府關(guān)于2023年法治政府建設(shè)情況的報(bào)告",
     "十堰市人民政府关于2023年法治政府建设情况的报告"),
    ("關(guān) (guān)于", "关于"),
    ("１.７６萬條，達標率８０％以上", "1.76万条，达标率80%以上"),
    ("（一）深化改革", "(一)深化改革"),
    ("全市 2196 个\u3000服务窗口", "全市2196个服务窗口"),
    ("line one\r\n\r\n  line two", "line one\nline two"),
    ("a(guān)b", "a(guān)b"),
    ("5 G 基站", "5 G基站"),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


def test_chinese_sentence_marks_are_kept() -> None:
    assert normalize("受理95件，办结80件；纠错9件！").text == "受理95件，办结80件；纠错9件！"


def test_offsets_point_into_the_raw_text() -> None:
    raw = "  關(guān)于全市 １.７６萬條 隱患(yǐn)\r\n整治"
    doc = normalize(raw)
    start = doc.text.index("1.76万条")
    raw_start, raw_end = doc.raw_span(start, start + 6)
    assert raw[raw_start:raw_end] == "１.７６萬條"
    for position, char in enumerate(doc.text):
        source = raw[doc.offsets.to_raw(position)]
        assert normalize(source).text == char or char.isspace()


def test_normalising_twice_changes_nothing() -> None:
    raw = "關(guān) (guān)于 １２ 項\r\n\r\n（二）建設(shè)"
    once = normalize(raw).text
    assert normalize(once).text == once


@pytest.mark.parametrize(("raw", "garbled"), [
    ("現將有關情況報告如下：?,F(xiàn)將全市工作", ["?,F(xiàn)"]),
    ("推進?!笆咧腔鄢鞘袛?shù)字政府建设", ["?!笆咧腔鄢鞘袛?shù)"]),
    ("建成“智慧城市”平台，接入部门26家", []),
    ("访问 http://www.example.gov.cn/index.php?m=1 查看", []),
])
def test_mojibake_spans(raw: str, garbled: list[str]) -> None:
    doc = normalize(raw)
    spans = find_mojibake(doc)
    assert [s.text for s in spans] == garbled
    for span in spans:
        assert normalize(raw[span.raw_start:span.raw_end]).text == span.text


@pytest.mark.parametrize("raw", ["纠错\ud8009件", "\udfff", "\ud83d\ude00關於", "a\udc80\udc81b"])
def test_surrogates_become_replacement_marks(raw: str) -> None:
    doc = normalize(raw)
    assert "\ufffd" in doc.text
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in doc.text)
    doc.text.encode("utf-8")  # a surrogate has no UTF-8 form
    positions = [doc.offsets.to_raw(i) for i in range(len(doc.text))]
    assert all(0xD800 <= ord(raw[p]) <= 0xDFFF for p, c in zip(positions, doc.text, strict=True)
               if c == "\ufffd")


def test_extract_takes_a_lone_surrogate() -> None:
    from fzcompare.extract import extract

    result = extract("纠错\ud8009件，受理12件", region="420300", year=2023)
    assert "mojibake" in {w.code for w in result.warnings}
    assert 12.0 in result.observations["value"].to_list()
    result.observations.write_ipc(None)  # every string is valid UTF-8
