"""The result objects of an extraction."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from fzcompare._display import html_table
from fzcompare.errors import ExtractionError
from fzcompare.extract._document import DocumentInfo
from fzcompare.schema import OBSERVATION_SCHEMA, SOURCE_SCHEMA, check_observations
from fzcompare.store._documents import DOCUMENT_SCHEMA, document_row
from fzcompare.store._tables import PROVENANCE_SCHEMA

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EXTRA_COLUMNS", "RESULT_SCHEMA", "ExtractionResult", "ExtractionWarning"]

EXTRA_COLUMNS: Final[dict[str, pl.DataType]] = {
    "domain": pl.Int8(),
    "section": pl.String(),
    "span_start": pl.Int64(),
    "span_end": pl.Int64(),
    "confidence": pl.Float64(),
    "mapped": pl.Boolean(),
    "page": pl.Int32(),
}
"""Columns an extraction adds to the data-model columns."""

RESULT_SCHEMA: Final[dict[str, pl.DataType]] = {**OBSERVATION_SCHEMA, **EXTRA_COLUMNS}
"""Columns and dtypes of ``ExtractionResult.observations``."""

WARNING_SCHEMA: Final[dict[str, pl.DataType]] = {
    "code": pl.String(), "message": pl.String(), "span_start": pl.Int64(),
    "span_end": pl.Int64(),
}


@dataclass(frozen=True)
class ExtractionWarning:
    """Something the extractor noticed and did not guess at.

    Attributes:
        code: A short reason code: ``mojibake``, ``figure_in_mojibake``, ``no_title``,
            ``no_region``, ``no_year``, ``no_sections``, ``region_override``,
            ``duplicate_key``, ``ratio_mismatch``, ``order_mismatch``; from the document
            readers ``no_text_layer`` (a scanned PDF) and ``no_main_text`` (an HTML page).
        message: One sentence for people.
        start: Start of the span in the raw text, when the warning has a place.
        end: End of that span.

    Examples:
        >>> from fzcompare.extract import extract
        >>> result = extract("关于2023年法治政府建设情况的报告\\n纠错9件。")
        >>> [warning.code for warning in result.warnings]
        ['no_region', 'no_sections']
        >>> result.warnings[0].message
        'the reporting region could not be read from the title; pass region='
    """

    code: str
    message: str
    start: int | None = None
    end: int | None = None

    def __str__(self) -> str:
        where = f" [{self.start}:{self.end}]" if self.start is not None else ""
        return f"{self.code}{where}: {self.message}"


@dataclass(frozen=True)
class ExtractionResult:
    """The figures of one report, its metadata and what was noticed on the way.

    Attributes:
        observations: One row per figure: the data-model columns plus ``domain``,
            ``section``, ``span_start``/``span_end`` (into the raw text), ``confidence``,
            ``mapped`` (False for ``unmapped_*`` codes) and ``page`` (1-based, PDF only).
        warnings: What could not be read or did not add up.
        document: Title, region, year, publication date, encoding, source id.
        sections: The numbered sections with their domains and raw spans.
        checks: Ratio and order relations of the catalog checked on the figures.
        text: The raw text the spans point into (what the document reader gave).
        page_starts: For a PDF, the offset in ``text`` where each page starts.

    Examples:
        >>> from fzcompare.extract import extract
        >>> result = extract("十堰市人民政府关于2023年法治政府建设情况的报告\\n"
        ...                  "全年办结行政复议案件80件，纠错9件，纠错率11.25%。")
        >>> result
        ExtractionResult(source='doc-...', region='420300', year=2023, observations=3, ...)
        >>> result.to_polars().select("indicator_code", "value", "mapped").rows()[0]
        ('reconsideration_concluded', 80.0, True)
        >>> result.checks.select("kind", "target", "ok").rows()  # 9 / 80 = 11.25 %
        [('ratio', 'reconsideration_correction_rate', True), ('le', None, True)]
        >>> result.warnings_frame()["code"].to_list()
        ['no_sections']
        >>> result.data_model().columns == list(OBSERVATION_SCHEMA)
        True
    """

    observations: pl.DataFrame
    warnings: tuple[ExtractionWarning, ...]
    document: DocumentInfo
    sections: pl.DataFrame
    checks: pl.DataFrame
    text: str = field(default="", repr=False)
    page_starts: tuple[int, ...] = ()

    @property
    def mapped(self) -> pl.DataFrame:
        """The observations that carry a catalog code."""
        return self.observations.filter(pl.col("mapped"))

    @property
    def unmapped(self) -> pl.DataFrame:
        """The observations that fit no catalog code (kept, never scored)."""
        return self.observations.filter(~pl.col("mapped"))

    @property
    def sources(self) -> pl.DataFrame:
        """The one-row sources table for this report (``SOURCE_SCHEMA``, kind ``report``).

        Its ``region_code`` and ``year`` are the report's, so the region-year has a report.
        """
        doc = self.document
        note = f"extracted by fzcompare.extract; {len(self.warnings)} warning(s)"
        if doc.path:
            note += f"; file {doc.path}"
        if doc.encoding:
            note += f"; encoding {doc.encoding}"
        if doc.sha256:
            note += f"; {doc.file_type} sha256 {doc.sha256}"
        return pl.DataFrame(
            [{"source_id": doc.source_id, "title": doc.title or "", "publisher":
              doc.publisher or "", "published": doc.published, "url": doc.url or "",
              "kind": "report", "region_code": doc.region_code, "year": doc.year,
              "note": note}],
            schema=SOURCE_SCHEMA,
        )

    @property
    def documents(self) -> pl.DataFrame:
        """The file's row of a dataset's documents table (``DOCUMENT_SCHEMA``).

        Empty when the report was given as a ``str`` (there is no file to key it by).
        ``write_observations(..., documents=result.documents)`` stores it, so every quote
        can be checked against the text (``fzcompare.store.quote_context``).
        """
        doc = self.document
        if doc.sha256 is None:
            return pl.DataFrame(schema=DOCUMENT_SCHEMA)
        return document_row(self.text, sha256=doc.sha256, source_id=doc.source_id,
                            file_type=doc.file_type, encoding=doc.encoding,
                            page_starts=self.page_starts)

    def warnings_frame(self) -> pl.DataFrame:
        """The warnings as a table (code, message, span_start, span_end)."""
        return pl.DataFrame([(w.code, w.message, w.start, w.end) for w in self.warnings],
                            schema=WARNING_SCHEMA, orient="row")

    def data_model(self, *, mapped_only: bool = False,
                   provenance: bool = False) -> pl.DataFrame:
        """The observations in the data-model columns only, schema-checked.

        Args:
            mapped_only: Leave out the ``unmapped_*`` rows.
            provenance: Add ``span_start``, ``span_end`` and ``page`` (what a dataset keeps
                beside each row, with ``documents``).

        Raises:
            ExtractionError: If the region or year is unknown (pass ``region=``/``year=``).
        """
        missing = [name for name, value in (("region", self.document.region_code),
                                            ("year", self.document.year)) if value is None]
        if missing:
            msg = (f"{self.document.path or self.document.source_id}: the report's "
                   f"{' and '.join(missing)} could not be read from the text")
            raise ExtractionError(msg, reason="no_" + missing[0],
                                  hint="pass --region / --year (region=, year=)")
        frame = self.mapped if mapped_only else self.observations
        checked = check_observations(frame.select(list(OBSERVATION_SCHEMA)),
                                     path=self.document.path or self.document.source_id)
        if not provenance:
            return checked
        return pl.concat([checked, frame.select(list(PROVENANCE_SCHEMA))], how="horizontal")

    def to_polars(self) -> pl.DataFrame:
        """The observations table."""
        return self.observations

    def to_pandas(self) -> pd.DataFrame:
        """The observations table as a pandas DataFrame."""
        return self.observations.to_pandas()

    def _summary(self) -> dict[str, Any]:
        doc = self.document
        return {
            "source": doc.source_id, "region": doc.region_code, "year": doc.year,
            "observations": self.observations.height, "mapped": self.mapped.height,
            "warnings": len(self.warnings),
        }

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v!r}" for k, v in self._summary().items())
        return f"ExtractionResult({parts})"

    def _repr_html_(self) -> str:
        doc = self.document
        esc = html.escape
        rows = "".join(f"<li>{esc(str(w))}</li>" for w in self.warnings[:10])
        more = (f"<li>... {len(self.warnings) - 10} more</li>"
                if len(self.warnings) > 10 else "")
        head = self.observations.head(10).select(
            "indicator_code", "scope", "value", "unit", "qualifier", "domain", "confidence",
            "quote")
        return (
            f"<div><strong>ExtractionResult</strong> {esc(doc.title or '(no title)')}<br>"
            f"region {esc(str(doc.region_code))}, year {esc(str(doc.year))}, "
            f"source {esc(doc.source_id)}: {self.observations.height} observations "
            f"({self.mapped.height} mapped), {len(self.warnings)} warnings"
            f"<ul>{rows}{more}</ul>{html_table(head)}</div>"
        )
