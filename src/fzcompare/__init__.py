"""fzcompare: year-over-year comparative analytics of 法治政府建设 indicators."""

from __future__ import annotations

from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.errors import (
    CatalogError,
    CriteriaError,
    DatasetWriteError,
    ExtractionError,
    FzcompareError,
    SchemaError,
    ValidationFailedError,
)
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, check_observations

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "CatalogError",
    "CriteriaError",
    "DatasetWriteError",
    "ExtractionError",
    "FzcompareError",
    "KEY_COLUMNS",
    "OBSERVATION_SCHEMA",
    "SchemaError",
    "ValidationFailedError",
    "__version__",
    "check_observations",
    "load_catalog",
    "load_regions",
]
