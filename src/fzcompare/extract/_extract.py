"""The extraction pipeline: raw report -> normalised text -> figures -> observations."""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.errors import AmbiguousRegionError, ExtractionError, UnknownRegionError
from fzcompare.extract import _lexicon as lex
from fzcompare.extract._document import (
    DocumentInfo,
    Section,
    find_date,
    find_sections,
    find_title,
    find_year,
    read_region,
)
from fzcompare.extract._mapping import (
    MAP_THRESHOLD,
    Candidate,
    CompiledCatalog,
    compiled_for,
    find_statements,
    indicator_support,
    region_suffix,
    scope_cue_pattern,
    score_context,
)
from fzcompare.extract._no_number import find_coverage_statements
from fzcompare.extract._normalize import NormalizedText, find_mojibake, normalize
from fzcompare.extract._numbers import FoundNumber, chinese_numeral_value, scan_numbers
from fzcompare.extract._readers import ReadDocument, read_document, with_file_facts
from fzcompare.extract._result import (
    RESULT_SCHEMA,
    ExtractionResult,
    ExtractionWarning,
)
from fzcompare.extract._spans import SpanSet
from fzcompare.regions import resolve_region as resolve
from fzcompare.schema import UNMAPPED_PREFIX, scope_words

__all__ = ["extract", "resolve_region"]

_CLAUSE_MARKS: Final[re.Pattern[str]] = re.compile(r"[，。；！？,;!?\n：:]")
_SENTENCE_MARK_CHARS: Final[frozenset[str]] = frozenset("。；！？;!?\n")
"""Marks that end a sentence (a subset of the clause marks)."""
_TITLE_LIST: Final[re.Pattern[str]] = re.compile(
    r"《[^》\n]{2,80}》[、和及与]?(?:《[^》\n]{2,80}》[、和及与]?){0,11}(?P<etc>等)?")
_LISTING: Final[re.Pattern[str]] = re.compile(
    "(?:" + "|".join(map(re.escape, lex.LISTING_VERBS)) + r")[^，。；！？,;!?\n：:]{0,30}?"
    "(?P<noun>" + "|".join(map(re.escape, lex.LISTING_NOUNS)) + ")")
_LISTING_LEAD: Final[re.Pattern[str]] = re.compile(r"(?:被|已被|已|均被|均|分别|全部|先后)+$")
_QUOTED_ITEM: Final[re.Pattern[str]] = re.compile(r"《[^》\n]{2,80}》|“[^”\n]{2,40}”")
_ITEM_TAIL: Final[re.Pattern[str]] = re.compile(
    r"(?P<etc>等)?(?:(?P<stated>[一二两三四五六七八九十]{1,3})[个项件])?"
    "(?:" + "|".join(map(re.escape, lex.ITEM_NOUNS)) + ")?$")
_SHARED_FIGURE: Final[re.Pattern[str]] = re.compile(
    r"([^、，,；;。]{2,12})((?:、[^、，,；;。]{2,12}){1,5})(?:均|都|全部)(?:达到|达|为|是|保持)?$")
_LEFT_TRIM: Final[str] = "、，,。；;:：和及与以及 "
_LABEL_FILLER_PATTERN: Final[re.Pattern[str]] = re.compile("[、和及与共计累达为约近涉]")
"""Characters that do not make a label (a figure after 、 or 共计 has none of its own)."""
_SECTIONS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "label": pl.String(), "title": pl.String(), "domain": pl.Int8(), "kind": pl.String(),
    "span_start": pl.Int64(), "span_end": pl.Int64(),
}
_CHECKS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "kind": pl.String(), "scope": pl.String(), "target": pl.String(),
    "numerator": pl.String(), "denominator": pl.String(), "target_value": pl.Float64(),
    "numerator_value": pl.Float64(), "denominator_value": pl.Float64(),
    "expected": pl.Float64(), "ok": pl.Boolean(),
}
_LEVEL_BY_CODE_SHAPE: Final[tuple[tuple[str, str], ...]] = (
    ("000000", "country"), ("0000", "province"), ("00", "prefecture"))


_EMPTY_FRAMES: dict[int, pl.DataFrame] = {}


