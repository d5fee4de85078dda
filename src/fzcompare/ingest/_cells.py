"""One spreadsheet cell -> a figure, or an explicit "not disclosed" (never zero)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["NOT_DISCLOSED_MARKS", "Cell", "parse_cell", "unit_of_header"]

NOT_DISCLOSED_MARKS: Final[frozenset[str]] = frozenset(
    {"", "—", "——", "-", "--", "－", "/", "／", "\\", "未公开", "不公开", "未披露", "暂无",
     "无数据", "n/a", "na", "null", "none", "…", "...", "x", "×"})
"""Cell texts that say a figure was not disclosed. In a mapped column they become rows with
disclosure ``withheld`` and no value (else they are listed as kept out); never read as zero."""

_NUMBER: Final[re.Pattern[str]] = re.compile(
    r"^(?P<qual>约|近|超过|逾|>|≥|<|≤)?\s*(?P<num>[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)"
    r"\s*(?P<mult>万|亿)?\s*(?P<unit>%|‰|[\u4e00-\u9fff]{1,2})?\s*(?P<tail>余|多)?$")
_QUALIFIERS: Final[dict[str, str]] = {"约": "approx", "近": "approx", "超过": "gt", "逾": "gt",
                                      ">": "gt", "≥": "ge", "<": "lt", "≤": "le"}
_MULTIPLIERS: Final[dict[str, float]] = {"万": 1e4, "亿": 1e8}
_HEADER_UNIT: Final[re.Pattern[str]] = re.compile(
    r"[(（\[【]\s*(?P<unit>[^()（）\[\]【】]{1,6}?)\s*[)）\]】]\s*$")


@dataclass(frozen=True, slots=True)
class Cell:
    """What a cell holds.

    Attributes:
        value: The figure with 万/亿 multiplied out (None when not disclosed or not a figure).
        unit: The unit written in the cell (``%``, ``件`` ...) or ``""``.
        qualifier: ``eq``, ``approx``, ``gt`` ... (the data model's qualifiers).
        disclosed: False for the not-disclosed marks (``—``, ``/``, ``未公开``, empty).
        text: The cell as written.
    """

    value: float | None
    unit: str
    qualifier: str
    disclosed: bool
    text: str

    @property
    def is_figure(self) -> bool:
        """Whether the cell holds a number."""
        return self.value is not None


def parse_cell(raw: object) -> Cell:
    """Read one cell.

    Examples:
        >>> parse_cell("99.97%")
        Cell(value=99.97, unit='%', qualifier='eq', disclosed=True, text='99.97%')
        >>> parse_cell("1.76万").value, parse_cell("约3亿").qualifier
        (17600.0, 'approx')
        >>> parse_cell("—").disclosed, parse_cell(None).disclosed, parse_cell("未公开").value
        (False, False, None)
        >>> parse_cell(12).value, parse_cell("武汉市").is_figure
        (12.0, False)
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Cell(None, "", "eq", False, "")
    if isinstance(raw, bool):
        return Cell(None, "", "eq", True, str(raw))
    if isinstance(raw, int | float):
        return Cell(float(raw), "", "eq", True, str(raw))
    text = str(raw).strip()
    if text.lower() in NOT_DISCLOSED_MARKS:
        return Cell(None, "", "eq", False, text)
    match = _NUMBER.match(text.replace(" ", ""))
    if match is None:
        return Cell(None, "", "eq", True, text)
    value = float(match.group("num").replace(",", ""))
    value *= _MULTIPLIERS.get(match.group("mult") or "", 1.0)
    qualifier = _QUALIFIERS.get(match.group("qual") or "", "eq")
    if match.group("tail"):
        qualifier = "approx"
    return Cell(value, match.group("unit") or "", qualifier, True, text)


def unit_of_header(header: str) -> tuple[str, str, float]:
    """Split a header into its name, its unit and the unit's multiplier.

    Examples:
        >>> unit_of_header("行政复议申请(件)")
        ('行政复议申请', '件', 1.0)
        >>> unit_of_header("政务服务网办率（%）")
        ('政务服务网办率', '%', 1.0)
        >>> unit_of_header("法治培训参训人次（万人次）")
        ('法治培训参训人次', '人次', 10000.0)
    """
    text = header.strip()
    match = _HEADER_UNIT.search(text)
    if match is None:
        return text, "", 1.0
    unit = match.group("unit").strip()
    multiplier = 1.0
    if unit[:1] in _MULTIPLIERS and len(unit) > 1:
        multiplier, unit = _MULTIPLIERS[unit[0]], unit[1:]
    return text[: match.start()].strip(), unit, multiplier
