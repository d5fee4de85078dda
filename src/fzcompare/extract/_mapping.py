"""Mapping figures to catalog indicator codes and scopes.

Each figure is scored against every indicator whose names (``name_zh`` and synonyms)
share character bigrams with the words around it: an exact name in the figure's own part
of the clause scores highest, a partial (bigram) match less; the unit, the value range and
the section's domain raise or lower the score. The best score is the confidence; figures
below ``MAP_THRESHOLD`` stay unmapped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Final, NamedTuple, TypeVar

from fzcompare.catalog import Catalog
from fzcompare.extract import _lexicon as lex

__all__ = [
    "MAP_THRESHOLD",
    "Candidate",
    "CompiledCatalog",
    "compile_catalog",
    "find_statements",
    "indicator_support",
    "name_coverage",
    "score_context",
    "UnitView",
    "unit_view",
]

MAP_THRESHOLD: Final[float] = 0.5
"""Figures whose best candidate scores below this stay unmapped."""

_COMMON_DF: Final[int] = 12
"""Bigrams in more indicator names than this only index the names they are rarest in."""

_CONTEXT_DROP: Final[dict[int, None]] = dict.fromkeys(map(ord, "、“”\"‘’"))
"""Marks removed from names and contexts before matching (撤销、变更 = 撤销变更)."""
_CONTEXT_DROP_PATTERN: Final[re.Pattern[str]] = re.compile("[、“”\"‘’]")


def _drop_marks(text: str) -> str:
    """``text`` without the marks of ``_CONTEXT_DROP`` (faster than ``str.translate``)."""
    return _CONTEXT_DROP_PATTERN.sub("", text)


def bigrams(text: str) -> set[str]:
    """The character bigrams of a text.

    Examples:
        >>> sorted(bigrams("纠错率"))
        ['纠错', '错率']
    """
    return {text[i:i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class CompiledCatalog:
    """Lookup structures built once per catalog (see ``compile_catalog``).

    Indicators are numbered by their position in the catalog; names (the Chinese name and
    its synonyms) have their own numbers, mapped back to indicators by ``name_owner``.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> rate = compiled.index["reconsideration_correction_rate"]
        >>> compiled.codes[rate], compiled.units[rate], compiled.kinds[rate]
        ('reconsideration_correction_rate', '%', 'rate')
        >>> names = [compiled.name_text[n] for n in compiled.names_of[rate]]
        >>> "纠错率" in names and all(compiled.name_owner[n] == rate
        ...                          for n in compiled.names_of[rate])
        True
    """

    codes: tuple[str, ...]
    units: tuple[str, ...]
    kinds: tuple[str, ...]
    domains: tuple[int, ...]
    min_values: tuple[float | None, ...]
    max_values: tuple[float | None, ...]
    own_level: tuple[bool, ...]
    name_text: tuple[str, ...]
    name_owner: tuple[int, ...]
    name_weight: tuple[float, ...]
    name_keys: tuple[frozenset[str], ...]
    name_grams: tuple[tuple[tuple[str, float], ...], ...]
    split_tails: tuple[tuple[tuple[str, frozenset[str]], ...], ...]
    names_by_last: dict[str, NameGroups]
    names_by_first: dict[str, NameGroups]
    tails_by_last: dict[str, TailGroups]
    exact_base: tuple[float, ...]
    split_base: tuple[float, ...]
    names_of: tuple[tuple[int, ...], ...]
    domain_names: dict[int, str]
    postings: dict[str, tuple[tuple[int, float], ...]]
    zh_bigrams: tuple[frozenset[str], ...]
    statement_parts: tuple[tuple[str, re.Pattern[str] | None, str, int], ...]
    statement_finder: re.Pattern[str] | None
    statement_cores: dict[str, tuple[str, ...]]
    statement_parts_by_core: dict[str, tuple[int, ...]]
    listing_indicators: dict[str, tuple[int, ...]]
    """List noun (目录) -> count indicators with a name holding it (see lex.LISTING_NOUNS)."""
    ratios: tuple[tuple[int, int, int, float], ...]
    orders: tuple[tuple[int, int], ...]
    index: dict[str, int] = field(default_factory=dict)
    unit_views: dict[tuple[str, str], UnitView] = field(default_factory=dict, compare=False,
                                                         repr=False)
    """Per (figure kind, unit): the indicators it may stand for (filled as figures come)."""


@dataclass(frozen=True, slots=True)
class UnitView:
    """The part of a catalog a figure of one kind and unit may map to.

    Attributes:
        allowed: Indicator -> score adjustment for the unit (only the indicators allowed).
        postings: Bigram -> (name, weight) of the allowed indicators' names; filled lazily.
        left: Per last two characters, the allowed names and tails ending in them: (names
            and tails by length, for the positions right before a figure; names only by
            length, for the positions further left). Filled lazily.
        names_by_first: ``CompiledCatalog.names_by_first`` for the allowed indicators
            (filled lazily).

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> view = unit_view(compiled, "count", "件")
        >>> view.allowed[compiled.index["reconsideration_corrected"]]  # same unit: a bonus
        0.1
        >>> compiled.index["reconsideration_correction_rate"] in view.allowed  # a rate in %
        False
    """

    allowed: dict[int, float]
    postings: dict[str, tuple[tuple[int, float], ...]]
    left: dict[str, LeftGroups] = field(default_factory=dict)
    names_by_first: dict[str, NameGroups] = field(default_factory=dict)


_STATEMENT_CORES: Final[tuple[str, ...]] = ("全覆盖", "全部", "均", "应", "100%")
_STATEMENT_FILLERS: Final[str] = "(?:实现了?|已经|已|均已|均|做到|达到)?"


def statement_parts(statement: str) -> tuple[str, re.Pattern[str] | None]:
    """A full statement as (core literal, regex the text before the core must end with).

    The regex allows 实现/已/均 between the subject and the core (宪法宣誓全覆盖 also
    matches 宪法宣誓实现全覆盖) but not 基本 (basic coverage is not 100 %).

    Examples:
        >>> core, before = statement_parts("宪法宣誓全覆盖")
        >>> core, bool(before.search("宪法宣誓实现")), bool(before.search("宪法宣誓基本实现"))
        ('全覆盖', True, False)
    """
    for core in _STATEMENT_CORES:
        at = statement.find(core)
        if at > 0:
            return statement[at:], re.compile(
                re.escape(statement[:at]) + _STATEMENT_FILLERS + "$")
    return statement, None


_T = TypeVar("_T")

NameGroups = tuple[tuple[int, dict[str, tuple[int, ...]]], ...]
"""(length, words of that length -> name indices), longest first: the names sharing two
end (or start) characters."""
TailEntry = tuple[int, tuple[str, ...], float]
"""A name's tail: (name index, the bigrams of the head, how many the sentence must hold)."""
TailGroups = tuple[tuple[int, dict[str, tuple[TailEntry, ...]]], ...]
"""(length, tails of that length -> entries), longest first."""
LeftGroups = tuple[tuple[tuple[int, dict[str, tuple[tuple[int, ...], tuple[TailEntry, ...]]]], ...],
                   NameGroups]
