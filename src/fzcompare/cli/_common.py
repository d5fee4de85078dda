"""The one CLI convention every command follows: formats, outputs, notes, tables, names.

- ``-f/--format`` takes the same five choices everywhere a table is written
  (:class:`Format`); without it the suffix of ``-o/--output FILE`` decides, and without
  either a terminal gets a table and a pipe gets CSV. A suffix that contradicts ``-f`` is a
  usage error, and so are binary formats (parquet, xlsx) sent to a terminal.
- Data go to stdout; notes, warnings and "wrote ..." lines go to stderr (:func:`note`).
- Tables fit the terminal width (:func:`render_table`): columns are dropped from the right
  until the rest fit, and the dropped ones are named on stderr.
- The dataset argument (:data:`DatasetArg`) is explicit and must exist (else exit 2).
- ``--year YEAR`` is one year, ``--years SPAN`` a span (``2020-2023``, ``2021``,
  ``2020,2022``) of the data's years; region filters take codes or names.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import shutil
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import polars as pl
import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from fzcompare._export import XlsxNotes, xlsx_bytes
from fzcompare._io import atomic_write_bytes
from fzcompare._names import check_filters, check_known, check_years
from fzcompare.catalog import load_catalog
from fzcompare.errors import FzcompareError
from fzcompare.regions import resolve_region
from fzcompare.store import history

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "BINARY_FORMATS",
    "DatasetArg",
    "Format",
    "FormatOption",
    "OutputOption",
    "Sink",
    "TableText",
    "check_names",
    "check_version",
    "choose_sink",
    "emit",
    "empty_result",
    "encode",
    "filter_years",
    "format_cell",
    "note",
    "parse_years",
    "region_codes",
    "render_table",
    "synthetic_note",
    "terminal_width",
    "wrap_text",
]


class Format(StrEnum):
    """How a command writes its table: the same choices in every command."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


BINARY_FORMATS: Final = frozenset({Format.parquet, Format.xlsx})
_BY_SUFFIX: Final[dict[str, Format]] = {
    ".txt": Format.table, ".csv": Format.csv, ".json": Format.json,
    ".parquet": Format.parquet, ".xlsx": Format.xlsx}

FormatOption = Annotated[Format | None, typer.Option(
    "--format", "-f", help="table, csv, json, parquet or xlsx (default: from the -o "
                           "suffix; else table on a terminal, csv when piped).")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to FILE (atomically) instead of stdout; its suffix (.csv "
                           ".json .parquet .xlsx .txt) sets the format when -f is absent.")]


def _dataset_exists(path: Path) -> Path:
    if not path.exists():
        msg = f"no such dataset folder: {path}"
        raise typer.BadParameter(msg)
    return path


DatasetArg = Annotated[Path, typer.Argument(
    help="Dataset folder (made by extract --into, import --into or dataset convert).",
    callback=_dataset_exists, show_default=False)]


def note(text: str) -> None:
    """Print a note, warning or progress line: always on stderr, never among the data."""
    typer.echo(text, err=True)


@dataclass(frozen=True, slots=True)
class Sink:
    """Where a command's table goes and in which format.

    Attributes:
        format: The chosen format.
        path: The file (written atomically), or ``None`` for stdout.
    """

    format: Format
    path: Path | None


def _usage(message: str, param: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=param)


