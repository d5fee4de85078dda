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
    return f"<td>{html.escape(str(value))}</td>"


def html_table(frame: pl.DataFrame, *, max_rows: int | None = None) -> str:
    """An HTML table of ``frame`` with every header and cell escaped (null cells empty) and
    text cells bidi-isolated in ``<bdi>``.

    Args:
        frame: The rows to show.
        max_rows: Show at most this many rows and say how many were left out.

    Examples:
        >>> table = html_table(pl.DataFrame({"name": ["<b>x</b>", None]}), max_rows=1)
        >>> table.split("<tbody>")[1]
        '<tr><td><bdi>&lt;b&gt;x&lt;/b&gt;</bdi></td></tr></tbody></table><p>… 1 more rows</p>'
    """
    shown = frame if max_rows is None else frame.head(max_rows)
    header = "".join(f"<th>{html.escape(column)}</th>" for column in shown.columns)
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in shown.iter_rows())
    more = (f"<p>… {frame.height - shown.height} more rows</p>"
            if frame.height > shown.height else "")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>{more}"
