"""The documents table: the extracted text of every report file, so quotes can be checked.

``<dataset>/documents/`` is a Delta table keyed by the file's SHA-256. A row holds what the
extractor read from the file (its text, the offsets where PDF pages start) and the source it
became. The observations keep their quote's span and page (``PROVENANCE_SCHEMA``), so
``quote_context`` cuts every quote's place out of the stored text. Documents are merged
before the observations commit (as sources are): a crash between leaves a document no
observation points to yet, never an observation whose document is missing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Final

import polars as pl

from fzcompare.errors import InvalidArgumentError, SchemaError
from fzcompare.schema import KEY_COLUMNS
from fzcompare.store._layout import (
    DOCUMENTS,
    OBSERVATIONS,
    StorageOptions,
    layout,
    no_observations,
    table_uri,
)
from fzcompare.store._tables import (
    ACTIVE,
    STORED_SCHEMA,
    Commit,
    Planned,
    Snapshot,
    commit_planned,
    snapshot,
)

__all__ = ["CONTEXT_SCHEMA", "DOCUMENT_SCHEMA", "QuoteContext", "check_documents", "document_row",
           "load_documents", "merge_documents", "quote_context", "quote_contexts"]

DOCUMENT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "sha256": pl.String(),
    "source_id": pl.String(),
    "file_type": pl.String(),
    "encoding": pl.String(),
    "n_chars": pl.Int64(),
    "page_starts": pl.List(pl.Int64()),
    "text_sha256": pl.String(),
    "text": pl.String(),
}
"""Columns of the documents table: the file's SHA-256 (the key), the source id it became,
its kind (``text``, ``html``, ``pdf``, ``docx``) and encoding, the extracted text with its
length and SHA-256 (of its UTF-8), and for a PDF the offset in the text where each page
starts (empty otherwise)."""

CONTEXT_SCHEMA: Final[dict[str, pl.DataType]] = {
    **{c: STORED_SCHEMA[c] for c in KEY_COLUMNS},
    "quote": pl.String(),
    "source_id": pl.String(),
    "sha256": pl.String(),
    "file_type": pl.String(),
    "page": pl.Int32(),
    "span_start": pl.Int64(),
    "span_end": pl.Int64(),
    "span_text": pl.String(),
    "before": pl.String(),
    "after": pl.String(),
}
"""Columns of ``quote_contexts``: the key and quote of an observation, its document and page,
the stored text of its span and ``margin`` characters of text before and after it."""


def document_row(text: str, *, sha256: str, source_id: str, file_type: str,
                 encoding: str | None = None,
                 page_starts: tuple[int, ...] = ()) -> pl.DataFrame:
    """One row of the documents table for an extracted text.

    Examples:
        >>> row = document_row("纠错9件。", sha256="ab" * 32, source_id="doc-1",
        ...                    file_type="text", encoding="utf-8")
        >>> row.select("n_chars", "page_starts").row(0)
        (5, [])
    """
    return pl.DataFrame([{
        "sha256": sha256, "source_id": source_id, "file_type": file_type,
        "encoding": encoding, "n_chars": len(text), "page_starts": list(page_starts),
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "text": text,
    }], schema=DOCUMENT_SCHEMA)


def check_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """Documents cast to ``DOCUMENT_SCHEMA``, one row per file hash (the last given).

    Raises:
        SchemaError: If a column is missing or a key is not a hex SHA-256.
    """
    missing = [c for c in DOCUMENT_SCHEMA if c not in documents.columns]
    if missing:
        msg = f"<new documents>: documents table misses columns: {', '.join(missing)}"
        raise SchemaError(msg, column=missing[0], reason="missing_column",
                          hint="build rows with fzcompare.store.document_row")
    documents = documents.select([pl.col(c).cast(t) for c, t in DOCUMENT_SCHEMA.items()])
    bad = documents.filter(pl.col("sha256").is_null()
                           | ~pl.col("sha256").str.contains(r"^[0-9a-f]{64}$"))
    if bad.height:
        msg = f"<new documents>: sha256 {bad['sha256'][0]!r} is not a hex SHA-256"
        raise SchemaError(msg, column="sha256", reason="bad_key", rows=bad.drop("text"),
                          hint="the key is the hex SHA-256 of the file's bytes")
    return documents.unique("sha256", keep="last", maintain_order=True)


def merge_documents(dataset: str, documents: pl.DataFrame, *,
                    storage_options: StorageOptions | None = None) -> None:
    """Add documents to a dataset by file hash: one commit, none when all are there.

    A file already stored with the same text is left alone (only hashes and text digests
    are read, not the texts); a changed text (a newer reader) replaces its row.

    Raises:
        SchemaError: If a row lacks a column or its key is not a SHA-256.
    """
    incoming = check_documents(documents)

    def plan(snap: Snapshot) -> Planned[None]:
        known = snap.scan().select("sha256", "text_sha256").filter(
            pl.col("sha256").is_in(incoming["sha256"].implode())).collect()
        fresh = incoming.join(known, on=["sha256", "text_sha256"], how="anti")
        if fresh.height == 0:
            return Planned(None, None)
        keys = sorted(fresh["sha256"].to_list())
        changed = sorted(set(keys) & set(known["sha256"].to_list()))
        # new files only (the usual case): an append, which reads no stored text; a changed
        # text replaces the rows of exactly those files
        where = ("sha256 IN (" + ", ".join(f"'{k}'" for k in keys) + ")") if changed else ""
        meta = {"operation": "merge documents", "keys": ",".join(keys)}
        return Planned(Commit(fresh.sort("sha256"), None, meta, where=where), None)

    commit_planned(table_uri(dataset, DOCUMENTS), plan, schema=DOCUMENT_SCHEMA,
                   step=DOCUMENTS, storage_options=storage_options)


def load_documents(dataset: str | os.PathLike[str], *, with_text: bool = True,
                   storage_options: StorageOptions | None = None) -> pl.DataFrame:
    """The documents table of a dataset (empty when it holds none).

    Args:
        dataset: Dataset folder or object-store URL.
        with_text: Leave out the ``text`` column when False (a cheap listing).
        storage_options: Passed to the engine for object stores.
    """
    frame = snapshot(table_uri(dataset, DOCUMENTS), DOCUMENT_SCHEMA, storage_options).scan()
    if not with_text:
        frame = frame.drop("text")
    return frame.unique("sha256", keep="first", maintain_order=True).sort("sha256").collect()


def _context_frame(dataset: str | os.PathLike[str], *, margin: int, version: int | None,
                   storage_options: StorageOptions | None,
                   where: list[pl.Expr]) -> pl.LazyFrame:
    if margin < 0:
        msg = f"margin must be 0 or more, got {margin}"
        raise InvalidArgumentError(msg, hint="the characters of context on either side")
    if layout(dataset, storage_options) != "delta":
        raise no_observations(dataset)
    rows = snapshot(table_uri(dataset, OBSERVATIONS), STORED_SCHEMA, storage_options,
                    version).scan().filter(pl.col("status") == ACTIVE,
                                           pl.col("span_start").is_not_null(), *where)
    # two writers appending the same new file at once may both land it: one row per file
    docs = snapshot(table_uri(dataset, DOCUMENTS), DOCUMENT_SCHEMA, storage_options).scan() \
        .unique(["sha256", "source_id"], keep="any")
    start, end, text = pl.col("span_start"), pl.col("span_end"), pl.col("text")
    before = pl.max_horizontal(start - margin, pl.lit(0, pl.Int64()))
    return rows.join(docs.select("source_id", "sha256", "file_type", "text"),
                     on="source_id", how="inner").select(
        *KEY_COLUMNS, "quote", "source_id", "sha256", "file_type", "page", "span_start",
        "span_end", text.str.slice(start, end - start).alias("span_text"),
        text.str.slice(before, start - before).alias("before"),
        text.str.slice(end, margin).alias("after"),
    ).sort(list(KEY_COLUMNS))


def quote_contexts(dataset: str | os.PathLike[str], *, margin: int = 40,
                   version: int | None = None,
                   storage_options: StorageOptions | None = None) -> pl.DataFrame:
    """Every active observation whose quote has a stored span, cut out of its document.

    ``span_text`` is the stored text of ``[span_start, span_end)``; normalising it
    (``fzcompare.extract.normalize``) gives the quote again, which is how a quote is checked.

    Args:
        dataset: Dataset folder or object-store URL.
        margin: Characters of context before and after the span.
        version: The observations version to read (default: the newest).
        storage_options: Passed to the engine for object stores.

    Returns:
        One row per observation with a span and a stored document (``CONTEXT_SCHEMA``).

    Raises:
        SchemaError: If the path holds no transactional dataset.
        InvalidArgumentError: If ``margin`` is negative.
    """
    return _context_frame(dataset, margin=margin, version=version,
                          storage_options=storage_options, where=[]).collect()


@dataclass(frozen=True)
class QuoteContext:
    """Where one observation's quote sits in the stored text of its document.

    Attributes:
        quote: The observation's quote (the normalised text of the span).
        source_id: The observation's source.
        sha256: The SHA-256 of the document's file.
        file_type: ``text``, ``html``, ``pdf`` or ``docx``.
        page: The 1-based PDF page (None for other kinds).
        span_start: Start of the span in the stored text (characters).
        span_end: End of the span.
        span_text: The stored text of the span.
        before: Up to ``margin`` characters before it.
        after: Up to ``margin`` characters after it.
    """

    quote: str
    source_id: str
    sha256: str
    file_type: str
    page: int | None
    span_start: int
    span_end: int
    span_text: str
    before: str
    after: str

    def __str__(self) -> str:
        where = f"page {self.page}, " if self.page is not None else ""
        return (f"{self.file_type} {self.sha256[:12]} ({where}chars {self.span_start}-"
                f"{self.span_end}): …{self.before}[{self.span_text}]{self.after}…")


def quote_context(dataset: str | os.PathLike[str], *, region_code: str, year: int,
                  indicator_code: str, scope: str, margin: int = 40,
                  version: int | None = None,
                  storage_options: StorageOptions | None = None) -> QuoteContext:
    """The stored text around one observation's quote, with its page.

    Args:
        dataset: Dataset folder or object-store URL.
        region_code: The observation's region.
        year: Its year.
        indicator_code: Its indicator.
        scope: Its scope (全市, 市本级 ...).
        margin: Characters of context before and after the span.
        version: The observations version to read (default: the newest).
        storage_options: Passed to the engine for object stores.

    Raises:
        InvalidArgumentError: If the dataset has no active observation with this key.
        SchemaError: ``reason`` ``no_span`` when the observation did not come from a
            stored document (a table import, synthetic data, or a row written before spans
            were kept).
    """
    key = {"region_code": region_code, "year": year, "indicator_code": indicator_code,
           "scope": scope}
    named = ", ".join(f"{k}={v!r}" for k, v in key.items())
    where = [pl.col(k).eq(v) for k, v in key.items()]
    found = _context_frame(dataset, margin=margin, version=version,
                           storage_options=storage_options, where=where).collect()
    if found.height:
        values = found.row(0, named=True)
        return QuoteContext(**{k: values[k] for k in QuoteContext.__dataclass_fields__})
    row = snapshot(table_uri(dataset, OBSERVATIONS), STORED_SCHEMA, storage_options,
                   version).scan().filter(pl.col("status") == ACTIVE, *where).collect()
    if row.height == 0:
        msg = f"{dataset}: no active observation {named}"
        raise InvalidArgumentError(msg, hint="list the keys with fzcompare.store.load")
    if found.height == 0:
        msg = (f"{dataset}: observation {named} has no stored document span (source "
               f"{row['source_id'][0]!r})")
        raise SchemaError(msg, path=str(dataset), reason="no_span",
                          hint="only observations extracted from a report file with "
                               "`fzcompare extract --into` keep their document; imported "
                               "tables keep the cell in the quote")
