"""Expectation suites: the bundled JSON files, user files, and their generation from the catalog.

A suite file is a great_expectations 1.x suite in JSON (``ExpectationSuite.to_json_dict()``
form) with two fzcompare additions, both in metadata:

* ``meta.fzcompare.frame`` in the suite's ``meta``: the frame the suite runs on
  (``observations``, ``values``, ``relations`` or ``year_over_year``; see
  ``docs/validation.md``);
  optional ``meta.fzcompare.default_severity``.
* ``meta.severity`` in each expectation: ``error`` (stops a scheduled report) or ``warning``
  (reported). great_expectations' own ``severity`` field is kept in step (``critical`` /
  ``warning``); an expectation without ``meta.severity`` takes the suite default, then its
  great_expectations severity (``critical`` -> error, else warning).

The bundled suites are generated from the catalog by ``generate_suites``; a test checks
that the committed files equal the generator's output, so a new catalog indicator gets its
range, whole-number and relation checks by regenerating (``python -m
fzcompare.validate``), never by hand-editing JSON.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import polars as pl

from fzcompare._io import atomic_write_bytes
from fzcompare.catalog import Catalog, load_catalog
from fzcompare.errors import SuiteError
from fzcompare.schema import (
    KEY_COLUMNS,
    OBSERVATION_SCHEMA,
    QUALIFIERS,
    SCOPE_SUFFIXES,
    SCOPES,
    STORED_DISCLOSURES,
    UNMAPPED_PREFIX,
    scope_words,
)
from fzcompare.validate import _gx

__all__ = [
    "FRAMES",
    "SCOPE_LEVELS",
    "SCOPE_PARTS",
    "SEVERITIES",
    "Suite",
    "SuiteError",
    "bundled_suites",
    "check_expectations",
    "generate_suites",
    "load_suite",
    "write_suites",
]

GX_VERSION: Final[str] = "1.24.1"
"""The great_expectations version the suite files are written for."""

SEVERITIES: Final[tuple[str, ...]] = ("error", "warning")
FRAMES: Final[tuple[str, ...]] = ("observations", "values", "relations", "year_over_year")
"""The frames a suite can run on (their columns are listed in ``docs/validation.md``)."""

SUITE_NAMES: Final[tuple[str, ...]] = (
    "schema", "keys", "ranges", "relations", "year_over_year",
)
"""The bundled suites, in the order they run and are reported."""

SCOPE_LEVELS: Final[dict[str, str]] = {
    "全国": "country",
    "全省": "province", "省本级": "province", "省直": "province",
    "全市": "prefecture", "市本级": "prefecture", "市直": "prefecture",
    "全县": "county", "县本级": "county", "县直": "county",
}
"""The level each scope of the older datasets belongs to, used when a frame has no region
codes; with region codes the check asks ``fzcompare.regions.scope_levels`` whether the
scope is one of that region's words."""

SCOPE_PARTS: Final[dict[str, str]] = {
    words[part]: words["all"]
    for words in (scope_words(suffix) for suffix in SCOPE_SUFFIXES) for part in ("own", "direct")
}
"""Part scope -> the whole scope that contains it (a part's count cannot exceed the whole's)."""

YOY_THRESHOLD: Final[float] = 8.0
"""Robust z-score beyond which a year-over-year change is flagged."""

WHOLE_NUMBER_TOLERANCE: Final[float] = 1e-9
"""Largest ``|v - round(v)| / max(1, |v|)`` still taken as a whole number (float noise)."""

VALUE_LIMIT: Final[float] = 1e15
"""No figure in a report comes near 10^15 (a 万亿 is 10^12); beyond it a value is corrupt."""

RELATION_PREFIX_LE: Final[str] = "le"
RELATION_PREFIX_RATIO: Final[str] = "ratio"
SCOPE_RELATION: Final[str] = "scope part <= whole"


