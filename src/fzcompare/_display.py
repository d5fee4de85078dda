"""Notebook display shared by the result types: an escaped HTML table of a frame's head."""

from __future__ import annotations

import html

import polars as pl

__all__ = ["html_table"]


def _cell(value: object) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, str):
        # text from the data (a region name may hold a U+202E override): isolated
        return f"<td><bdi>{html.escape(value)}</bdi></td>"
    if isinstance(value, float):
        # rounded for reading: 6 significant digits (-0.41999999999999993 shows as -0.42)
        return f"<td>{value:.6g}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def html_table(frame: pl.DataFrame, *, max_rows: int | None = None) -> str:
    """An HTML table of ``frame``, every header and cell escaped.

    Null cells are empty; text cells are bidi-isolated in ``<bdi>``; floats are shown to six
    significant digits (the frame keeps full precision).

    Args:
        frame: The rows to show.
        max_rows: Show at most this many rows and say how many were left out.

    Examples:
        >>> table = html_table(pl.DataFrame({"name": ["<b>x</b>", None]}), max_rows=1)
        >>> table.split("<tbody>")[1]
        '<tr><td><bdi>&lt;b&gt;x&lt;/b&gt;</bdi></td></tr></tbody></table><p>… 1 more rows</p>'
        >>> html_table(pl.DataFrame({"change": [11.97 - 12.39]})).split("<tbody>")[1][:23]
        '<tr><td>-0.42</td></tr>'
    """
    shown = frame if max_rows is None else frame.head(max_rows)
    header = "".join(f"<th>{html.escape(column)}</th>" for column in shown.columns)
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in shown.iter_rows())
    more = (f"<p>… {frame.height - shown.height} more rows</p>"
            if frame.height > shown.height else "")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>{more}"
