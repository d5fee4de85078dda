"""Criteria sets (rubrics): declarative, versioned YAML files scored by ``fzcompare.benchmark``.

A criteria set names its source (a document and its address, or a statement that the rubric is
user-set), a pass line, a peer-group rule and a hierarchy of areas (一级, optionally 二级) whose
leaves are criteria (三级指标). Each criterion tests one catalog indicator with a comparator and
a threshold and scores it with a rule (all-or-nothing, linear partial credit, deduction with a
cap, bonus, veto). The format is documented in ``docs/criteria.md``.

Bundled rubrics live in the repository's ``datasets/criteria/`` folder; ``load_criteria``
also searches the folders in ``FZCOMPARE_CRITERIA_PATH`` and ``fzcompare/data/criteria`` inside
the installed package.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import polars as pl
import yaml

from fzcompare._names import closest
from fzcompare._strict_yaml import load_strict
from fzcompare.catalog import REGION_LEVELS, Catalog, load_catalog
from fzcompare.errors import CriteriaError, UnknownNameError
from fzcompare.schema import SCOPES, UNMAPPED_PREFIX

__all__ = [
    "AREA_TABLE_SCHEMA",
    "COMPARATORS",
    "CRITERIA_FORMAT",
    "CRITERIA_TABLE_SCHEMA",
    "DEFAULT_MIN_EVIDENCE",
    "MISSING_POLICIES",
    "PEER_KEYS",
    "RULES",
    "CriteriaSet",
    "bundled_criteria_dirs",
    "list_bundled_criteria",
    "load_criteria",
    "parse_criteria",
    "rubric_raw_example",
]

CRITERIA_FORMAT: Final[str] = "fzcompare-criteria/1"
"""The value of the optional ``format`` key; files without it are read as this format."""

COMPARATORS: Final[tuple[str, ...]] = (">=", "<=", "==", "between", "exists")
RULES: Final[tuple[str, ...]] = ("all_or_nothing", "linear", "deduction", "bonus", "veto", "exists")
MISSING_POLICIES: Final[tuple[str, ...]] = ("zero", "rescale", "flag")
"""``zero``: score 0; ``rescale``: leave out and rescale the area; ``flag``: missing evidence."""
PEER_KEYS: Final[tuple[str, ...]] = ("level", "province", "parent")
DEFAULT_MIN_EVIDENCE: Final[float] = 0.5
"""The share of a rubric's points that must have evidence for a region-year to be ranked."""
ROUNDINGS: Final[tuple[str, ...]] = ("up", "down", "none")
WHOLE_SCOPE: Final[str] = "whole"
ENV_PATH: Final[str] = "FZCOMPARE_CRITERIA_PATH"

CRITERIA_TABLE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "order": pl.Int32(),
    "criterion_id": pl.String(),
    "criterion_name": pl.String(),
    "area_id": pl.String(),
    "area_name": pl.String(),
    "subarea_id": pl.String(),
    "subarea_name": pl.String(),
    "indicator_code": pl.String(),
    "unit": pl.String(),
    "scope": pl.String(),
    "rule": pl.String(),
    "comparator": pl.String(),
    "threshold": pl.Float64(),
    "threshold_high": pl.Float64(),
    "tolerance": pl.Float64(),
    "points": pl.Float64(),
    "deduct": pl.Float64(),
    "add": pl.Float64(),
    "per": pl.Float64(),
    "cap": pl.Float64(),
    "rounding": pl.String(),
    "missing_policy": pl.String(),
    "threshold_source": pl.String(),
    "goalpost_low": pl.Float64(),
    "goalpost_high": pl.Float64(),
    "goalpost_source": pl.String(),
    "applies_to": pl.List(pl.String()),
}
"""One row per criterion, in file order; ``points`` are resolved to absolute points;
``applies_to`` is null when the criterion applies to every level the rubric scores."""

AREA_TABLE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "order": pl.Int32(),
    "area_id": pl.String(),
    "parent_id": pl.String(),
    "level": pl.Int8(),
    "name": pl.String(),
    "points": pl.Float64(),
    "bonus_cap": pl.Float64(),
}
"""One row per area (level 1) and sub-area (level 2); ``points`` exclude bonus items."""

_TOP_KEYS: Final[frozenset[str]] = frozenset({
    "format", "id", "name", "name_en", "version", "edition", "province", "description",
    "source", "pass_line", "peer_group", "levels", "missing_policy", "total_points",
    "bonus_cap", "threshold_source", "areas", "notes", "min_evidence", "bands",
})
_TOP_REQUIRED: Final[tuple[str, ...]] = ("id", "name", "version", "edition", "source",
                                         "pass_line", "areas")
_AREA_KEYS: Final[frozenset[str]] = frozenset({
    "id", "name", "name_en", "points", "weight", "bonus_cap", "missing_policy", "criteria",
    "areas", "domain", "note",
})
_CRITERION_KEYS: Final[frozenset[str]] = frozenset({
    "id", "name", "name_en", "indicator", "scope", "comparator", "threshold", "threshold_high",
    "tolerance", "rule", "points", "weight", "deduct", "add", "per", "cap", "rounding",
    "missing_policy", "source", "goalposts", "note", "applies_to",
})
_SOURCE_KEYS: Final[frozenset[str]] = frozenset({
    "document", "url", "publisher", "date", "clause", "note", "user_set", "statement",
})
_ID_PATTERN: Final[str] = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_EPS: Final[float] = 1e-9


