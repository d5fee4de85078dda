"""Names in tables -> catalog codes and region codes, each with a confidence."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from fzcompare._regions_index import extra_regions
from fzcompare.catalog import Catalog
from fzcompare.errors import AmbiguousRegionError, UnknownRegionError
from fzcompare.ingest._cells import unit_of_header
from fzcompare.regions import names_a_region
from fzcompare.regions import resolve_region as resolve

__all__ = ["HEADER_THRESHOLD", "HeaderMatch", "RegionMatch", "match_header", "names_region",
           "resolve_region", "resolve_regions"]

HEADER_THRESHOLD: Final[float] = 0.8
"""Fuzzy header matches below this confidence are left unmapped (and reported)."""
_SPACES: Final[re.Pattern[str]] = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """A column header and the catalog code it stands for.

    Attributes:
        header: The header as written (merged header rows joined).
        code: The catalog code, or None when no name fits well enough.
        confidence: 1.0 for an exact name, synonym or code; the fuzzy score otherwise.
        unit: The unit from the header (``件``, ``%``) or ``""``.
        multiplier: 1, 1e4 (万) or 1e8 (亿) from the header's unit.
        matched: The catalog name, synonym or code that matched.
    """

    header: str
    code: str | None
    confidence: float
    unit: str
    multiplier: float
    matched: str | None


@dataclass(frozen=True, slots=True)
class RegionMatch:
    """A region cell and the region it names.

    Attributes:
        name: The cell's text.
        code: The code the name stands for (as used then: 郧县 -> 420321); None when it
            names no region or several.
        level: The region's level (None with ``code``).
        problem: Why ``code`` is None: the resolver's message (closest names, or the
            candidates of a shared name); None when resolved.
    """

    name: str
    code: str | None
    level: str | None
    problem: str | None = None


def _key(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


_CHOICES: dict[int, tuple[Catalog, dict[str, tuple[str, str]], dict[str, str]]] = {}


def _choices(catalog: Catalog) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Name key -> (code, name) over names, English names, synonyms and codes; code -> unit.

    Cached per catalog object (the catalog holds frames, so it cannot be hashed).
    """
    cached = _CHOICES.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1], cached[2]
    names: dict[str, tuple[str, str]] = {}
    units: dict[str, str] = {}
    for row in catalog.indicators.select("code", "name_zh", "name_en", "unit",
                                         "synonyms").iter_rows(named=True):
        code = row["code"]
        units[code] = row["unit"]
        for name in (code, row["name_zh"], row["name_en"], *(row["synonyms"] or [])):
            if name:
                names.setdefault(_key(name), (code, name))
    _CHOICES[id(catalog)] = (catalog, names, units)
    return names, units


def _units_agree(header_unit: str, catalog_unit: str) -> bool:
    if not header_unit:
        return True
    return (header_unit == "%") == (catalog_unit == "%")


def match_header(header: str, catalog: Catalog) -> HeaderMatch:
    """The catalog code a column header stands for.

    Exact names, synonyms and codes win; otherwise the closest name by
    ``rapidfuzz.fuzz.WRatio`` (or the ratio of the sorted characters) whose unit kind
    (rate or count) agrees with the header's.

    Examples:
        >>> from fzcompare.catalog import load_catalog
        >>> match = match_header("政务服务网办率(%)", load_catalog())
        >>> match.code, match.confidence, match.unit
        ('gov_service_online_rate', 1.0, '%')
        >>> match_header("食堂就餐人数(人)", load_catalog()).code is None
        True
    """
    # Heavy import: rapidfuzz loads only when headers are matched.
    from rapidfuzz import fuzz, process

    name, unit, multiplier = unit_of_header(header)
    names, units = _choices(catalog)
    exact = names.get(_key(name))
    if exact is not None and _units_agree(unit, units[exact[0]]):
        return HeaderMatch(header, exact[0], 1.0, unit, multiplier, exact[1])
    candidates = {k: v for k, v in names.items() if _units_agree(unit, units[v[0]])}

    def score(query: str, choice: str, **_: object) -> float:
        # Word order differs between tables and catalog names (备案审查规范性文件 vs
        # 规范性文件备案审查): the character-sorted ratio sees through it.
        return float(max(fuzz.WRatio(query, choice),
                         fuzz.token_sort_ratio(" ".join(query), " ".join(choice))))

    best = process.extractOne(_key(name), list(candidates), scorer=score,
                              processor=None) if candidates and name else None
    if best is None:
        return HeaderMatch(header, None, 0.0, unit, multiplier, None)
    choice, best_score, _ = best
    confidence = round(float(best_score) / 100.0, 3)
    code, matched = candidates[choice]
    if confidence < HEADER_THRESHOLD:
        return HeaderMatch(header, None, confidence, unit, multiplier, matched)
    return HeaderMatch(header, code, confidence, unit, multiplier, matched)


