"""Spreadsheet files (XLSX incl. WPS-saved, CSV, Parquet) -> grids of cell values."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from fzcompare.errors import TableImportError

__all__ = ["Grid", "cell_address", "read_grids"]

_OLE_MAGIC: Final[bytes] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM: Final[bytes] = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True, slots=True)
class Grid:
    """One sheet: its cells row by row, merged ranges filled with their top-left value.

    Attributes:
        path: The file the sheet is in.
        sheet: The sheet's name (``""`` for CSV and Parquet).
        rows: Cell values (str, int, float or None), rows padded to one width.
    """

    path: str
    sheet: str
    rows: tuple[tuple[object, ...], ...]


def cell_address(sheet: str, row: int, column: int) -> str:
    """The spreadsheet address of a 0-based cell, with its sheet.

    Examples:
        >>> cell_address("2023", 6, 3), cell_address("", 0, 27)
        ('2023!D7', 'AB1')
    """
    letters = ""
    n = column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{sheet}!{letters}{row + 1}" if sheet else f"{letters}{row + 1}"


def _fail(path: str, reason: str, message: str, hint: str) -> TableImportError:
    return TableImportError(f"{path}: {message}", reason=reason, path=path, hint=hint)


def _padded(rows: list[list[object]]) -> tuple[tuple[object, ...], ...]:
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return tuple(tuple(r) + (None,) * (width - len(r)) for r in rows)


def _shown(cell: object) -> object:
    """A cell's value; a number formatted as a percentage (0.9997 shown as 99.97%) is read
    as the percentage it shows."""
    value = getattr(cell, "value", None)
    number_format = str(getattr(cell, "number_format", "") or "")
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return f"{round(value * 100, 10):g}%"
    return value


def _read_xlsx(data: bytes, path: str) -> list[Grid]:
    # Heavy import: openpyxl loads only when a workbook is read.
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise _fail(path, "corrupt", f"the workbook cannot be read ({type(error).__name__}: "
                    f"{error})", "open and save it again in Excel or WPS, as .xlsx") from None
    grids: list[Grid] = []
    for sheet in book.worksheets:
        rows = [[_shown(cell) for cell in r] for r in sheet.iter_rows()]
        for merged in list(sheet.merged_cells.ranges):
            top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) \
                else None
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, merged.max_col):
                    if c < len(rows[r]):
                        rows[r][c] = top
        grids.append(Grid(path, str(sheet.title), _padded(rows)))
    return grids


def _read_csv(data: bytes, path: str) -> list[Grid]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _fail(path, "unknown_encoding", "the CSV is neither UTF-8 nor GB18030",
                    "save the CSV as UTF-8")
    rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(text))]
    return [Grid(path, "", _padded([[v if v != "" else None for v in r] for r in rows]))]


def _read_parquet(data: bytes, path: str) -> list[Grid]:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as error:  # polars raises ComputeError/OSError alike on damaged files
        raise _fail(path, "corrupt", f"the Parquet file cannot be read ({error})",
                    "write the table again") from None
    rows: list[list[object]] = [list(frame.columns)]
    rows.extend(list(r) for r in frame.iter_rows())
    return [Grid(path, "", _padded(rows))]


def read_grids(path: str | Path) -> list[Grid]:
    """The sheets of a table file; the kind is read from the bytes, not the suffix.

    Raises:
        TableImportError: ``reason`` ``unreadable``, ``empty``, ``encrypted``, ``corrupt``
            or ``unsupported``.

    Examples:
        >>> import tempfile, pathlib
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = file.write_text("地区,行政复议申请(件)\\n武汉市,1.76万\\n", encoding="utf-8")
        >>> read_grids(file)[0].rows
        (('地区', '行政复议申请(件)'), ('武汉市', '1.76万'))
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise _fail(name, "unreadable", f"cannot read the file ({error.strerror or error})",
                    "check the path") from None
    if not data.strip():
        raise _fail(name, "empty", "the file is empty", "pass a table with a header row")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise _fail(name, "encrypted", "the workbook is password-protected",
                        "save it without a password (Excel/WPS: File > Info) and retry")
        raise _fail(name, "unsupported", "an old binary workbook (.xls/.et)",
                    "save it as .xlsx and retry")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name)
    if data.startswith(b"PAR1"):
        return _read_parquet(data, name)
    if b"\x00" in data[:4096]:
        raise _fail(name, "unsupported", "binary data that is not XLSX or Parquet",
                    "pass XLSX, CSV or Parquet")
    return _read_csv(data, name)