@dataclass(frozen=True)
class Suite:
    """One expectation suite, as loaded from JSON.

    Attributes:
        name: The suite's name (``schema``, ``keys`` ... or a user suite's own).
        frame: The frame it runs on (one of ``FRAMES``).
        expectations: great_expectations expectation dicts (``type``, ``kwargs``, ``meta``).
        severities: The resolved severity of each expectation, in order.
        source: The file it came from (or ``<generated>``).
        document: The whole JSON document (written back verbatim by ``write_suites``).

    Examples:
        >>> ranges = load_suite(bundled_suite_path("ranges"))
        >>> ranges.name, ranges.frame, ranges.source.endswith("ranges.json")
        ('ranges', 'values', True)
        >>> ranges.expectations[0]["type"], ranges.severities[0]
        ('expect_column_values_to_be_between', 'error')
    """

    name: str
    frame: str
    expectations: tuple[dict[str, Any], ...]
    severities: tuple[str, ...]
    source: str
    document: dict[str, Any]


def _severity_of(expectation: Mapping[str, Any], default: str | None) -> str:
    meta = expectation.get("meta") or {}
    if meta.get("severity") is not None:
        return str(meta["severity"])
    if default is not None:
        return default
    return "error" if str(expectation.get("severity", "critical")) == "critical" else "warning"


def suite_from_document(document: Mapping[str, Any], *, source: str) -> Suite:
    """Check a suite document and read its frame and severities.

    Raises:
        SuiteError: Naming the file and what is wrong.
    """
    if not isinstance(document, Mapping):
        raise SuiteError(f"{source}: a suite file holds one JSON object")
    name = document.get("name")
    expectations = document.get("expectations")
    if not isinstance(name, str) or not name:
        raise SuiteError(f"{source}: the suite has no 'name'")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteError(f"{source}: suite {name!r} has no 'expectations' list",
                         hint="see docs/validation.md for the suite format")
    meta = document.get("meta") or {}
    ours = meta.get("fzcompare") or {}
    frame = str(ours.get("frame", "observations"))
    if frame not in FRAMES:
        raise SuiteError(f"{source}: suite {name!r} runs on unknown frame {frame!r}",
                         hint=f"meta.fzcompare.frame is one of {', '.join(FRAMES)}")
    default = ours.get("default_severity")
    if default is not None and default not in SEVERITIES:
        raise SuiteError(f"{source}: default_severity {default!r} is not one of {SEVERITIES}")
    severities: list[str] = []
    for i, expectation in enumerate(expectations):
        if not isinstance(expectation, Mapping) or not isinstance(expectation.get("type"), str):
            raise SuiteError(f"{source}: expectations[{i}] has no 'type'")
        if not isinstance(expectation.get("kwargs", {}), Mapping):
            raise SuiteError(f"{source}: expectations[{i}] 'kwargs' is not an object")
        severity = _severity_of(expectation, default)
        if severity not in SEVERITIES:
            raise SuiteError(f"{source}: expectations[{i}] ({expectation['type']}) has "
                             f"severity {severity!r}", hint=f"use one of {SEVERITIES}")
        severities.append(severity)
    return Suite(name=name, frame=frame,
                 expectations=tuple(dict(e) for e in expectations),
                 severities=tuple(severities), source=source, document=dict(document))