_EXTRA: dict[int, tuple[pl.DataFrame, pl.DataFrame | None]] = {}


def _extra(regions: pl.DataFrame) -> pl.DataFrame | None:
    """``extra_regions`` once per regions frame (a table's cells are probed one by one)."""
    cached = _EXTRA.get(id(regions))
    if cached is None or cached[0] is not regions:
        if len(_EXTRA) >= 8:  # keeps a few frames alive, not every one ever passed
            _EXTRA.clear()
        cached = _EXTRA[id(regions)] = (regions, extra_regions(regions))
    return cached[1]


def names_region(text: str, regions_table: pl.DataFrame) -> bool:
    """Whether a cell's text names a region (a shared name counts); cheap, for probing columns.

    Examples:
        >>> from fzcompare.catalog import load_regions
        >>> names_region("朝阳区", load_regions()), names_region("合计", load_regions())
        (True, False)
    """
    return names_a_region(str(text).strip(), regions_table=_extra(regions_table))


def resolve_region(name: str, regions_table: pl.DataFrame, *,
                   context: Iterable[str] = ()) -> RegionMatch:
    """The region a table cell names, through ``fzcompare.resolve_region``.

    Full, short, prefixed and old names and 6-digit codes resolve; the code kept is the one
    the name stood for (郧县 -> 420321: a figure keeps the code its table used, and
    ``fzcompare.regions.harmonise`` maps it for analyses across years). ``context`` (the
    codes of the table's other regions) settles a name several regions share. A cell that
    names no region, or a shared name the context does not settle, gets ``code`` None and
    the reason (with the closest names or the candidates) in ``problem``.

    Examples:
        >>> from fzcompare.catalog import load_regions
        >>> resolve_region("恩施州", load_regions())
        RegionMatch(name='恩施州', code='422800', level='prefecture', problem=None)
        >>> resolve_region("火星市", load_regions()).code is None
        True
        >>> resolve_region("青山区", load_regions(), context=["420100"]).code
        '420107'
        >>> resolve_region("朝阳区", load_regions()).problem
        "'朝阳区' fits 2 regions: 110105 朝阳区 (北京市), 220104 朝阳区 (长春市)"
    """
    text = str(name).strip()
    if not text:
        return RegionMatch(text, None, None, "the region cell is empty")
    try:
        match = resolve(text, context=context, regions_table=_extra(regions_table))
    except (UnknownRegionError, AmbiguousRegionError) as error:
        return RegionMatch(text, None, None, error.message)
    return RegionMatch(text, match.reported_code, match.level, None)


def resolve_regions(names: Iterable[str], regions_table: pl.DataFrame) -> dict[str, RegionMatch]:
    """Resolve a table's region cells together: the ones that resolve alone settle the rest.

    A shared name (青山区) in a table of 武汉's districts is 武汉's: the first pass resolves
    each name alone, the second retries the shared ones with the others' codes as context.

    Examples:
        >>> from fzcompare.catalog import load_regions
        >>> found = resolve_regions(["武汉市", "青山区", "朝阳区"], load_regions())
        >>> found["青山区"].code, found["朝阳区"].code
        ('420107', None)
    """
    found = {text: resolve_region(text, regions_table) for text in dict.fromkeys(names)}
    context = sorted({m.code for m in found.values() if m.code is not None})
    for text, match in found.items():
        if match.code is None and context and names_region(text, regions_table):
            found[text] = resolve_region(text, regions_table, context=context)
    return found
