"""Text normalisation with an offset map back to the raw text, and mojibake detection.

Steps, in order: surrogate code points (broken UTF-16, no UTF-8 form) replaced by U+FFFD,
full-width ASCII forms folded to ASCII (except the Chinese sentence marks
，；：！？), pinyin in brackets after a character removed (``關(guān)于`` -> ``關于``),
Traditional -> Simplified (OpenCC ``t2s``), stray whitespace removed. Every step only
deletes or replaces one character by one character, so a position in the normalised text
maps to exactly one position in the raw text.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final

__all__ = ["MojibakeSpan", "NormalizedText", "OffsetMap", "find_mojibake", "normalize",
           "replace_surrogates"]

_KEEP_FULL_WIDTH: Final[frozenset[str]] = frozenset("，；：！？")
_FOLD: Final[dict[str, str]] = {
    **{chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)
       if chr(cp) not in _KEEP_FULL_WIDTH},
    "\u3000": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\t": " ",
}
"""Length-preserving character folding (full-width forms, odd spaces)."""
_FOLD_PATTERN: Final[re.Pattern[str]] = re.compile(
    "[" + "".join(re.escape(c) for c in _FOLD) + "]")


_SURROGATE: Final[re.Pattern[str]] = re.compile("[\ud800-\udfff]")
"""A surrogate code point: a Python ``str`` holds one only when it was built from broken
UTF-16 (``'\\ud800'``, ``surrogateescape`` decoding); it has no UTF-8 form, so OpenCC,
polars and Parquet cannot take it."""


def replace_surrogates(text: str) -> str:
    """Each surrogate code point replaced by U+FFFD (same length, so offsets still hold).

    Examples:
        >>> replace_surrogates("纠错\\ud8009件") == "纠错\\ufffd9件"
        True
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def _fold(text: str) -> str:
    return _FOLD_PATTERN.sub(lambda m: _FOLD[m.group()], replace_surrogates(text))


_CJK: Final[str] = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HSPACE: Final[str] = " \t\u00a0\u3000\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff\u00ad"
_SYLLABLE: Final[str] = (
    r"(?:[zcs]h|[bpmfdtnlgkhjqxrzcsyw])?"
    r"[aeiouvüāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜê]{1,3}(?:ng|n|r)?"
)
_PINYIN_RUN: Final[re.Pattern[str]] = re.compile(
    rf"\({_SYLLABLE}\)(?:[{_HSPACE}]*\({_SYLLABLE}\))*[{_HSPACE}]*"
)
_PINYIN_AFTER_CJK: Final[re.Pattern[str]] = re.compile(
    rf"(?<=[{_CJK}])([{_HSPACE}]*{_PINYIN_RUN.pattern})")
"""A pinyin run with the spaces before it, right after a Chinese character (captured)."""
_SPACE_CLASS: Final[str] = (
    # The characters of ``\s`` (str.isspace) written out, which the regex engine checks
    # faster than the category, plus zero-width spaces and joiners and the soft hyphen.
    "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f"
    "\u2060\u3000\ufeff\u00ad]")
_WHITESPACE: Final[re.Pattern[str]] = re.compile(
    # One class, then the same class repeated: a leading class lets the regex engine skip
    # ahead to candidate characters (a leading repeat does not).
    _SPACE_CLASS + _SPACE_CLASS + "*")
_NEWLINES: Final[frozenset[str]] = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


@dataclass(frozen=True)
class OffsetMap:
    """Maps positions of the normalised text back to the raw text.

    One ``(breaks, shifts)`` pair per normalisation step (raw-side step first): a position
    ``p`` of a step's output sits at ``p + shifts[i]`` of its input, where ``breaks[i]`` is
    the last break at or before ``p``.

    Examples:
        >>> doc = normalize("建設(shè) 情況")  # the pinyin gloss (shè) and the space go
        >>> doc.text
        '建设情况'
        >>> doc.offsets.to_raw(2), doc.offsets.span_to_raw(2, 4)
        (8, (8, 10))
        >>> doc.raw[8:10]
        '情況'
    """

    steps: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]

    def to_raw(self, position: int) -> int:
        """The raw position of the character at ``position`` of the normalised text."""
        for breaks, shifts in reversed(self.steps):
            position += shifts[bisect.bisect_right(breaks, position) - 1]
        return position

    def span_to_raw(self, start: int, end: int) -> tuple[int, int]:
        """The raw span covering the normalised span ``[start, end)``."""
        if not self.steps:
            return (start, end) if end > start else (start, start)
        if end <= start:
            raw = self.to_raw(start)
            return raw, raw
        return self.to_raw(start), self.to_raw(end - 1) + 1


