"""Reading report files (encoding detection), document metadata and section structure."""

from __future__ import annotations

import bisect
import codecs
import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from fzcompare.errors import AmbiguousRegionError, ExtractionError
from fzcompare.extract import _lexicon as lex
from fzcompare.extract._numbers import chinese_numeral_value
from fzcompare.regions import RegionMatch, find_region

__all__ = [
    "DocumentInfo",
    "RegionReading",
    "Section",
    "decode_report",
    "find_date",
    "find_sections",
    "find_title",
    "read_region",
    "region_index",
]

_BINARY_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF", "a PDF file"), (b"PK\x03\x04", "a ZIP/Office file"), (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office file"), (b"\x7fELF", "an executable"),
)


def decode_report(data: bytes, *, name: str = "<bytes>") -> tuple[str, str]:
    """Decode a report file: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    Args:
        data: The file's bytes.
        name: The file name, used in error messages.

    Returns:
        The text and the name of the encoding it was read with.

    Raises:
        ExtractionError: ``reason`` ``empty``, ``binary`` or ``unknown_encoding``.

    Examples:
        >>> decode_report("法治政府".encode("gb18030"))
        ('法治政府', 'gb18030')
        >>> decode_report(codecs.BOM_UTF8 + "报告".encode())
        ('报告', 'utf-8-sig')
    """
    if not data.strip():
        msg = f"{name}: the file is empty"
        raise ExtractionError(msg, reason="empty", path=name,
                              hint="pass the text of a report")
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            msg = f"{name}: this is {what}, not a text file"
            raise ExtractionError(msg, reason="binary",
                                  path=name, hint="convert the report to plain text first")
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        sample = data[:4096]
        controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
        if b"\x00" in sample or controls > len(sample) // 100:
            msg = f"{name}: binary data (control bytes), not a text file"
            raise ExtractionError(msg,
                                  reason="binary", path=name,
                                  hint="pass a UTF-8 or GB18030 text file")
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    msg = f"{name}: the encoding is neither UTF-8 nor GB18030"
    raise ExtractionError(msg,
                          reason="unknown_encoding", path=name,
                          hint="convert the file to UTF-8 (for example with iconv)")


@dataclass(frozen=True)
class DocumentInfo:
    """What a report says about itself, plus how it was read.

    Attributes:
        source_id: ``doc-`` and the first 12 hex digits of the SHA-1 of the raw bytes
            (UTF-8 bytes of the text when a str was given).
        title: The title line, normalised, or None when none was found.
        region_code: 6-digit code of the reporting region (title, or the override).
        region_name: The region's name from the regions table.
        region_level: ``prefecture``, ``county`` ... (drives the scope names).
        year: The reporting year (title, or the override).
        published: The date of the closing line, if any.
        publisher: The issuing body as written in the title (``十堰市人民政府``).
        encoding: The encoding the file was read with (None for a str).
        path: The file path, if read from a file.
        n_chars: Characters of the raw text.
        file_type: ``text``, ``html``, ``pdf`` or ``docx`` (read from the file's bytes).
        sha256: Hex SHA-256 of the file's bytes (None for a str).
        url: The page's address when a saved HTML page records it.

    Examples:
        >>> from fzcompare.extract import extract
        >>> info = extract("十堰市人民政府关于2023年法治政府建设情况的报告\\n纠错9件。\\n"
        ...                "十堰市人民政府\\n2024年3月20日").document
        >>> info.region_code, info.region_name, info.region_level, info.year
        ('420300', '十堰市', 'prefecture', 2023)
        >>> info.publisher, info.published, info.source_id.startswith("doc-")
        ('十堰市人民政府', datetime.date(2024, 3, 20), True)
    """

    source_id: str
    title: str | None
    region_code: str | None
    region_name: str | None
    region_level: str | None
    year: int | None
    published: dt.date | None
    publisher: str | None
    encoding: str | None
    path: str | None
    n_chars: int
    file_type: str = "text"
    sha256: str | None = None
    url: str | None = None


_TITLE_LINE: Final[re.Pattern[str]] = re.compile(
    r"^[^\n]{0,60}?(?:法治政府建设|依法行政|法治建设)[^\n]{0,40}?(?:报告|情况)[^\n]{0,6}$", re.M)