def choose_sink(chosen: Format | None, output: Path | None, *,
                allowed: Sequence[Format] = tuple(Format),
                stdout_is_terminal: bool | None = None) -> Sink:
    """The format and destination from ``-f`` and ``-o``, by the one rule of every command.

    Raises:
        typer.BadParameter: A suffix contradicting ``-f``, a suffix that names no format
            without ``-f``, a format the command does not write, or a binary format to a
            terminal (usage errors: exit code 2).

    Examples:
        >>> choose_sink(None, Path("out.json"))
        Sink(format=<Format.json: 'json'>, path=PosixPath('out.json'))
        >>> choose_sink(None, None, stdout_is_terminal=False).format
        <Format.csv: 'csv'>
    """
    terminal = sys.stdout.isatty() if stdout_is_terminal is None else stdout_is_terminal
    by_suffix = _BY_SUFFIX.get(output.suffix.lower()) if output is not None else None
    if output is not None and chosen is not None and by_suffix not in (None, chosen):
        msg = (f"-o {output} has the suffix {output.suffix} ({by_suffix}) but --format is "
               f"{chosen}; give a matching suffix or drop --format")
        raise _usage(msg, "--format")
    if output is not None and chosen is None and by_suffix is None:
        msg = (f"cannot tell the format of -o {output} from its suffix; use one of "
               f"{', '.join(_BY_SUFFIX)} or give --format")
        raise _usage(msg, "--output")
    fmt = chosen or by_suffix or (Format.table if terminal else Format.csv)
    if fmt not in allowed:
        msg = f"this command writes {', '.join(allowed)}, not {fmt}"
        raise _usage(msg, "--format")
    if fmt in BINARY_FORMATS and output is None and terminal:
        msg = (f"{fmt} is binary and stdout is a terminal; write it with -o FILE or "
               "redirect stdout to a file")
        raise _usage(msg, "--format")
    return Sink(fmt, output)


