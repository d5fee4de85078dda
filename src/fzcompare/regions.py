"""Every government in China: division codes, their history, names, scopes and peer groups.

The bundled table (``data/regions.csv``) holds every province-, prefecture- and
county-level division in force; ``data/region_history.csv`` holds the codes and names in
use since 2000 that are no longer, each with its validity and successor(s). Both are
built by ``datasets/build_regions.py`` from published code lists (see ``docs/regions.md``)
and read on first use only.

A figure keeps the code its report used (郧县 420321 in a 2013 report); ``harmonise``
maps old codes to the code in force so that a series across a code change is one series,
and says so in its ``region_note`` column.

Examples:
    >>> match = resolve_region("郧县", year=2013)
    >>> match.reported_code, match.code, match.name
    ('420321', '420304', '郧阳区')
    >>> resolve_region("北京市海淀区").code
    '110108'
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from fzcompare._deprecation import renamed_arguments
from fzcompare._regions_index import (
    NameIndex,
    Place,
    name_index,
    read_history,
    read_region_table,
    strip_government,
)
from fzcompare.errors import AmbiguousRegionError, UnknownRegionError
from fzcompare.schema import scope_words

__all__ = [
    "LEVEL_SCOPES",
    "RegionMatch",
    "find_region",
    "harmonise",
    "level_scopes",
    "peer_group",
    "region_history",
    "region_table",
    "resolve_region",
    "scope_levels",
    "scope_names",
]

_MAX_NAME: Final[int] = 24
LEVEL_SCOPES: Final[dict[str, dict[str, str]]] = {
    "country": {"all": "全国", "own": "全国", "direct": "全国"},
    "province": {"all": "全省", "own": "省本级", "direct": "省直"},
    "prefecture": {"all": "全市", "own": "市本级", "direct": "市直"},
    "county": {"all": "全县", "own": "县本级", "direct": "县直"},
    "township": {"all": "全镇", "own": "镇本级", "direct": "镇直"},
}
"""One scope word per level and kind: what ``level_scopes`` maps a region's own words to, and
what the benchmark's ``scope: whole`` reads (全市 for a prefecture, 全县 for a county)."""
PeerScope = Literal["parent", "province", "nation"]


@dataclass(frozen=True)
class RegionMatch:
    """A name resolved to a division.

    Attributes:
        code: The code in force (the one analyses across years use).
        name: The name in force.
        level: ``province``, ``prefecture``, ``county`` (or ``township`` for regions a
            dataset registers).
        parent_code: The parent's code (``000000`` for a province).
        province_code: The province's code (``""`` for the country).
        reported_code: The code the name stood for when it was used (郧县 -> 420321);
            equal to ``code`` unless the name is historical.
        reported_name: The name as resolved (the division's full name then).
        history_step: How ``reported_code`` became ``code`` (None when they are equal).
        matched: The part of the input that named the division.
    """

    code: str
    name: str
    level: str
    parent_code: str
    province_code: str
    reported_code: str
    reported_name: str
    history_step: str | None
    matched: str


def region_table() -> pl.DataFrame:
    """The bundled regions table with all its columns (aliases, types, source).

    Examples:
        >>> table = region_table()
        >>> table.filter(pl.col("region_code") == "422800").select(
        ...     "short_name", "division_type", "scope_suffix").row(0)
        ('恩施州', '自治州', '州')
    """
    return read_region_table()


def region_history() -> pl.DataFrame:
    """Codes and names no longer in force: validity (revisions), successors, change kind.

    Examples:
        >>> history = region_history()
        >>> history.filter(pl.col("region_code") == "371200").select(
        ...     "name_zh", "successor_codes", "change").row(0)
        ('莱芜市', '370100', 'replaced')
    """
    return read_history()


def _province_of(code: str, index: NameIndex) -> str:
    if code == "000000":
        return ""
    chain = (code, *index.ancestors.get(code, ()))
    provinces = [c for c in chain if c.endswith("0000") and c != "000000"]
    return provinces[-1] if provinces else code[:2] + "0000"


def _current(place: Place, index: NameIndex) -> tuple[Place, str | None]:
    """The place in force that ``place`` became, and the steps taken (None: no step)."""
    steps: list[str] = []
    step = place
    for _ in range(6):
        if step.until is None and step.code in index.by_code:
            break
        nxt = step.successors[0] if step.successors else ""
        follow = index.by_code.get(nxt) or index.historical.get(nxt)
        if follow is None or follow is step:
            msg = (
                f"{place.name} ({place.code}) was abolished in the code list after "
                f"{place.until} with no successor the revisions name"
            )
            raise UnknownRegionError(
                msg,
                hint="give the code in force, or register the mapping in the dataset's "
                "regions.csv", code=place.code)
        steps.append(f"{step.name} {step.code} (to {step.until}) -> {follow.name} {follow.code}")
        step = follow
    return step, "; ".join(steps) or None