_YEAR_IN_TITLE: Final[re.Pattern[str]] = re.compile(
    r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年")
_DATE: Final[re.Pattern[str]] = re.compile(
    r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})年"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})月(\d{1,2}|[一二三四五六七八九十]{1,3})日")
_ISO_DATE: Final[re.Pattern[str]] = re.compile(
    r"(?:发布时间|发布日期|成文日期|日期)[:：]?\s*((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def _numeral(text: str) -> int:
    if text.isdigit():
        return int(text)
    value = chinese_numeral_value(text)
    return -1 if value is None else value


def find_title(text: str) -> tuple[str | None, int]:
    """The title line among the first lines of a normalised report, and its end position.

    Examples:
        >>> find_title("来源:市政府办\\n十堰市人民政府关于2023年法治政府建设情况的报告\\n正文")[0]
        '十堰市人民政府关于2023年法治政府建设情况的报告'
    """
    head = text[:1500]
    match = _TITLE_LINE.search(head)
    if match is None:
        return None, 0
    return match.group().strip(), match.end()


def find_year(title: str) -> int | None:
    """The reporting year named in a title.

    Examples:
        >>> find_year("关于二〇二三年度法治政府建设工作情况的报告")
        2023
    """
    match = _YEAR_IN_TITLE.search(title)
    if match is None:
        return None
    year = _numeral(match.group(1))
    return year if 1949 <= year <= 2100 else None


def find_date(text: str) -> dt.date | None:
    """The publication date: the last full date of the closing lines, else a 发布时间 date.

    Examples:
        >>> find_date("特此报告。\\n十堰市人民政府\\n2024年1月22日")
        datetime.date(2024, 1, 22)
        >>> find_date("特此报告。\\n二〇二四年一月二十二日")
        datetime.date(2024, 1, 22)
    """
    tail = text[-400:]
    for match in reversed(list(_DATE.finditer(tail))):
        try:
            return dt.date(_numeral(match.group(1)), _numeral(match.group(2)),
                           _numeral(match.group(3)))
        except ValueError:
            continue
    match_iso = _ISO_DATE.search(text[:1500])
    if match_iso is not None:
        try:
            return dt.date(int(match_iso.group(1)), int(match_iso.group(2)),
                           int(match_iso.group(3)))
        except ValueError:
            return None
    return None


def _short_names(name: str, level: str) -> list[str]:
    names = [name]
    for suffix in lex.REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            names.append(stem)
            if suffix.endswith("自治州"):
                names.append(stem[:2] + "州")
            elif suffix.endswith("自治县"):
                names.append(stem[:2] + "县")
            break
    if level == "province" and name.endswith("省"):
        names.append(name[:-1])
    return names


@dataclass(frozen=True)
class RegionIndex:
    """Lookups over a regions table: alias -> code, a regex of the aliases, code -> row."""

    aliases: dict[str, str]
    pattern: re.Pattern[str] | None
    rows: dict[str, tuple[str, str]]


_REGION_INDEX: dict[int, tuple[pl.DataFrame, RegionIndex]] = {}
_LEVEL_DEPTH: Final[dict[str, int]] = {"country": 0, "province": 1, "prefecture": 2, "county": 3}


def region_index(regions: pl.DataFrame) -> RegionIndex:
    """The lookups of a regions table, built once per table object.

    Short forms (十堰 for 十堰市, 恩施州 for 恩施土家族苗族自治州) are kept only when
    they name a single region.

    Examples:
        >>> from fzcompare import load_regions
        >>> index = region_index(load_regions())
        >>> index.aliases["十堰"], index.aliases["恩施州"], index.rows["420300"]
        ('420300', '422800', ('十堰市', 'prefecture'))
        >>> region_index(load_regions()) is index  # built once per table object
        True
    """
    hit = _REGION_INDEX.get(id(regions))
    if hit is not None and hit[0] is regions:
        return hit[1]
    seen: dict[str, set[str]] = {}
    rows: dict[str, tuple[str, str]] = {}
    for code, name, level in regions.select("region_code", "name_zh", "level").iter_rows():
        rows[code] = (name or "", level or "")
        if not name:
            continue
        for alias in _short_names(name, level):
            seen.setdefault(alias, set()).add(code)
    aliases = {alias: next(iter(codes)) for alias, codes in seen.items() if len(codes) == 1}
    for code, (name, _) in rows.items():
        if name:
            aliases[name] = code
    pattern = (re.compile("|".join(re.escape(a) for a in sorted(aliases, key=lambda a: -len(a))))
               if aliases else None)
    index = RegionIndex(aliases, pattern, rows)
    if len(_REGION_INDEX) > 8:
        _REGION_INDEX.clear()
    _REGION_INDEX[id(regions)] = (regions, index)
    return index


def lookup_region(text: str, regions: pl.DataFrame) -> str | None:
    """The most specific region named in ``text`` (a title or a closing line).

    Examples:
        >>> from fzcompare import load_regions
        >>> lookup_region("十堰市人民政府关于2023年法治政府建设情况的报告", load_regions())
        '420300'
    """
    index = region_index(regions)
    if index.pattern is None:
        return None
    best: tuple[int, int] | None = None
    found: str | None = None
    for match in index.pattern.finditer(text):
        code = index.aliases[match.group()]
        rank = (_LEVEL_DEPTH.get(index.rows.get(code, ("", ""))[1], 0), match.start())
        if best is None or rank > best:
            best, found = rank, code
    return found


_ISSUER_END: Final[re.Pattern[str]] = re.compile(
    r"关于|(?:19|20)\d{2}\s*年|[〇零一二三四五六七八九]{4}年|法治政府|依法行政|法治建设")
_DEPARTMENT: Final[re.Pattern[str]] = re.compile(
    r"(?:司法厅|司法局|法制办公室|法制办|依法治[省市县区]办公室|依法治[省市县区]办|办公厅|办公室)$")


@dataclass(frozen=True)
class RegionReading:
    """The reporting government read from a report's first lines.

    Attributes:
        match: The region (None when no line names one, or when the name is ambiguous).
        publisher: The issuing body as written (``十堰市人民政府``, ``成都市司法局``).
        department: Whether the issuer is a department reporting for its government.
        ambiguous: The ambiguity message when several regions fit and nothing chose one.
    """

    match: RegionMatch | None
    publisher: str | None
    department: bool
    ambiguous: str | None


def _issuer(line: str) -> str:
    end = _ISSUER_END.search(line)
    return line[: end.start()].strip(" ：:，,") if end else line.strip()


def read_region(text: str, title: str | None, *, year: int | None = None,
                regions: pl.DataFrame | None = None, province: str | None = None,
                context: Sequence[str] = ()) -> RegionReading:
    """The government a report is from: its title's issuer, else the lines around it.

    Names shared by several regions (鼓楼区, 朝阳区) are settled by the other names in the
    first lines, then the ``province`` hint and the ``context`` codes (the dataset's other
    regions); when nothing settles them the reading says so (never a guess).

    Examples:
        >>> reading = read_region("成都市武侯区人民政府关于2023年法治政府建设情况的报告",
        ...                       "成都市武侯区人民政府关于2023年法治政府建设情况的报告")
        >>> reading.match.code, reading.publisher, reading.department
        ('510107', '成都市武侯区人民政府', False)
        >>> read_region("x", "广州市司法局关于2023年法治政府建设情况的报告").match.code
        '440100'
        >>> read_region("x", "鼓楼区人民政府关于2023年法治政府建设情况的报告").ambiguous[:10]
        "'鼓楼区' fits"
    """
    head = text[:400]
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    candidates = [_issuer(title)] if title else []
    candidates += [_issuer(line) for line in lines[:4] if line != title]
    candidates += [text[-200:]]
    ambiguous: str | None = None
    for issuer in candidates:
        if not issuer:
            continue
        try:
            match = find_region(issuer, year=year, context_text=head, regions_table=regions,
                                province=province, context=context)
        except AmbiguousRegionError as error:
            ambiguous = ambiguous or error.message
            continue
        if match is not None:
            publisher = issuer if issuer is not candidates[-1] else None
            department = bool(publisher and _DEPARTMENT.search(publisher))
            return RegionReading(match, publisher, department, None)
    return RegionReading(None, candidates[0] if candidates else None, False, ambiguous)


@dataclass(frozen=True)
class Section:
    """One numbered section of a report.

    Attributes:
        label: ``一、`` for a top-level section, ``一、(二)`` for a subsection.
        title: The heading text (up to the first 。), normalised.
        start: Position of the heading in the normalised text.
        end: Position where the next section starts.
        domain: The domain (1-8) the heading reports on, or None.
        kind: ``domain``, ``plan`` (problems and next year's plans) or ``other``.

    Examples:
        >>> text = "一、依法全面履行政府职能\\n正文\\n二、健全突发事件应对体系\\n正文"
        >>> first = find_sections(text)[0]
        >>> first.label, first.title, first.domain, first.kind
        ('一、', '依法全面履行政府职能', 2, 'domain')
        >>> text[first.start:first.end].split()
        ['一、依法全面履行政府职能', '正文']
    """

    label: str
    title: str
    start: int
    end: int
    domain: int | None
    kind: str


_HEADING_LINE: Final[re.Pattern[str]] = re.compile(
    r"^(?:(?P<top>[一二三四五六七八九十]{1,3})、|\((?P<sub>[一二三四五六七八九十]{1,3})\))"
    r"(?P<title>[^\n。]{0,80})", re.M)
_HEADING_INLINE: Final[re.Pattern[str]] = re.compile(
    r"(?:^|(?<=[。！？]))(?:(?P<top>[一二三四五六七八九十]{1,3})、|"
    r"\((?P<sub>[一二三四五六七八九十]{1,3})\))(?P<title>[^\n。]{0,80})", re.M)


_HEADING_DOMAINS: dict[tuple[str, tuple[tuple[int, str], ...]], int | None] = {}
"""(heading, catalog domain names) -> domain: headings recur across reports of the genre."""


def _cached_heading_domain(title: str, cues: dict[int, tuple[str, ...]],
                           names: tuple[tuple[int, str], ...]) -> int | None:
    key = (title, names)
    if key in _HEADING_DOMAINS:
        return _HEADING_DOMAINS[key]
    if len(_HEADING_DOMAINS) > 4096:
        _HEADING_DOMAINS.clear()
    domain = _HEADING_DOMAINS[key] = _heading_domain(title, cues)
    return domain


def _heading_domain(title: str, cues: dict[int, tuple[str, ...]]) -> int | None:
    best_domain: int | None = None
    best_score = 0
    for domain, words in cues.items():
        score = sum(len(w) for w in words if w in title)
        if score > best_score:
            best_domain, best_score = domain, score
    return best_domain


def find_sections(text: str, *, domain_names: dict[int, str] | None = None) -> list[Section]:
    """The numbered sections (一、 and (一)) of a normalised report, each with its domain.

    Args:
        text: Normalised report text.
        domain_names: Domain -> Chinese name from the catalog; used as extra heading cues.

    Examples:
        >>> text = "一、依法全面履行政府职能\\n正文\\n二、健全突发事件应对体系\\n正文"
        >>> [(s.label, s.domain) for s in find_sections(text)]
        [('一、', 2), ('二、', 6)]
    """
    cues = {d: tuple(words) for d, words in lex.DOMAIN_CUES.items()}
    for number, name in (domain_names or {}).items():
        cues[number] = (*cues.get(number, ()), name)
    names = tuple((domain_names or {}).items())
    matches = list(_HEADING_LINE.finditer(text))
    if not matches:
        matches = list(_HEADING_INLINE.finditer(text))
    sections: list[Section] = []
    top_label = ""
    top_domain: int | None = None
    top_kind = "other"
    for match in matches:
        title = match.group("title").strip()
        domain: int | None
        if match.group("top"):
            top_label = match.group("top") + "、"
            label = top_label
            domain = _cached_heading_domain(title, cues, names)
            if any(cue in title for cue in lex.PLAN_HEADING_CUES) and domain != 1:
                kind, domain = "plan", None
            elif domain is None:
                kind = "other"
            else:
                kind = "domain"
            top_domain, top_kind = domain, kind
        else:
            label = f"{top_label}({match.group('sub')})"
            if top_kind == "plan":
                kind, domain = "plan", None
            else:
                domain = _cached_heading_domain(title, cues, names)
                if domain is None:
                    domain = top_domain
                kind = "domain" if domain is not None else "other"
        sections.append(Section(label, title, match.start(), len(text), domain, kind))
    return [
        Section(s.label, s.title, s.start, nxt.start, s.domain, s.kind)
        for s, nxt in itertools.pairwise(sections)
    ] + sections[-1:]


def section_at(sections: list[Section], starts: list[int], position: int) -> Section | None:
    """The section holding ``position`` (``starts`` are the sections' start positions)."""
    i = bisect.bisect_right(starts, position) - 1
    return sections[i] if i >= 0 else None
