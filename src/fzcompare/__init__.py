"""fzcompare: year-over-year comparative analytics of 法治政府建设 indicators.

The pipeline, one module per stage: ``fzcompare.extract`` (report text → observations),
``fzcompare.store`` (Parquet dataset), ``fzcompare.validate`` (great_expectations
suites), ``fzcompare.trends``, ``fzcompare.benchmark`` (with ``fzcompare.criteria``),
``fzcompare.charts`` and ``fzcompare.report``. Heavy libraries (statsmodels, matplotlib,
great_expectations) are imported only by the functions that use them.

The stage modules share their main function's name (``fzcompare.benchmark.benchmark``,
``fzcompare.extract.extract``, ``fzcompare.validate.validate``); the package exports the
modules, not the functions, so ``import fzcompare.benchmark`` always means the module.

Examples:
    >>> import fzcompare
    >>> observations = fzcompare.load("datasets/real")
    >>> observations.filter(observations["region_code"] == "420300").height > 90
    True
"""

from __future__ import annotations

from fzcompare import (
    benchmark,
    catalog,
    charts,
    coverage,
    criteria,
    errors,
    extract,
    regions,
    report,
    schema,
    store,
    synthetic,
    trends,
    validate,
)
from fzcompare._provenance import Provenance
from fzcompare._version import __version__
from fzcompare.benchmark import (
    BenchmarkResult,
    compare_editions,
    rank_robustness,
    what_it_would_take,
)
from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.coverage import CoverageResult, disclosure_frame, evidence_share
from fzcompare.criteria import CriteriaSet, list_bundled_criteria, load_criteria
from fzcompare.errors import (
    AmbiguousRegionError,
    CatalogError,
    ChartError,
    CriteriaError,
    DatasetWriteError,
    ExtractionError,
    FzcompareError,
    SchemaError,
    SuiteError,
    UnknownNameError,
    UnknownRegionError,
    ValidationFailedError,
)
from fzcompare.extract import ExtractionResult
from fzcompare.regions import RegionMatch, resolve_region
from fzcompare.schema import KEY_COLUMNS, OBSERVATION_SCHEMA, check_observations
from fzcompare.store import WriteReport, load, load_sources, scan, write_observations
from fzcompare.trends import TrendsResult, analyze
from fzcompare.validate import ValidationResult

__all__ = [
    "AmbiguousRegionError",
    "BenchmarkResult",
    "Catalog",
    "CatalogError",
    "ChartError",
    "CoverageResult",
    "CriteriaError",
    "CriteriaSet",
    "DatasetWriteError",
    "ExtractionError",
    "ExtractionResult",
    "FzcompareError",
    "KEY_COLUMNS",
    "OBSERVATION_SCHEMA",
    "Provenance",
    "RegionMatch",
    "SchemaError",
    "SuiteError",
    "TrendsResult",
    "UnknownNameError",
    "UnknownRegionError",
    "ValidationFailedError",
    "ValidationResult",
    "WriteReport",
    "__version__",
    "analyze",
    "benchmark",
    "catalog",
    "charts",
    "check_observations",
    "compare_editions",
    "coverage",
    "criteria",
    "disclosure_frame",
    "errors",
    "evidence_share",
    "extract",
    "list_bundled_criteria",
    "load",
    "load_catalog",
    "load_criteria",
    "load_regions",
    "load_sources",
    "rank_robustness",
    "regions",
    "report",
    "resolve_region",
    "scan",
    "schema",
    "store",
    "synthetic",
    "trends",
    "validate",
    "what_it_would_take",
    "write_observations",
]


def __dir__() -> list[str]:
    """Only the public API: the stage modules and the names in ``__all__`` (PEP 562)."""
    return sorted(__all__)