def _current_code(place: Place, index: NameIndex) -> str:
    """The code in force a place leads to (its own code when it leads nowhere)."""
    try:
        return _current(place, index)[0].code
    except UnknownRegionError:
        return place.code


def _match(place: Place, index: NameIndex, matched: str) -> RegionMatch:
    now, step = _current(place, index)
    return RegionMatch(code=now.code, name=now.name, level=now.level, parent_code=now.parent,
                       province_code=_province_of(now.code, index), reported_code=place.code,
                       reported_name=place.name, history_step=step, matched=matched)


def _segments(text: str, index: NameIndex) -> list[str] | None:
    """Split a name into known names, longest first at each position (北京市|海淀区)."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(len(text) - i, _MAX_NAME), 1, -1):
            if text[i:i + length] in index.by_name:
                parts.append(text[i:i + length])
                i += length
                break
        else:
            return None
    return parts


def _within(place: Place, codes: set[str], index: NameIndex) -> bool:
    return place.code in codes or any(a in codes for a in index.ancestors.get(place.code, ()))


def _valid_in(place: Place, year: int) -> bool:
    return (place.since is None or place.since <= year) and (place.until is None
                                                            or year <= place.until)


def _narrow(candidates: list[Place], named: set[str], index: NameIndex) -> list[Place]:
    """The candidates inside the closest named tier that keeps any.

    Inside the named regions, else inside their prefectures, else their provinces.
    """
    above = {a for code in named for a in index.ancestors.get(code, ()) if a != "000000"}
    tiers = (named, {a for a in above if not a.endswith("0000")}, above)
    for codes in tiers:
        narrowed = [p for p in candidates if _within(p, codes, index)] if codes else []
        if narrowed:
            return narrowed
    return candidates


def _pick(candidates: Iterable[Place], index: NameIndex, *, year: int | None,
          contexts: list[set[str]], hint: set[str] | None) -> list[Place]:
    """The candidates left after the context.

    Names before (湖北省十堰市), the province hint, the year, then the surrounding regions
    (``contexts``, most telling first).
    """
    unique = list({(p.code, p.until): p for p in candidates}.values())
    if hint is not None:
        unique = [p for p in unique if _within(p, hint, index)]
    if year is not None:
        unique = [p for p in unique if _valid_in(p, year)] or unique
    elif any(p.until is None for p in unique):
        unique = [p for p in unique if p.until is None]
    for context in contexts:
        if len(unique) <= 1:
            break
        unique = _narrow(unique, context, index)
    if len(unique) > 1 and len({_current_code(p, index) for p in unique}) == 1:
        unique = [max(unique, key=lambda p: p.until or 9999)]  # one division, renamed or recoded
    return unique


def _context_codes(codes: Iterable[str], index: NameIndex) -> set[str]:
    """The codes that name a known region (current or historical)."""
    return {code for code in codes if code in index.by_code or code in index.historical}


def _province_hint(province: str | None, index: NameIndex) -> set[str] | None:
    if province is None:
        return None
    code = province.strip() if province.strip().isdigit() else None
    if code is None:
        places = [p for p in index.by_name.get(strip_government(province), ())
                  if p.level == "province"]
        if not places:
            raise _unknown(province, index, what="province")
        code = places[0].code
    if code not in index.by_code:
        raise _unknown(province, index, what="province")
    return {code}


def _closeness(wanted: str, name: str) -> float:
    """Difflib's ratio, with a nudge for the same first character and the same length."""
    ratio = difflib.SequenceMatcher(None, wanted, name).ratio()
    return ratio + 0.1 * (name[:1] == wanted[:1]) + 0.05 * (len(name) == len(wanted))


def _unknown(name: str, index: NameIndex, *, what: str = "region") -> UnknownRegionError:
    names = [n for n in index.by_name if len(n) >= 2]
    wanted = strip_government(name)
    close = sorted(difflib.get_close_matches(wanted, names, n=20, cutoff=0.5),
                   key=lambda n: -_closeness(wanted, n))[:8]
    codes = list(dict.fromkeys(index.by_name[n][0].code for n in close))[:3]
    places = [index.by_code.get(c) or index.historical[c] for c in codes]
    shown = ", ".join(f"{p.name} ({p.code})" for p in places)
    close = [p.name for p in places]
    return UnknownRegionError(
        f"unknown {what} {name!r}" + (f"; closest: {shown}" if shown else ""),
        hint="give a full name (北京市海淀区), a short name (海淀) or a 6-digit code; "
        "fzcompare dataset regions --search lists them", name=name, suggestions=close)


