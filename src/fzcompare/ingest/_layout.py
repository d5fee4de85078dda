"""A grid's layout: header rows, the region column, where the years are, long or wide."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from fzcompare.errors import TableImportError
from fzcompare.ingest._cells import parse_cell
from fzcompare.ingest._grid import Grid, cell_address

__all__ = ["RawValue", "table_values"]

_YEAR: Final[re.Pattern[str]] = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年?度?(?!\d)")
_YEAR_ONLY: Final[re.Pattern[str]] = re.compile(r"^\s*((?:19|20)\d{2})\s*年?度?\s*$")
_REGION_LABELS: Final[frozenset[str]] = frozenset(
    {"地区", "地区名称", "市州", "市（州）", "市(州)", "区域", "行政区划", "单位", "名称", "城市",
     "region", "region_code", "region_name", "地区代码", "区划代码"})
_YEAR_LABELS: Final[frozenset[str]] = frozenset({"年份", "年度", "年", "year"})
_INDICATOR_LABELS: Final[frozenset[str]] = frozenset(
    {"指标", "指标名称", "项目", "indicator", "indicator_code", "指标代码"})
_VALUE_LABELS: Final[frozenset[str]] = frozenset({"数值", "值", "value", "数据", "完成值"})
_UNIT_LABELS: Final[frozenset[str]] = frozenset({"单位", "计量单位", "unit"})
_MAX_HEADER_ROWS: Final[int] = 8


@dataclass(frozen=True, slots=True)
class RawValue:
    """One value cell with what names it: the region text, year, header and address.

    ``region_cell`` is the address of the cell the region text came from.
    """

    region: str
    year: int | None
    header: str
    raw: object
    address: str
    unit: str = ""
    region_cell: str = ""


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


def _is_year(value: object) -> bool:
    return bool(_YEAR_ONLY.match(str(value))) if not _blank(value) else False


def _is_body_row(row: tuple[object, ...]) -> bool:
    filled = [v for v in row if not _blank(v)]
    figures = [v for v in filled if parse_cell(v).is_figure and not _is_year(v)]
    return len(filled) >= 2 and len(figures) >= max(1, len(filled) // 3)


def _is_title_row(row: tuple[object, ...]) -> bool:
    filled = {str(v).strip() for v in row if not _blank(v)}
    return len(filled) == 1 and len(row) > 2


def _labels(header_rows: list[tuple[object, ...]], width: int) -> list[list[str]]:
    """Per column, the distinct header parts top to bottom (merged cells repeat a part)."""
    out: list[list[str]] = []
    for c in range(width):
        parts: list[str] = []
        for row in header_rows:
            text = "" if _blank(row[c]) else str(row[c]).strip()
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        out.append(parts)
    return out


def _fail(grid: Grid, reason: str, message: str, hint: str) -> TableImportError:
    where = f"{grid.path}: sheet {grid.sheet}" if grid.sheet else grid.path
    return TableImportError(f"{where}: {message}", reason=reason, path=grid.path,
                            sheet=grid.sheet, hint=hint)


def _split_header(grid: Grid) -> tuple[int, list[list[str]], int | None]:
    """The first body row, the column labels, and a year named in a title row."""
    rows = grid.rows
    title_year: int | None = None
    start = 0
    for i, row in enumerate(rows[:_MAX_HEADER_ROWS + 2]):
        if _is_body_row(row):
            start = i
            break
    else:
        raise _fail(grid, "no_header", "no header row followed by figures in the first "
                    f"{_MAX_HEADER_ROWS + 2} rows", "put the indicator names in the first rows "
                    "and one region (or indicator) per row below them")
    header_rows = [r for r in rows[:start] if not all(_blank(v) for v in r)]
    for row in header_rows:
        if _is_title_row(row):
            match = _YEAR.search(next(str(v) for v in row if not _blank(v)))
            title_year = int(match.group(1)) if match else title_year
    header_rows = [r for r in header_rows if not _is_title_row(r)]
    if not header_rows:
        raise _fail(grid, "no_header", "figures but no header row above them",
                    "add a header row naming the region column and the indicators")
    return start, _labels(header_rows, len(rows[0])), title_year


def _year_of(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def table_values(grid: Grid, *, names_region: Callable[[str], bool]) -> list[RawValue]:
    """The value cells of a sheet, long or wide, each with its region, year and header.

    Args:
        grid: The sheet.
        names_region: Whether a text names a known region (picks the region column).

    Raises:
        TableImportError: ``no_header`` or ``no_regions`` (no column of region names).
    """
    start, labels, title_year = _split_header(grid)
    body = [r for r in grid.rows[start:] if not all(_blank(v) for v in r)]
    offsets = [i for i, r in enumerate(grid.rows) if i >= start and not all(_blank(v) for v in r)]
    joined = ["".join(parts) for parts in labels]
    keys = [j.strip().lower() for j in joined]
    sheet_year = _year_of(grid.sheet) if grid.sheet else None

    def column_of(names: frozenset[str]) -> int | None:
        return next((c for c, k in enumerate(keys) if k in names), None)

    scores = [sum(1 for r in body if not _blank(r[c]) and names_region(str(r[c]).strip()))
              for c in range(len(keys))]
    region_col = column_of(_REGION_LABELS - _UNIT_LABELS)
    if region_col is None or scores[region_col] == 0:
        best = max(range(len(scores)), key=lambda c: scores[c]) if scores else None
        region_col = best if best is not None and scores[best] > 0 else None
    if region_col is None:
        header_regions = [c for c, j in enumerate(joined) if j and names_region(j)]
        if len(header_regions) >= 2:  # indicators down the side, regions across
            return _transposed(grid, labels, body, offsets, header_regions,
                               sheet_year or title_year, header_row=start - 1)
        raise _fail(grid, "no_regions", "no column of region names (none of its cells names "
                    "a known region)", "name the regions as in the regions table "
                    "(武汉市, 恩施州 ...) or give 6-digit codes")
    year_col = column_of(_YEAR_LABELS)
    indicator_col = column_of(_INDICATOR_LABELS)
    value_col = column_of(_VALUE_LABELS)
    unit_col = column_of(_UNIT_LABELS) if indicator_col is not None else None
    out: list[RawValue] = []
    for r, row_index in zip(body, offsets, strict=True):
        region = "" if _blank(r[region_col]) else str(r[region_col]).strip()
        row_year = _year_of(str(r[year_col])) if year_col is not None else None
        if indicator_col is not None and value_col is not None:  # long layout
            out.append(RawValue(
                region, row_year or sheet_year or title_year, str(r[indicator_col] or ""),
                r[value_col], cell_address(grid.sheet, row_index, value_col),
                "" if unit_col is None or _blank(r[unit_col]) else str(r[unit_col]),
                cell_address(grid.sheet, row_index, region_col)))
            continue
        for c, parts in enumerate(labels):
            if c in (region_col, year_col) or not parts:
                continue
            years = [y for p in parts if (y := _year_of(p)) is not None and _YEAR_ONLY.match(p)]
            header = "".join(p for p in parts if not _YEAR_ONLY.match(p))
            if not header:
                continue
            year = years[0] if years else row_year or _year_of(header) or sheet_year \
                or title_year
            out.append(RawValue(region, year, header, r[c],
                                cell_address(grid.sheet, row_index, c),
                                region_cell=cell_address(grid.sheet, row_index, region_col)))
    return out


def _transposed(grid: Grid, labels: list[list[str]], body: list[tuple[object, ...]],
                offsets: list[int], region_cols: list[int], year: int | None, *,
                header_row: int) -> list[RawValue]:
    out: list[RawValue] = []
    label_col = min(c for c in range(len(labels)) if c not in region_cols)
    for r, row_index in zip(body, offsets, strict=True):
        header = "" if _blank(r[label_col]) else str(r[label_col]).strip()
        for c in region_cols:
            out.append(RawValue("".join(labels[c]), year, header, r[c],
                                cell_address(grid.sheet, row_index, c),
                                region_cell=cell_address(grid.sheet, max(header_row, 0), c)))
    return out