def _frame(rows: Sequence[tuple[object, ...]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame from rows; empty frames are copied from a cached one (building is slow)."""
    if rows:
        return pl.DataFrame(rows, schema=schema, orient="row")
    empty = _EMPTY_FRAMES.get(id(schema))
    if empty is None:
        empty = _EMPTY_FRAMES[id(schema)] = pl.DataFrame(schema=schema)
    return empty.clear()


@dataclass(frozen=True, slots=True)
class _Marks:
    """Positions of clause and sentence marks of a normalised text."""

    clause: list[int]
    sentence: list[int]


def _marks(text: str) -> _Marks:
    clause = [m.start() for m in _CLAUSE_MARKS.finditer(text)]
    return _Marks(clause, [p for p in clause if text[p] in _SENTENCE_MARK_CHARS])


@dataclass(slots=True)
class _Figure:
    """A figure on its way to becoming an observation (mutable while mapping)."""

    value: float | None  # None: a statement without a figure (disclosure no_number)
    unit: str
    qualifier: str
    start: int
    end: int
    quote_start: int
    quote_end: int
    label: str
    candidates: list[Candidate]
    scope_kind: str | None
    section: Section | None
    mappable: bool
    indicator: int | None = None
    confidence: float = 0.0


def _read(source: str | bytes | os.PathLike[str]) -> tuple[str, str | None, str | None, bytes,
                                                        ReadDocument | None]:
    if isinstance(source, str):
        return source, None, None, source.encode("utf-8", "surrogatepass"), None
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        read = read_document(data)
        return read.text, read.encoding, None, data, read
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        msg = f"{path}: cannot read the file ({error.strerror or error})"
        raise ExtractionError(msg, reason="unreadable", path=str(path),
                              hint="check the path and that the file is readable") from error
    read = read_document(data, name=str(path))
    return read.text, read.encoding, str(path), data, read


def _level_from_code(code: str) -> str:
    for ending, level in _LEVEL_BY_CODE_SHAPE:
        if code.endswith(ending):
            return level
    return "county"


@renamed_arguments(regions="regions_table")
def resolve_region(region: str, regions_table: pl.DataFrame | None = None, *,
                   province: str | None = None) -> tuple[str, str | None, str]:
    """A region given as a 6-digit code or a name -> (code, name, level).

    Names go through ``fzcompare.resolve_region`` (short names, prefixes, old names); a
    6-digit code that no table knows is kept, with the level its shape tells.

    Raises:
        ExtractionError: ``reason`` ``unknown_region`` (with suggestions) or
            ``ambiguous_region`` (with the candidates).

    Examples:
        >>> resolve_region("十堰市")
        ('420300', '十堰市', 'prefecture')
        >>> resolve_region("深圳市"), resolve_region("110105")
        (('440300', '深圳市', 'prefecture'), ('110105', '朝阳区', 'county'))
    """
    region = region.strip()
    extra = None if regions_table is None or regions_table is load_regions() else regions_table
    try:
        match = resolve(region, regions_table=extra, province=province)
    except UnknownRegionError as error:
        if re.fullmatch(r"\d{6}", region):
            return region, None, _level_from_code(region)
        raise ExtractionError(error.message, reason="unknown_region", hint=error.hint,
                              suggestions=error.details.get("suggestions")) from error
    except AmbiguousRegionError as error:
        raise ExtractionError(error.message, reason="ambiguous_region", hint=error.hint,
                              candidates=error.details.get("candidates")) from error
    return match.reported_code, match.reported_name, match.level


def _bounds(marks: list[int], start: int, end: int, size: int) -> tuple[int, int]:
    i = bisect.bisect_left(marks, start)
    left = marks[i - 1] + 1 if i > 0 else 0
    j = bisect.bisect_left(marks, end)
    right = marks[j] if j < len(marks) else size
    return left, right


def _quote_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without whitespace at either end.

    Normalising the raw span drops spaces at the ends of a text, so a quote ending in one
    would differ from its span.

    Examples:
        >>> _quote_bounds("办结率100% ,", 0, 8)
        (0, 7)
    """
    while end > start and text[end - 1].isspace():
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _strip_label(label: str) -> str:
    return _LABEL_FILLER_PATTERN.sub("", label)


def _metadata(doc: NormalizedText, *, region: str | None, year: int | None,
              regions: pl.DataFrame, encoding: str | None, path: str | None, digest: str,
              warnings: list[ExtractionWarning], province: str | None = None,
              context: Sequence[str] = ()) -> DocumentInfo:
    text = doc.text
    title, title_end = find_title(text)
    if title is None:
        warnings.append(ExtractionWarning("no_title", "no title line (…法治政府建设…报告) "
                                          "among the first lines"))
    title_year = find_year(title) if title else None
    extra = None if regions is load_regions() else regions
    reading = read_region(text, title, year=year or title_year, regions=extra,
                          province=province, context=context)
    publisher = reading.publisher
    title_region = reading.match.reported_code if reading.match is not None else None
    code = name = level = None
    if region is not None:
        code, name, level = resolve_region(region, regions, province=province)
        if title_region is not None and title_region != code:
            warnings.append(ExtractionWarning(
                "region_override", f"the title names region {title_region}; using {code} "
                "as given"))
    elif reading.match is not None:
        found = reading.match
        code, name, level = found.reported_code, found.reported_name, found.level
    elif reading.ambiguous is not None:
        warnings.append(ExtractionWarning("ambiguous_region", reading.ambiguous + "; pass "
                                          "region= (a code or a name with its province)"))
    else:
        warnings.append(ExtractionWarning("no_region", "the reporting region could not be "
                                          "read from the title; pass region="))
    if title_year is None and title is None:
        match = re.search(r"((?:19|20)\d{2})年度?法治政府建设", text[:600])
        title_year = int(match.group(1)) if match else None
    if year is not None:
        if title_year is not None and title_year != year:
            warnings.append(ExtractionWarning(
                "year_override", f"the title names year {title_year}; using {year} as given"))
    elif title_year is None:
        warnings.append(ExtractionWarning("no_year", "the reporting year could not be read "
                                          "from the title; pass year="))
    del title_end
    return DocumentInfo(
        source_id=f"doc-{digest}", title=title, region_code=code, region_name=name,
        region_level=level, year=year if year is not None else title_year,
        published=find_date(text), publisher=publisher, encoding=encoding, path=path,
        n_chars=len(doc.raw))


def _scope_cues(text: str, level: str, suffix: str) -> tuple[list[int], list[int], list[str]]:
    pattern, kinds = scope_cue_pattern(level, suffix)
    starts: list[int] = []
    ends: list[int] = []
    cue_kinds: list[str] = []
    for match in pattern.finditer(text):
        starts.append(match.start())
        ends.append(match.end())
        cue_kinds.append(kinds[match.group()])
    return starts, ends, cue_kinds


def _explicit_scope(cues: tuple[list[int], list[int], list[str]], sentence_start: int,
                    clause_start: int, start: int, right_end: int) -> str | None:
    """The scope kind named next to a figure.

    A cue right after it (31家市直单位), else the nearest cue before it in its sentence
    (weak cues such as 市级 only in its clause).
    """
    starts, ends, kinds = cues
    i = bisect.bisect_left(starts, start)
    if i < len(starts) and starts[i] < right_end:
        return kinds[i].removeprefix("weak:")
    j = bisect.bisect_right(ends, start) - 1
    while j >= 0 and starts[j] >= sentence_start:
        kind = kinds[j]
        if kind.startswith("weak:"):
            if starts[j] >= clause_start:
                return kind[5:]
        else:
            return kind
        j -= 1
    return None


@dataclass(frozen=True, slots=True)
class _Window:
    """The words one figure is read with: its clause part, its sentence, its quote."""

    clause_start: int
    left_start: int
    right_end: int
    sentence_start: int
    sentence: str
    quote_start: int


def _window(text: str, numbers: list[FoundNumber], k: int, marks: _Marks) -> _Window:
    """The clause part of figure ``k``, its sentence and the start of its quote.

    The part runs up to 40 characters before the figure and 24 after it, stopping at the
    neighbouring figures and at 、.
    """
    number = numbers[k]
    start, end, size = number.start, number.end, len(text)
    clause_start, clause_end = _bounds(marks.clause, start, end, size)
    left_start = max(clause_start, start - 40)
    if k and numbers[k - 1].end > clause_start:
        left_start = max(left_start, numbers[k - 1].end)
        pause = text.rfind("、", left_start, start)
        if pause >= 0:
            left_start = pause + 1
    right_end = min(clause_end, end + 24)
    if k + 1 < len(numbers) and numbers[k + 1].start < right_end:
        right_end = numbers[k + 1].start
    pause = text.find("、", end, right_end)
    if pause >= 0:
        right_end = pause
    i = bisect.bisect_left(marks.sentence, start)
    sentence_start = marks.sentence[i - 1] + 1 if i else 0
    sentence_end = marks.sentence[i] if i < len(marks.sentence) else size
    quote_start = left_start
    while quote_start < start and text[quote_start] in _LEFT_TRIM:
        quote_start += 1
    return _Window(clause_start, left_start, right_end, sentence_start,
                   text[sentence_start:sentence_end], quote_start)


def _shared_candidates(compiled: CompiledCatalog, number: FoundNumber, left: str, text: str,
                       window: _Window, section_domain: int | None) -> list[Candidate]:
    """One candidate per item when several items share the figure (A、B均达100%), else []."""
    if not ("均" in left or "都" in left or "全部" in left):
        return []
    shared = _SHARED_FIGURE.search(left)
    if shared is None:
        return []
    items = [shared.group(1), *shared.group(2).split("、")[1:]]
    earlier = text[window.sentence_start:window.left_start + shared.start()]
    per_item: list[Candidate] = []
    for item in items:
        found = score_context(
            compiled, item, "", number_kind=number.kind, unit=number.unit,
            value=number.value, section_domain=section_domain, sentence=window.sentence,
            earlier=earlier)
        earlier += item
        if found and found[0].score >= MAP_THRESHOLD and all(
                c.indicator != found[0].indicator for c in per_item):
            per_item.append(found[0])
    return per_item if len(per_item) >= 2 else []


def _skip_in_mojibake(doc: NormalizedText, number: FoundNumber, mojibake: SpanSet,
                      warnings: list[ExtractionWarning]) -> bool:
    """Whether a figure sits in garbled text (then it is skipped, with a warning)."""
    if not mojibake or not mojibake.overlaps(number.start, number.end):
        return False
    raw_start, raw_end = doc.raw_span(number.start, number.end)
    warnings.append(ExtractionWarning(
        "figure_in_mojibake", f"figure {number.written}{number.unit} sits in garbled "
        "text and was skipped", raw_start, raw_end))
    return True


def _figures(doc: NormalizedText, numbers: list[FoundNumber], compiled: CompiledCatalog,
             sections: list[Section], cues: tuple[list[int], list[int], list[str]], marks: _Marks,
             mojibake: SpanSet, warnings: list[ExtractionWarning]) -> list[_Figure]:
    """Every figure of the text with its candidate indicators (one per item it is shared by).

    A figure whose own words name nothing (``、280件``) inherits the label of the figure
    before it.
    """
    text = doc.text
    section_starts = [s.start for s in sections]
    figures: list[_Figure] = []
    previous_label = ""
    for k, number in enumerate(numbers):
        if _skip_in_mojibake(doc, number, mojibake, warnings):
            continue
        window = _window(text, numbers, k, marks)
        left = text[window.left_start:number.start]
        right = text[number.end:window.right_end]
        extra = ""
        if len(right) < 2 and previous_label and len(_strip_label(left)) < 2:
            extra = previous_label
        else:
            previous_label = left
        si = bisect.bisect_right(section_starts, number.start) - 1
        section = sections[si] if si >= 0 else None
        section_domain = section.domain if section is not None else None
        mappable = number.kind != "change" and (section is None or section.kind != "plan")
        shared = (_shared_candidates(compiled, number, left, text, window, section_domain)
                  if mappable else [])
        candidate_lists = [[c] for c in shared] or [score_context(
            compiled, left, right, number_kind=number.kind, unit=number.unit,
            value=number.value, section_domain=section_domain, sentence=window.sentence,
            extra=extra, earlier=text[window.sentence_start:window.left_start])
            if mappable else []]
        scope_kind = _explicit_scope(cues, window.sentence_start, window.clause_start,
                                     number.start, window.right_end)
        figures.extend(_Figure(
            value=number.value, unit=number.unit, qualifier=number.qualifier,
            start=number.start, end=number.end, quote_start=window.quote_start,
            quote_end=max(number.end, window.right_end), label=left + "#" + right,
            candidates=candidates, scope_kind=scope_kind, section=section,
            mappable=mappable) for candidates in candidate_lists)
    return figures


def _statement_figures(doc: NormalizedText, compiled: CompiledCatalog, sections: list[Section],
                       cues: tuple[list[int], list[int], list[str]], marks: _Marks
                       ) -> list[_Figure]:
    """Figures read from wording: full statements (全部按时办结 -> 100 %)."""
    if not compiled.statement_parts:
        return []
    text = doc.text
    found = find_statements(text, compiled)
    if not found:
        return []
    sentence_marks = marks.sentence
    clause_marks = marks.clause
    section_starts = [s.start for s in sections]
    by_place: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for start, end, statement, indicator in found:
        by_place.setdefault((start, end), []).append((statement, indicator))
    figures: list[_Figure] = []
    for (start, end), owners in by_place.items():
        sentence_start, _ = _bounds(sentence_marks, start, end, len(text))
        context = text[max(sentence_start, start - 60):start]
        best: Candidate | None = None
        for statement, indicator in owners:
            support = indicator_support(compiled, indicator, f"{context}|{statement}")
            if support < 0.35:
                continue
            candidate = Candidate(indicator, min(1.0, 0.5 + 0.45 * support))
            if best is None or candidate.score > best.score:
                best = candidate
        if best is None:
            continue
        high = compiled.max_values[best.indicator]
        si = bisect.bisect_right(section_starts, start) - 1
        quote_start = max(sentence_start, start - 30)
        while quote_start < start and text[quote_start] in _LEFT_TRIM:
            quote_start += 1
        figures.append(_Figure(
            value=100.0 if high is None else float(high), unit=compiled.units[best.indicator],
            qualifier="eq", start=start, end=end, quote_start=quote_start, quote_end=end,
            label=text[start:end], candidates=[best],
            scope_kind=_explicit_scope(cues, sentence_start, _bounds(clause_marks, start, end,
                                                                     len(text))[0],
                                       start, end),
            section=sections[si] if si >= 0 else None, mappable=True))
    return figures


def _no_number_figures(doc: NormalizedText, compiled: CompiledCatalog, catalog: Catalog,
                       sections: list[Section], taken: list[_Figure],
                       cues: tuple[list[int], list[int], list[str]], marks: _Marks
                       ) -> list[_Figure]:
    """Statements without a figure (全覆盖 for a rate the catalog gives no 100 % rule)."""
    text = doc.text
    if "全覆盖" not in text:
        return []
    occupied = [(f.start, f.end) for f in taken]
    clause_marks = marks.clause
    row_of = {code: i for i, code in enumerate(compiled.codes)}
    starts = {hit.start(): _bounds(clause_marks, hit.start(), hit.end(), len(text))[0]
              for hit in re.finditer("全覆盖", text)}
    section_starts = [s.start for s in sections]
    figures: list[_Figure] = []
    for start, end, row, _ in find_coverage_statements(text, catalog, starts):
        if any(a < end and start < b for a, b in occupied):
            continue
        indicator = row_of.get(str(catalog.indicators["code"][row]))
        if indicator is None:
            continue
        si = bisect.bisect_right(section_starts, start) - 1
        sentence_start, _ = _bounds(marks.sentence, start, end, len(text))
        figures.append(_Figure(
            value=None, unit=compiled.units[indicator], qualifier="eq", start=start, end=end,
            quote_start=start, quote_end=end, label=text[start:end],
            candidates=[Candidate(indicator, MAP_THRESHOLD)],
            scope_kind=_explicit_scope(cues, sentence_start, start, start, end),
            section=sections[si] if si >= 0 else None, mappable=True))
    return figures


def _shown(figure: _Figure) -> str:
    return ("a statement without a figure" if figure.value is None
            else f"{figure.value:g} {figure.unit}")


def _count_items(subject: str) -> tuple[int, int, bool]:
    """Named items at the end of a clause part: (count, offset of the first, lower bound).

    Items are titles or quotes (《A》《B》, “A”“B”), else at least two parts joined by 、
    (A、B和C counts three). A count written in Chinese after them (A、B两个事项) wins;
    等 without one makes the count a lower bound. Zero when no items are named.
    """
    tail = _ITEM_TAIL.search(subject)
    stated: int | None = None
    etc = False
    if tail is not None:
        subject = subject[:tail.start()]
        etc = tail.group("etc") is not None
        if tail.group("stated"):
            stated = chinese_numeral_value(tail.group("stated"))
    quoted = list(_QUOTED_ITEM.finditer(subject))
    if quoted:
        # Only a run of titles/quotes right at the end (joined by nothing, 、, 和, 及 or 与).
        run = [quoted[-1]]
        for item in reversed(quoted[:-1]):
            if subject[item.end():run[0].start()] not in ("", "、", "和", "及", "与", "以及"):
                break
            run.insert(0, item)
        if subject[run[-1].end():].strip():
            return 0, 0, False
        count, offset = len(run), run[0].start()
    else:
        parts = subject.split("、")
        if len(parts) < 2 or any(not part.strip() for part in parts):
            return 0, 0, False
        count, offset = len(parts), 0
        for joiner in ("以及", "和", "及", "与"):
            head, _, rest = parts[-1].partition(joiner)
            if head and rest:
                count += 1
                break
    if stated is not None:
        return stated, offset, False
    return count, offset, etc


def _listing_figures(doc: NormalizedText, compiled: CompiledCatalog, sections: list[Section],
                     numbers: list[FoundNumber],
                     cues: tuple[list[int], list[int], list[str]], marks: _Marks
                     ) -> tuple[list[_Figure], list[tuple[int, int]]]:
    """Counts of items named before a listing phrase (《A》《B》被列入……目录 -> 2).

    Only when the catalog has a count indicator named after such a list and the phrase
    supports it.

    Returns:
        The figures, and the spans of all items named before a listing phrase (mapped or
        not: titles there are listed items, not documents issued).
    """
    text = doc.text
    listed: list[tuple[int, int]] = []
    if not any(verb in text for verb in lex.LISTING_VERBS):
        return [], listed
    clause_marks = marks.clause
    sentence_marks = marks.sentence
    number_starts = [n.start for n in numbers]
    section_starts = [s.start for s in sections]
    figures: list[_Figure] = []
    for match in _LISTING.finditer(text):
        start, end = match.span()
        clause_start, _ = _bounds(clause_marks, start, end, len(text))
        i = bisect.bisect_left(number_starts, clause_start)
        if i < len(number_starts) and number_starts[i] < end:
            continue  # the count is written out: an ordinary figure
        subject = text[clause_start:start]
        lead = _LISTING_LEAD.search(subject)
        if lead is not None:
            subject = subject[:lead.start()]
        count, offset, etc = _count_items(subject)
        if count == 0:
            continue
        items_start = clause_start + offset
        listed.append((items_start, end))
        indicators = compiled.listing_indicators.get(match.group("noun"))
        if not indicators:
            continue
        si = bisect.bisect_right(section_starts, start) - 1
        section = sections[si] if si >= 0 else None
        if section is not None and section.kind == "plan":
            continue
        phrase = match.group()
        best: Candidate | None = None
        for indicator in indicators:
            support = indicator_support(compiled, indicator, phrase)
            candidate = Candidate(indicator, min(1.0, 0.5 + 0.45 * support))
            if support >= 0.6 and (best is None or candidate.score > best.score):
                best = candidate
        if best is None:
            continue
        sentence_start, _ = _bounds(sentence_marks, start, end, len(text))
        quote_start = clause_start
        while quote_start < start and text[quote_start] in _LEFT_TRIM:
            quote_start += 1
        figures.append(_Figure(
            value=float(count), unit=compiled.units[best.indicator],
            qualifier="ge" if etc else "eq", start=items_start, end=end,
            quote_start=quote_start, quote_end=end, label=text[items_start:end],
            candidates=[best],
            scope_kind=_explicit_scope(cues, sentence_start, clause_start, items_start, end),
            section=section, mappable=True))
    return figures, listed


def _title_count_figures(doc: NormalizedText, compiled: CompiledCatalog,
                         sections: list[Section], numbers: list[FoundNumber],
                         cues: tuple[list[int], list[int], list[str]], marks: _Marks,
                         taken: SpanSet | None = None) -> list[_Figure]:
    """Counts of named titles (《A》《B》等政府规章 -> 2, ge) when the clause names a count.

    Title lists inside the ``taken`` spans (items named before a listing phrase) are skipped.
    """
    text = doc.text
    if "《" not in text:
        return []
    clause_marks = marks.clause
    sentence_marks = marks.sentence
    number_starts = [n.start for n in numbers]
    section_starts = [s.start for s in sections]
    figures: list[_Figure] = []
    for match in _TITLE_LIST.finditer(text):
        start, end = match.span()
        if taken and taken.overlaps(start, end):
            continue
        clause_start, clause_end = _bounds(clause_marks, start, end, len(text))
        i = bisect.bisect_left(number_starts, clause_start)
        if i < len(number_starts) and number_starts[i] < clause_end:
            continue
        titles = re.findall(r"《([^》\n]{2,80})》", match.group())
        left = text[clause_start:start]
        right = text[end:clause_end]
        for title in titles:
            for ending, word in lex.TITLE_KIND_CUES.items():
                if title.endswith(ending):
                    right = word + right
        si = bisect.bisect_right(section_starts, start) - 1
        section = sections[si] if si >= 0 else None
        sentence_start, _ = _bounds(sentence_marks, start, end, len(text))
        candidates = [
            c for c in score_context(
                compiled, left, right, number_kind="count", unit="件",
                value=float(len(titles)),
                section_domain=section.domain if section is not None else None,
                sentence=text[sentence_start:clause_end])
            if compiled.kinds[c.indicator] == "count" and c.score >= MAP_THRESHOLD + 0.1
        ]
        if not candidates:
            continue
        best = candidates[0]
        figures.append(_Figure(
            value=float(len(titles)), unit=compiled.units[best.indicator],
            qualifier="ge" if match.group("etc") else "eq", start=start, end=end,
            quote_start=clause_start, quote_end=clause_end, label=match.group(),
            candidates=[Candidate(best.indicator, best.score - 0.1)],
            scope_kind=_explicit_scope(cues, sentence_start, clause_start, start, end),
            section=section, mappable=True))
    return figures


def _assign(figures: list[_Figure], compiled: CompiledCatalog, scope_names: dict[str, str],
            warnings: list[ExtractionWarning], doc: NormalizedText) -> list[tuple[str, str]]:
    """Choose an indicator per figure so that (code, scope) keys stay unique."""
    taken: dict[tuple[str, str], int] = {}
    best_first = [-(f.candidates[0].score if f.candidates else 0.0) for f in figures]
    order = sorted(range(len(figures)), key=best_first.__getitem__)
    keys: list[tuple[str, str]] = [("", "")] * len(figures)
    for i in order:
        figure = figures[i]
        for rank, candidate in enumerate(figure.candidates):
            if candidate.score < MAP_THRESHOLD:
                break
            kind = figure.scope_kind or ("own" if compiled.own_level[candidate.indicator]
                                         else "all")
            key = (compiled.codes[candidate.indicator], scope_names[kind])
            if key in taken:
                if rank == 0:
                    other = figures[taken[key]]
                    raw_start, raw_end = doc.raw_span(figure.start, figure.end)
                    warnings.append(ExtractionWarning(
                        "duplicate_key", f"{key[0]} ({key[1]}) already holds "
                        f"{_shown(other)}; {_shown(figure)} was "
                        "given to another code or kept unmapped", raw_start, raw_end))
                continue
            taken[key] = i
            figure.indicator = candidate.indicator
            figure.confidence = candidate.score
            keys[i] = key
            break
        else:
            pass
        if figure.indicator is None:
            figure.confidence = figure.candidates[0].score if figure.candidates else 0.0
    _unmapped_keys(figures, scope_names, keys, set(taken))
    return keys


def _unmapped_keys(figures: list[_Figure], scope_names: dict[str, str],
                   keys: list[tuple[str, str]], used: set[tuple[str, str]]) -> None:
    """Give each unmapped figure the key ``unmapped_<hash of label and unit>``.

    The key is numbered ``_2``, ``_3``, ... in text order when the same label and unit come
    again in a scope.

    The next free number per (hash, scope) is remembered, so a label repeated k times costs
    k steps, not k^2 / 2 (a 50 MB file repeats labels tens of thousands of times).
    """
    next_number: dict[tuple[str, str], int] = {}
    for i, figure in enumerate(figures):
        if figure.indicator is not None:
            continue
        scope = scope_names[figure.scope_kind or "all"]
        digest = hashlib.sha1(f"{figure.label}|{figure.unit}".encode()).hexdigest()[:10]
        code = f"{UNMAPPED_PREFIX}{digest}"
        n = next_number.get((digest, scope), 2)
        while (code, scope) in used:
            code = f"{UNMAPPED_PREFIX}{digest}_{n}"
            n += 1
        next_number[(digest, scope)] = n
        used.add((code, scope))
        keys[i] = (code, scope)


def _checks(figures: list[_Figure], keys: list[tuple[str, str]], compiled: CompiledCatalog,
            warnings: list[ExtractionWarning]) -> pl.DataFrame:
    values: dict[tuple[int, str], float] = {}
    for figure, (_, scope) in zip(figures, keys, strict=True):
        if figure.indicator is not None and figure.value is not None:
            values[(figure.indicator, scope)] = figure.value
    rows: list[tuple[object, ...]] = []
    scopes = sorted({scope for _, scope in values})
    for scope in scopes:
        for target, numerator, denominator, tolerance in compiled.ratios:
            t = values.get((target, scope))
            n = values.get((numerator, scope))
            d = values.get((denominator, scope))
            if t is None or n is None or d is None or d == 0:
                continue
            expected = 100.0 * n / d
            ok = abs(expected - t) <= tolerance + 0.005 + 1e-9
            rows.append(("ratio", scope, compiled.codes[target], compiled.codes[numerator],
                         compiled.codes[denominator], t, n, d, expected, ok))
            if not ok:
                warnings.append(ExtractionWarning(
                    "ratio_mismatch", f"{compiled.codes[target]} ({scope}) is {t:g} but "
                    f"{compiled.codes[numerator]} / {compiled.codes[denominator]} = {n:g} / "
                    f"{d:g} = {expected:.2f} %"))
        for numerator, denominator in compiled.orders:
            n = values.get((numerator, scope))
            d = values.get((denominator, scope))
            if n is None or d is None:
                continue
            ok = n <= d
            rows.append(("le", scope, None, compiled.codes[numerator],
                         compiled.codes[denominator], None, n, d, None, ok))
            if not ok:
                warnings.append(ExtractionWarning(
                    "order_mismatch", f"{compiled.codes[numerator]} ({scope}) = {n:g} exceeds "
                    f"{compiled.codes[denominator]} = {d:g}"))
    return _frame(rows, _CHECKS_SCHEMA)


@renamed_arguments(regions="regions_table")
def extract(
    source: str | bytes | os.PathLike[str],
    *,
    region: str | None = None,
    year: int | None = None,
    catalog: Catalog | None = None,
    regions_table: pl.DataFrame | None = None,
    province: str | None = None,
    context: Sequence[str] = (),
) -> ExtractionResult:
    """Extract the figures of an annual 法治政府建设 report.

    Args:
        source: The report: a ``str`` is the text itself; ``bytes`` or a path
            (``pathlib.Path``) are decoded (UTF-8 with or without BOM, UTF-16 with BOM,
            GB18030).
        region: The reporting region as a 6-digit code or a name; overrides the title.
        year: The reporting year; overrides the title.
        catalog: The indicator catalog (default: the bundled one).
        regions_table: The regions table (default: the bundled one).
        province: The province the report is from (name or code); settles a region name
            that several provinces share (鼓楼区, 朝阳区).
        context: Codes of other regions of the same dataset; they settle a shared name
            when the region lies in one of them (or in their prefecture or province).

    Returns:
        The observations, warnings, document metadata, sections and relation checks.

    Raises:
        ExtractionError: The file is empty, binary, in an unknown encoding or unreadable,
            or ``region`` names no known region.

    Examples:
        >>> text = "十堰市人民政府关于2023年法治政府建设情况的报告\\n纠错9件，纠错率11.25%。"
        >>> result = extract(text)
        >>> result.document.region_code, result.document.year
        ('420300', 2023)
        >>> result.observations.select("value", "unit").rows()
        [(9.0, '件'), (11.25, '%')]
    """
    raw, encoding, path, data, read = _read(source)
    catalog = load_catalog() if catalog is None else catalog
    regions_table = load_regions() if regions_table is None else regions_table
    compiled = compiled_for(catalog)
    warnings: list[ExtractionWarning] = []
    doc = normalize(raw)
    digest = hashlib.sha1(data).hexdigest()[:12]
    mojibake = find_mojibake(doc)
    for span in mojibake:
        warnings.append(ExtractionWarning(
            "mojibake", f"garbled text {span.text!r} left as it is", span.raw_start,
            span.raw_end))
    if read is not None:
        warnings.extend(ExtractionWarning(code, message) for code, message in read.warnings)
    info = _metadata(doc, region=region, year=year, regions=regions_table, encoding=encoding,
                     path=path, digest=digest, warnings=warnings, province=province,
                     context=context)
    if read is not None:
        info = with_file_facts(info, read)
    domain_names = compiled.domain_names
    text = doc.text
    sections = find_sections(text, domain_names=domain_names)
    if not sections and text:
        warnings.append(ExtractionWarning("no_sections", "no numbered sections (一、 or (一)); "
                                          "domains come from the indicators"))
    level = info.region_level or "prefecture"
    cues = _scope_cues(text, level, region_suffix(info.region_name, level))
    numbers = scan_numbers(text)
    marks = _marks(text)
    figures = _figures(doc, numbers, compiled, sections, cues, marks,
                       SpanSet.of((s.start, s.end) for s in mojibake), warnings)
    figures += _statement_figures(doc, compiled, sections, cues, marks)
    figures += _no_number_figures(doc, compiled, catalog, sections, figures, cues, marks)
    listed, listed_spans = _listing_figures(doc, compiled, sections, numbers, cues, marks)
    figures += listed
    figures += _title_count_figures(doc, compiled, sections, numbers, cues, marks,
                                    SpanSet.of(listed_spans))
    figures.sort(key=lambda f: f.start)
    scope_names = scope_words(region_suffix(info.region_name, level), level)
    keys = _assign(figures, compiled, scope_names, warnings, doc)
    # A statement without a figure is kept only when it names a catalog indicator.
    kept = [i for i, f in enumerate(figures) if f.value is not None or f.indicator is not None]
    figures, keys = [figures[i] for i in kept], [keys[i] for i in kept]
    checks = _checks(figures, keys, compiled, warnings)
    n = len(figures)
    quotes = [_quote_bounds(text, f.quote_start, f.quote_end) for f in figures]
    spans = [doc.raw_span(start, end) for start, end in quotes]
    domains = compiled.domains
    columns: dict[str, list[object]] = {
        "region_code": [info.region_code] * n,
        "year": [info.year] * n,
        "indicator_code": [code for code, _ in keys],
        "scope": [scope for _, scope in keys],
        "value": [f.value for f in figures],
        "unit": [f.unit for f in figures],
        "qualifier": [f.qualifier for f in figures],
        "source_id": [info.source_id] * n,
        "quote": [text[start:end] for start, end in quotes],
        "disclosure": ["reported" if f.value is not None else "no_number" for f in figures],
        "domain": [
            f.section.domain if f.section is not None and f.section.domain is not None
            else (domains[f.indicator] if f.indicator is not None else None)
            for f in figures],
        "section": [f.section.label if f.section is not None else None for f in figures],
        "span_start": [start for start, _ in spans],
        "span_end": [end for _, end in spans],
        "confidence": [round(f.confidence, 3) for f in figures],
        "mapped": [f.indicator is not None for f in figures],
        "page": [read.page_of(start) if read is not None else None for start, _ in spans],
    }
    observations = pl.DataFrame([pl.Series(name, values, dtype=RESULT_SCHEMA[name])
                                 for name, values in columns.items()])
    section_rows = []
    for s in sections:
        raw_start, raw_end = doc.raw_span(s.start, s.end)
        section_rows.append((s.label, s.title, s.domain, s.kind, raw_start, raw_end))
    section_frame = _frame(section_rows, _SECTIONS_SCHEMA)
    return ExtractionResult(text=raw, page_starts=read.page_starts if read is not None else (),
                            observations=observations, warnings=tuple(warnings),
                            document=info, sections=section_frame, checks=checks)