"""Names and tails sharing two end characters (see ``UnitView.left``)."""


def _groups(items: list[tuple[str, _T]], *, last: bool
            ) -> dict[str, tuple[tuple[int, dict[str, tuple[_T, ...]]], ...]]:
    """Words (with a payload) grouped by two end characters, length and word.

    The key is the last (or first) two characters; within a key the groups run by length,
    longest first, then by the word itself.
    """
    grouped: dict[str, dict[int, dict[str, list[_T]]]] = {}
    for word, payload in items:
        key = word[-2:] if last else word[:2]
        grouped.setdefault(key, {}).setdefault(len(word), {}).setdefault(word, []).append(payload)
    return {key: tuple((length, {w: tuple(p) for w, p in words.items()})
                       for length, words in sorted(by_length.items(), reverse=True))
            for key, by_length in grouped.items()}


def _statement_index(cores: list[str]) -> tuple[re.Pattern[str] | None, dict[str, tuple[str, ...]],
                                                dict[str, tuple[int, ...]]]:
    """Where statement cores may start: a finder regex and two lookups.

    Returns the regex finding where a core may start, the cores by their first two
    characters (one for one-character cores) and the statement parts of each core.

    The regex starts with a character class so that the engine skips ahead to candidate
    characters; each match is one character long, so overlapping cores are all seen.
    """
    by_core: dict[str, list[int]] = {}
    for n, core in enumerate(cores):
        by_core.setdefault(core, []).append(n)
    by_prefix: dict[str, list[str]] = {}
    for core in by_core:
        by_prefix.setdefault(core[:2], []).append(core)
    seconds: dict[str, set[str]] = {}
    for prefix in by_prefix:
        seconds.setdefault(prefix[0], set()).update(prefix[1:] or [""])
    branches = [re.escape(first) if "" in rest else
                re.escape(first) + "(?=[" + "".join(re.escape(c) for c in sorted(rest)) + "])"
                for first, rest in sorted(seconds.items())]
    finder = re.compile("|".join(branches)) if branches else None
    return (finder, {k: tuple(v) for k, v in by_prefix.items()},
            {k: tuple(v) for k, v in by_core.items()})


def _listing_indicators(kinds: list[str], name_text: list[str], name_owner: list[int]
                        ) -> dict[str, tuple[int, ...]]:
    """List noun -> the count indicators whose value the listed items are.

    An indicator qualifies when one of its names ends in the noun (see
    ``lex.LISTING_NOUNS``).

    Examples:
        >>> names = ["政务服务事项基本目录", "重大行政决策事项目录事项"]
        >>> _listing_indicators(["count", "count"], names, [0, 1])
        {'目录': (1,)}
    """
    found: dict[str, dict[int, None]] = {}
    for text, owner in zip(name_text, name_owner, strict=True):
        if kinds[owner] != "count":
            continue
        for noun in lex.LISTING_NOUNS:
            at = text.find(noun)
            if at < 0:
                continue
            listing = any(0 <= text.find(verb) < at for verb in lex.LISTING_VERBS)
            items = text.endswith(tuple(noun + word for word in lex.LISTED_ITEM_WORDS))
            if listing or items:
                found.setdefault(noun, {})[owner] = None
    return {noun: tuple(owners) for noun, owners in found.items()}