def _ambiguous(name: str, places: list[Place], index: NameIndex) -> AmbiguousRegionError:
    triples = []
    for p in sorted(places, key=lambda p: p.code):
        parent = index.by_code.get(p.parent) or index.historical.get(p.parent)
        triples.append((p.code, p.name, parent.name if parent else ""))
    listed = ", ".join(f"{c} {n} ({parent})" for c, n, parent in triples)
    return AmbiguousRegionError(
        f"{name!r} fits {len(triples)} regions: {listed}",
        hint="add the province or prefecture (北京市朝阳区), pass province=, or give the code",
        name=name, candidates=triples)


@renamed_arguments(regions="regions_table")
def resolve_region(
    name: str,
    *,
    year: int | None = None,
    province: str | None = None,
    context: Iterable[str] = (),
    regions_table: pl.DataFrame | None = None,
) -> RegionMatch:
    """Resolve a government's name (or code) to its division.

    Accepts full names, short names (海淀, 恩施州), names with or without 人民政府, with a
    province or prefecture before them (北京市海淀区, 湖北省十堰市), old names (郧县), and
    6-digit codes, current or historical.

    Args:
        name: The name or code.
        year: The year the name was used in; picks the code valid then.
        province: A province name or code that the region lies in.
        context: Codes of other regions of the same dataset or document; they settle a
            name shared by several regions when they lie in one of them.
        regions_table: Extra regions (a dataset's ``regions.csv``: townships, streets).

    Raises:
        UnknownRegionError: Nothing matches; the message lists the closest names.
        AmbiguousRegionError: Several regions fit; the message lists them with parents.

    Examples:
        >>> resolve_region("十堰市人民政府").code
        '420300'
        >>> resolve_region("朝阳区", province="北京市").code
        '110105'
        >>> resolve_region("襄樊市", year=2009).history_step
        '襄樊市 420600 (to 2010) -> 襄阳市 420600'
        >>> resolve_region("鼓楼区", context=["320100"]).parent_code
        '320100'
    """
    index = name_index(regions_table)
    text = strip_government(name)
    hint = _province_hint(province, index)
    if text.isdigit() and len(text) == 6:
        place = index.by_code.get(text) or index.historical.get(text)
        if place is None:
            raise _unknown(name, index)
        return _match(place, index, text)
    parts = _segments(text, index) if text else None
    if not parts:
        raise _unknown(name, index)
    candidates = list(index.by_name[parts[-1]])
    for part in parts[:-1]:  # 北京市海淀区: the names before must contain the last one
        outer = {p.code for p in index.by_name[part]}
        candidates = [p for p in candidates if any(a in outer
                                                   for a in index.ancestors.get(p.code, ()))]
    if not candidates:
        raise _unknown(name, index)
    contexts = [c for c in (_context_codes(context, index),) if c]
    chosen = _pick(candidates, index, year=year, contexts=contexts, hint=hint)
    if not chosen:
        raise _unknown(name, index)
    if len(chosen) > 1:
        raise _ambiguous(name, chosen, index)
    return _match(chosen[0], index, text)


@renamed_arguments(regions="regions_table")
def find_region(
    text: str,
    *,
    year: int | None = None,
    province: str | None = None,
    context_text: str = "",
    context: Iterable[str] = (),
    regions_table: pl.DataFrame | None = None,
) -> RegionMatch | None:
    """The most specific government named in ``text`` (a report's issuer line).

    Other names in ``text``, then names in ``context_text`` (the first lines), the
    ``province`` hint and the ``context`` codes settle a name that several regions share.

    Returns:
        The match, or None when ``text`` names no region.

    Raises:
        AmbiguousRegionError: A name fits several regions and the context picks none.

    Examples:
        >>> find_region("中共郧西县委 郧西县人民政府").code
        '420322'
        >>> find_region("鼓楼区人民政府", context_text="南京市鼓楼区人民政府办公室").code
        '320106'
    """
    index = name_index(regions_table)
    hint = _province_hint(province, index)
    found = [m.group() for m in index.pattern.finditer(text)]
    if not found:
        return None
    deepest = max(found, key=lambda n: (max(index.depth(p) for p in index.by_name[n]), len(n)))
    others = [n for n in found if n != deepest]
    near = [m.group() for m in index.pattern.finditer(context_text)] if context_text else []
    contexts = [_context_codes((p.code for n in names for p in index.by_name[n]), index)
                for names in (others, [n for n in near if n != deepest])]
    contexts.append(_context_codes(context, index))
    chosen = _pick(index.by_name[deepest], index, year=year,
                   contexts=[c for c in contexts if c], hint=hint)
    if not chosen:
        return None
    if len(chosen) > 1:
        raise _ambiguous(deepest, chosen, index)
    return _match(chosen[0], index, deepest)


