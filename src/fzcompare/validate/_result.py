"""The result of a validation: verdict, per-expectation outcomes and failing rows."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from fzcompare._display import html_table
from fzcompare.errors import ValidationFailedError
from fzcompare.schema import OBSERVATION_SCHEMA

if TYPE_CHECKING:
    import pandas as pd

Verdict = Literal["pass", "warn", "fail"]

OUTCOME_SCHEMA: Final[dict[str, pl.DataType]] = {
    "suite": pl.String(),
    "check": pl.String(),
    "expectation": pl.String(),
    "column": pl.String(),
    "description": pl.String(),
    "severity": pl.String(),
    "success": pl.Boolean(),
    "element_count": pl.Int64(),
    "unexpected_count": pl.Int64(),
    "unexpected_percent": pl.Float64(),
    "failing_rows": pl.Int64(),
    "frame": pl.String(),
    "note": pl.String(),
}
"""One row per expectation. ``success`` is null when the expectation was skipped (``note``
says why); counts are in rows of ``frame``; ``failing_rows`` counts the observation rows
blamed (a relation instance blames every figure it joins)."""

FAILING_ROW_SCHEMA: Final[dict[str, pl.DataType]] = {
    "row_id": pl.Int64(),
    **OBSERVATION_SCHEMA,
    "suite": pl.String(),
    "check": pl.String(),
    "expectation": pl.String(),
    "severity": pl.String(),
    "reason": pl.String(),
}
"""One row per (observation row, failed expectation); ``row_id`` is the row's 0-based
position in the validated frame."""


def empty_outcomes() -> pl.DataFrame:
    return pl.DataFrame(schema=OUTCOME_SCHEMA)


def empty_failing_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=FAILING_ROW_SCHEMA)


def _count(outcomes: pl.DataFrame, severity: str) -> int:
    return outcomes.filter((pl.col("severity") == severity) & ~pl.col("success")).height


@dataclass(frozen=True)
class ValidationResult:
    """What a validation found.

    Attributes:
        verdict: ``fail`` if an error-severity expectation failed, else ``warn`` if a
            warning-severity one did, else ``pass``.
        outcomes: One row per expectation (columns of ``OUTCOME_SCHEMA``).
        failing_rows: One row per failing observation row and expectation, with the
            observation's columns, the suite, check, expectation, severity and reason.
        n_rows: Rows validated.
        suites: Names of the suites run, in order.
        gx_version: The great_expectations version that judged.
        docs_index: The Data Docs ``index.html`` built, if any.

    Examples:
        A rate of 9810 % (98.10 with the decimal point lost):

        >>> from fzcompare.validate import bundled_suite_path, validate
        >>> rows = pl.DataFrame({"region_code": ["420300"], "year": [2023],
        ...     "indicator_code": ["gov_service_online_rate"], "scope": ["全市"],
        ...     "value": [9810.0], "unit": ["%"], "qualifier": ["eq"], "source_id": ["r1"],
        ...     "quote": [""]})
        >>> result = validate(rows, suites=[bundled_suite_path("ranges")])
        >>> result
        ValidationResult(verdict=fail, rows=1, ...: 1 error and 0 warning failed, failing rows=1)
        >>> result.error_row_ids, result.failing_rows["check"].to_list()
        ([0], ['range.rate'])
        >>> try:
        ...     result.raise_for_errors()
        ... except ValidationFailedError as error:
        ...     print(error.message)
        1 error-severity expectation(s) failed: ranges/range.rate
    """

    verdict: Verdict
    outcomes: pl.DataFrame = field(repr=False)
    failing_rows: pl.DataFrame = field(repr=False)
    n_rows: int
    suites: tuple[str, ...]
    gx_version: str = ""
    docs_index: str | None = None

    @property
    def n_errors(self) -> int:
        """Error-severity expectations that failed."""
        return _count(self.outcomes, "error")

    @property
    def n_warnings(self) -> int:
        """Warning-severity expectations that failed."""
        return _count(self.outcomes, "warning")

    @property
    def error_row_ids(self) -> list[int]:
        """Ids of the rows that fail at least one error-severity expectation, ascending."""
        ids = self.failing_rows.filter(pl.col("severity") == "error")["row_id"].unique().sort()
        return [int(i) for i in ids.to_list()]

    def _summary(self) -> str:
        failing = self.failing_rows["row_id"].n_unique() if self.failing_rows.height else 0
        return (f"verdict={self.verdict}, rows={self.n_rows:,}, "
                f"expectations={self.outcomes.height}: {self.n_errors} error and "
                f"{self.n_warnings} warning failed, failing rows={failing:,}")

    def __repr__(self) -> str:
        return f"ValidationResult({self._summary()})"

    def _repr_html_(self) -> str:
        failed = self.outcomes.filter(~pl.col("success").fill_null(True))
        shown = (failed if failed.height else self.outcomes).select(
            "suite", "check", "severity", "success", "unexpected_count", "description").head(12)
        caption = "failed expectations" if failed.height else "no expectation failed"
        return (f"<div><strong>ValidationResult</strong>: {html.escape(self._summary())}"
                f"<p>{caption}:</p>{html_table(shown)}</div>")

    def to_polars(self) -> pl.DataFrame:
        """The per-expectation outcomes (``failing_rows`` holds the rows)."""
        return self.outcomes

    def to_pandas(self) -> pd.DataFrame:
        """The per-expectation outcomes as a pandas DataFrame."""
        return self.outcomes.to_pandas()

    def to_dict(self, *, max_failing_rows: int | None = None) -> dict[str, Any]:
        """Plain data: verdict, counts, outcomes and (up to ``max_failing_rows``) failing rows."""
        rows = self.failing_rows
        shown = rows if max_failing_rows is None else rows.head(max_failing_rows)
        return {
            "verdict": self.verdict,
            "n_rows": self.n_rows,
            "suites": list(self.suites),
            "great_expectations_version": self.gx_version,
            "failed_error_expectations": self.n_errors,
            "failed_warning_expectations": self.n_warnings,
            "failing_row_count": rows.height,
            "failing_rows_shown": shown.height,
            "outcomes": self.outcomes.to_dicts(),
            "failing_rows": shown.to_dicts(),
            "docs_index": self.docs_index,
        }

    def to_json(self, *, max_failing_rows: int | None = None) -> str:
        """The result as JSON (``to_dict``), for machines."""
        return json.dumps(self.to_dict(max_failing_rows=max_failing_rows), ensure_ascii=False,
                          indent=2, default=str)

    def raise_for_errors(self) -> None:
        """Raise ``fzcompare.errors.ValidationFailedError`` if the verdict is ``fail``."""
        if self.verdict != "fail":
            return
        failed = self.outcomes.filter((pl.col("severity") == "error") & ~pl.col("success"))
        checks = ", ".join(f"{s}/{c}" for s, c in failed.select("suite", "check").iter_rows())
        raise ValidationFailedError(
            f"{self.n_errors} error-severity expectation(s) failed: {checks}",
            hint="fix the rows, or move them aside with fzcompare validate --quarantine",
            failing_rows=self.failing_rows.filter(pl.col("severity") == "error"))