def _catalog_names(names_zh: tuple[str, ...], synonyms: list[list[str] | None]
                   ) -> tuple[list[str], list[int]]:
    """Every name and synonym of two characters or more (marks dropped), with its owner."""
    name_text: list[str] = []
    name_owner: list[int] = []
    for i, (name, extra) in enumerate(zip(names_zh, synonyms, strict=True)):
        for candidate in dict.fromkeys(n.translate(_CONTEXT_DROP) for n in [name, *(extra or [])]):
            if candidate and len(candidate) >= 2:
                name_text.append(candidate)
                name_owner.append(i)
    return name_text, name_owner


@dataclass(frozen=True, slots=True)
class _NameIndex:
    """Bigram weights of the names and what is derived from them per name."""

    weight: dict[str, float]
    postings: dict[str, tuple[tuple[int, float], ...]]
    name_weight: tuple[float, ...]
    name_keys: tuple[frozenset[str], ...]
    name_grams: tuple[tuple[tuple[str, float], ...], ...]
    split_tails: tuple[tuple[tuple[str, frozenset[str]], ...], ...]


def _bigram_weights(name_text: list[str], name_owner: list[int], n_codes: int
                    ) -> tuple[dict[str, float], set[str]]:
    """Inverse document frequency of each bigram over indicators, and the common bigrams."""
    document_frequency: dict[str, set[int]] = {}
    for text, owner in zip(name_text, name_owner, strict=True):
        for gram in bigrams(text):
            document_frequency.setdefault(gram, set()).add(owner)
    total = max(n_codes, 1)
    weight = {gram: math.log(1.0 + total / len(owners))
              for gram, owners in document_frequency.items()}
    common = {g for g, owners in document_frequency.items() if len(owners) > _COMMON_DF}
    return weight, common


def _split_tails(text: str, weight: dict[str, float], total_weight: float
                 ) -> tuple[tuple[str, frozenset[str]], ...]:
    """The distinctive tails of a name (longest first) with the bigrams of their heads."""
    tails = []
    for cut in range(1, len(text) - 1) if len(text) >= 4 else ():
        tail = text[cut:]
        if sum(weight[g] for g in bigrams(tail)) / total_weight < 0.18:
            break
        head = bigrams(text[:cut]) if cut >= 2 else bigrams(text[:2])
        tails.append((tail, frozenset(head)))
    return tuple(tails)


def _name_index(name_text: list[str], name_owner: list[int], n_codes: int) -> _NameIndex:
    weight, common = _bigram_weights(name_text, name_owner, n_codes)
    postings: dict[str, list[tuple[int, float]]] = {}
    name_weight: list[float] = []
    name_keys: list[frozenset[str]] = []
    name_grams: list[tuple[tuple[str, float], ...]] = []
    split_tails: list[tuple[tuple[str, frozenset[str]], ...]] = []
    for n, text in enumerate(name_text):
        grams = bigrams(text)
        total_weight = sum(weight[g] for g in grams) or 1.0
        name_weight.append(total_weight)
        top = max((weight[g] for g in grams), default=0.0)
        name_keys.append(frozenset(g for g in grams if weight[g] >= 0.95 * top))
        name_grams.append(tuple((g, weight[g]) for g in sorted(grams)))
        split_tails.append(_split_tails(text, weight, total_weight))
        rarest = set(sorted(grams, key=lambda g: (-weight[g], g))[:2])
        for gram in grams:
            if gram not in common or gram in rarest:
                postings.setdefault(gram, []).append((n, weight[gram]))
    return _NameIndex(weight, {g: tuple(p) for g, p in postings.items()}, tuple(name_weight),
                      tuple(name_keys), tuple(name_grams), tuple(split_tails))


def _relations(catalog: Catalog, index: dict[str, int]
               ) -> tuple[list[tuple[int, int, int, float]], list[tuple[int, int]]]:
    """The catalog's ratio relations (target, numerator, denominator, tolerance) and orders."""
    ratios: list[tuple[int, int, int, float]] = []
    orders: list[tuple[int, int]] = []
    for row in catalog.relations.iter_rows(named=True):
        numerator, denominator = index.get(row["numerator"]), index.get(row["denominator"])
        if numerator is None or denominator is None:
            continue
        if row["kind"] == "ratio" and row["target"] in index:
            tolerance = row["tolerance"] if row["tolerance"] is not None else 0.05
            ratios.append((index[row["target"]], numerator, denominator, float(tolerance)))
        elif row["kind"] == "le":
            orders.append((numerator, denominator))
    return ratios, orders