_NAME_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("自治区", "区"), ("特别行政区", "区"), ("自治州", "州"), ("自治县", "县"), ("自治旗", "旗"),
    ("地区", "地区"), ("林区", "区"), ("特区", "区"), ("街道", "镇"), ("省", "省"), ("市", "市"),
    ("区", "区"), ("县", "县"), ("州", "州"), ("盟", "盟"), ("旗", "旗"), ("镇", "镇"),
    ("乡", "镇"),
)


def _suffix_of_name(name: str) -> str:
    for ending, suffix in _NAME_SUFFIXES:
        if name.endswith(ending):
            return suffix
    return "市"


@functools.cache
def _scope_suffixes() -> dict[str, tuple[str, str]]:
    """Code -> (scope suffix, level) of the bundled table."""
    table = read_region_table().select("region_code", "scope_suffix", "level")
    return {code: (suffix or "市", level) for code, suffix, level in table.iter_rows()}


@renamed_arguments(regions="regions_table")
def scope_names(code: str, *, regions_table: pl.DataFrame | None = None) -> dict[str, str]:
    """The data-model scopes of a region's figures: whole area, own level, departments.

    Old codes (郧县 420321) get the words of their name then (全县).

    Examples:
        >>> scope_names("420303"), scope_names("420322")["all"]
        ({'all': '全区', 'own': '区本级', 'direct': '区直'}, '全县')
        >>> scope_names("152900")["all"], scope_names("450000")["own"], scope_names("420321")["all"]
        ('全盟', '区本级', '全县')
    """
    bundled = _scope_suffixes().get(code)
    if bundled is not None:
        return scope_words(*bundled)
    index = name_index(regions_table)
    place = index.by_code.get(code) or index.historical.get(code)
    if place is None:
        raise _unknown(code, index)
    return scope_words(_suffix_of_name(place.name), place.level)


@renamed_arguments(regions="regions_table")
def scope_levels(pairs: pl.DataFrame, *, regions_table: pl.DataFrame | None = None) -> pl.DataFrame:
    """For each ``(region_code, scope)`` pair, the level the scope fits for that region.

    A scope fits a region when it is one of the region's own words (``scope_names``) or
    one of its level's words in ``LEVEL_SCOPES`` (the words older datasets used: 全县 for a
    district); the column ``scope_level`` is then the region's level, else ``other``.
    Unknown regions get null. ``regions`` (``region_code, level``) supplies levels the bundled
    table lacks (registered or synthetic regions).

    Examples:
        >>> pairs = pl.DataFrame({"region_code": ["110000", "110105", "110105"],
        ...                       "scope": ["全市", "全区", "全市"]})
        >>> scope_levels(pairs)["scope_level"].to_list()
        ['province', 'county', 'other']
    """
    index = name_index()
    levels = ({} if regions_table is None or "level" not in regions_table.columns else
              dict(regions_table.select("region_code", "level").iter_rows()))
    out: list[str | None] = []
    words: dict[str, set[str]] = {}
    for code, scope in pairs.select("region_code", "scope").iter_rows():
        place = index.by_code.get(code) or index.historical.get(code)
        level = levels.get(code) or (place.level if place else None)
        if level is None or level not in LEVEL_SCOPES:
            out.append(None)
            continue
        if code not in words:
            own = set(scope_names(code).values()) if place else set()
            words[code] = own | set(LEVEL_SCOPES[level].values())
        out.append(level if scope in words[code] else "other")
    return pairs.select("region_code", "scope").with_columns(
        pl.Series("scope_level", out, dtype=pl.String()))


