"""One exception root for fzcompare; every subclass says what failed and how to fix it."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousRegionError",
    "ArgumentTypeError",
    "CatalogError",
    "ChartError",
    "ConcurrentWriteError",
    "CriteriaError",
    "DatasetWriteError",
    "EvidenceThresholdError",
    "ExtractionError",
    "FzcompareError",
    "InvalidArgumentError",
    "SchemaError",
    "SuiteError",
    "TableImportError",
    "UnknownNameError",
    "UnknownRegionError",
    "ValidationFailedError",
]


class FzcompareError(Exception):
    """Root of every error raised by fzcompare.

    Args:
        message: What went wrong, in one sentence.
        hint: How to fix it, if known.
        details: Structured context (file, row, column, reason code ...).

    Examples:
        >>> error = FzcompareError("scores.csv: row 3: value is empty",
        ...                        hint="fill in the value", path="scores.csv", row=3)
        >>> print(error)
        scores.csv: row 3: value is empty
        Hint: fill in the value
        >>> error.details, error.exit_code
        ({'path': 'scores.csv', 'row': 3}, 1)
        >>> all(issubclass(cls, FzcompareError) for cls in (SchemaError, ChartError))
        True
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


class InvalidArgumentError(FzcompareError, ValueError):
    """An argument has the right type but a value the function cannot use.

    Also a ``ValueError``, so ``except ValueError`` keeps working. A hint is required: it
    says which values are allowed. The CLI maps it to exit code 2 (usage).

    Examples:
        >>> from fzcompare.trends import Tolerance
        >>> try:
        ...     Tolerance(absolute=-1.0)
        ... except ValueError as error:
        ...     print(type(error).__name__, "|", error.message, "|", error.hint)
        InvalidArgumentError | Tolerance.absolute must be a number >= 0, got -1.0 | use 0 or more
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str, **details: Any) -> None:
        super().__init__(message, hint=hint, **details)


class ArgumentTypeError(FzcompareError, TypeError):
    """An argument has a type the function does not take (a string where a list belongs ...).

    Also a ``TypeError``; a hint is required. The CLI maps it to exit code 2 (usage).

    Examples:
        >>> from fzcompare.trends import trend
        >>> import polars as pl
        >>> try:
        ...     trend(pl.DataFrame(), regions="420300")
        ... except TypeError as error:
        ...     print(type(error).__name__, "|", error.hint)
        ArgumentTypeError | pass a list, e.g. regions=['420300']
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str, **details: Any) -> None:
        super().__init__(message, hint=hint, **details)


class SchemaError(FzcompareError):
    """An observations table (or a supporting table) breaks the data model.

    ``details`` carries ``path`` (file or dataset), ``column``, ``reason`` (a short
    reason code such as ``missing_column`` or ``duplicate_key``) and ``rows``: a polars
    DataFrame holding the offending rows with their row numbers, when rows are at fault.

    Examples:
        >>> from fzcompare.store import load
        >>> try:
        ...     load("no/such/dataset")
        ... except SchemaError as error:
        ...     print(error.details["reason"], "|", error.hint)
        not_found | give the folder that holds observations/ and sources.csv
    """


class CatalogError(FzcompareError):
    """The indicator catalog or the regions table is malformed, or a code is not in it.

    An unknown code given by a caller is an ``UnknownNameError`` instead (a ``ValueError``
    with suggestions); ``CatalogError`` is for the catalog's own files.

    Examples:
        >>> from fzcompare.catalog import _parse_catalog
        >>> try:
        ...     _parse_catalog({"indicators": "none"}, source="mine.yaml")
        ... except CatalogError as error:
        ...     print(error.message.split(":")[0])
        mine.yaml
    """


class CriteriaError(FzcompareError):
    """A criteria (rubric) file is malformed; ``details`` names the file and key path.

    Examples:
        >>> from fzcompare.criteria import parse_criteria, rubric_raw_example
        >>> rubric = {**rubric_raw_example(), "pass_line": {"share": 2}}
        >>> try:
        ...     parse_criteria(rubric, path="mine.yaml")
        ... except CriteriaError as error:
        ...     print(error.message, "|", error.details["key"], error.details["reason"])
        mine.yaml: pass_line.share: must be at most 1, found 2 | pass_line.share out_of_range
    """


class DatasetWriteError(FzcompareError):
    """Writing to a dataset failed; the dataset was left as it was.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.store import write_observations
        >>> try:
        ...     write_observations(pl.DataFrame(), "https://example.org/fzcompare")
        ... except DatasetWriteError as error:
        ...     print(error)
        https://example.org/fzcompare: HTTP(S) datasets are read-only
        Hint: write to a local folder or an object store (s3://, gs://, az://)
    """


class ExtractionError(FzcompareError):
    """A report could not be read or parsed (empty, binary, unknown encoding ...).

    Examples:
        >>> from fzcompare.extract import decode_report
        >>> try:
        ...     decode_report(b"%PDF-1.7 ...", name="report.pdf")
        ... except ExtractionError as error:
        ...     print(error.details["reason"], "|", error.message)
        binary | report.pdf: this is a PDF file, not a text file
    """