def load_suite(path: str | os.PathLike[str]) -> Suite:
    """Read a suite JSON file (a bundled one or your own).

    Raises:
        SuiteError: If the file is missing, not JSON or not a suite.

    Examples:
        >>> suite = load_suite(bundled_suite_path("schema"))
        >>> suite.name, suite.frame, suite.severities[0]
        ('schema', 'observations', 'error')
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{file}: cannot read the suite file ({exc.strerror})",
                         path=str(file)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{file}: not valid JSON (line {exc.lineno}: {exc.msg})",
                         path=str(file)) from None
    return suite_from_document(document, source=str(file))


def bundled_suite_path(name: str) -> Path:
    """The path of a bundled suite file (whether or not it exists).

    Examples:
        >>> path = bundled_suite_path("relations")
        >>> path.name, path.parent.name, path.is_file()
        ('relations.json', 'suites', True)
    """
    return Path(str(resources.files("fzcompare.validate").joinpath("suites", f"{name}.json")))


def bundled_suites() -> tuple[Suite, ...]:
    """The five bundled suites, in run order.

    Examples:
        >>> for suite in bundled_suites():
        ...     print(f"{suite.name:15} runs on {suite.frame}")
        schema          runs on observations
        keys            runs on observations
        ranges          runs on values
        relations       runs on relations
        year_over_year  runs on year_over_year
    """
    return tuple(load_suite(bundled_suite_path(name)) for name in SUITE_NAMES)


# ------------------------------------------------------------------------------ generation


def _expectation(type_: str, kwargs: dict[str, Any], *, check: str, severity: str,
                 description: str) -> dict[str, Any]:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"severity": severity, "check": check, "description": description},
        "severity": "critical" if severity == "error" else "warning",
    }


def _in_codes(codes: Sequence[str]) -> dict[str, Any]:
    """A great_expectations row condition: ``indicator_code`` in ``codes``."""
    return {"type": "comparison", "column": {"name": "indicator_code"}, "operator": "IN",
            "parameter": list(codes)}


def _disclosure_in(states: Sequence[str]) -> dict[str, Any]:
    """A great_expectations row condition: ``disclosure`` in ``states``."""
    return {"type": "comparison", "column": {"name": "disclosure"}, "operator": "IN",
            "parameter": list(states)}


def _relation_is(label: str) -> dict[str, Any]:
    return {"type": "comparison", "column": {"name": "relation"}, "operator": "==",
            "parameter": label}


def _document(name: str, frame: str, concern: str, expectations: list[dict[str, Any]],
              notes: str, *, generated_from: str | None = None) -> dict[str, Any]:
    ours: dict[str, Any] = {"frame": frame, "concern": concern}
    if generated_from is not None:
        ours["generated_from"] = generated_from
    return {
        "name": name,
        "expectations": expectations,
        "meta": {"great_expectations_version": GX_VERSION, "fzcompare": ours},
        "notes": notes,
    }


def _schema_suite() -> dict[str, Any]:
    pandas_types = {"String": "str", "Int32": "int32", "Float64": "float64"}
    required = [c for c in OBSERVATION_SCHEMA if c != "quote"]
    expectations = [_expectation(
        "expect_table_columns_to_match_set",
        {"column_set": list(OBSERVATION_SCHEMA), "exact_match": False},
        check="columns_present", severity="error",
        description="the observation table has every data-model column")]
    for column, dtype in OBSERVATION_SCHEMA.items():
        expectations.append(_expectation(
            "expect_column_values_to_be_of_type",
            {"column": column, "type_": pandas_types[str(dtype)]},
            check=f"type.{column}", severity="error",
            description=f"{column} is {dtype}"))
    for column in required:
        # A figure not disclosed (no_number, withheld) has no value: only reported rows need one.
        kwargs: dict[str, Any] = {"column": column}
        if column == "value":
            kwargs["row_condition"] = _disclosure_in(["reported"])
        expectations.append(_expectation(
            "expect_column_values_to_not_be_null", kwargs,
            check=f"not_null.{column}", severity="error",
            description=f"{column} is filled in (and readable as "
                        f"{OBSERVATION_SCHEMA[column]})"
                        + (" on reported rows" if column == "value" else "")))
    unreported = [s for s in STORED_DISCLOSURES if s != "reported"]
    expectations += [
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "disclosure", "value_set": list(STORED_DISCLOSURES)},
                     check="disclosure_in_set", severity="error",
                     description="disclosure is one of " + ", ".join(STORED_DISCLOSURES)),
        _expectation("expect_column_values_to_be_null",
                     {"column": "value", "row_condition": _disclosure_in(unreported)},
                     check="null.value.not_reported", severity="error",
                     description="a figure not disclosed (" + ", ".join(unreported)
                                 + ") has no value"),
    ]
    expectations += [
        _expectation("expect_column_values_to_match_regex",
                     {"column": "region_code", "regex": r"^\d{6}$"},
                     check="region_code_format", severity="error",
                     description="region_code is six digits"),
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "qualifier", "value_set": sorted(QUALIFIERS)},
                     check="qualifier_in_set", severity="error",
                     description="qualifier is one of " + ", ".join(sorted(QUALIFIERS))),
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "scope", "value_set": sorted(SCOPES)},
                     check="scope_in_set", severity="error",
                     description="scope is a known scope"),
        _expectation("expect_column_values_to_be_between",
                     {"column": "value", "min_value": -VALUE_LIMIT, "max_value": VALUE_LIMIT},
                     check="value_finite", severity="error",
                     description="value is a finite number below 10^15 in size"),
    ]
    return _document("schema", "observations", "data-model columns and types", expectations,
                     "Columns, types, required values and code formats of the observation "
                     "table. Values that cannot be read as the column's type count as empty.")


def _keys_suite(catalog: Catalog) -> dict[str, Any]:
    codes = sorted(catalog.indicators["code"].to_list())
    expectations = [
        _expectation("expect_compound_columns_to_be_unique",
                     {"column_list": list(KEY_COLUMNS)},
                     check="key_unique", severity="error",
                     description="each (region_code, year, indicator_code, scope) appears once"),
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "region_code", "value_set": {"$PARAMETER": "known_region_codes"}},
                     check="region_known", severity="error",
                     description="region_code is in the regions table"),
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "catalog_indicator_code", "value_set": codes},
                     check="indicator_known", severity="error",
                     description=f"indicator_code is a catalog code (or {UNMAPPED_PREFIX}*)"),
        _expectation("expect_column_values_to_be_in_set",
                     {"column": "source_id", "value_set": {"$PARAMETER": "known_source_ids"}},
                     check="source_known", severity="error",
                     description="source_id is in the sources table"),
        _expectation("expect_column_pair_values_to_be_equal",
                     {"column_A": "scope_level", "column_B": "region_level",
                      "ignore_row_if": "either_value_is_missing"},
                     check="scope_matches_region_level", severity="error",
                     description="the scope fits the region's level (全市 for a prefecture, "
                                 "全县 for a county ...)"),
        _expectation("expect_column_pair_values_to_be_equal",
                     {"column_A": "unit", "column_B": "catalog_unit",
                      "ignore_row_if": "either_value_is_missing"},
                     check="unit_matches_catalog", severity="warning",
                     description="unit is the catalog's unit for the indicator (万/亿 "
                                 "multiplied out)"),
    ]
    return _document("keys", "observations", "keys and references", expectations,
                     "Key uniqueness, codes known to the catalog, the regions table and "
                     "the sources table, scopes that fit the region, units the catalog's. "
                     "catalog_indicator_code is indicator_code with "
                     f"{UNMAPPED_PREFIX}* codes left empty (they are exempt).",
                     generated_from=f"catalog {catalog.version}")


def _range_bounds(low: float | None, high: float | None) -> str:
    def fmt(x: float | None, missing: str) -> str:
        return missing if x is None else f"{x:g}"
    return f"[{fmt(low, '-inf')}, {fmt(high, 'inf')}]"


def _ranges_suite(catalog: Catalog) -> dict[str, Any]:
    indicators = catalog.indicators.sort("code")
    groups = (indicators.group_by("kind", "min_value", "max_value", maintain_order=True)
              .agg(pl.col("code")).sort("kind", "min_value", "max_value", nulls_last=True))
    expectations: list[dict[str, Any]] = []
    per_kind = groups.group_by("kind").len()
    several = set(per_kind.filter(pl.col("len") > 1)["kind"].to_list())
    for kind, low, high, codes in groups.iter_rows():
        kwargs: dict[str, Any] = {"column": "value"}
        if low is not None:
            kwargs["min_value"] = float(low)
        if high is not None:
            kwargs["max_value"] = float(high)
        kwargs["row_condition"] = _in_codes(codes)
        bounds = _range_bounds(low, high)
        expectations.append(_expectation(
            "expect_column_values_to_be_between", kwargs,
            check=f"range.{kind}{bounds if kind in several else ''}", severity="error",
            description=f"{kind} values within {bounds} (catalog min/max)"))
    whole = indicators.filter(pl.col("kind").is_in(["count", "rank"]))["code"].to_list()
    if whole:
        expectations.append(_expectation(
            "expect_column_values_to_be_between",
            {"column": "non_integer_part", "min_value": 0.0,
             "max_value": WHOLE_NUMBER_TOLERANCE, "row_condition": _in_codes(whole)},
            check="whole_number", severity="error",
            description="counts and ranks are whole numbers (a 万 figure left unmultiplied "
                        "often is not)"))
    return _document("ranges", "values", "ranges by unit and kind", expectations,
                     "Value ranges per indicator kind from the catalog (rates within [0, 100] "
                     "unless the catalog says otherwise, counts non-negative whole numbers). "
                     "Units are checked by the keys suite. Generated from the catalog: "
                     "regenerate, do not edit.",
                     generated_from=f"catalog {catalog.version}")


def relation_label(kind: str, target: str | None, numerator: str, denominator: str) -> str:
    """The ``relation`` value of a catalog relation in the relations frame."""
    if kind == "ratio":
        return f"{target} = 100 * {numerator} / {denominator}"
    return f"{numerator} <= {denominator}"


def _relations_suite(catalog: Catalog) -> dict[str, Any]:
    expectations: list[dict[str, Any]] = []
    for rel in catalog.relations.iter_rows(named=True):
        label = relation_label(rel["kind"], rel["target"], rel["numerator"], rel["denominator"])
        if rel["kind"] == "ratio":
            expectations.append(_expectation(
                "expect_column_values_to_be_between",
                {"column": "rate_excess", "min_value": 0.0,
                 "max_value": float(rel["tolerance"] or 0.0),
                 "row_condition": _relation_is(label)},
                check=f"ratio.{rel['target']}", severity="error",
                description=f"{rel['target']} is within rounding (plus "
                            f"{rel['tolerance'] or 0:g} points) of 100 x {rel['numerator']} "
                            f"/ {rel['denominator']}"))
        else:
            expectations.append(_expectation(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": "denominator", "column_B": "numerator", "or_equal": True,
                 "ignore_row_if": "either_value_is_missing",
                 "row_condition": _relation_is(label)},
                check=f"le.{rel['numerator']}.{rel['denominator']}", severity="error",
                description=f"{rel['numerator']} <= {rel['denominator']}"))
    expectations.append(_expectation(
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "denominator", "column_B": "numerator", "or_equal": True,
         "ignore_row_if": "either_value_is_missing",
         "row_condition": _relation_is(SCOPE_RELATION)},
        check="scope_part_le_whole", severity="error",
        description="a count for part of a region (市本级, 市直 ...) is not above the whole "
                    "region's (全市 ...)"))
    return _document("relations", "relations", "cross-indicator consistency", expectations,
                     "Catalog relations checked on figures of the same region, year and scope "
                     "whose qualifiers are all eq: le (numerator <= denominator) and ratio "
                     "(a rate within rounding of 100 x numerator / denominator), plus part "
                     "scope <= whole scope for counts.",
                     generated_from=f"catalog {catalog.version}")


def _yoy_suite() -> dict[str, Any]:
    expectations = [_expectation(
        "expect_column_values_to_be_between",
        {"column": "robust_z", "min_value": -YOY_THRESHOLD, "max_value": YOY_THRESHOLD},
        check="yoy_jump", severity="warning",
        description=f"year-over-year change within {YOY_THRESHOLD:g} robust SDs (MAD of "
                    "the indicator's changes across regions)")]
    return _document("year_over_year", "year_over_year", "year-over-year plausibility",
                     expectations,
                     "Each rate, count or amount against the previous figure of its series "
                     "(region, indicator, scope). Changes are points for rates and "
                     "log((value + 10) / (previous + 10)) otherwise; robust_z = (change - "
                     "median) / (1.4826 MAD) over the indicator's changes across regions "
                     "(see docs/validation.md). A warning: jumps can be real.")


def generate_suites(catalog: Catalog | None = None) -> dict[str, dict[str, Any]]:
    """The bundled suites as JSON documents, generated from the catalog.

    Args:
        catalog: The catalog (default: the bundled one).

    Returns:
        Suite name -> suite document, in run order.

    Examples:
        >>> suites = generate_suites()
        >>> list(suites)
        ['schema', 'keys', 'ranges', 'relations', 'year_over_year']
        >>> suites["ranges"]["expectations"][0]["meta"]["severity"]
        'error'
    """
    catalog = catalog if catalog is not None else load_catalog()
    return {
        "schema": _schema_suite(),
        "keys": _keys_suite(catalog),
        "ranges": _ranges_suite(catalog),
        "relations": _relations_suite(catalog),
        "year_over_year": _yoy_suite(),
    }


def suite_json(document: Mapping[str, Any]) -> str:
    """A suite document as the text written to its file."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_suites(directory: str | os.PathLike[str] | None = None,
                 *, catalog: Catalog | None = None) -> list[Path]:
    """Write the generated suites as JSON files (default: the package's ``suites/`` folder).

    Returns:
        The files written.

    Examples:
        >>> import tempfile
        >>> written = write_suites(tempfile.mkdtemp())
        >>> [path.name for path in written]
        ['schema.json', 'keys.json', 'ranges.json', 'relations.json', 'year_over_year.json']
        >>> load_suite(written[3]).frame
        'relations'
    """
    folder = Path(directory) if directory is not None else bundled_suite_path("schema").parent
    written = []
    for name, document in generate_suites(catalog).items():
        target = folder / f"{name}.json"
        atomic_write_bytes(target, suite_json(document).encode("utf-8"))
        written.append(target)
    return written