@dataclass(frozen=True)
class MojibakeSpan:
    """A run of garbled characters, with its position in the normalised and raw text.

    Examples:
        >>> doc = normalize("建設(shè)情況報告如下：?,F(xiàn)將全市工作")
        >>> span = find_mojibake(doc)[0]
        >>> span.text, (span.start, span.end), (span.raw_start, span.raw_end)
        ('?,F(xiàn)', (9, 18), (14, 23))
        >>> doc.raw[span.raw_start:span.raw_end] == doc.text[span.start:span.end] == span.text
        True
    """

    start: int
    end: int
    raw_start: int
    raw_end: int
    text: str


@dataclass(frozen=True)
class NormalizedText:
    """A normalised report text, the raw text it came from and the map between them.

    Examples:
        >>> doc = normalize("十堰市人民政府關(guān)于２０２３年")
        >>> doc.text
        '十堰市人民政府关于2023年'
        >>> start = doc.text.index("2023")
        >>> doc.raw[slice(*doc.raw_span(start, start + 4))]
        '２０２３'
    """

    raw: str
    text: str
    offsets: OffsetMap

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span of the normalised span ``[start, end)``."""
        return self.offsets.span_to_raw(start, end)


def _substitute(pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str],
                text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """``pattern.sub`` recording the offset map; replacements never grow their match."""
    pieces: list[str] = []
    breaks = [0]
    shifts = [0]
    last = 0
    shift = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        new = replace(match)
        if new == match.group():
            continue
        pieces.append(text[last:start])
        pieces.append(new)
        shift += (end - start) - len(new)
        breaks.append(end - shift)
        shifts.append(shift)
        last = end
    if last == 0 and len(breaks) == 1:
        return text, (0,), (0,)
    pieces.append(text[last:])
    return "".join(pieces), tuple(breaks), tuple(shifts)


def _remove_pinyin(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """Delete pinyin brackets (and the spaces around them) that follow a Chinese character."""
    if "(" not in text:
        return text, (0,), (0,)
    # One split (the removed runs are its captured separators) instead of a Python loop per
    # bracket: scraped pages carry about one bracket every ten characters.
    parts = _PINYIN_AFTER_CJK.split(text)
    if len(parts) == 1:
        return text, (0,), (0,)
    kept = parts[0::2]
    shifts = accumulate(map(len, parts[1::2]))
    breaks = accumulate(map(len, kept[:-1]))
    return "".join(kept), (0, *breaks), (0, *shifts)


def _squeeze_whitespace(text: str) -> Callable[[re.Match[str]], str]:
    size = len(text)

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        if start == 0 or end == size:
            return ""
        if not _NEWLINES.isdisjoint(match.group()):
            return "\n"
        if ord(text[start - 1]) > 127 or ord(text[end]) > 127:
            return ""
        return " "

    return replace


@functools.cache
def _converter() -> Any:
    # heavy: OpenCC builds its conversion dictionaries on import
    import opencc

    return opencc.OpenCC("t2s")


def _t2s_same_length(text: str) -> str:
    converter = _converter()
    converted: str = converter.convert(text)
    if len(converted) == len(text):
        return converted
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        line_converted: str = converter.convert(line)
        if len(line_converted) == len(line):
            out.append(line_converted)
            continue
        for char in line:
            one: str = converter.convert(char)
            out.append(one if len(one) == 1 else char)
    return "".join(out)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, same length, iterated to a fixed point (at most 4 passes).

    Surrogate code points become U+FFFD first (see :func:`replace_surrogates`).

    Examples:
        >>> to_simplified("法治政府建設情況的報告")
        '法治政府建设情况的报告'
    """
    text = replace_surrogates(text)  # OpenCC takes UTF-8 only
    for _ in range(4):
        converted = _t2s_same_length(text)
        if converted == text:
            break
        text = converted
    return text


def normalize(raw: str) -> NormalizedText:
    """Normalise a report text and keep the map back to the raw text.

    Args:
        raw: The text as decoded from the file.

    Returns:
        The normalised text with the raw text and the offset map.

    Examples:
        >>> normalize("建設(shè) 情況（一）１.７６萬條").text
        '建设情况(一)1.76万条'
    """
    folded = _fold(raw)
    without_pinyin, breaks_1, shifts_1 = _remove_pinyin(folded)
    simplified = to_simplified(without_pinyin)
    text, breaks_2, shifts_2 = _substitute(_WHITESPACE, _squeeze_whitespace(simplified),
                                           simplified)
    steps = tuple(step for step in ((breaks_1, shifts_1), (breaks_2, shifts_2)) if len(step[0]) > 1)
    return NormalizedText(raw=raw, text=text, offsets=OffsetMap(steps))