def compile_catalog(catalog: Catalog) -> CompiledCatalog:
    """Build the name index of a catalog.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compile_catalog(load_catalog())
        >>> "reconsideration_correction_rate" in compiled.codes
        True
    """
    table = catalog.indicators
    codes = tuple(table["code"].to_list())
    names_zh = tuple(table["name_zh"].to_list())
    synonyms = table["synonyms"].to_list()
    name_text, name_owner = _catalog_names(names_zh, synonyms)
    names = _name_index(name_text, name_owner, len(codes))
    split_tails = names.split_tails
    own_level = tuple(
        any(word in name for word in lex.OWN_LEVEL_WORDS)
        or any(word in s for s in (extra or []) for word in lex.OWN_LEVEL_WORDS)
        for name, extra in zip(names_zh, synonyms, strict=True)
    )
    statements = tuple(
        (statement, i)
        for i, items in enumerate(table["full_statements"].to_list())
        for statement in (items or []) if statement
    )
    parts = tuple((*statement_parts(statement), statement, indicator)
                  for statement, indicator in statements)
    finder, cores, parts_by_core = _statement_index([core for core, *_ in parts])
    index = {code: i for i, code in enumerate(codes)}
    ratios, orders = _relations(catalog, index)
    return CompiledCatalog(
        codes=codes,
        units=tuple(table["unit"].to_list()),
        kinds=tuple(table["kind"].to_list()),
        domains=tuple(int(d) for d in table["domain"].to_list()),
        min_values=tuple(table["min_value"].to_list()),
        max_values=tuple(table["max_value"].to_list()),
        own_level=own_level,
        name_text=tuple(name_text),
        name_owner=tuple(name_owner),
        name_weight=names.name_weight,
        name_keys=names.name_keys,
        name_grams=names.name_grams,
        split_tails=tuple(split_tails),
        names_by_last=_groups([(text, n) for n, text in enumerate(name_text)], last=True),
        names_by_first=_groups([(text, n) for n, text in enumerate(name_text)], last=False),
        tails_by_last=_groups(
            [(tail, (n, tuple(sorted(head)), 0.6 * len(head)))
             for n, tails in enumerate(split_tails) for tail, head in tails if head],
            last=True),
        exact_base=tuple(0.62 + 0.3 * min(len(t), 8) / 8 for t in name_text),
        split_base=tuple(0.55 + 0.25 * min(len(t), 8) / 8 for t in name_text),
        domain_names=dict(zip(catalog.domains["domain"].to_list(),
                              catalog.domains["name_zh"].to_list(), strict=True)),
        names_of=tuple(tuple(n for n, o in enumerate(name_owner) if o == i)
                       for i in range(len(codes))),
        postings=names.postings,
        zh_bigrams=tuple(frozenset(bigrams(n)) for n in names_zh),
        statement_parts=parts,
        statement_finder=finder,
        statement_cores=cores,
        statement_parts_by_core=parts_by_core,
        listing_indicators=_listing_indicators(table["kind"].to_list(), name_text, name_owner),
        ratios=tuple(ratios),
        orders=tuple(orders),
        index=index,
    )


def find_statements(text: str, compiled: CompiledCatalog) -> list[tuple[int, int, str, int]]:
    """(start, end, statement, indicator) of every full statement in the text.

    Of overlapping statements the earliest (then longest) is kept.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compile_catalog(load_catalog())
        >>> [s for _, _, s, _ in find_statements("实现宪法宣誓全覆盖", compiled)]
        ['宪法宣誓全覆盖']
    """
    finder = compiled.statement_finder
    if finder is None:
        return []
    cores = compiled.statement_cores
    parts = compiled.statement_parts
    parts_by_core = compiled.statement_parts_by_core
    found: list[tuple[int, int, int, str, int]] = []
    free_from: dict[str, int] = {}
    for hit in finder.finditer(text):
        position = hit.start()
        pair = text[position:position + 2]
        candidates = cores.get(pair, ())
        if len(pair) == 2 and text[position] in cores:
            candidates = (*candidates, *cores[text[position]])
        for core in candidates:
            # Occurrences of one core do not overlap (as with repeated str.find).
            if position < free_from.get(core, 0) or not text.startswith(core, position):
                continue
            end = position + len(core)
            free_from[core] = end
            for n in parts_by_core[core]:
                _, before, statement, indicator = parts[n]
                if before is None:
                    found.append((position, end, n, statement, indicator))
                else:
                    match = before.search(text, max(0, position - 30), position)
                    if match is not None:
                        found.append((match.start(), end, n, statement, indicator))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0]), f[2]))
    kept: list[tuple[int, int, str, int]] = []
    for start, end, _, statement, indicator in found:
        if kept and start < kept[-1][1] and (start, end) != kept[-1][:2]:
            continue
        kept.append((start, end, statement, indicator))
    return kept


_COMPILED: dict[int, tuple[Catalog, CompiledCatalog]] = {}


def compiled_for(catalog: Catalog) -> CompiledCatalog:
    """The compiled form of a catalog, built once per catalog object."""
    hit = _COMPILED.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    compiled = compile_catalog(catalog)
    if len(_COMPILED) > 8:
        _COMPILED.clear()
    _COMPILED[id(catalog)] = (catalog, compiled)
    return compiled