def terminal_width() -> int:
    """The width tables must fit: ``COLUMNS`` when set, else the terminal's, else 80."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _is_share(name: str) -> bool:
    return name == "share" or name.startswith("share_") or name.endswith("_share")


def format_number(value: float) -> str:
    """A number for a terminal table: four significant digits, no exponent in usual ranges.

    Examples:
        >>> [format_number(v) for v in (2.0, 0.41999999999999993, 1234567.0, 85.25, 1e-07)]
        ['2', '0.42', '1234567', '85.25', '1e-07']
    """
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0 or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -4:  # below 0.0001 the exponent reads better
        return f"{value:.3g}"
    return f"{value:.{max(0, 3 - magnitude)}f}".rstrip("0").rstrip(".")


def format_cell(name: str, value: object) -> str:
    """One table cell: shares (0-1 in the data) as percentages, numbers rounded.

    Examples:
        >>> format_cell("share", 0.857), format_cell("points_earned", 85.5), format_cell("x", None)
        ('85.7%', '85.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and _is_share(name) and math.isfinite(value):
        return f"{value:.1%}"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class TableText:
    """A rendered terminal table.

    Attributes:
        text: The table, ending in a newline.
        dropped: The columns left out so that the table fits the width.
    """

    text: str
    dropped: tuple[str, ...]


_WRAP_AT: Final = 24
"""Text columns of words (spaces or CJK) wider than this may wrap, to this width at least;
codes and numbers never break."""


def _cells(frame: pl.DataFrame) -> list[list[str]]:
    return [[format_cell(name, value) for value in frame[name].to_list()]
            for name in frame.columns]


def _wordy(cells: list[str]) -> bool:
    return any(" " in c or not c.isascii() for c in cells)


def _needed(name: str, cells: list[str], *, numeric: bool) -> tuple[int, bool]:
    """A column's width when nothing breaks, and whether its text may wrap."""
    widest = max([cell_len(name), *(cell_len(c) for c in cells)])
    wraps = not numeric and widest > _WRAP_AT and _wordy(cells)
    return (max(_WRAP_AT, cell_len(name)) if wraps else widest), wraps


def _fitting(frame: pl.DataFrame, width: int, keep: int) -> list[str]:
    """The columns kept: dropped from the right until the rest fit ``width``."""
    columns = list(frame.columns)
    cells = dict(zip(columns, _cells(frame), strict=True))
    needed = [_needed(c, cells[c], numeric=frame.schema[c].is_numeric())[0] for c in columns]
    while len(columns) > keep and sum(needed) + 3 * (len(columns) - 1) > width:
        columns.pop()
        needed.pop()
    return columns


def _table(frame: pl.DataFrame) -> Table:
    view = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    columns = _cells(frame)
    for name, cells in zip(frame.columns, columns, strict=True):
        numeric = frame.schema[name].is_numeric()
        wraps = _needed(name, cells, numeric=numeric)[1]
        view.add_column(name, justify="right" if numeric else "left",
                        overflow="fold", no_wrap=not wraps,
                        min_width=_WRAP_AT if wraps else None)
    for row in zip(*columns, strict=True):
        view.add_row(*row)
    return view


def render_table(frame: pl.DataFrame, *, title: str, width: int | None = None,
                 keep: int = 2) -> TableText:
    """The frame as a plain-text table no wider than ``width`` (the terminal's by default).

    Columns are dropped from the right (the least important last) until the rest fit
    without breaking a code or a number; long text columns then wrap. The first ``keep``
    always stay.

    Examples:
        >>> frame = pl.DataFrame({"region_code": ["420300"], "share": [0.857]})
        >>> print(render_table(frame, title="t", width=40).text.strip())
        t
        region_code   share
        ───────────────────
        420300        85.7%
    """
    width = width or terminal_width()
    kept = _fitting(frame, width, keep)
    console = Console(file=io.StringIO(), width=width, no_color=True, highlight=False,
                      emoji=False, markup=False, legacy_windows=False)
    console.print(title, overflow="fold")
    console.print(_table(frame.select(kept)))
    buffer = console.file
    text = buffer.getvalue() if isinstance(buffer, io.StringIO) else ""
    text = "".join(line.rstrip() + "\n" for line in text.splitlines())
    return TableText(text, tuple(c for c in frame.columns if c not in kept))


def wrap_text(text: str, *, width: int | None = None) -> str:
    """Plain text wrapped at word boundaries to the terminal width (CJK counted as 2).

    Examples:
        >>> print(wrap_text("one two three four", width=9), end="")
        one two
        three
        four
    """
    console = Console(file=io.StringIO(), width=width or terminal_width(), no_color=True,
                      highlight=False, emoji=False, markup=False)
    console.print(text, overflow="fold")
    buffer = console.file
    wrapped = buffer.getvalue() if isinstance(buffer, io.StringIO) else text
    return "".join(line.rstrip() + "\n" for line in wrapped.splitlines())


def encode(frame: pl.DataFrame, sink: Sink, *, title: str, notes: Sequence[str] = (),
           sheet: str = "data", rows: int | None = None) -> bytes:
    """The frame in the sink's format; a terminal table names its dropped columns on stderr."""
    fmt = sink.format
    if fmt is Format.table:
        rendered = render_table(frame, title=f"{title} ({rows or frame.height} rows)")
        if rendered.dropped:
            note(f"NOTE: {len(rendered.dropped)} column(s) left out to fit "
                 f"{terminal_width()} columns ({', '.join(rendered.dropped)}); "
                 "-f csv or json has every column.")
        return rendered.text.encode("utf-8")
    if fmt is Format.xlsx:
        return xlsx_bytes({sheet: frame}, notes=XlsxNotes(
            title=title, synthetic=any("synthetic" in n.lower() for n in notes),
            extra=tuple(("note", n) for n in notes)))
    if fmt is Format.parquet:
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt is Format.json:
        return frame.write_json().encode("utf-8") + b"\n"
    return frame.write_csv().encode("utf-8")


def emit(data: bytes, sink: Sink, *, what: str) -> None:
    """Write the data to the sink's file (atomically) or to stdout; say where on stderr."""
    if sink.path is None:
        sys.stdout.flush()
        raw = getattr(sys.stdout, "buffer", None)  # a text-only stdout (notebook, doctest)
        if raw is not None:
            raw.write(data)
        elif sink.format in BINARY_FORMATS:
            msg = f"this stdout takes text only; write {sink.format} with -o FILE"
            raise _usage(msg, "--format")
        else:
            sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    atomic_write_bytes(sink.path, data)
    note(f"wrote {what} ({sink.format}) to {sink.path}")


def synthetic_note(observations: pl.DataFrame, sources: pl.DataFrame) -> list[str]:
    """The SYNTHETIC note when any observation comes from a synthetic source."""
    synthetic = sources.filter(pl.col("kind") == "synthetic")["source_id"]
    if observations["source_id"].is_in(synthetic.implode()).any():
        return ["NOTE: this dataset holds SYNTHETIC figures (generated, not real)."]
    return []


def parse_years(span: str | None, *, first: int | None = None,
                last: int | None = None) -> tuple[int, int] | list[int] | None:
    """``--years``: ``2020-2023`` (either end may be left out), ``2021`` or ``2020,2022``.

    ``first``/``last`` are the hidden ``--from``/``--to`` aliases.

    Raises:
        typer.BadParameter: A span that is not years, or one that runs backwards.

    Examples:
        >>> parse_years("2020-2023"), parse_years("2021"), parse_years("2020,2022")
        ((2020, 2023), (2021, 2021), [2020, 2022])
        >>> parse_years(None, first=2021)
        (2021, 9999)
    """
    if span is None:
        if first is None and last is None:
            return None
        low, high = first or 0, last or 9999
    else:
        text = span.strip()
        try:
            if "," in text:
                return sorted({int(part) for part in text.split(",") if part.strip()})
            start, _, end = text.partition("-") if "-" in text[1:] else (text, "", text)
            low = int(start) if start.strip() else 0
            high = int(end) if end.strip() else 9999
        except ValueError:
            msg = f"{span!r} is not a year span; write 2020-2023, 2021 or 2020,2022"
            raise _usage(msg, "--years") from None
    if low > high:
        msg = f"the span {low}-{high} runs backwards; write the earlier year first"
        raise _usage(msg, "--years")
    return low, high


def region_codes(given: Sequence[str] | None, *, province: str | None = None
                 ) -> list[str] | None:
    """Region filters as codes: 6-digit codes pass, names are resolved (or refused, exit 2).

    Examples:
        >>> region_codes(["420300", "襄阳市"])
        ['420300', '420600']
    """
    if not given:
        return None
    codes = []
    for value in given:
        text = value.strip()
        codes.append(text if text.isdigit() else resolve_region(text, province=province).code)
    return codes


def check_version(dataset: Path, version: int | None) -> None:
    """Refuse a ``--version`` the dataset does not have (a usage error, exit 2).

    Raises:
        UnknownNameError: Naming the versions there are.
    """
    if version is None:
        return
    versions = sorted(history(dataset)["version"].to_list())
    check_known("dataset version", [str(version)], {str(v) for v in versions},
                hint_source=f"fzcompare dataset history {dataset}",
                hint=f"{dataset} has the versions {versions[0]}..{versions[-1]} "
                     f"(fzcompare dataset history {dataset})" if versions else None)


def check_names(observations: pl.DataFrame, *, indicators: Sequence[str] | None = None,
                regions: Sequence[str] | None = None, years: Sequence[int] | None = None,
                regions_table: pl.DataFrame | None = None) -> None:
    """Refuse unknown indicator codes, region codes or years, suggesting the closest ones.

    Raises:
        UnknownNameError: Naming the unknown name and the closest known ones (exit 2).
    """
    check_filters(observations.lazy(), indicators=list(indicators) if indicators else None,
                  regions=list(regions) if regions else None,
                  years=list(years) if years else None,
                  catalog_codes=load_catalog().codes, regions_table=regions_table)


def empty_result(message: str) -> FzcompareError:
    """The error for a well-formed question the data hold nothing for (exit code 1)."""
    return FzcompareError(message, hint="the filters are valid; the data hold no rows for "
                                        "them (see fzcompare dataset info DATASET)")


def filter_years(observations: pl.DataFrame,
                 years: tuple[int, int] | list[int] | None) -> pl.DataFrame:
    """Keep the rows of ``--years``; a span entirely outside the data is refused (exit 2).

    Raises:
        UnknownNameError: A listed year, or a whole span, outside the data's years.
    """
    if years is None:
        return observations
    present = set(observations["year"].unique().to_list())
    if isinstance(years, list):
        check_years(years, present)
        return observations.filter(pl.col("year").is_in(years))
    low, high = years
    if present and (high < min(present) or low > max(present)):
        check_years([low if low > max(present) else high], present)
    return observations.filter(pl.col("year").is_between(low, high))