class ValidationFailedError(FzcompareError):
    """Error-severity expectations failed and the caller asked to stop on them.

    Raised by ``fzcompare.validate.ValidationResult.raise_for_errors`` (see its example)
    and by reports built from data that failed validation.

    Examples:
        >>> ValidationFailedError("1 error-severity expectation(s) failed").exit_code  # CLI
        3
    """

    exit_code = 3


class SuiteError(FzcompareError):
    """A suite file is malformed (not JSON, no expectations, unknown frame or severity).

    Examples:
        >>> import json, tempfile
        >>> from pathlib import Path
        >>> from fzcompare.validate import load_suite
        >>> mine = Path(tempfile.mkdtemp()) / "mine.json"
        >>> _ = mine.write_text(json.dumps({"name": "mine", "expectations": []}))
        >>> try:
        ...     load_suite(mine)
        ... except SuiteError as error:
        ...     print(error.message.removeprefix(f"{mine}: "))
        suite 'mine' has no 'expectations' list
    """


class ChartError(FzcompareError):
    """A chart cannot be drawn from the frame it was given.

    ``details`` carries ``reason`` (``no_data``, ``ambiguous``, ``bad_value`` ...) and,
    where it applies, ``column``.

    Examples:
        >>> import polars as pl
        >>> from fzcompare.charts import trend_panels
        >>> nothing = pl.DataFrame(schema={"region_code": pl.String, "year": pl.Int32,
        ...     "indicator_code": pl.String, "scope": pl.String, "value": pl.Float64})
        >>> try:
        ...     trend_panels(nothing)
        ... except ChartError as error:
        ...     print(error.details["reason"], "|", error.message)
        no_data | trend_panels: no rows left to draw
    """


class UnknownRegionError(CatalogError, InvalidArgumentError):
    """A region name or code matches no division.

    ``details["suggestions"]`` holds the closest names (with codes); the message lists them.

    Examples:
        >>> from fzcompare.regions import resolve_region
        >>> try:
        ...     resolve_region("十堰县")
        ... except UnknownRegionError as error:
        ...     print(error.message)
        unknown region '十堰县'; closest: 十堰市 (420300)
    """


class AmbiguousRegionError(CatalogError, InvalidArgumentError):
    """A region name fits several divisions and nothing in the context picks one.

    ``details["candidates"]`` holds ``(code, name, parent name)`` triples.

    Examples:
        >>> from fzcompare.regions import resolve_region
        >>> try:
        ...     resolve_region("朝阳区")
        ... except AmbiguousRegionError as error:
        ...     print(error.message)
        '朝阳区' fits 2 regions: 110105 朝阳区 (北京市), 220104 朝阳区 (长春市)
    """


class TableImportError(FzcompareError, ValueError):
    """An indicator table could not be imported (damaged, encrypted, no header ...).

    ``details`` carries ``path``, ``sheet`` and ``reason`` (``encrypted``, ``corrupt``,
    ``unsupported``, ``no_header``, ``no_regions``, ``no_year``, ``empty``).

    Examples:
        >>> error = TableImportError("a.xlsx: sheet 2023: no header row", reason="no_header",
        ...                          path="a.xlsx", hint="put the indicator names in row 1")
        >>> isinstance(error, ValueError), error.details["reason"]
        (True, 'no_header')
    """


class ConcurrentWriteError(DatasetWriteError):
    """Another writer kept committing to the same table; this write gave up, changing nothing.

    ``details`` carries ``path`` (the table), ``attempts`` and ``conflict`` (the engine's
    message about the commit that won).

    Examples:
        >>> error = ConcurrentWriteError("datasets/x/observations: 8 commits lost to other "
        ...                              "writers", path="datasets/x/observations", attempts=8,
        ...                              conflict="version 5 already exists")
        >>> isinstance(error, DatasetWriteError), error.details["attempts"]
        (True, 8)
    """


class EvidenceThresholdError(InvalidArgumentError):
    """A ``min_evidence`` outside [0, 1] was asked for (an argument error: also a ValueError).

    Examples:
        >>> error = EvidenceThresholdError("min_evidence must lie in [0, 1], found 2",
        ...                                hint="a share: 0.5 ranks regions with evidence "
        ...                                     "for half the points")
        >>> isinstance(error, ValueError), error.hint.startswith("a share")
        (True, True)
    """


class UnknownNameError(InvalidArgumentError):
    """A name (indicator code, region, year, rubric id, domain, criterion id) is not known.

    ``details`` carries ``kind`` (what was looked up), ``unknown`` (the names not found, in
    the order given) and ``suggestions`` (each unknown name -> its closest known names).
    An ``InvalidArgumentError``, so also a ``ValueError``; the CLI maps it to exit code 2.

    Examples:
        >>> from fzcompare.catalog import load_catalog
        >>> try:
        ...     load_catalog().indicator("gov_service_onlin_rate")
        ... except UnknownNameError as error:
        ...     print(error.message)
        unknown indicator code 'gov_service_onlin_rate'; did you mean gov_service_online_rate?
    """
