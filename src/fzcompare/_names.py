"""Unknown names are errors that suggest the right one: the one check every public function uses.

``check_known`` compares the names a caller gave (indicator codes, region codes, rubric ids,
domains, criterion ids) with the names known, and raises ``UnknownNameError`` naming each
one not found with its closest matches (``difflib.get_close_matches``). ``region_codes``
normalises region arguments (integers to 6-digit text; a region *name* is resolved through
``fzcompare.resolve_region``, an ambiguous one refused with its candidates), ``check_years``
refuses years outside the data.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from typing import Final

import polars as pl

from fzcompare._regions_index import extra_regions, read_region_table
from fzcompare.errors import ArgumentTypeError, UnknownNameError
from fzcompare.regions import resolve_region

__all__ = ["check_known", "check_years", "closest", "region_codes", "regions_in"]

_MAX_SUGGESTIONS: Final = 3
_CUTOFF: Final = 0.6
_SURE: Final = 0.9
_NEAR: Final = 0.05


def closest(name: str, known: Iterable[str], *, n: int = _MAX_SUGGESTIONS) -> list[str]:
    """The known names closest to ``name``, best first (at most ``n``; may be empty).

    A known name that contains ``name`` (or is contained in it) counts as close too, so a
    prefix finds its longer code.

    Examples:
        >>> closest("gov_service_onlin_rate", ["gov_service_online_rate", "staff_count"])
        ['gov_service_online_rate']
        >>> closest("zzz", ["abc"])
        []
    """
    pool = sorted(set(known))
    scored = sorted(((difflib.SequenceMatcher(None, name, k).ratio(), k) for k in pool),
                    key=lambda pair: (-pair[0], pair[1]))
    best = scored[0][0] if scored else 0.0
    # A near-certain match stands alone: weaker ones would only blur it.
    floor = max(_CUTOFF, best - _NEAR) if best >= _SURE else _CUTOFF
    matches = [k for ratio, k in scored[:n] if ratio >= floor]
    if len(matches) < n and len(name) >= 3:
        folded = name.casefold()
        matches += [k for k in pool if k not in matches
                    and (folded in k.casefold() or k.casefold() in folded)][: n - len(matches)]
    return matches


def check_known(kind: str, given: Iterable[str], known: Collection[str], *,
                hint_source: str, labels: Mapping[str, str] | None = None,
                hint: str | None = None) -> list[str]:
    """Return ``given`` as a list, or raise if any name in it is not in ``known``.

    Args:
        kind: What the names are, for the message (``indicator code``, ``rubric id`` ...).
        given: The names the caller gave.
        known: Every valid name.
        hint_source: Where the valid names are listed (goes into the hint).
        labels: Optional name -> label shown after a suggestion (``420300 (十堰市)``).
        hint: The hint to give instead of the one naming ``hint_source``.

    Raises:
        UnknownNameError: Naming every unknown name with its closest matches.

    Examples:
        >>> check_known("domain", ["1", "2"], {"1", "2", "3"}, hint_source="the catalog")
        ['1', '2']
        >>> try:
        ...     check_known("indicator code", ["staff_cont"], {"staff_count"},
        ...                 hint_source="fzcompare.load_catalog().indicators")
        ... except UnknownNameError as error:
        ...     print(error.message, "|", error.details["suggestions"]["staff_cont"])
        unknown indicator code 'staff_cont'; did you mean staff_count? | ['staff_count']
    """
    names = list(given)
    unknown = [name for name in names if name not in known]
    if not unknown:
        return names
    suggestions = {name: closest(name, known) for name in unknown}
    raise unknown_name_error(kind, unknown, suggestions, hint_source=hint_source,
                             labels=labels, hint=hint)


def unknown_name_error(kind: str, unknown: list[str], suggestions: dict[str, list[str]], *,
                       hint_source: str, labels: Mapping[str, str] | None = None,
                       hint: str | None = None) -> UnknownNameError:
    """The ``UnknownNameError`` for ``unknown`` names, one clause per name."""
    labels = labels or {}
    clauses = []
    for name in unknown:
        clause = f"unknown {kind} {name!r}"
        if suggestions.get(name):
            shown = [f"{s} ({labels[s]})" if s in labels else s for s in suggestions[name]]
            clause += "; did you mean " + " or ".join(shown) + "?"
        clauses.append(clause)
    return UnknownNameError("; ".join(clauses),
                            hint=hint or f"see {hint_source} for the valid names",
                            kind=kind, unknown=unknown, suggestions=suggestions)


def _region_code_of(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        msg = f"regions= takes region codes or names, got {type(value).__name__} {value!r}"
        raise ArgumentTypeError(
            msg,
            hint="pass 6-digit codes as text, e.g. regions=['420300']")
    if isinstance(value, int):
        if not 0 < value <= 999_999:
            msg = f"unknown region code {value!r}: not a 6-digit code"
            raise UnknownNameError(msg,
                                   hint="region codes have 6 digits, e.g. '420300'",
                                   kind="region code", unknown=[str(value)], suggestions={})
        return f"{value:06d}"
    return value


def _same_prefix(code: str, known: Collection[str]) -> list[str]:
    """The known codes sharing the longest leading digits with ``code`` (2 at least)."""
    def shared(other: str) -> int:
        return next((i for i, (a, b) in enumerate(zip(code, other, strict=False)) if a != b),
                    min(len(code), len(other)))

    ranked = sorted(known, key=lambda other: (-shared(other), other))
    return [other for other in ranked[:_MAX_SUGGESTIONS] if shared(other) >= 2]


def _code_of_name(name: str, *, regions_table: pl.DataFrame, preferred: Collection[str]) -> str:
    """The code a region name stands for, through ``fzcompare.resolve_region``.

    The codes in the data (``preferred``) are the context that settles a shared name; when
    the data hold the code the name had then (郧县 420321), that code is the one returned.
    """
    match = resolve_region(name, context=sorted(preferred),
                           regions_table=extra_regions(regions_table))
    if match.code not in preferred and match.reported_code in preferred:
        return match.reported_code
    return match.code


def region_codes(given: Iterable[object], known: Collection[str], *,
                 regions_table: pl.DataFrame, preferred: Collection[str] = ()) -> list[str]:
    """Normalise and check region arguments: codes as text or integers, or region names.

    Integers become 6-digit text. Text that is not a code is a name (十堰市, 北京市海淀区, 郧县,
    恩施州) and is resolved through ``fzcompare.resolve_region``, with the regions in the
    data as the context that settles a name several regions share.

    Args:
        given: Region codes (text or integers) or names.
        known: Every valid code (the data's and the regions table's).
        regions_table: ``region_code, name_zh, name_en`` for labels (the bundled
            ``fzcompare.load_regions()``, or it with a dataset's registered regions, which
            then resolve by name too).
        preferred: Codes to suggest first and to settle shared names with (those in the
            data); all known codes otherwise.

    Raises:
        UnknownNameError: A code not known (with the closest codes and their names).
        UnknownRegionError: A name that matches no region (with the closest names).
        AmbiguousRegionError: A name several regions share that the data do not settle
            (listing the candidates with their parents).
        ArgumentTypeError: A value that is neither text nor an integer.

    Examples:
        >>> table = pl.DataFrame({"region_code": ["420300"], "name_zh": ["十堰市"],
        ...                       "name_en": ["Shiyan"]})
        >>> region_codes([420300, "十堰市", "北京市海淀区"], {"420300"}, regions_table=table)
        ['420300', '420300', '110108']
        >>> region_codes(["鼓楼区"], {"320106"}, regions_table=table, preferred={"320102"})
        ['320106']
        >>> try:
        ...     region_codes(["朝阳区"], {"420300"}, regions_table=table)
        ... except ValueError as error:
        ...     print(error.message)
        '朝阳区' fits 2 regions: 110105 朝阳区 (北京市), 220104 朝阳区 (长春市)
    """
    codes, resolved = [], set()
    for value in given:
        code = _region_code_of(value)
        if code not in known and not code.strip().isdigit():
            code = _code_of_name(code, regions_table=regions_table, preferred=preferred)
            resolved.add(code)  # a division the names resolve to is a valid region
        codes.append(code)
    unknown = [code for code in codes if code not in known and code not in resolved]
    if not unknown:
        return codes
    labels = dict(zip(regions_table["region_code"].to_list(),
                      regions_table["name_zh"].to_list(), strict=True))
    suggestions = {code: (closest(code, preferred) or closest(code, known)
                          or _same_prefix(code, preferred or known)) for code in unknown}
    msg = "region code"
    raise unknown_name_error(msg, unknown, suggestions,
                             hint_source="fzcompare.load_regions()", labels=labels)


def check_years(given: Iterable[object], present: Collection[int]) -> list[int]:
    """Return the years as integers, or raise if one lies outside the years in the data.

    A year inside the data's range that has no rows is allowed (the result is then empty
    for it); a year before the first or after the last year present is an error.

    Raises:
        UnknownNameError: A year outside the data, naming the range and the nearest year.
        ArgumentTypeError: A value that is not a whole number.

    Examples:
        >>> check_years([2021, 2022], {2020, 2021, 2022})
        [2021, 2022]
        >>> try:
        ...     check_years([2030], {2020, 2021, 2022})
        ... except ValueError as error:
        ...     print(error.message)
        year 2030 is outside the data (2020-2022); did you mean 2022?
    """
    years = []
    for value in given:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"years take whole numbers, got {value!r}"
            raise ArgumentTypeError(msg,
                                    hint="pass years as integers, e.g. years=[2023, 2024]")
        years.append(int(value))
    if not present:
        return years
    low, high = min(present), max(present)
    for year in years:
        if not low <= year <= high:
            nearest = min(present, key=lambda p: (abs(p - year), p))
            msg = f"year {year} is outside the data ({low}-{high}); did you mean {nearest}?"
            raise UnknownNameError(
                msg,
                hint=f"the data hold the years {', '.join(map(str, sorted(present)))}",
                kind="year", unknown=[str(year)], suggestions={str(year): [str(nearest)]})
    return years


def check_filters(
    lazy: pl.LazyFrame,
    *,
    indicators: Iterable[str] | None = None,
    regions: Iterable[object] | None = None,
    years: Iterable[object] | None = None,
    catalog_codes: Collection[str] = (),
    regions_table: pl.DataFrame | None = None,
) -> tuple[list[str] | None, list[str] | None, list[int] | None]:
    """Check ``indicators=``, ``regions=`` and ``years=`` filters against observations.

    Indicator codes are known when in the catalog or the data; region codes when in the data
    or ``regions_table`` (``fzcompare.load_regions()``; integers are normalised to 6-digit
    text; required with ``regions=``), and region names are resolved with the data's
    regions as context (``region_codes``); years when within the data's first and last
    year. Only the columns a filter needs are read.

    Returns:
        The filters as lists (``None`` where none was given).

    Raises:
        UnknownNameError: A name not known, with the closest known names.

    Examples:
        >>> obs = pl.LazyFrame({"indicator_code": ["staff_count"], "region_code": ["420300"],
        ...                     "year": [2023]})
        >>> table = pl.DataFrame({"region_code": ["420300"], "name_zh": ["十堰市"]})
        >>> check_filters(obs, regions=[420300], years=[2023], regions_table=table)
        (None, ['420300'], [2023])
    """
    for name, given in (("indicators", indicators), ("regions", regions)):
        if isinstance(given, str | int):
            msg = f"{name}= takes a list of codes, not one {type(given).__name__}"
            raise ArgumentTypeError(
                msg,
                hint=f"pass a list, e.g. {name}=[{given!r}]", argument=name)
    if isinstance(years, int):
        msg = "years= takes a list of years, not one int"
        raise ArgumentTypeError(msg,
                                hint=f"pass a list, e.g. years=[{years}]", argument="years")
    columns = [column for column, given in (("indicator_code", indicators),
                                            ("region_code", regions), ("year", years))
               if given is not None]
    if not columns:
        return None, None, None
    present = {column: lazy.select(pl.col(column).unique()).collect().to_series().to_list()
               for column in columns}
    indicator_list = region_list = year_list = None
    if indicators is not None:
        known = set(catalog_codes) | {c for c in present["indicator_code"] if c is not None}
        indicator_list = check_known("indicator code", indicators, known,
                                     hint_source="fzcompare.load_catalog().indicators")
    if regions is not None:
        table = regions_table if regions_table is not None else pl.DataFrame(
            schema={"region_code": pl.String, "name_zh": pl.String})
        in_data = {str(c) for c in present["region_code"] if c is not None}
        region_list = region_codes(regions, set(table["region_code"].to_list()) | in_data,
                                   regions_table=table, preferred=in_data)
    if years is not None:
        data_years = set()
        for value in present["year"]:
            try:
                data_years.add(int(value))
            except (TypeError, ValueError):
                continue
        year_list = check_years(years, data_years)
    return indicator_list, region_list, year_list


def regions_in(frame: pl.DataFrame | pl.LazyFrame, given: Iterable[object]) -> list[str]:
    """A ``regions=`` argument against the rows it filters: codes and names, as ``check_filters``.

    For functions that take a frame and filter it by region themselves (the charts): codes
    (text or integers) are checked against the frame's regions and the bundled table, names
    resolved with the frame's regions as the context.

    Raises:
        UnknownNameError: A code not known, with the closest codes.
        UnknownRegionError: A name that matches no region.
        AmbiguousRegionError: A shared name the frame's regions do not settle.

    Examples:
        >>> frame = pl.DataFrame({"region_code": ["420300", "420500"]})
        >>> regions_in(frame, ["宜昌市", 420300])
        ['420500', '420300']
    """
    checked = check_filters(frame.lazy(), regions=given, regions_table=read_region_table())[1]
    return checked or []