@dataclass(frozen=True)
class CriteriaSet:
    """A validated rubric: metadata plus flat criteria and area tables.

    Attributes:
        id: Identifier, e.g. ``hubei-demo-2024``.
        name: Display name.
        version: The file's version string.
        edition: Edition or year of the rubric (text).
        province: Issuing province's region code, if any.
        source: Where the rubric comes from, or a statement that it is user-set.
        user_set: True when the rubric is set by the user rather than taken from a document.
        pass_share: Pass line as a share of ``total_points`` (pass when earned >= it).
        total_points: Points of all areas, bonus items excluded.
        bonus_cap: Cap on all bonus points together (None: no cap beyond the areas' caps).
        peer_keys: The peer-group rule: region attributes that must be equal (``level``,
            ``province``, ``parent``); empty means one group for all regions.
        levels: Region levels the rubric applies to (None: all).
        missing_policy: The set's default missing-data policy.
        min_evidence: The share of the points possible that must have evidence (a disclosed
            figure) for a region-year to be ranked; below it the verdict is
            ``insufficient_evidence`` (default 0.5).
        criteria: One row per criterion (``CRITERIA_TABLE_SCHEMA``).
        areas: One row per area and sub-area (``AREA_TABLE_SCHEMA``).
        sha256: SHA-256 of the file's bytes (of the canonical JSON for in-memory rubrics).
        path: The file read, or a label such as ``<dict>``.
        bands: Grade bands (等次) as ``(name, min_share)`` from the best band down, the last
            with ``min_share`` 0; from the rubric's ``bands:`` block, else two bands from the
            pass line (``合格`` at or above it, ``不合格`` below). A vetoed region is in the
            last band.
        bands_source: Where the cut-offs come from (the ``bands.source`` statement, or
            ``pass line`` when the rubric declares none).

    Examples:
        >>> rubric = parse_criteria(rubric_raw_example())
        >>> rubric
        CriteriaSet('example' v1, edition 2024: 1 areas, 1 criteria, 10 points, pass line 6 ...)
        >>> rubric.criteria.select("criterion_id", "indicator_code", "comparator",
        ...                        "threshold").row(0)
        ('A1.1', 'gov_service_online_rate', '>=', 90.0)
        >>> rubric.user_set, rubric.peer_keys, rubric.path
        (True, ('level', 'province'), '<dict>')
    """

    id: str
    name: str
    version: str
    edition: str
    province: str | None
    source: str
    user_set: bool
    pass_share: float
    total_points: float
    bonus_cap: float | None
    peer_keys: tuple[str, ...]
    levels: tuple[str, ...] | None
    missing_policy: str
    criteria: pl.DataFrame
    areas: pl.DataFrame
    sha256: str
    path: str
    min_evidence: float = 0.5
    bands: tuple[tuple[str, float], ...] = ()
    bands_source: str = "pass line"

    @property
    def pass_points(self) -> float:
        """The pass line in points."""
        return self.pass_share * self.total_points

    def __repr__(self) -> str:
        n_areas = self.areas.filter(pl.col("level") == 1).height
        return (f"CriteriaSet({self.id!r} v{self.version}, edition {self.edition}: {n_areas} "
                f"areas, {self.criteria.height} criteria, {self.total_points:g} points, pass "
                f"line {self.pass_points:g} ({self.pass_share:.0%}), sha256 {self.sha256[:12]})")


# ---------------------------------------------------------------------------------- errors


def _error(file: str, key: str, problem: str, *, hint: str | None = None,
           reason: str = "invalid") -> CriteriaError:
    where = f"{file}: {key}: " if key else f"{file}: "
    return CriteriaError(where + problem, hint=hint, path=file, key=key, reason=reason)


class _Reader:
    """Typed access to a YAML mapping that names the file and key path in every error."""

    def __init__(self, file: str, key: str, raw: Any, allowed: frozenset[str]) -> None:
        if not isinstance(raw, Mapping):
            raise _error(file, key, f"expected a mapping, found {type(raw).__name__}",
                         reason="wrong_type")
        self.file, self.key, self.raw = file, key, raw
        unknown = sorted(str(k) for k in raw if k not in allowed)
        if unknown:
            raise _error(file, self.at(unknown[0]), "unknown key",
                         hint="allowed keys here: " + ", ".join(sorted(allowed)),
                         reason="unknown_key")

    def at(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def fail(self, name: str, problem: str, *, hint: str | None = None,
             reason: str = "invalid") -> CriteriaError:
        return _error(self.file, self.at(name), problem, hint=hint, reason=reason)

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                raise self.fail(name, "missing required key", reason="missing_key")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(name, f"expected text, found {type(value).__name__}",
                            reason="wrong_type")
        text = str(value).strip()
        if required and not text:
            raise self.fail(name, "must not be empty", reason="empty")
        return text

    def number(self, name: str, *, required: bool = False, minimum: float | None = None,
               positive: bool = False) -> float | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                raise self.fail(name, "missing required key", reason="missing_key")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"expected a number, found {value!r}", reason="wrong_type")
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(name, f"expected a finite number, found {value!r}",
                            reason="wrong_type")
        if positive and number <= 0:
            raise self.fail(name, f"must be greater than 0, found {value!r}",
                            reason="out_of_range")
        if minimum is not None and number < minimum:
            raise self.fail(name, f"must be at least {minimum:g}, found {value!r}",
                            reason="out_of_range")
        return number

    def choice(self, name: str, options: Sequence[str], *, default: str | None = None) -> str:
        value = self.text(name, default=default)
        if value is None:
            raise self.fail(name, "missing required key", reason="missing_key")
        if value not in options:
            raise self.fail(name, f"{value!r} is not one of {', '.join(options)}",
                            reason="bad_choice")
        return value

    def items(self, name: str) -> list[Any]:
        value = self.raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list, found {type(value).__name__}",
                            reason="wrong_type")
        return value


# ---------------------------------------------------------------------------------- parsing


@dataclass
class _Node:
    """An area, sub-area or criterion while points are being resolved."""

    key: str
    kind: str  # area | criterion
    points: float | None
    weight: float | None
    children: list[_Node]
    scored: bool = True  # False for bonus and veto criteria, which sit outside the points