class Candidate(NamedTuple):
    """One indicator a figure may stand for, with its score (the confidence).

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> candidates = score_context(compiled, "办结行政复议案件", "", number_kind="count",
        ...     unit="件", value=80.0, section_domain=8, sentence="全年办结行政复议案件80件")
        >>> best = candidates[0]
        >>> compiled.codes[best.indicator], best.score
        ('reconsideration_concluded', 1.0)
    """

    indicator: int
    score: float


def unit_compatible(number_kind: str, number_unit: str, indicator_kind: str,
                    indicator_unit: str) -> float | None:
    """Score adjustment for a figure's unit against an indicator's, or None if impossible.

    Examples:
        >>> unit_compatible("rate", "%", "rate", "%")
        0.1
        >>> unit_compatible("count", "件", "rate", "%") is None
        True
    """
    if number_kind == "change":
        return None
    if (number_unit == "%") != (indicator_unit == "%"):
        return None
    if number_kind == "rank" or indicator_kind == "rank":
        return 0.1 if number_kind == indicator_kind else None
    if number_unit == indicator_unit:
        return 0.1
    return _unit_group_adjustment(lex.UNIT_GROUPS.get(number_unit),
                                  lex.UNIT_GROUPS.get(indicator_unit))


def _unit_group_adjustment(number_group: str | None, indicator_group: str | None
                           ) -> float | None:
    """Two different units: the same group (件/宗) is close; money and time never mix."""
    if "money" in (number_group, indicator_group) or "duration" in (number_group,
                                                                    indicator_group):
        return None if number_group != indicator_group else 0.0
    return 0.03 if number_group == indicator_group else -0.2


def indicator_support(compiled: CompiledCatalog, indicator: int, text: str) -> float:
    """The best weighted share of one of the indicator's names' bigrams found in ``text``.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> rate = compiled.index["reconsideration_correction_rate"]
        >>> indicator_support(compiled, rate, "行政复议纠错率为11.25%")
        1.0
        >>> indicator_support(compiled, rate, "行政诉讼败诉率") < 0.5
        True
    """
    best = 0.0
    for name in compiled.names_of[indicator]:
        found = sum(w for g, w in compiled.name_grams[name] if g in text)
        best = max(best, found / compiled.name_weight[name])
    return best


def name_coverage(compiled: CompiledCatalog, grams: set[str]) -> dict[int, float]:
    """Name index -> weighted share of the name's bigrams found in ``grams``.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> coverage = name_coverage(compiled, bigrams("行政复议纠错率"))
        >>> fully = {compiled.codes[compiled.name_owner[name]]
        ...          for name, share in coverage.items() if share == 1.0}
        >>> "reconsideration_correction_rate" in fully, "admin_litigation_loss_rate" in fully
        (True, False)
    """
    accumulated: dict[int, float] = {}
    postings = compiled.postings
    for gram in grams:
        for name, weight in postings.get(gram, ()):
            accumulated[name] = accumulated.get(name, 0.0) + weight
    weights = compiled.name_weight
    return {name: total / weights[name] for name, total in accumulated.items()}


_SHORTLIST: Final[int] = 8


def unit_view(compiled: CompiledCatalog, number_kind: str, unit: str) -> UnitView:
    """The indicators a figure of this kind and unit may stand for (cached per catalog).

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compiled_for(load_catalog())
        >>> view = unit_view(compiled, "rate", "%")
        >>> all(compiled.units[i] == "%" for i in view.allowed)
        True
        >>> view.allowed[compiled.index["reconsideration_correction_rate"]]
        0.1
        >>> unit_view(compiled, "rate", "%") is view
        True
    """
    key = (number_kind, unit)
    view = compiled.unit_views.get(key)
    if view is None:
        allowed: dict[int, float] = {}
        for i, (kind, indicator_unit) in enumerate(zip(compiled.kinds, compiled.units,
                                                      strict=True)):
            adjust = unit_compatible(number_kind, unit, kind, indicator_unit)
            if adjust is not None:
                allowed[i] = adjust
        view = UnitView(allowed, {})
        compiled.unit_views[key] = view
    return view


def _unit_postings(compiled: CompiledCatalog, view: UnitView, gram: str
                   ) -> tuple[tuple[int, float], ...]:
    """The postings of ``gram`` restricted to the names of the view's indicators."""
    found = view.postings.get(gram)
    if found is None:
        owners = compiled.name_owner
        allowed = view.allowed
        found = tuple(p for p in compiled.postings.get(gram, ()) if owners[p[0]] in allowed)
        view.postings[gram] = found
    return found


_QUICK_LEFT: Final[int] = 8
_QUICK_RIGHT: Final[int] = 6
_SPLIT_LEFT: Final[int] = 3
"""A split name's tail must end within this many characters before the figure."""


def _allowed_names(compiled: CompiledCatalog, view: UnitView, names: tuple[int, ...]
                   ) -> tuple[int, ...]:
    owners = compiled.name_owner
    return tuple(n for n in names if owners[n] in view.allowed)