def suites_from_documents(documents: Mapping[str, Mapping[str, Any]]) -> tuple[Suite, ...]:
    """Suites from generated documents (used when validating against a non-bundled catalog)."""
    return tuple(suite_from_document(doc, source=f"<generated {name}>")
                 for name, doc in documents.items())


def resolve_suites(suites: Iterable[Suite | str | os.PathLike[str]] | None,
                   extra_suites: Iterable[Suite | str | os.PathLike[str]],
                   catalog: Catalog | None) -> tuple[Suite, ...]:
    """The suites a validation runs: the given (or bundled) ones, then the extra ones."""
    if suites is None:
        base = (suites_from_documents(generate_suites(catalog)) if catalog is not None
                else bundled_suites())
    else:
        base = tuple(s if isinstance(s, Suite) else load_suite(s) for s in suites)
    extra = tuple(s if isinstance(s, Suite) else load_suite(s) for s in extra_suites)
    chosen = base + extra
    names = [s.name for s in chosen]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SuiteError(f"two suites are named {duplicated[0]!r}",
                         hint="give every suite file its own 'name'")
    return chosen


def check_expectations(suites: Iterable[Suite]) -> None:
    """Check that great_expectations can build every expectation of ``suites``.

    great_expectations itself logs a traceback and drops an expectation it cannot build
    (an unknown type, a missing or misspelt argument); this names the file instead.

    Raises:
        SuiteError: Naming the suite file, the expectation (index and type), what is wrong
            and, for an unknown type, the closest known ones and all of them in the hint.

    Examples:
        >>> mine = suite_from_document({"name": "mine", "expectations": [
        ...     {"type": "expect_column_values_to_be_nul", "kwargs": {"column": "value"}}]},
        ...     source="mine.json")
        >>> try:
        ...     check_expectations([mine])
        ... except SuiteError as error:
        ...     message = error.message
        ...     print(error.details["path"], "|", message.split(": ")[1])
        mine.json | suite 'mine' expectations[0]
        >>> message.split(": ")[2].split(" (")[0]
        "unknown expectation type 'expect_column_values_to_be_nul'"
        >>> "did you mean 'expect_column_values_to_be_null'" in message
        True
    """
    known: tuple[str, ...] | None = None
    for suite in suites:
        for index, expectation in enumerate(suite.expectations):
            problem = _gx.expectation_problem(expectation)
            if problem is None:
                continue
            type_ = str(expectation["type"])
            where = f"{suite.source}: suite {suite.name!r} expectations[{index}]"
            if problem != "unknown expectation type":
                raise SuiteError(f"{where} ({type_}): {problem}", path=suite.source,
                                 expectation=index, type=type_,
                                 hint="see the great_expectations documentation of "
                                 f"{type_} for its arguments")
            known = known or _gx.known_expectation_types()
            close = difflib.get_close_matches(type_, known, n=3, cutoff=0.6)
            guess = f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
            raise SuiteError(f"{where}: unknown expectation type {type_!r}{guess}",
                             path=suite.source, expectation=index, type=type_,
                             hint="known types: " + ", ".join(known))
