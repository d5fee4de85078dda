"""Validation of observation tables with great_expectations suites.

Numbers copied from reports go wrong in predictable ways: a rate of 9997 for 99.97, a count in
万 left unmultiplied, a city-government figure filed as the whole city's, a corrected count
above the concluded one, a region code that does not exist, the same figure twice. The
bundled suites (JSON files generated from the catalog) catch these; ``validate`` runs them
and returns a ``ValidationResult`` (verdict, per-expectation outcomes, failing rows);
``quarantine`` moves failing rows aside and ``readmit`` brings back those that pass.

great_expectations is imported on first use, not with this package.
"""

from __future__ import annotations

from fzcompare.validate._quarantine import (
    QUARANTINE_SCHEMA,
    QuarantineReport,
    quarantine,
    read_quarantine,
    readmit,
)
from fzcompare.validate._result import (
    FAILING_ROW_SCHEMA,
    OUTCOME_SCHEMA,
    ValidationResult,
)
from fzcompare.validate._run import validate
from fzcompare.validate._suites import (
    FRAMES,
    SEVERITIES,
    Suite,
    SuiteError,
    bundled_suite_path,
    bundled_suites,
    check_expectations,
    generate_suites,
    load_suite,
    write_suites,
)

__all__ = [
    "FAILING_ROW_SCHEMA",
    "FRAMES",
    "OUTCOME_SCHEMA",
    "QUARANTINE_SCHEMA",
    "SEVERITIES",
    "QuarantineReport",
    "Suite",
    "SuiteError",
    "ValidationResult",
    "bundled_suite_path",
    "bundled_suites",
    "check_expectations",
    "generate_suites",
    "load_suite",
    "quarantine",
    "read_quarantine",
    "readmit",
    "validate",
    "write_suites",
]
