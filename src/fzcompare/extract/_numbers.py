"""Figures in normalised report text: numbers with their multiplier, unit and qualifier.

Arabic numbers count when a unit or % follows them; Chinese numerals only when they state
how many times something was done (召开三次, 举办两期, 出台两部). Years, dates, ordinals,
document numbers, names in quotes or titles and numerals inside fixed names are skipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, NamedTuple

from fzcompare.extract import _lexicon as lex

__all__ = ["FoundNumber", "NumberMatch", "chinese_numeral_value", "find_numbers", "parse_figure",
           "scan_numbers"]

_DIGIT_VALUES: Final[dict[str, int]] = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9,
}
_SMALL_UNITS: Final[dict[str, int]] = {"十": 10, "百": 100, "千": 1000}
_MULTIPLIERS: Final[dict[str, Decimal]] = {
    "万": Decimal(10_000), "亿": Decimal(100_000_000), "万亿": Decimal(10**12),
    "千": Decimal(1_000),
}


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


# Both patterns start with a single character class so that the regex engine can skip
# ahead to candidate characters instead of trying a match at every position.
_ARABIC: Final[re.Pattern[str]] = re.compile(
    r"(?P<num>\d(?:\d{0,2}(?:,\d{3})+(?:\.\d+)?|\d*(?:\.\d+)?))"
    r"(?P<a1>余|多)?(?P<mult>万亿|万|亿|千)?(?P<a2>余|多)?"
    rf"(?P<unit>{_alternation(lex.MEASURE_UNITS)})?"
    rf"(?P<post>{_alternation(list(lex.QUALIFIER_SUFFIXES))})?"
)
_CHINESE: Final[re.Pattern[str]] = re.compile(
    r"(?P<cn>[〇零一二两三四五六七八九十百千万][〇零一二两三四五六七八九十百千万]{0,5})(?P<ca>余|多)?"
    rf"(?P<cunit>{_alternation(lex.CHINESE_NUMERAL_UNITS)})"
    rf"(?P<cpost>{_alternation(list(lex.QUALIFIER_SUFFIXES))})?"
)
_LATIN_OR_DIGIT: Final[frozenset[str]] = frozenset(
    "0123456789.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_EXCLUDED_SPANS: Final[re.Pattern[str]] = re.compile(
    r"“[^”\n]{0,40}”|\"[^\"\n]{0,40}\"|《[^》\n]{0,80}》|〔[^〕\n]{0,12}〕|\[[^\]\n]{0,12}\]"
    r"|「[^」\n]{0,40}」|‘[^’\n]{0,40}’|【[^】\n]{0,40}】|〈[^〉\n]{0,40}〉"
)
_CLAUSE_MARKS: Final[str] = "，。；！？,;!?\n：:"
_NOT_QUANTITY_BEFORE_CN: Final[frozenset[str]] = frozenset("第前后近每逐这那头初其另再同单首")
_RANGE_MARKS: Final[frozenset[str]] = frozenset("-~～至到—–")
_JOINERS: Final[frozenset[str]] = frozenset("+×*/")
_RANGE_OR_JOINER: Final[frozenset[str]] = _RANGE_MARKS | _JOINERS
_PREFIXES: Final[tuple[tuple[str, str], ...]] = lex.QUALIFIER_PREFIXES
_FIXED_NAMES: Final[tuple[str, ...]] = lex.FIXED_NUMERAL_NAMES
_ACTION_VERBS: Final[tuple[str, ...]] = lex.ACTION_VERBS
_ACTION_VERB: Final[re.Pattern[str]] = re.compile("|".join(map(re.escape, _ACTION_VERBS)))
_CHANGE_CUE: Final[re.Pattern[str]] = re.compile("|".join(map(re.escape, lex.CHANGE_CUES)))


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """One figure found in the normalised text.

    Attributes:
        start: Position of the number's first character (after any qualifier word).
        end: Position after the unit and any qualifier word that follows it.
        value: The value with 万/亿 multiplied out.
        unit: The unit as stored (``%``, ``件``, ``人次``, ``万元`` ...).
        qualifier: ``eq``, ``gt``, ``ge``, ``lt``, ``le`` or ``approx``.
        written: The number as written, with its multiplier (``1.76万``).
        kind: ``count`` (a quantity), ``rate`` (a percentage level), ``change`` (a
            percentage or points of change), ``rank`` (第N名) or ``duration``.
        chinese: Whether the number was written in Chinese numerals.

    Examples:
        >>> more, about = find_numbers("超过1.76万人次，约95%")
        >>> more.value, more.unit, more.qualifier, more.written, more.kind
        (17600.0, '人次', 'gt', '1.76万', 'count')
        >>> about.value, about.unit, about.qualifier, about.kind
        (95.0, '%', 'approx', 'rate')
    """

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    written: str
    kind: str
    chinese: bool


class FoundNumber(NamedTuple):
    """The fields of ``NumberMatch`` as a tuple: what the pipeline passes around.

    It is cheaper to build than the frozen dataclass of the public API.

    Examples:
        >>> import dataclasses
        >>> FoundNumber._fields == tuple(f.name for f in dataclasses.fields(NumberMatch))
        True
        >>> NumberMatch(*scan_numbers("受理1.76万件")[0]) == find_numbers("受理1.76万件")[0]
        True
    """

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    written: str
    kind: str
    chinese: bool


def chinese_numeral_value(numeral: str) -> int | None:
    """The value of a Chinese numeral, or None when it is not one.

    Examples:
        >>> [chinese_numeral_value(n) for n in ("三", "两", "十二", "二十", "一百零五", "二〇二三")]
        [3, 2, 12, 20, 105, 2023]
    """
    if not numeral or any(c not in _DIGIT_VALUES and c not in _SMALL_UNITS and c != "万"
                          for c in numeral):
        return None
    if len(numeral) > 1 and all(c in _DIGIT_VALUES for c in numeral):
        return int("".join(str(_DIGIT_VALUES[c]) for c in numeral))
    total = section = 0
    current: int | None = None
    for char in numeral:
        if char in _DIGIT_VALUES:
            if current is not None and current != 0 and _DIGIT_VALUES[char] != 0:
                return None
            current = _DIGIT_VALUES[char]
        elif char in _SMALL_UNITS:
            section += (1 if current is None else current) * _SMALL_UNITS[char]
            current = None
        else:
            section += current or 0
            if section == 0:
                return None
            total += section * 10_000
            section, current = 0, None
    return total + section + (current or 0)


_PREFIX_QUALIFIER: Final[re.Pattern[str]] = re.compile(
    "(?:" + "|".join(re.escape(b) for b in lex.QUALIFIER_PREFIX_BLOCKERS) + ")$"
    "|(" + "|".join(re.escape(w) for w, _ in _PREFIXES) + ")$")
_PREFIX_VALUES: Final[dict[str, str]] = dict(_PREFIXES)
_PREFIX_LAST_CHARS: Final[frozenset[str]] = frozenset(
    w[-1] for w in (*_PREFIX_VALUES, *lex.QUALIFIER_PREFIX_BLOCKERS))


def _prefix_qualifier(text: str, start: int) -> str | None:
    if not start or text[start - 1] not in _PREFIX_LAST_CHARS:
        return None
    match = _PREFIX_QUALIFIER.search(text, max(0, start - 4), start)
    if match is None or match.group(1) is None:
        return None
    return _PREFIX_VALUES[match.group(1)]


def _clause_start(text: str, position: int) -> int:
    limit = max(0, position - 60)
    return max(limit, *(text.rfind(mark, limit, position) + 1 for mark in _CLAUSE_MARKS))


def _inside(spans_start: list[int], spans_end: list[int], position: int) -> bool:
    i = bisect.bisect_right(spans_start, position) - 1
    return i >= 0 and position < spans_end[i]


def _is_rank(text: str, start: int) -> bool:
    before = text[max(0, start - 9):start - 1]
    return any(cue in before for cue in lex.RANK_CUES)


def _scaled(digits: str, mult: str | None, unit: str) -> tuple[float, str]:
    """The value of a number with a multiplier, exactly (money is stored in 万元)."""
    amount = Decimal(digits)
    if unit == "元" and mult in ("万", "亿"):
        unit = "万元"
        amount = amount * (Decimal(10_000) if mult == "亿" else Decimal(1))
        mult = None
    elif unit == "亿元":
        unit, amount = "万元", amount * Decimal(10_000)
    multiplier = _MULTIPLIERS[mult] if mult else Decimal(1)
    return float(amount * multiplier), unit


_KIND_OF_GROUP: Final[dict[str | None, str]] = {
    "percent": "rate", "permille": "rate", "points": "change", "duration": "duration",
    "money": "amount",
}


def _not_a_figure(text: str, start: int, after_number: int, end: int) -> bool:
    """Digits glued to Latin letters, or one end of a range or a joined list (1-3, 3/5)."""
    size = len(text)
    if end < size and text[end].isascii() and text[end].isalpha():
        return True
    before = text[start - 1] if start else ""
    if before in _JOINERS or (before in _RANGE_MARKS and start >= 2
                              and (text[start - 2].isdigit() or text[start - 2] in "%年")):
        return True
    return (after_number < size - 1 and text[after_number] in _RANGE_OR_JOINER
            and text[after_number + 1].isdigit())


def _arabic(match: re.Match[str], text: str) -> FoundNumber | None:
    number, approx_1, mult, approx_2, unit, post = match.groups()
    if unit is None:
        return None
    start, after_number = match.span(1)
    end = match.end()
    if _not_a_figure(text, start, after_number, end):
        return None
    before = text[start - 1] if start else ""
    digits = number.replace(",", "") if "," in number else number
    if unit == "年" and mult is None and "." not in number and 1900 <= int(digits) <= 2099:
        return None
    if mult is None and unit != "亿元":
        value = float(digits)
    else:
        value, unit = _scaled(digits, mult, unit)
    unit = lex.UNIT_ALIASES.get(unit, unit)
    kind = "count"
    if before == "第":
        if unit in ("名", "位") and _is_rank(text, start):
            unit, kind = "位", "rank"
        else:
            return None
    kind = _KIND_OF_GROUP.get(lex.UNIT_GROUPS.get(unit), kind)
    if kind == "rate" and _CHANGE_CUE.search(text, max(0, start - 6), start) is not None:
        kind = "change"
    qualifier = "approx" if approx_1 or approx_2 else "eq"
    prefix = _prefix_qualifier(text, start)
    if prefix is not None:
        qualifier = prefix
    if post is not None:
        qualifier = lex.QUALIFIER_SUFFIXES[post]
    return FoundNumber(start, end, value, unit, qualifier, number + (mult or ""), kind, False)


def _not_a_quantity(numeral: str, text: str, start: int) -> bool:
    """A lone 一/万/千/百, a numeral after a digit or a name word, or part of a fixed name."""
    if numeral in ("一", "万", "千", "百") or numeral.startswith(("万", "千", "百")):
        return True
    before = text[start - 1] if start else ""
    if before in _NOT_QUANTITY_BEFORE_CN or before.isdigit():
        return True
    return any(start >= offset and text.startswith(_FIXED_NAMES, start - offset)
               for offset in (0, 1, 2))


def _chinese(match: re.Match[str], text: str) -> FoundNumber | None:
    start = match.start("cn")
    numeral = match.group("cn")
    if _not_a_quantity(numeral, text, start):
        return None
    value = chinese_numeral_value(numeral)
    if value is None or value == 0:
        return None
    unit = match.group("cunit")
    head = text[_clause_start(text, start):start]
    if unit in lex.CHINESE_EVENT_UNITS:
        if _ACTION_VERB.search(head) is None:
            return None
    elif not head.endswith(_ACTION_VERBS):
        return None
    end = match.end()
    qualifier = "approx" if match.group("ca") else "eq"
    prefix = _prefix_qualifier(text, start)
    if prefix is not None:
        qualifier = prefix
    if match.group("cpost"):
        qualifier = lex.QUALIFIER_SUFFIXES[match.group("cpost")]
    return FoundNumber(start, end, float(value), unit, qualifier, numeral, "count", True)


def find_numbers(text: str) -> list[NumberMatch]:
    """All figures of a normalised text, in document order.

    Examples:
        >>> [(n.value, n.unit, n.qualifier) for n in find_numbers("排查整治隐患问题1.76万条")]
        [(17600.0, '条', 'eq')]
        >>> [(n.value, n.unit) for n in find_numbers("2023年召开三次会议,推行三项制度")]
        [(3.0, '次')]
    """
    return [NumberMatch(*number) for number in scan_numbers(text)]


def scan_numbers(text: str) -> list[FoundNumber]:
    """``find_numbers`` as tuples (what ``fzcompare.extract.extract`` uses).

    Examples:
        >>> [(n.start, n.end, n.value, n.unit, n.qualifier) for n in scan_numbers(
        ...     "受理1.76万件，约95%")]
        [(2, 8, 17600.0, '件', 'eq'), (10, 13, 95.0, '%', 'approx')]
    """
    excluded_start: list[int] = []
    excluded_end: list[int] = []
    for span in _EXCLUDED_SPANS.finditer(text):
        excluded_start.append(span.start())
        excluded_end.append(span.end())
    found: list[FoundNumber] = []
    bisect_right = bisect.bisect_right
    for match in _ARABIC.finditer(text):
        start = match.start()
        if start and text[start - 1] in _LATIN_OR_DIGIT:
            continue
        if excluded_start:
            i = bisect_right(excluded_start, start) - 1
            if i >= 0 and start < excluded_end[i]:
                continue
        figure = _arabic(match, text)
        if figure is not None:
            found.append(figure)
    chinese: list[FoundNumber] = []
    for match in _CHINESE.finditer(text):
        if excluded_start and _inside(excluded_start, excluded_end, match.start()):
            continue
        figure = _chinese(match, text)
        if figure is not None:
            chinese.append(figure)
    if chinese:
        found = sorted(found + chinese, key=lambda n: n.start)
    return found


def parse_figure(phrase: str) -> NumberMatch | None:
    """The first figure of a short phrase (normalise it first), or None.

    Examples:
        >>> figure = parse_figure("通办事项超过140项")
        >>> (figure.value, figure.unit, figure.qualifier)
        (140.0, '项', 'gt')
        >>> parse_figure("达标率80%以上").qualifier
        'ge'
    """
    numbers = find_numbers(phrase)
    return numbers[0] if numbers else None
