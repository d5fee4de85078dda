"""SpanSet answers the same as a pass over every span; repeated unmapped labels keep their
numbering (the look-ups that made long files quadratic, now logarithmic / constant)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fzcompare.extract import extract
from fzcompare.extract._spans import SpanSet

SPAN = st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(SPAN, max_size=12), SPAN)
def test_overlaps_equals_a_pass_over_every_span(spans: list[tuple[int, int]],
                                                query: tuple[int, int]) -> None:
    start, end = query
    expected = any(a < end and start < b for a, b in spans)
    assert SpanSet.of(spans).overlaps(start, end) == expected


def test_repeated_unmapped_labels_are_numbered_in_text_order() -> None:
    text = "十堰市人民政府关于2023年法治政府建设情况的报告\n" + "".join(
        f"新建驿站{n}座。" for n in range(2, 8))
    result = extract(text, region="420300", year=2023)
    codes = result.observations.sort("span_start")["indicator_code"].to_list()
    assert len(codes) == 6 and len(set(codes)) == 6
    base = codes[0]
    assert base.startswith("unmapped_")
    assert codes[1:] == [f"{base}_{n}" for n in range(2, 7)]
