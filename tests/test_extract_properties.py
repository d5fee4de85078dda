"""Property tests: extraction never crashes, spans hold their numbers, normalising is stable."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fzcompare.extract import extract, normalize

GENRE = st.sampled_from([
    "關(guān)于", "建設(shè)", "全市", "市本级", "其中", "受理", "办结", "纠错率", "１.７６萬條",
    "达标率80%以上", "超过140项", "召开三次", "三项制度", "2023年", "（一）", "一、", "\n",
    "，", "。", " ", "\u3000", "?,F(xiàn)", "“15333”", "《办法》", "余", "万", "亿", "%",
    "1", "2", "9", ".", ",", ";", "  ", "全部按时办结", "行政复议申请", "件", "人次", "第五届",
])
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
"""Every code point, lone surrogates (category Cs) included: ``st.text()`` never makes them."""
SURROGATE = st.characters(codec=None, categories=["Cs"])
"""A lone surrogate on its own: drawn far too rarely from the whole range to be found there."""
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=300),
    st.lists(st.one_of(GENRE, st.text(ANY_CHARACTER, max_size=3), SURROGATE),
             max_size=60).map("".join),
)
SURROGATE_EXAMPLES = ("纠错\ud8009件", "受理\udfff12件，办结\ud83d\ude0011件", "\ud800")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXT)
@example(SURROGATE_EXAMPLES[0])
@example(SURROGATE_EXAMPLES[1])
@example(SURROGATE_EXAMPLES[2])
def test_extraction_never_crashes(text: str) -> None:
    result = extract(text, region="420300", year=2023)
    assert result.observations.height >= 0
    repr(result)
    result._repr_html_()


@SETTINGS
@given(TEXT)
@example(SURROGATE_EXAMPLES[0])
@example(SURROGATE_EXAMPLES[1])
@example(SURROGATE_EXAMPLES[2])
def test_spans_contain_the_quoted_number(text: str) -> None:
    result = extract(text, region="420300", year=2023)
    for quote, start, end in result.observations.select(
            "quote", "span_start", "span_end").iter_rows():
        assert 0 <= start <= end <= len(text)
        assert normalize(text[start:end]).text == quote


@SETTINGS
@given(TEXT)
@example(SURROGATE_EXAMPLES[0])
@example(SURROGATE_EXAMPLES[1])
@example(SURROGATE_EXAMPLES[2])
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@SETTINGS
@given(TEXT)
@example(SURROGATE_EXAMPLES[0])
@example(SURROGATE_EXAMPLES[1])
@example(SURROGATE_EXAMPLES[2])
def test_offsets_are_monotone_and_in_range(text: str) -> None:
    doc = normalize(text)
    positions = [doc.offsets.to_raw(i) for i in range(len(doc.text))]
    assert positions == sorted(set(positions))
    assert all(0 <= p < len(text) for p in positions)


def test_quote_does_not_end_in_a_space_the_span_lacks() -> None:
    text = "全部信访件办结率100% ,满意率98% ;受理12件 ,办结率100%  ,"
    result = extract(text, region="420300", year=2023)
    rows = result.observations.select("quote", "span_start", "span_end").rows()
    assert [quote for quote, _, _ in rows] == [
        "全部信访件办结率100%", "满意率98%", "受理12件", "办结率100%"]
    for quote, start, end in rows:
        assert normalize(text[start:end]).text == quote == text[start:end]