def _source_text(reader: _Reader, name: str, *, top: bool = False) -> tuple[str, bool]:
    """A source as display text; True when it states the values are user-set/illustrative.

    A criterion's source may be a plain word (``illustrative``, ``user-set``) or a mapping; the
    rubric's own source must be a mapping with ``document`` and ``url``, or ``user_set: true``
    with a ``statement``.
    """
    value = reader.raw.get(name)
    if isinstance(value, str) and not top:
        text = value.strip()
        if not text:
            raise reader.fail(name, "must not be empty", reason="empty")
        return text, text.lower() in {"illustrative", "user-set", "user_set"}
    sub = _Reader(reader.file, reader.at(name), value, _SOURCE_KEYS)
    if sub.raw.get("user_set") is True:
        statement = sub.text("statement", required=True)
        return f"user-set: {statement}", True
    if sub.raw.get("user_set") not in (None, False):
        key_name = "user_set"
        raise sub.fail(key_name, "expected true or false", reason="wrong_type")
    document = sub.text("document", required=True)
    if top and not sub.has("url"):
        key_name = "url"
        raise sub.fail(key_name, "missing required key: the address of the source document",
                       hint="or state `user_set: true` with a `statement`", reason="missing_key")
    parts = [str(document)]
    for extra in ("clause", "publisher", "date"):
        value_text = sub.text(extra)
        if value_text:
            parts.append(value_text)
    url = sub.text("url")
    if url:
        parts.append(url)
    note = sub.text("note")
    return ", ".join(parts) + (f" ({note})" if note else ""), False


def _parse_node_points(reader: _Reader, where_scored: bool) -> tuple[float | None, float | None]:
    points = reader.number("points", minimum=0.0)
    weight = reader.number("weight", positive=True)
    if points is not None and weight is not None:
        key_name = "weight"
        raise reader.fail(key_name, "give either points or weight, not both",
                          reason="points_and_weight")
    if not where_scored and weight is not None:
        key_name = "weight"
        raise reader.fail(key_name, "bonus and veto items take no weight",
                          hint="give a bonus item its maximum as points; veto items score none",
                          reason="weight_not_allowed")
    return points, weight


def _indicator_of(reader: _Reader, catalog: Catalog) -> tuple[str, dict[str, Any]]:
    """The criterion's indicator code (a catalog code, not an unmapped one) and its row."""
    code = reader.text("indicator", required=True)
    assert code is not None
    if code.startswith(UNMAPPED_PREFIX):
        key_name = "indicator"
        raise reader.fail(key_name, f"{code!r} is an unmapped code, which is never scored",
                          reason="unmapped_indicator")
    if code not in catalog.codes:
        key_name = "indicator"
        raise reader.fail(key_name, f"{code!r} is not a catalog code",
                          hint="see fzcompare.load_catalog().indicators['code']",
                          reason="unknown_indicator")
    return code, catalog.indicator(code)


def _scope_of(reader: _Reader) -> str:
    scope = reader.text("scope", default=WHOLE_SCOPE)
    assert scope is not None
    if scope != WHOLE_SCOPE and scope not in SCOPES:
        key_name = "scope"
        raise reader.fail(key_name, f"{scope!r} is neither 'whole' nor one of "
                          f"{', '.join(sorted(SCOPES))}", reason="bad_scope")
    return scope


def _rule_and_comparator(reader: _Reader) -> tuple[str, str]:
    """The rule and comparator (rule ``exists`` goes with comparator ``exists``)."""
    rule = reader.choice("rule", RULES, default="all_or_nothing")
    comparator = reader.choice("comparator", COMPARATORS,
                               default="exists" if rule == "exists" else None)
    if rule == "exists" and comparator != "exists":
        key_name = "comparator"
        raise reader.fail(key_name, "rule 'exists' takes comparator 'exists'",
                          reason="bad_comparator")
    if rule == "all_or_nothing" and comparator == "exists":
        rule = "exists"
    return rule, comparator


def _check_rule_comparator(reader: _Reader, rule: str, comparator: str) -> None:
    """Rule linear compares one way (``>=`` or ``<=``); a deduction needs a number."""
    if rule == "linear" and comparator not in (">=", "<="):
        key_name = "comparator"
        raise reader.fail(key_name, "rule linear needs '>=' (higher is better) or '<=' "
                          "(lower is better)", reason="bad_comparator")
    if rule == "deduction" and comparator == "exists":
        key_name = "comparator"
        raise reader.fail(key_name, "rule deduction needs a numeric comparator",
                          reason="bad_comparator")


def _check_in_range(reader: _Reader, name: str, value: float | None, code: str,
                    indicator: Mapping[str, Any]) -> None:
    """A threshold lies within the indicator's catalog bounds."""
    low, high = indicator["min_value"], indicator["max_value"]
    if value is None:
        return
    if (low is not None and value < low - _EPS) or (high is not None and value > high + _EPS):
        bounds = (f"[{'-inf' if low is None else f'{low:g}'}, "
                  f"{'inf' if high is None else f'{high:g}'}]")
        raise reader.fail(name, f"{value:g} lies outside the range {bounds} of "
                          f"{code} ({indicator['unit']})", reason="out_of_range")


