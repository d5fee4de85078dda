"""One exception root for fzcompare; every subclass says what failed and how to fix it."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CatalogError",
    "ChartError",
    "CriteriaError",
    "DatasetWriteError",
    "ExtractionError",
    "FzcompareError",
    "SchemaError",
    "ValidationFailedError",
]


class FzcompareError(Exception):
    """Root of every error raised by fzcompare.

    Args:
        message: What went wrong, in one sentence.
        hint: How to fix it, if known.
        details: Structured context (file, row, column, reason code ...).
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        self.message = message
        self.hint = hint
        self.details = details
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


class SchemaError(FzcompareError):
    """An observations table (or a supporting table) breaks the data model.

    ``details`` carries ``path`` (file or dataset), ``column``, ``reason`` (a short
    reason code such as ``missing_column`` or ``duplicate_key``) and ``rows``: a polars
    DataFrame holding the offending rows with their row numbers, when rows are at fault.
    """


class CatalogError(FzcompareError):
    """The indicator catalog or the regions table is malformed."""


class CriteriaError(FzcompareError):
    """A criteria (rubric) file is malformed; ``details`` names the file and key path."""


class DatasetWriteError(FzcompareError):
    """Writing to a dataset failed; the dataset was left as it was."""


class ExtractionError(FzcompareError):
    """A report could not be read or parsed (empty, binary, unknown encoding ...)."""


class ValidationFailedError(FzcompareError):
    """Error-severity expectations failed and the caller asked to stop on them."""

    exit_code = 3


class ChartError(FzcompareError):
    """A chart cannot be drawn from the frame it was given.

    ``details`` carries ``reason`` (``no_data``, ``ambiguous``, ``bad_value`` ...) and,
    where it applies, ``column``.
    """
