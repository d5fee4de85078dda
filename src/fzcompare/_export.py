"""The shared table writer: one table (or several) -> CSV, JSON, Parquet or XLSX bytes.

XLSX is written with XlsxWriter (see ``docs/extraction.md#excel-out`` for the measurement
against openpyxl): a frozen two-row header (Chinese names above English ones), number
formats (integers, percentages for 0-1 shares), one sheet per table and a ``notes`` sheet
(rubric, dataset version, synthetic mark). The bytes are deterministic: the workbook's
created time is fixed (to ``as_of`` when given) and XlsxWriter stamps ZIP entries with a
constant date.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import polars as pl

from fzcompare._version import __version__

__all__ = ["COLUMN_NAMES_ZH", "TableFormat", "XlsxNotes", "encode_table", "xlsx_bytes"]

COLUMN_NAMES_ZH: Final[dict[str, str]] = {
    "region_code": "地区代码", "region_name": "地区", "region": "地区", "year": "年份",
    "indicator_code": "指标代码", "indicator": "指标", "name_zh": "指标名称", "scope": "范围",
    "value": "数值", "unit": "单位", "qualifier": "限定", "source_id": "来源", "quote": "原文",
    "domain": "领域", "section": "章节", "span_start": "起点", "span_end": "终点",
    "confidence": "置信度", "mapped": "已映射", "page": "页码", "rank": "排名", "score": "得分",
    "points": "得分", "total": "总分", "change": "变化", "old_value": "原值",
    "new_value": "新值", "file": "文件", "cell": "单元格", "header": "表头", "text": "原文",
    "issue": "问题", "code": "代码", "message": "说明", "expectation": "检查项",
    "severity": "严重程度", "row": "行", "column": "列", "reason": "原因", "slope": "斜率",
    "trend": "趋势", "n_years": "年数", "first_year": "起始年", "last_year": "终止年",
    "peer_group": "比较组", "area": "领域", "weight": "权重", "synthetic": "合成数据"}
"""Chinese column names for the header row above the English ones (others repeat English)."""

_EPOCH: Final[dt.datetime] = dt.datetime(2000, 1, 1)
_BAD_SHEET_CHARS: Final[re.Pattern[str]] = re.compile(r"[\[\]:*?/\\']")


class TableFormat(StrEnum):
    """How a table is written."""

    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


@dataclass(frozen=True, slots=True)
class XlsxNotes:
    """What the ``notes`` sheet of a workbook says.

    Attributes:
        title: What the workbook holds.
        rubric: The rubric (criteria) the figures were scored with, if any.
        dataset_version: The dataset version, when known.
        synthetic: Whether any figure is synthetic (the mark travels into the workbook).
        as_of: The date the workbook stands for; also its created time (determinism).
        extra: More ``(key, value)`` lines.
    """

    title: str = "fzcompare tables"
    rubric: str | None = None
    dataset_version: str | None = None
    synthetic: bool = False
    as_of: dt.date | None = None
    extra: tuple[tuple[str, str], ...] = ()


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip() or "table"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _is_share(series: pl.Series) -> bool:
    name = series.name.lower()
    if not series.dtype.is_float() or not any(k in name for k in ("share", "ratio", "pct_of")):
        return False
    values = series.drop_nulls().drop_nans()
    return values.len() > 0 and bool(values.min() >= 0) and bool(values.max() <= 1)  # type: ignore[operator]


def _write_sheet(book: object, sheet_name: str, frame: pl.DataFrame,
                 formats: dict[str, object]) -> None:
    sheet = book.add_worksheet(sheet_name)  # type: ignore[attr-defined]
    for c, name in enumerate(frame.columns):
        sheet.write_string(0, c, COLUMN_NAMES_ZH.get(name, name), formats["head"])
        sheet.write_string(1, c, name, formats["head"])
    sheet.freeze_panes(2, 0)
    for c, series in enumerate(frame.iter_columns()):
        fmt = (formats["percent"] if _is_share(series)
               else formats["integer"] if series.dtype.is_integer() else None)
        width = max(len(series.name), 8)
        for r, value in enumerate(series.to_list(), start=2):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                if value != value or value in (float("inf"), float("-inf")):
                    sheet.write_string(r, c, str(value))
                else:
                    sheet.write_number(r, c, value, fmt)
            else:
                text = value.isoformat() if isinstance(value, dt.date) else str(value)
                sheet.write_string(r, c, text)  # never a formula, whatever the text says
                width = max(width, min(len(text), 60))
        sheet.set_column(c, c, width + 2)


def xlsx_bytes(tables: Mapping[str, pl.DataFrame], *, notes: XlsxNotes | None = None) -> bytes:
    """A workbook with one sheet per table and a ``notes`` sheet, as deterministic bytes.

    Examples:
        >>> import io, openpyxl, polars as pl
        >>> frame = pl.DataFrame({"region_code": ["420300"], "year": [2023], "value": [9.0]})
        >>> data = xlsx_bytes({"observations": frame}, notes=XlsxNotes(synthetic=True))
        >>> book = openpyxl.load_workbook(io.BytesIO(data))
        >>> book.sheetnames, [c.value for c in book["observations"][3]]
        (['observations', 'notes'], ['420300', 2023, 9])
        >>> data == xlsx_bytes({"observations": frame}, notes=XlsxNotes(synthetic=True))
        True
    """
    # Heavy import: XlsxWriter loads only when a workbook is written.
    import xlsxwriter

    notes = notes or XlsxNotes()
    buffer = io.BytesIO()
    created = (dt.datetime.combine(notes.as_of, dt.time()) if notes.as_of else _EPOCH)
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    book.set_properties({"title": notes.title, "author": "fzcompare", "company": "",
                         "created": created, "comments": f"fzcompare {__version__}"})
    book.set_custom_property("synthetic", notes.synthetic)
    formats: dict[str, object] = {
        "head": book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1}),
        "integer": book.add_format({"num_format": "0"}),
        "percent": book.add_format({"num_format": "0.00%"}),
    }
    taken: set[str] = {"notes"}
    for name, frame in tables.items():
        _write_sheet(book, _sheet_name(name, taken), frame, formats)
    sheet = book.add_worksheet("notes")
    lines: list[tuple[str, str]] = [
        ("title", notes.title), ("rubric", notes.rubric or ""),
        ("dataset version", notes.dataset_version or "unknown"),
        ("synthetic", "yes: some or all figures are synthetic (invented), not real"
         if notes.synthetic else "no"),
        ("as of", notes.as_of.isoformat() if notes.as_of else ""),
        ("written by", f"fzcompare {__version__}"),
        ("header rows", "row 1 Chinese names, row 2 English names; data from row 3"),
        *notes.extra]
    for r, (key, value) in enumerate(lines):
        sheet.write_string(r, 0, key, formats["head"])
        sheet.write_string(r, 1, value)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()


def encode_table(frame: pl.DataFrame, output_format: TableFormat | str, *,
                 sheet: str = "data", notes: XlsxNotes | None = None) -> bytes:
    """One table in the given format, as bytes.

    Examples:
        >>> encode_table(pl.DataFrame({"a": [1]}), "csv")
        b'a\\n1\\n'
    """
    fmt = TableFormat(output_format)
    if fmt is TableFormat.xlsx:
        return xlsx_bytes({sheet: frame}, notes=notes)
    if fmt is TableFormat.parquet:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt is TableFormat.json:
        return frame.write_json().encode("utf-8")
    return frame.write_csv().encode("utf-8")
