"""Names in tables -> catalog codes and region codes, each with a confidence."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare.catalog import Catalog
from fzcompare.extract._document import lookup_region, region_index
from fzcompare.ingest._cells import unit_of_header

__all__ = ["HEADER_THRESHOLD", "HeaderMatch", "RegionMatch", "match_header", "resolve_region"]

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
    """A region cell and the region it names (None when it names none)."""

    name: str
    code: str | None
    level: str | None


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


_LEVEL_BY_ENDING: Final[tuple[tuple[str, str], ...]] = (
    ("000000", "country"), ("0000", "province"), ("00", "prefecture"))


@renamed_arguments(regions="regions_table")
def resolve_region(name: str, regions_table: pl.DataFrame) -> RegionMatch:
    """The region a table cell names, through the regions table.

    This is the one place the import resolves region names: when the national name
    resolution (``fzcompare.resolve_region``) lands, it is swapped in here.

    Examples:
        >>> from fzcompare.catalog import load_regions
        >>> resolve_region("恩施州", load_regions())
        RegionMatch(name='恩施州', code='422800', level='prefecture')
        >>> resolve_region("火星市", load_regions()).code is None
        True
    """
    text = str(name).strip()
    if re.fullmatch(r"\d{6}", text):
        rows = region_index(regions_table).rows
        if text in rows:
            return RegionMatch(text, text, rows[text][1])
        return RegionMatch(text, None, None)
    code = lookup_region(text, regions_table) if text else None
    if code is None:
        return RegionMatch(text, None, None)
    return RegionMatch(text, code, region_index(regions_table).rows[code][1])