@functools.cache
def _common_characters() -> str:
    chars: list[str] = []
    for first in range(0xB0, 0xD8):
        for second in range(0xA1, 0xFF):
            try:
                chars.append(bytes((first, second)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def _class_of_complement(members: str, low: int, high: int) -> str:
    """A regex class of the code points in [low, high] that are not in ``members``."""
    inside = sorted({ord(c) for c in members if low <= ord(c) <= high})
    ranges: list[str] = []
    start = low
    for cp in [*inside, high + 1]:
        if cp > start:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(cp - 1))}"
                          if cp - 1 > start else re.escape(chr(start)))
        start = cp + 1
    return "".join(ranges)


_ODD_BLOCKS: Final[str] = "\u3100-\u312f\u31a0-\u31bf\u2e80-\u2fdf\ue000-\uf8ff\ufff0-\ufffd"
"""Bopomofo, radicals and private-use characters: debris of mis-decoded GBK in Chinese text."""


@functools.cache
def _mojibake_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str],
                                  re.Pattern[str]]:
    rare = "[" + _class_of_complement(_common_characters(), 0x4E00, 0x9FFF) + "\u3400-\u4dbf]"
    first = re.compile(
        rf"[?\ufffd{_ODD_BLOCKS}A-Za-z\u00c2-\u00ef锟烫屯鈥銆锛鍙鐨浠浜閮鏂]")
    anchor = re.compile(
        r"[?\ufffd]|锟斤拷|烫烫烫|屯屯屯"
        rf"|[{_ODD_BLOCKS}]"
        rf"|[A-Za-z?]\({_SYLLABLE}\)"
        r"|(?:[\u00c2-\u00ef][\u0080-\u00bf\u2018-\u203a\u0152-\u0178\u02c6\u02dc\u20ac]){2,}"
        r"|[鈥銆锛鍙鐨浠浜閮鏂]{3,}"
    )
    rare_char = re.compile(rare)
    debris = re.compile(rf"[!-~\u00c0-\u024f{_ODD_BLOCKS}]|{rare}")
    return first, anchor, rare_char, debris


_URLISH: Final[frozenset[str]] = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz/=&.:_%-")


def _anchors(text: str) -> list[tuple[int, int]]:
    """Where garbled runs start: replacement marks and clusters of uncommon characters."""
    first, anchor, rare_char, _ = _mojibake_patterns()
    found: list[tuple[int, int]] = []
    for hit in first.finditer(text):
        start = hit.start()
        match = anchor.match(text, start)
        if match is None:
            continue
        if match.group() == "?" and start and text[start - 1] in _URLISH:
            continue
        found.append(match.span())
    rare = [m.start() for m in rare_char.finditer(text)]
    i = 0
    while i + 2 < len(rare):
        j = i
        while j + 1 < len(rare) and rare[j + 1] - rare[j] <= 2:
            j += 1
        if j - i >= 2:
            found.append((rare[i], rare[j] + 1))
        i = j + 1
    found.sort()
    return found


_SPAN_STOPS: Final[frozenset[str]] = frozenset("\n，。；：、")


def _extend(text: str, position: int, step: int, debris: re.Pattern[str]) -> int:
    """Move from ``position`` in direction ``step`` over debris; return the new bound.

    Ordinary characters with debris within the next two characters are passed over too.
    """
    size = len(text)
    at = position
    while 0 <= at < size:
        char = text[at]
        if char in _SPAN_STOPS:
            break
        if debris.match(char):
            at += step
            continue
        ahead = [text[i] for i in (at + step, at + 2 * step) if 0 <= i < size]
        if any(c not in _SPAN_STOPS and c not in "0123456789" and debris.match(c)
               for c in ahead):
            at += step
            continue
        break
    return at


def find_mojibake(doc: NormalizedText) -> list[MojibakeSpan]:
    """Runs of garbled characters in a normalised text; reported, never repaired.

    A run starts at a replacement mark (``?`` or U+FFFD inside Chinese text, a Latin
    letter or ``?`` carrying a pinyin bracket, bopomofo or private-use characters,
    Latin-1 or GBK mis-decodings, or three uncommon characters close together) and
    extends both ways over ASCII debris and uncommon characters.

    Examples:
        >>> doc = normalize("現將有關情況報告如下：?,F(xiàn)將全市工作")
        >>> [span.text for span in find_mojibake(doc)]
        ['?,F(xiàn)']
    """
    debris = _mojibake_patterns()[3]
    text = doc.text
    spans: list[MojibakeSpan] = []
    for anchor_start, anchor_end in _anchors(text):
        if spans and anchor_start < spans[-1].end:
            continue
        start = _extend(text, anchor_start - 1, -1, debris) + 1
        if spans and start < spans[-1].end:
            start = spans[-1].end
        end = _extend(text, anchor_end, 1, debris)
        while end > start + 1 and text[end - 1] in " ,.;:":
            end -= 1
        raw_start, raw_end = doc.raw_span(start, end)
        spans.append(MojibakeSpan(start, end, raw_start, raw_end, text[start:end]))
    return spans
