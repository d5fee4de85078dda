"""The dataset: transactional Delta tables with lazy scans, schema-checked loads and keyed writes.

A dataset is a folder (local path or object-store URL) of three Delta Lake tables::

    <dataset>/observations/   # partitioned by year and status; quarantine = status of a row
    <dataset>/sources/        # the sources table
    <dataset>/regions/        # optional: regions not in the bundled table
    <dataset>/documents/      # optional: extracted texts of report files, by file hash

Every write is one commit of the observations table, so a crash leaves the version before
or the version after; ``history`` lists the versions and ``load(..., version=N)`` reads one.
Plain hive-partitioned Parquet folders (the format before) are read, read-only; ``convert``
turns one into a transactional dataset.
"""

from fzcompare._io import atomic_write_bytes
from fzcompare.store._documents import (
    CONTEXT_SCHEMA,
    DOCUMENT_SCHEMA,
    QuoteContext,
    document_row,
    load_documents,
    quote_context,
    quote_contexts,
)
from fzcompare.store._history import ConvertReport, convert, current_version, history, restore
from fzcompare.store._layout import DEFAULT_DATASET
from fzcompare.store._read import dataset_regions, load, load_sources, scan
from fzcompare.store._tables import PROVENANCE_SCHEMA, ROW_STATES, STORED_SCHEMA
from fzcompare.store._write import (
    FIRST_YEAR,
    WriteReport,
    last_year,
    replace_observations,
    write_observations,
)

__all__ = [
    "CONTEXT_SCHEMA",
    "DEFAULT_DATASET",
    "DOCUMENT_SCHEMA",
    "FIRST_YEAR",
    "PROVENANCE_SCHEMA",
    "ROW_STATES",
    "STORED_SCHEMA",
    "ConvertReport",
    "QuoteContext",
    "WriteReport",
    "atomic_write_bytes",
    "convert",
    "current_version",
    "dataset_regions",
    "document_row",
    "history",
    "last_year",
    "load",
    "load_documents",
    "load_sources",
    "quote_context",
    "quote_contexts",
    "replace_observations",
    "restore",
    "scan",
    "write_observations",
]