def _view_right(compiled: CompiledCatalog, view: UnitView, key: str) -> NameGroups:
    """The names starting with ``key`` restricted to the view's indicators (cached)."""
    groups = view.names_by_first.get(key)
    if groups is None:
        kept = []
        for length, words in compiled.names_by_first.get(key, ()):
            table = {w: names for w, names in (
                (w, _allowed_names(compiled, view, names)) for w, names in words.items())
                if names}
            if table:
                kept.append((length, table))
        groups = view.names_by_first[key] = tuple(kept)
    return groups


def _view_left(compiled: CompiledCatalog, view: UnitView, key: str) -> LeftGroups:
    """The names and tails ending in ``key`` restricted to the view's indicators (cached)."""
    groups = view.left.get(key)
    if groups is None:
        owners = compiled.name_owner
        allowed = view.allowed
        near: dict[int, dict[str, tuple[tuple[int, ...], tuple[TailEntry, ...]]]] = {}
        far: list[tuple[int, dict[str, tuple[int, ...]]]] = []
        for length, words in compiled.names_by_last.get(key, ()):
            table = {w: names for w, names in (
                (w, _allowed_names(compiled, view, names)) for w, names in words.items())
                if names}
            if table:
                far.append((length, table))
                near[length] = {w: (names, ()) for w, names in table.items()}
        for length, tails in compiled.tails_by_last.get(key, ()):
            for tail, entries in tails.items():
                kept = tuple(e for e in entries if owners[e[0]] in allowed)
                if kept:
                    words_here = near.setdefault(length, {})
                    names_here = words_here.get(tail, ((), ()))[0]
                    words_here[tail] = (names_here, kept)
        groups = view.left[key] = (tuple(sorted(near.items(), reverse=True)), tuple(far))
    return groups


def _exact_hits(found: dict[int, float], names: tuple[int, ...], base: tuple[float, ...],
                distance: int) -> None:
    for name in names:
        if name not in found:
            found[name] = base[name] - 0.02 * distance


def _left_names(compiled: CompiledCatalog, view: UnitView, left: str,
                found: dict[int, float]) -> list[tuple[int, tuple[TailEntry, ...]]]:
    """Names ending in the last characters before the figure (into ``found``).

    Returns the distinctive tails found right before the figure, by end position: split
    names whose head must still be found earlier in the sentence.
    """
    size = len(left)
    exact_base = compiled.exact_base
    all_by_last = compiled.names_by_last
    all_tails = compiled.tails_by_last
    by_last = view.left
    near_end = size - _SPLIT_LEFT
    pending: list[tuple[int, tuple[TailEntry, ...]]] = []
    for end in range(size, max(1, size - _QUICK_LEFT), -1):
        key = left[end - 2:end]
        groups = by_last.get(key)
        if groups is None:
            if key not in all_by_last and key not in all_tails:
                continue
            groups = _view_left(compiled, view, key)
        if end <= near_end:
            for length, names_table in groups[1]:
                if length <= end:
                    _exact_hits(found, names_table.get(left[end - length:end], ()),
                                exact_base, size - end)
            continue
        for length, table in groups[0]:
            hit = table.get(left[end - length:end]) if length <= end else None
            if hit is not None:
                _exact_hits(found, hit[0], exact_base, size - end)
                if hit[1]:
                    pending.append((end, hit[1]))
    return pending


def _right_names(compiled: CompiledCatalog, view: UnitView, right: str,
                 found: dict[int, float]) -> None:
    """Names starting just after the figure (into ``found``)."""
    all_by_first = compiled.names_by_first
    by_first = view.names_by_first
    right_size = len(right)
    for start in range(min(right_size - 1, _QUICK_RIGHT)):
        key = right[start:start + 2]
        right_groups = by_first.get(key)
        if right_groups is None:
            if key not in all_by_first:
                continue
            right_groups = _view_right(compiled, view, key)
        for length, names_table in right_groups:
            if start + length <= right_size:
                _exact_hits(found, names_table.get(right[start:start + length], ()),
                            compiled.exact_base, start)


def _written_names(compiled: CompiledCatalog, view: UnitView, left: str, right: str,
                   earlier: str) -> dict[int, float]:
    """Names written out next to a figure: name index -> base score.

    Names ending in the last characters before the figure or starting just after it, and
    names whose distinctive tail ends right before it with their head earlier in the
    sentence. Only names of the indicators the figure's unit allows are looked at.
    """
    found: dict[int, float] = {}
    pending = _left_names(compiled, view, left, found)
    _right_names(compiled, view, right, found)
    if not pending or len(earlier) < 2:
        return found  # no split name (a head earlier in the sentence is needed)
    earlier_clean = _CONTEXT_DROP_PATTERN.sub("", earlier)
    split_base = compiled.split_base
    size = len(left)
    for end, entries in pending:
        for name, head, need in entries:
            if name not in found and len([g for g in head if g in earlier_clean]) >= need:
                found[name] = split_base[name] - 0.02 * (size - end)
    return found


