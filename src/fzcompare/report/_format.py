"""How the report prints changes: rates in percentage points, counts in relative %.

The one place the report decides how a year-over-year change reads, so the tables, the
Markdown and the charts' captions agree.
"""

from __future__ import annotations

import math
from typing import Final

RATE_UNITS: Final[frozenset[str]] = frozenset({"%", "‰", "percent", "pct"})
"""Units whose changes are differences (percentage points), not ratios."""


def is_rate(unit: str | None) -> bool:
    """Whether a value in ``unit`` is a rate, whose change is read in percentage points.

    Examples:
        >>> is_rate("%"), is_rate("件"), is_rate(None)
        (True, False, False)
    """
    return unit is not None and unit.strip() in RATE_UNITS


def change_size(unit: str | None, change_abs: float | None, change_pct: float | None
                ) -> float | None:
    """The number a reader compares: points for a rate, relative % for a count.

    Examples:
        >>> change_size("%", 6.62, 112.6), change_size("件", 3.0, 50.0)
        (6.62, 50.0)
    """
    value = change_abs if is_rate(unit) else change_pct
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def format_change(unit: str | None, change_abs: float | None, change_pct: float | None
                  ) -> str:
    """A change as the report prints it.

    Examples:
        A rate that went from 5.88 % to 12.50 % rose 6.6 points (not "+112.6 %"):

        >>> format_change("%", 6.62, 112.6)
        '+6.6 pp'
        >>> format_change("件", 3.0, 50.0), format_change("件", 3.0, None)
        ('+50.0 %', '–')
    """
    size = change_size(unit, change_abs, change_pct)
    if size is None:
        return "–"
    return f"{size:+.1f} pp" if is_rate(unit) else f"{size:+.1f} %"
