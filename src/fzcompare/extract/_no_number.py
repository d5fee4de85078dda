"""Coverage statements without a figure: 全覆盖 for an indicator the catalog gives no 100 % rule.

``宪法宣誓全覆盖`` is a figure (the catalog lists it as a full statement of the oath rate,
so it reads as 100 %). ``行政复议规范化建设实现全覆盖`` names an indicator whose catalog
entry has no such statement: the report says something about it, but no number. Such a
statement becomes a ``no_number`` observation (value null), never an invented 100.
"""

from __future__ import annotations

import re
from typing import Final

from fzcompare.catalog import Catalog

__all__ = ["CoverageStatement", "find_coverage_statements"]

_CORE: Final[re.Pattern[str]] = re.compile(r"全覆盖")
_NEGATED: Final[tuple[str, ...]] = ("基本", "未", "尚未", "没有", "推进", "推动", "力争", "逐步")
"""Words just before the core that make it no statement of fact (basic, not yet, aim)."""
_STEM_SUFFIXES: Final[tuple[str, ...]] = ("覆盖率", "全覆盖率", "率", "比例")
_MIN_STEM: Final[int] = 3
_LOOKBACK: Final[int] = 30

CoverageStatement = tuple[int, int, int, str]
"""(start of the subject, end of the core, catalog row of the indicator, subject stem)."""


def _stems(catalog: Catalog) -> tuple[tuple[str, int], ...]:
    """(stem, catalog row) of rate indicators without full statements, longest stem first.

    Built per call (a few dozen names, and only for texts holding 全覆盖).
    """
    table = catalog.indicators
    found: list[tuple[str, int]] = []
    for row, (kind, names, name, full) in enumerate(zip(
            table["kind"].to_list(), table["synonyms"].to_list(), table["name_zh"].to_list(),
            table["full_statements"].to_list(), strict=True)):
        if kind != "rate" or full:
            continue
        for written in [name, *(names or [])]:
            stem = str(written)
            for suffix in _STEM_SUFFIXES:
                if stem.endswith(suffix):
                    stem = stem[: -len(suffix)]
                    break
            if len(stem) >= _MIN_STEM:
                found.append((stem, row))
    return tuple(sorted(set(found), key=lambda item: (-len(item[0]), item[0], item[1])))


def find_coverage_statements(text: str, catalog: Catalog,
                             clause_start: dict[int, int]) -> list[CoverageStatement]:
    """Every 全覆盖 whose clause names a catalog rate that has no full statement.

    Args:
        text: The normalised report text.
        catalog: The indicator catalog.
        clause_start: For each core position, where its clause starts.

    Examples:
        >>> from fzcompare import load_catalog
        >>> text = "乡村两级政务服务事项进驻实现全覆盖，司法所基本全覆盖。"
        >>> hits = find_coverage_statements(text, load_catalog(), {})
        >>> [(text[s:e], stem) for s, e, _, stem in hits]
        [('乡村两级政务服务事项进驻实现全覆盖', '乡村两级政务服务事项进驻')]
    """
    stems = _stems(catalog)
    found: list[CoverageStatement] = []
    for hit in _CORE.finditer(text):
        start = clause_start.get(hit.start(), max(0, hit.start() - _LOOKBACK))
        subject = text[max(start, hit.start() - _LOOKBACK):hit.start()]
        if subject.endswith(_NEGATED) or any(word in subject[-4:] for word in _NEGATED):
            continue
        for stem, row in stems:
            if stem in subject:
                found.append((start, hit.end(), row, stem))
                break
    return found