def _finish(compiled: CompiledCatalog, indicator: int, text: str, score: float, value: float,
            section_domain: int | None, sentence: str) -> float | None:
    """Apply the value range, the support of short names and the section's domain."""
    low, high = compiled.min_values[indicator], compiled.max_values[indicator]
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    if len(text) <= 2:
        rest = compiled.zh_bigrams[indicator] - {text}
        if rest and sum(1 for g in rest if g in sentence) < 0.3 * len(rest):
            score -= 0.25
    if section_domain is not None:
        score += 0.05 if compiled.domains[indicator] == section_domain else -0.12
    return score


def score_context(
    compiled: CompiledCatalog,
    left: str,
    right: str,
    *,
    number_kind: str,
    unit: str,
    value: float,
    section_domain: int | None,
    sentence: str,
    extra: str = "",
    earlier: str = "",
) -> list[Candidate]:
    """Candidate indicators for a figure, best first.

    Three kinds of evidence, strongest first: a name written out in the figure's own
    part of the clause (exact); a name written in two parts, its head earlier in the
    sentence and a distinctive tail right before the figure (行政复议申请…，受理180件);
    a share of the name's character bigrams around the figure and in its sentence.

    Args:
        compiled: The compiled catalog.
        left: Words before the figure in its part of the clause.
        right: Words after the figure (and its unit) up to the next 、 or clause mark.
        number_kind: ``count``, ``rate``, ``change``, ``rank``, ``duration``, ``amount``.
        unit: The figure's unit.
        value: The figure's value (checked against the indicator's range).
        section_domain: Domain of the section the figure sits in, if known.
        sentence: The figure's whole sentence.
        extra: More words counted as local context (e.g. an inherited label).
        earlier: The sentence before the figure's own part of the clause.

    Examples:
        >>> from fzcompare import load_catalog
        >>> compiled = compile_catalog(load_catalog())
        >>> best = score_context(compiled, "纠错率", "", number_kind="rate", unit="%",
        ...                      value=11.25, section_domain=8, sentence="纠错率11.25%")[0]
        >>> compiled.codes[best.indicator], best.score > 0.8
        ('reconsideration_correction_rate', True)
    """
    drop = _CONTEXT_DROP_PATTERN.sub
    left = drop("", left)
    right = drop("", right) if right else right
    view = compiled.unit_views.get((number_kind, unit)) or unit_view(compiled, number_kind,
                                                                       unit)
    figure = _FigureContext(left, right, sentence, earlier, value, section_domain)
    best = _written_candidates(compiled, view, figure)
    if best and max(best.values()) >= 0.75:
        return _ranked(compiled, best)
    context = f"{left}|{right}|{extra}" if extra else f"{left}|{right}"
    for ratio, name in _shortlist(compiled, view, context):
        if ratio < 0.1:
            break
        indicator = compiled.name_owner[name]
        score = _name_score(compiled, name, context, figure)
        if score is None:
            continue
        final = _finish(compiled, indicator, compiled.name_text[name],
                        score + view.allowed[indicator], value, section_domain, sentence)
        if final is not None and final > best.get(indicator, -1.0):
            best[indicator] = final
    return _ranked(compiled, best)


@dataclass(frozen=True, slots=True)
class _FigureContext:
    """The words around one figure that ``score_context`` weighs."""

    left: str
    right: str
    sentence: str
    earlier: str
    value: float
    section_domain: int | None


def _ranked(compiled: CompiledCatalog, best: dict[int, float]) -> list[Candidate]:
    """The four best candidates, ties broken by code."""
    if len(best) == 1:
        ((indicator, top),) = best.items()
        return [Candidate(indicator, min(top, 1.0))]
    ranked = sorted(best.items(), key=lambda item: (-item[1], compiled.codes[item[0]]))
    return [Candidate(i, min(s, 1.0)) for i, s in ranked[:4]]


def _written_candidates(compiled: CompiledCatalog, view: UnitView,
                        figure: _FigureContext) -> dict[int, float]:
    """Indicator -> score from the names written out next to the figure."""
    best: dict[int, float] = {}
    owners = compiled.name_owner
    for name, base in _written_names(compiled, view, figure.left, figure.right,
                                     figure.earlier).items():
        indicator = owners[name]
        quick_score = _finish(compiled, indicator, compiled.name_text[name],
                              base + view.allowed[indicator], figure.value,
                              figure.section_domain, figure.sentence)
        if quick_score is not None and quick_score > best.get(indicator, -1.0):
            best[indicator] = quick_score
    return best


def _shortlist(compiled: CompiledCatalog, view: UnitView, context: str
               ) -> list[tuple[float, int]]:
    """(share of the name's bigram weight in the context, name), best first."""
    postings = compiled.postings
    partial: dict[int, float] = {}
    view_postings = view.postings
    for gram in {context[i:i + 2] for i in range(len(context) - 1)}:
        found = view_postings.get(gram)
        if found is None:
            if gram not in postings:
                continue
            found = _unit_postings(compiled, view, gram)
        for name, weight in found:
            partial[name] = partial.get(name, 0.0) + weight
    weights = compiled.name_weight
    return sorted([(part / weights[name], name) for name, part in partial.items()],
                  reverse=True)[:_SHORTLIST]


