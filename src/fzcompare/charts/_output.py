"""Chart output: ``save_png`` and ``figure_to_data_uri`` (deterministic bytes)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Literal

from fzcompare.charts._style import (
    SAVE_DPI,
    data_uri,
    figure_bytes,
    palette_png,
    write_bytes,
)

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure


# ---------------------------------------------------------------- output


def save_png(fig: Figure, path_or_buffer: str | os.PathLike[str] | IO[bytes], *,
             dpi: int = SAVE_DPI) -> None:
    """Save ``fig`` as PNG with no metadata, so equal figures give equal bytes.

    A path is written atomically (temporary file in the same directory, then rename);
    a binary file object is written to directly.

    Examples:
        >>> from fzcompare.charts import trend_panels
        >>> import io, polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 2, "year": [2022, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [95.5, 98.1]})
        >>> one, two = io.BytesIO(), io.BytesIO()
        >>> save_png(trend_panels(obs), one); save_png(trend_panels(obs), two)
        >>> one.getvalue() == two.getvalue()
        True
        >>> import tempfile
        >>> from pathlib import Path
        >>> target = Path(tempfile.mkdtemp()) / "trend.png"
        >>> save_png(trend_panels(obs), target, dpi=50)
        >>> target.read_bytes()[1:4], [path.name for path in target.parent.iterdir()]
        (b'PNG', ['trend.png'])
    """
    write_bytes(figure_bytes(fig, dpi=dpi, fmt="png"), path_or_buffer)


def figure_to_data_uri(fig: Figure, *, dpi: int = SAVE_DPI,
                       fmt: Literal["png", "svg"] = "png", colors: int | None = None) -> str:
    """``data:`` URI of ``fig`` for inline HTML (deterministic; SVG draws text as paths).

    Args:
        fig: The figure.
        dpi: Resolution of a PNG.
        fmt: ``png`` or ``svg``.
        colors: Quantise a PNG to a palette of this many colours (2-256): about a third of
            the bytes, for reports that inline many charts.

    Examples:
        >>> from fzcompare.charts import trend_panels
        >>> import polars as pl
        >>> obs = pl.DataFrame({"region_code": ["420300"] * 2, "year": [2022, 2023],
        ...     "indicator_code": ["gov_service_online_rate"] * 2, "scope": ["全市"] * 2,
        ...     "value": [95.5, 98.1]})
        >>> fig = trend_panels(obs)
        >>> figure_to_data_uri(fig, dpi=50)[:22]
        'data:image/png;base64,'
        >>> figure_to_data_uri(fig, fmt="svg")[:26]
        'data:image/svg+xml;base64,'
        >>> len(figure_to_data_uri(fig, dpi=50, colors=16)) < len(figure_to_data_uri(fig, dpi=50))
        True
        >>> figure_to_data_uri(fig, dpi=50) == figure_to_data_uri(fig, dpi=50)  # deterministic
        True
    """
    data = figure_bytes(fig, dpi=dpi, fmt=fmt)
    if fmt == "png" and colors is not None:
        data = palette_png(data, colors=colors)
    return data_uri(data, fmt)