def _thresholds(reader: _Reader, rule: str, comparator: str, code: str,
                indicator: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The threshold and upper goalpost the rule and comparator need, within the bounds."""
    threshold = reader.number("threshold")
    threshold_high = reader.number("threshold_high")
    if comparator == "exists":
        for name in ("threshold", "threshold_high"):
            if reader.has(name):
                raise reader.fail(name, "comparator 'exists' takes no threshold",
                                  reason="threshold_not_allowed")
        return threshold, threshold_high
    if threshold is None:
        key_name = "threshold"
        raise reader.fail(key_name, f"comparator {comparator!r} needs a threshold",
                          reason="missing_key")
    needs_high = comparator == "between" or rule == "linear"
    if needs_high and threshold_high is None:
        needer = "rule linear" if rule == "linear" else "comparator between"
        key_name = "threshold_high"
        raise reader.fail(key_name, f"{needer} needs an upper goalpost", reason="missing_key")
    if not needs_high and threshold_high is not None:
        key_name = "threshold_high"
        raise reader.fail(key_name, "only 'between' and rule 'linear' take an upper "
                          "goalpost", reason="threshold_not_allowed")
    if threshold_high is not None and threshold_high <= threshold:
        key_name = "threshold_high"
        raise reader.fail(key_name, f"{threshold_high:g} must be greater than the "
                          f"threshold {threshold:g}", reason="out_of_range")
    _check_in_range(reader, "threshold", threshold, code, indicator)
    _check_in_range(reader, "threshold_high", threshold_high, code, indicator)
    return threshold, threshold_high


def _rule_points(reader: _Reader, rule: str) -> tuple[float | None, float | None]:
    """Points and weight: veto items score none, a bonus item needs its maximum."""
    points, weight = _parse_node_points(reader, rule not in ("bonus", "veto"))
    if rule == "veto" and points not in (None, 0.0):
        key_name = "points"
        raise reader.fail(key_name, "veto items score no points: failing one fails the whole "
                          "assessment", reason="points_not_allowed")
    if rule == "bonus" and points is None:
        key_name = "points"
        raise reader.fail(key_name, "a bonus item needs points (its maximum)",
                          reason="missing_key")
    return points, weight


@dataclass(frozen=True)
class _UnitTerms:
    """Per-unit terms of deductions and per-unit bonuses (None where the rule takes none)."""

    deduct: float | None
    add: float | None
    per: float | None
    cap: float | None
    rounding: str | None


def _unit_terms(reader: _Reader, rule: str, comparator: str) -> _UnitTerms:
    """``deduct``/``add``/``per``/``cap``/``rounding``, each allowed only where the rule uses it."""
    deduct = reader.number("deduct", positive=True)
    add = reader.number("add", positive=True)
    per = reader.number("per", positive=True)
    cap = reader.number("cap", positive=True)
    for name, value, allowed in (("deduct", deduct, rule == "deduction"),
                                 ("add", add, rule == "bonus"),
                                 ("cap", cap, rule == "deduction"),
                                 ("per", per, rule == "deduction" or add is not None)):
        if value is not None and not allowed:
            raise reader.fail(name, f"not used by rule {rule!r}", reason="not_allowed")
    if rule == "deduction" and deduct is None:
        key_name = "deduct"
        raise reader.fail(key_name, "rule deduction needs the points deducted per unit of "
                          "shortfall", reason="missing_key")
    if add is not None and comparator not in (">=", "<="):
        key_name = "add"
        raise reader.fail(key_name, "a per-unit bonus needs comparator '>=' or '<='",
                          reason="bad_comparator")
    rounding_used = rule == "deduction" or add is not None
    if reader.has("rounding") and not rounding_used:
        key_name = "rounding"
        raise reader.fail(key_name, "only deductions and per-unit bonuses round units",
                          reason="not_allowed")
    rounding = reader.choice("rounding", ROUNDINGS,
                             default="up" if rule == "deduction" else "down")
    return _UnitTerms(deduct=deduct, add=add, per=(per or 1.0) if rounding_used else None,
                      cap=cap, rounding=rounding if rounding_used else None)


def _tolerance(reader: _Reader, comparator: str) -> float | None:
    tolerance = reader.number("tolerance", minimum=0.0)
    if tolerance is not None and comparator != "==":
        key_name = "tolerance"
        raise reader.fail(key_name, "only comparator '==' takes a tolerance",
                          reason="not_allowed")
    return tolerance


def _goalposts(reader: _Reader, rule: str, comparator: str, thresholds: tuple[float | None,
               float | None], indicator: Mapping[str, Any]
               ) -> tuple[float | None, float | None, str | None]:
    """The criterion's own goalposts ``[low, high]``, else the defaults for its rule."""
    goalposts = reader.items("goalposts")
    if not goalposts:
        return _default_goalposts(rule, comparator, *thresholds, indicator)
    if (len(goalposts) != 2 or not all(isinstance(g, int | float) and not isinstance(g, bool)
                                       for g in goalposts)
            or float(goalposts[1]) <= float(goalposts[0])):
        key_name = "goalposts"
        raise reader.fail(key_name, f"expected [low, high] with low < high, found "
                          f"{goalposts!r}", reason="bad_goalposts")
    return float(goalposts[0]), float(goalposts[1]), "criterion"


def _criterion_row(reader: _Reader, catalog: Catalog, defaults: dict[str, Any]) -> dict[str, Any]:
    code, indicator = _indicator_of(reader, catalog)
    scope = _scope_of(reader)
    rule, comparator = _rule_and_comparator(reader)
    threshold, threshold_high = _thresholds(reader, rule, comparator, code, indicator)
    _check_rule_comparator(reader, rule, comparator)
    tolerance = _tolerance(reader, comparator)
    points, weight = _rule_points(reader, rule)
    terms = _unit_terms(reader, rule, comparator)
    policy = reader.choice("missing_policy", MISSING_POLICIES,
                           default=defaults["missing_policy"])
    if reader.has("source"):
        threshold_source, _ = _source_text(reader, "source")
    else:
        threshold_source = defaults["threshold_source"]
    applies_to = _applies_to(reader)
    goal_low, goal_high, goal_source = _goalposts(reader, rule, comparator,
                                                  (threshold, threshold_high), indicator)
    return {
        "indicator_code": code,
        "unit": str(indicator["unit"]),
        "scope": scope,
        "rule": rule,
        "comparator": comparator,
        "threshold": threshold,
        "threshold_high": threshold_high,
        "tolerance": tolerance if comparator == "==" else None,
        "points": 0.0 if rule == "veto" else points,
        "deduct": terms.deduct,
        "add": terms.add,
        "per": terms.per,
        "cap": (terms.cap if terms.cap is not None else points) if rule == "deduction" else None,
        "rounding": terms.rounding,
        "missing_policy": policy,
        "threshold_source": threshold_source,
        "goalpost_low": goal_low,
        "goalpost_high": goal_high,
        "goalpost_source": goal_source,
        "applies_to": applies_to,
        "weight": weight,
    }


def _applies_to(reader: _Reader) -> list[str] | None:
    """The levels a criterion applies to (None: every level); elsewhere it is not applicable."""
    if not reader.has("applies_to"):
        return None
    items = reader.items("applies_to")
    if not items:
        key_name = "applies_to"
        raise reader.fail(key_name, "must list at least one level",
                          hint="omit applies_to for a criterion that applies to every level",
                          reason="empty")
    for i, item in enumerate(items):
        if item not in REGION_LEVELS:
            raise _error(reader.file, f"{reader.at('applies_to')}[{i}]",
                         f"{item!r} is not one of {', '.join(sorted(REGION_LEVELS))}",
                         reason="bad_choice")
    return list(dict.fromkeys(str(item) for item in items))


def _default_goalposts(rule: str, comparator: str, threshold: float | None,
                       threshold_high: float | None, indicator: Mapping[str, Any]
                       ) -> tuple[float | None, float | None, str | None]:
    """Sample-independent goalposts for composite scores when the file gives none."""
    if comparator == "exists":
        return 0.0, 1.0, "existence"
    if rule == "linear" and threshold is not None and threshold_high is not None:
        return threshold, threshold_high, "linear rule"
    low, high = indicator["typical_low"], indicator["typical_high"]
    if low is not None and high is not None and high > low:
        return float(low), float(high), "catalog typical range"
    low, high = indicator["min_value"], indicator["max_value"]
    if low is not None and high is not None and high > low:
        return float(low), float(high), "catalog bounds"
    if comparator == ">=" and threshold is not None and low is not None and threshold > low:
        return float(low), threshold, "catalog minimum to threshold"
    return None, None, None


def _resolve_points(nodes: list[_Node], parent_points: float | None, key: str,
                    file: str) -> float:
    """Give every scored node absolute points; returns the points of ``nodes`` together."""
    scored = [n for n in nodes if n.scored]
    with_weight = [n for n in scored if n.weight is not None]
    if with_weight and len(with_weight) != len(scored):
        odd = next(n for n in scored if n.weight is None)
        raise _error(file, odd.key, "siblings mix weights and points: give all of them weights "
                     "or none", reason="mixed_weights")
    if with_weight:
        if parent_points is None:
            raise _error(file, key, "children have weights but no points to share out",
                         hint="give this level points (or total_points at the top)",
                         reason="weights_without_points")
        total_weight = sum(n.weight or 0.0 for n in scored)
        for node in scored:
            node.points = parent_points * (node.weight or 0.0) / total_weight
            _resolve_children(node, file)
        return parent_points
    for node in scored:
        _resolve_children(node, file)
        if node.points is None:
            raise _error(file, node.key, "needs points or weight", reason="missing_points")
    total = sum(n.points or 0.0 for n in scored)
    if parent_points is not None and abs(total - parent_points) > 1e-6 * max(1.0, parent_points):
        raise _error(file, key, f"has {parent_points:g} points but its parts add up to "
                     f"{total:g}", hint="make the parts add up, or drop the total and let it "
                     "be derived", reason="points_mismatch")
    return total


def _resolve_children(node: _Node, file: str) -> None:
    if node.kind == "criterion":
        return
    subtotal = _resolve_points(node.children, node.points, node.key, file)
    if node.points is None:
        node.points = subtotal


def _top_checks(top: _Reader) -> tuple[str, str | None]:
    """The required keys, the format, and the rubric's id and province."""
    for name in _TOP_REQUIRED:
        if not top.has(name):
            raise top.fail(name, "missing required key", reason="missing_key")
    fmt = top.text("format", default=CRITERIA_FORMAT)
    if fmt != CRITERIA_FORMAT:
        key_name = "format"
        raise top.fail(key_name, f"{fmt!r} is not a known format", hint=f"use {CRITERIA_FORMAT}",
                       reason="bad_format")
    rubric_id = top.text("id", required=True) or ""
    if not re.match(_ID_PATTERN, rubric_id):
        key_name = "id"
        raise top.fail(key_name, f"{rubric_id!r} must start with a letter or digit and hold only "
                       "letters, digits, '.', '_' and '-'", reason="bad_id")
    province = top.text("province")
    if province is not None and not re.match(r"^\d{6}$", province):
        key_name = "province"
        raise top.fail(key_name, f"{province!r} is not a 6-digit region code",
                       hint="e.g. 420000 for 湖北省", reason="bad_region_code")
    return rubric_id, province


def _pass_line(file: str, raw: Mapping[str, Any]) -> tuple[_Reader, float | None, float | None]:
    """The pass line's reader, share and points (exactly one of the two is given)."""
    pass_line = _Reader(file, "pass_line", raw["pass_line"], frozenset({"share", "points"}))
    if pass_line.has("share") == pass_line.has("points"):
        raise _error(file, "pass_line", "give exactly one of share (0-1) or points",
                     reason="bad_pass_line")
    share = pass_line.number("share", minimum=0.0)
    if share is not None and share > 1:
        key_name = "share"
        raise pass_line.fail(key_name, f"must be at most 1, found {raw['pass_line']['share']!r}",
                             reason="out_of_range")
    return pass_line, share, pass_line.number("points", minimum=0.0)


def _peer_keys(file: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    """What peer groups are formed by (``all``: one group, no keys)."""
    peer_raw = raw.get("peer_group", {"by": ["level", "province"]})
    if peer_raw == "all":
        return ()
    peer = _Reader(file, "peer_group", peer_raw, frozenset({"by"}))
    by = peer.items("by")
    for i, item in enumerate(by):
        if item not in PEER_KEYS:
            raise _error(file, f"peer_group.by[{i}]", f"{item!r} is not one of "
                         f"{', '.join(PEER_KEYS)}", reason="bad_choice")
    return tuple(dict.fromkeys(by))


def _levels(top: _Reader) -> tuple[str, ...] | None:
    """The levels the rubric assesses (None: every level)."""
    if not top.has("levels"):
        return None
    level_items = top.items("levels")
    for i, item in enumerate(level_items):
        if not isinstance(item, str) or item not in REGION_LEVELS:
            raise _error(top.file, f"levels[{i}]", f"{item!r} is not one of "
                         f"{', '.join(sorted(REGION_LEVELS))}", reason="bad_choice")
    return tuple(dict.fromkeys(level_items))


def _min_evidence(top: _Reader, raw: Mapping[str, Any]) -> float:
    min_evidence = top.number("min_evidence", minimum=0.0)
    if min_evidence is not None and min_evidence > 1:
        key_name = "min_evidence"
        raise top.fail(key_name, f"must be a share between 0 and 1, found "
                       f"{raw['min_evidence']!r}", reason="out_of_range")
    return DEFAULT_MIN_EVIDENCE if min_evidence is None else float(min_evidence)


@dataclass
class _Tree:
    """The areas and criteria of a rubric while they are read (rows in file order)."""

    file: str
    catalog: Catalog
    policy: str
    default_source: str
    seen: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    area_rows: list[dict[str, Any]] = field(default_factory=list)

    def check_id(self, reader: _Reader) -> str:
        node_id = reader.text("id", required=True) or ""
        if not re.match(_ID_PATTERN, node_id):
            key_name = "id"
            raise reader.fail(key_name, f"{node_id!r} must hold only letters, digits, '.', '_' "
                              "and '-'", reason="bad_id")
        if node_id in self.seen:
            key_name = "id"
            raise reader.fail(key_name, f"{node_id!r} is already used at {self.seen[node_id]}",
                              reason="duplicate_id")
        self.seen[node_id] = reader.key
        return node_id

    def area(self, key: str, value: Any, level: int, parent: dict[str, Any] | None) -> _Node:
        reader = _Reader(self.file, key, value, _AREA_KEYS)
        area_id = self.check_id(reader)
        name = reader.text("name", required=True) or ""
        points, weight = _parse_node_points(reader, True)
        cap = reader.number("bonus_cap", minimum=0.0)
        reader.number("domain", minimum=1.0)
        area_policy = reader.choice("missing_policy", MISSING_POLICIES,
                                    default=parent["missing_policy"] if parent else self.policy)
        has_areas = _area_holds_areas(reader, level)
        area_row = {"order": len(self.area_rows), "area_id": area_id,
                    "parent_id": parent["area_id"] if parent else None, "level": level,
                    "name": name, "points": None, "bonus_cap": cap}
        self.area_rows.append(area_row)
        info = {"area_id": area_id, "name": name, "missing_policy": area_policy}
        kind = "areas" if has_areas else "criteria"
        items = reader.items(kind)
        if not items:
            raise reader.fail(kind, "must not be empty", reason="empty")
        children = [self.area(f"{reader.at(kind)}[{i}]", item, 2, info) if has_areas
                    else self.criterion(f"{reader.at(kind)}[{i}]", item, info, parent)
                    for i, item in enumerate(items)]
        node = _Node(key, "area", points, weight, children)
        area_row["node"] = node
        return node

    def criterion(self, key: str, value: Any, area: dict[str, Any],
                  parent: dict[str, Any] | None) -> _Node:
        reader = _Reader(self.file, key, value, _CRITERION_KEYS)
        criterion_id = self.check_id(reader)
        name = reader.text("name", required=True) or ""
        row = _criterion_row(reader, self.catalog, {"missing_policy": area["missing_policy"],
                                                    "threshold_source": self.default_source})
        top_area, sub_area = (parent, area) if parent else (area, None)
        row.update({"order": len(self.rows), "criterion_id": criterion_id,
                    "criterion_name": name, "area_id": top_area["area_id"],
                    "area_name": top_area["name"],
                    "subarea_id": sub_area["area_id"] if sub_area else None,
                    "subarea_name": sub_area["name"] if sub_area else None})
        self.rows.append(row)
        scored = row["rule"] not in ("bonus", "veto")
        weight = row.pop("weight")
        node = _Node(key, "criterion", row["points"] if scored else None, weight, [],
                     scored=scored)
        row["node"] = node
        return node

    def tables(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The criteria and areas tables, with the points resolved on the nodes."""
        for row in self.rows:
            node = row.pop("node")
            if node.scored:
                row["points"] = node.points
        for area_row in self.area_rows:
            node = area_row.pop("node")
            area_row["points"] = node.points if node.scored else 0.0
        return (pl.DataFrame(self.rows, schema=CRITERIA_TABLE_SCHEMA),
                pl.DataFrame(self.area_rows, schema=AREA_TABLE_SCHEMA))


def _area_holds_areas(reader: _Reader, level: int) -> bool:
    """Whether an area holds sub-areas (else criteria): exactly one of them, two levels deep."""
    has_criteria, has_areas = reader.has("criteria"), reader.has("areas")
    if has_criteria == has_areas:
        key_name = "criteria"
        raise reader.fail(key_name, "an area holds either criteria or sub-areas "
                          "('areas'), exactly one of them", reason="bad_structure")
    if has_areas and level == 2:
        key_name = "areas"
        raise reader.fail(key_name, "sub-areas cannot hold further areas (the third level "
                          "is the criteria)", reason="too_deep")
    return has_areas


def _total_points(roots: list[_Node], total_points: float | None, file: str) -> float:
    """Resolve every node's points; the rubric's total."""
    for area_node in _all_areas(roots):
        area_node.scored = any(_has_scored(c) for c in area_node.children)
        if not area_node.scored and (area_node.points or area_node.weight):
            raise _error(file, area_node.key, "holds only bonus or veto items, so it takes no "
                         "points or weight", reason="points_not_allowed")
    total = _resolve_points(roots, total_points if any(r.scored for r in roots) else None,
                            "total_points", file)
    if total <= 0:
        raise _error(file, "areas", "no criterion carries points", reason="no_points")
    return total


def parse_criteria(
    raw: Mapping[str, Any],
    *,
    path: str = "<dict>",
    sha256: str | None = None,
    catalog: Catalog | None = None,
) -> CriteriaSet:
    """Validate a rubric given as a mapping (the parsed YAML) and build a ``CriteriaSet``.

    Args:
        raw: The rubric, with the keys documented in ``docs/criteria.md``.
        path: Named in errors (the file the mapping came from).
        sha256: The file's digest; by default the digest of the mapping's canonical JSON.
        catalog: The indicator catalog to check codes against (default: the bundled one).

    Raises:
        CriteriaError: Naming ``path``, the key path (e.g. ``areas[2].criteria[5].threshold``)
            and the problem; ``details`` carries ``path``, ``key`` and ``reason``.

    Examples:
        >>> rubric = parse_criteria(rubric_raw_example())
        >>> rubric.pass_points, rubric.criteria["rule"].to_list()
        (6.0, ['all_or_nothing'])
        >>> parse_criteria({**rubric_raw_example(), "pass_line": {"share": 2}}, path="x.yaml")
        Traceback (most recent call last):
        ...
        fzcompare.errors.CriteriaError: x.yaml: pass_line.share: must be at most 1, found 2
    """
    file = path
    top = _Reader(file, "", raw, _TOP_KEYS)
    rubric_id, province = _top_checks(top)
    source, user_set = _source_text(top, "source", top=True)
    pass_line, share, pass_points = _pass_line(file, raw)
    peer_keys = _peer_keys(file, raw)
    levels = _levels(top)
    policy = top.choice("missing_policy", MISSING_POLICIES, default="zero")
    min_evidence = _min_evidence(top, raw)
    total_points = top.number("total_points", positive=True)
    set_cap = top.number("bonus_cap", minimum=0.0)
    if top.has("threshold_source"):
        default_source, _ = _source_text(top, "threshold_source")
    else:
        default_source = "user-set" if user_set else source
    tree = _Tree(file, catalog if catalog is not None else load_catalog(), policy,
                 default_source)
    area_items = top.items("areas")
    if not area_items:
        key_name = "areas"
        raise top.fail(key_name, "must not be empty", reason="empty")
    roots = [tree.area(f"areas[{i}]", item, 1, None) for i, item in enumerate(area_items)]
    total = _total_points(roots, total_points, file)
    if pass_points is not None:
        if pass_points > total + _EPS:
            key_name = "points"
            raise pass_line.fail(key_name, f"{pass_points:g} exceeds the {total:g} points "
                                 "available", reason="out_of_range")
        share = pass_points / total
    criteria, areas = tree.tables()
    bands, bands_source = _parse_bands(top, float(share or 0.0))
    digest = sha256 or hashlib.sha256(
        json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
    return CriteriaSet(
        id=rubric_id, name=top.text("name", required=True) or "",
        version=top.text("version", required=True) or "",
        edition=top.text("edition", required=True) or "", province=province, source=source,
        user_set=user_set, pass_share=float(share or 0.0), total_points=total,
        bonus_cap=set_cap, peer_keys=peer_keys, levels=levels, missing_policy=policy,
        criteria=criteria, areas=areas, sha256=digest, path=file,
        min_evidence=min_evidence, bands=bands, bands_source=bands_source,
    )


def _parse_bands(top: _Reader, pass_share: float
                 ) -> tuple[tuple[tuple[str, float], ...], str]:
    """The ``bands:`` block: ``source`` and ``cuts`` (``name``, ``min_share``) best first."""
    if not top.has("bands"):
        return (("合格", pass_share), ("不合格", 0.0)), "pass line"
    block = _Reader(top.file, "bands", top.raw["bands"], frozenset({"source", "cuts"}))
    if not block.has("source"):
        key_name = "source"
        raise block.fail(key_name, "missing required key", reason="missing_key",
                         hint="say where the cut-offs come from, or `user_set: true` with a "
                         "statement")
    source, _ = _source_text(block, "source")
    cuts: list[tuple[str, float]] = []
    for i, item in enumerate(block.items("cuts")):
        cut = _Reader(top.file, f"bands.cuts[{i}]", item, frozenset({"name", "min_share"}))
        name = cut.text("name", required=True) or ""
        low = cut.number("min_share", required=True, minimum=0.0) or 0.0
        if low > 1 or (cuts and low >= cuts[-1][1]):
            key_name = "min_share"
            raise cut.fail(key_name, f"{low:g} must be at most 1 and below the band "
                           "before it (bands go from best to worst)", reason="out_of_range")
        cuts.append((name, float(low)))
    if len(cuts) < 2 or cuts[-1][1] != 0.0:
        key_name = "cuts"
        raise block.fail(key_name, "give at least two bands, the last with min_share 0",
                         reason="bad_bands")
    if len({name for name, _ in cuts}) != len(cuts):
        key_name = "cuts"
        raise block.fail(key_name, "band names must differ", reason="bad_bands")
    return tuple(cuts), source


def _all_areas(nodes: list[_Node]) -> list[_Node]:
    found: list[_Node] = []
    for node in nodes:
        if node.kind == "area":
            found.extend(_all_areas(node.children))
            found.append(node)
    return found


def _has_scored(node: _Node) -> bool:
    if node.kind == "criterion":
        return node.scored
    return any(_has_scored(c) for c in node.children)


def rubric_raw_example() -> dict[str, Any]:
    """A minimal valid rubric mapping (one criterion), for examples and tests.

    Examples:
        >>> parse_criteria(rubric_raw_example()).criteria.height
        1
    """
    return {
        "id": "example", "name": "Example rubric", "version": "1", "edition": 2024,
        "source": {"user_set": True, "statement": "an example"},
        "pass_line": {"share": 0.6},
        "areas": [{"id": "A1", "name": "Services", "criteria": [
            {"id": "A1.1", "name": "online services", "indicator": "gov_service_online_rate",
             "comparator": ">=", "threshold": 90, "points": 10}]}],
    }


# ---------------------------------------------------------------------------------- files


def bundled_criteria_dirs() -> list[Path]:
    """Folders searched for bundled rubrics, in order.

    ``FZCOMPARE_CRITERIA_PATH`` (folders separated by ``os.pathsep``), then
    ``fzcompare/data/criteria`` inside the installed package. Nothing depends on where the
    package or the current directory is (a rubric elsewhere is given by its path). Missing
    folders are left out.

    Examples:
        >>> import tempfile
        >>> from unittest import mock
        >>> mine = tempfile.mkdtemp()
        >>> with mock.patch.dict(os.environ, {"FZCOMPARE_CRITERIA_PATH": mine}):
        ...     folders = bundled_criteria_dirs()
        >>> folders[0] == Path(mine)
        True
        >>> folders[1].parts[-3:]
        ('fzcompare', 'data', 'criteria')
    """
    candidates = [Path(p) for p in os.environ.get(ENV_PATH, "").split(os.pathsep) if p]
    package = resources.files("fzcompare").joinpath("data", "criteria")
    candidates.append(Path(str(package)))
    found: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir() and candidate.resolve() not in [f.resolve() for f in found]:
            found.append(candidate)
    return found


def _bundled_files() -> list[Path]:
    files: list[Path] = []
    for folder in bundled_criteria_dirs():
        files.extend(sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")))
    return files


def _read_yaml(path: Path) -> tuple[Any, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(str(path), "", f"cannot read the file: {exc.strerror or exc}",
                     reason="unreadable") from None
    try:
        raw = load_strict(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _error(str(path), "", "is not UTF-8 text", reason="not_utf8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _error(str(path), "", f"{where}not valid YAML: {problem}",
                     reason="bad_yaml") from None
    return raw, hashlib.sha256(data).hexdigest()


def load_criteria(path_or_id: str | os.PathLike[str], *,
                  catalog: Catalog | None = None) -> CriteriaSet:
    """Read and validate a rubric file, or a bundled rubric by its id.

    Args:
        path_or_id: A ``.yaml`` file, or the id of a bundled rubric (see
            ``list_bundled_criteria``), e.g. ``hubei-demo-2024``.
        catalog: Catalog to check indicator codes against (default: the bundled one).

    Raises:
        UnknownNameError: ``path_or_id`` is neither a file nor a bundled id (the message
            suggests the closest ids; a ``ValueError``, exit code 2 on the command line).
        CriteriaError: The file is not YAML or breaks the format; the message names the
            file, the key path and the problem.

    Examples:
        >>> rubric = load_criteria("county-demo-2024")
        >>> rubric.id, rubric.total_points, rubric.pass_share
        ('county-demo-2024', 19.0, 0.6)
    """
    text = os.fspath(path_or_id)
    path = Path(text)
    if not path.is_file():
        looks_like_path = path.suffix in (".yaml", ".yml") or os.sep in text or "/" in text
        match = None if looks_like_path else _find_bundled(text)
        if match is None:
            ids = [i for i in list_bundled_criteria()["id"].to_list() if i is not None]
            suggestions = {text: closest(text, ids)}
            message = f"{text}: no such criteria file or bundled rubric id"
            if suggestions[text]:
                message += "; did you mean " + " or ".join(suggestions[text]) + "?"
            raise UnknownNameError(message, hint="bundled ids: " + (", ".join(ids) or "none"),
                                   kind="rubric id", unknown=[text], suggestions=suggestions,
                                   path=text, reason="not_found")
        path = match
    raw, digest = _read_yaml(path)
    return parse_criteria(raw if raw is not None else {}, path=str(path), sha256=digest,
                          catalog=catalog)


def _find_bundled(rubric_id: str) -> Path | None:
    files = _bundled_files()
    for path in files:
        if path.stem == rubric_id:
            return path
    for path in files:
        raw, _ = _read_yaml(path)
        if isinstance(raw, Mapping) and str(raw.get("id")) == rubric_id:
            return path
    return None


def list_bundled_criteria() -> pl.DataFrame:
    """The bundled rubrics: ``id, name, version, edition, province, user_set, file``.

    Files that are not valid rubrics are listed with a null ``name`` rather than hidden.

    Examples:
        >>> "hubei-demo-2024" in list_bundled_criteria()["id"].to_list()
        True
    """
    rows: list[dict[str, Any]] = []
    for path in _bundled_files():
        try:
            rubric = load_criteria(path)
        except CriteriaError:
            rows.append({"id": path.stem, "name": None, "version": None, "edition": None,
                         "province": None, "user_set": None, "file": str(path)})
            continue
        rows.append({"id": rubric.id, "name": rubric.name, "version": rubric.version,
                     "edition": rubric.edition, "province": rubric.province,
                     "user_set": rubric.user_set, "file": str(path)})
    schema = {"id": pl.String(), "name": pl.String(), "version": pl.String(),
              "edition": pl.String(), "province": pl.String(), "user_set": pl.Boolean(),
              "file": pl.String()}
    return pl.DataFrame(rows, schema=schema)