def harmonise(observations: pl.DataFrame) -> pl.DataFrame:
    """Map old region codes to the codes in force, keeping the reported ones beside them.

    Adds ``reported_region_code`` (the code as reported) and ``region_note`` (the history
    step, null where nothing changed); ``region_code`` becomes the code in force, so a
    series across a code change (郧县 420321 -> 郧阳区 420304) is one series.

    Examples:
        >>> frame = pl.DataFrame({"region_code": ["420321", "420304"], "year": [2013, 2015]})
        >>> harmonise(frame).select("region_code", "reported_region_code").rows()
        [('420304', '420321'), ('420304', '420304')]
    """
    index = name_index()
    codes = observations["region_code"].unique().to_list()
    mapping: dict[str, tuple[str, str | None]] = {}
    for code in codes:
        place = index.historical.get(code) if code not in index.by_code else None
        if place is not None:
            now, step = _current(place, index)
            mapping[code] = (now.code, step)
    table = pl.DataFrame({"region_code": list(mapping),
                          "_current": [v[0] for v in mapping.values()],
                          "region_note": [v[1] for v in mapping.values()]},
                         schema={"region_code": pl.String(), "_current": pl.String(),
                                 "region_note": pl.String()})
    return (observations.join(table, on="region_code", how="left")
            .with_columns(pl.col("region_code").alias("reported_region_code"),
                          pl.coalesce("_current", "region_code").alias("region_code"))
            .drop("_current"))


@renamed_arguments(regions="regions_table")
def peer_group(code: str, *, within: PeerScope = "parent",
               regions_table: pl.DataFrame | None = None) -> pl.DataFrame:
    """A region and its peers: same level and same parent, same province, or nationwide.

    ``peer_group(province_code, within="parent")`` on a province gives all provinces; to
    list a province's prefectures or a prefecture's counties and districts, give one of
    them (or use ``children``-style selection: ``peer_group(child, within="parent")``).
    Townships registered in a dataset's ``regions.csv`` (``regions``) have their siblings.

    Examples:
        >>> peer_group("420300")["region_code"].len()  # Hubei's 17 prefecture-level units
        17
        >>> peer_group("420303").height  # 十堰's districts and counties
        8
        >>> peer_group("420300", within="nation").height > 330
        True
    """
    base = read_region_table().select("region_code", "name_zh", "level", "parent_code",
                                      "province_code")
    if regions_table is not None and regions_table.height:
        extra = regions_table.select("region_code", "name_zh", "level", "parent_code").with_columns(
            pl.lit(None, pl.String()).alias("province_code"))
        base = pl.concat([base, extra.filter(~pl.col("region_code").is_in(
            base["region_code"].implode()))])
    row = base.filter(pl.col("region_code") == code)
    if row.height == 0:
        raise _unknown(code, name_index(regions_table))
    level, parent, province = row.select("level", "parent_code", "province_code").row(0)
    same_level = base.filter(pl.col("level") == level)
    if within == "parent":
        return same_level.filter(pl.col("parent_code") == parent).sort("region_code")
    if within == "province":
        return same_level.filter(pl.col("province_code") == province).sort("region_code")
    return same_level.sort("region_code")


def _scope_kind(scope: str) -> str | None:
    if scope == "全国" or scope.startswith("全"):
        return "all"
    if scope.endswith("本级"):
        return "own"
    if scope.endswith("直"):
        return "direct"
    return None


def level_scopes(observations: pl.DataFrame) -> pl.DataFrame:
    """Scopes in one word per level, so that districts, counties and banners compare.

    A district's ``全区`` and a banner's ``全旗`` become ``全县``, an autonomous prefecture's
    ``全州`` becomes ``全市``, a municipality's ``全市`` becomes ``全省`` (``LEVEL_SCOPES``);
    the words as reported are kept in ``reported_scope``. The benchmark runs it before
    scoring, so ``scope: whole`` reads each region's own whole-area figure.

    Regions the bundled table lacks (registered townships, synthetic regions) keep their
    scopes: they use their level's words already (全镇, 县本级 ...).

    Examples:
        >>> frame = pl.DataFrame({"region_code": ["420303", "420322", "422800", "110000"],
        ...                       "scope": ["全区", "全县", "州本级", "全市"]})
        >>> level_scopes(frame)["scope"].to_list()
        ['全县', '全县', '市本级', '全省']
    """
    suffixes = _scope_suffixes()
    codes = observations["region_code"].unique().drop_nulls().to_list()
    rows: list[tuple[str, str, str]] = []
    for code in codes:
        known = suffixes.get(code)
        if known is None or known[1] not in LEVEL_SCOPES:
            continue
        own, level_words = scope_words(*known), LEVEL_SCOPES[known[1]]
        rows += [(code, own[kind], level_words[kind]) for kind in own
                 if own[kind] != level_words[kind]]
    reported = observations.with_columns(pl.col("scope").alias("reported_scope"))
    if not rows:
        return reported
    table = pl.DataFrame(rows, schema={"region_code": pl.String(), "scope": pl.String(),
                                       "_level_scope": pl.String()}, orient="row")
    return (reported.join(table, on=["region_code", "scope"], how="left", maintain_order="left")
            .with_columns(pl.coalesce("_level_scope", "scope").alias("scope"))
            .drop("_level_scope"))
