"""Overlap look-ups against a set of text spans in logarithmic time."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SpanSet"]


@dataclass(frozen=True, slots=True)
class SpanSet:
    """Half-open spans ``[start, end)`` merged into disjoint, sorted runs.

    ``overlaps(start, end)`` answers ``any(a < end and start < b for a, b in spans)`` with
    two bisections instead of a pass over every span (a long text holds thousands of
    garbled runs and is asked once per figure).

    Examples:
        >>> spans = SpanSet.of([(10, 14), (2, 4), (12, 20), (30, 30)])
        >>> spans.starts, spans.ends
        ((2, 10, 30), (4, 20, 30))
        >>> spans.overlaps(4, 10), spans.overlaps(3, 5), spans.overlaps(29, 31)
        (False, True, True)
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, spans: Iterable[tuple[int, int]]) -> SpanSet:
        """Merge ``spans`` (in any order, overlapping or not) into disjoint runs."""
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(spans):
            if starts and start < ends[-1]:
                ends[-1] = max(ends[-1], end)
                continue
            starts.append(start)
            ends.append(end)
        return cls(tuple(starts), tuple(ends))

    def __bool__(self) -> bool:
        return bool(self.starts)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span ``[a, b)`` has ``a < end`` and ``start < b``."""
        i = bisect.bisect_right(self.ends, start)
        return i < len(self.starts) and self.starts[i] < end