def _name_score(compiled: CompiledCatalog, name: int, context: str,
                figure: _FigureContext) -> float | None:
    """A name's score: written out whole, split (head earlier, tail before), or by bigrams."""
    name_grams = compiled.name_grams[name]
    weight = compiled.name_weight[name]
    coverage = sum([w for g, w in name_grams if g in context]) / weight
    if coverage < 0.15:
        return None
    text = compiled.name_text[name]
    score = _whole_name_score(text, figure) if coverage > 0.999 else None
    if score is None:
        score = _split_name_score(compiled.split_tails[name], text, figure)
    if score is None and coverage >= 0.2:
        wide = sum([w for g, w in name_grams if g in figure.sentence]) / weight
        blended = 0.5 * (coverage + max(wide, coverage))
        if blended >= 0.45:
            score = 0.85 * blended - 0.05
            if not any(k in context or k in figure.sentence for k in compiled.name_keys[name]):
                score -= 0.15
    return score


def _whole_name_score(text: str, figure: _FigureContext) -> float | None:
    """The name written whole before (or after) the figure, nearer is better."""
    at = figure.left.rfind(text)
    if at >= 0:
        distance = len(figure.left) - at - len(text)
    else:
        at = figure.right.find(text)
        distance = at if at >= 0 else -1
    if distance < 0:
        return None
    return 0.62 + 0.3 * min(len(text), 8) / 8 - 0.02 * min(distance, 10)


def _split_name_score(tails: tuple[tuple[str, frozenset[str]], ...], text: str,
                      figure: _FigureContext) -> float | None:
    """A name's tail right before the figure and most of its head earlier in the sentence."""
    left = figure.left
    if not tails or tails[-1][0] not in left:
        return None
    # Each tail is a suffix of the one before it, so the ones found in ``left`` are the
    # last ones: find the longest by bisection.
    low, high = 0, len(tails) - 1
    while low < high:
        middle = (low + high) // 2
        if tails[middle][0] in left:
            high = middle
        else:
            low = middle + 1
    tail, head = tails[low]
    earlier_clean = _drop_marks(figure.earlier)
    if not head or sum(1 for g in head if g in earlier_clean) < 0.6 * len(head):
        return None
    distance = len(left) - left.rfind(tail) - len(tail)
    return 0.55 + 0.25 * min(len(text), 8) / 8 - 0.02 * min(distance, 10)


def scope_cue_pattern(level: str, suffix: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Scope cue regex for a report of a region level whose name ends in ``suffix``.

    Examples:
        >>> pattern, kinds = scope_cue_pattern("prefecture", "市")
        >>> [kinds[m.group()] for m in pattern.finditer("全市共收到,其中市本级收到,市直单位,市级")]
        ['all', 'own', 'direct', 'weak:own']
    """
    return _scope_cue_pattern(level, suffix)


_SCOPE_CACHE: dict[tuple[str, str], tuple[re.Pattern[str], dict[str, str]]] = {}


def _scope_cue_pattern(level: str, suffix: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Cue word -> ``all``/``own``/``direct``; clause-only cues carry a ``weak:`` prefix."""
    key = (level, suffix)
    if key in _SCOPE_CACHE:
        return _SCOPE_CACHE[key]
    kinds: dict[str, str] = dict.fromkeys(lex.SCOPE_ALL_CUES, "all")
    suffixes = [suffix]
    if level == "prefecture" and suffix == "州":
        suffixes.append("市")
    if level == "county" and suffix == "市":
        suffixes.append("县")
    for s in suffixes:
        for kind, templates in lex.SCOPE_CUE_TEMPLATES.items():
            for template in templates:
                kinds.setdefault(template.format(s=s), kind)
        for kind, templates in lex.WEAK_SCOPE_CUE_TEMPLATES.items():
            for template in templates:
                kinds.setdefault(template.format(s=s), "weak:" + kind)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(kinds, key=lambda w: -len(w))))
    _SCOPE_CACHE[key] = (pattern, kinds)
    return pattern, kinds


def region_suffix(name: str | None, level: str | None) -> str:
    """The one-character ending used in scope words for a region (十堰市 -> 市).

    Examples:
        >>> region_suffix("恩施土家族苗族自治州", "prefecture"), region_suffix("郧西县", "county")
        ('州', '县')
    """
    if name:
        for ending in ("林区", "自治州", "自治县", "自治旗", "地区", "市", "县", "区", "州", "省",
                       "盟", "旗", "镇", "乡", "街道"):
            if name.endswith(ending):
                return {"林区": "区", "自治州": "州", "自治县": "县", "自治旗": "旗", "乡": "镇",
                        "街道": "镇"}.get(ending, ending)
    return {"country": "国", "province": "省", "county": "县"}.get(level or "", "市")
