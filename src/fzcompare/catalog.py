"""The indicator catalog, the eight domains and the regions table (shipped as package data).

The catalog lives in ``data/indicators.yaml`` and the regions in ``data/regions.csv``;
both are read once per process and cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import polars as pl
import yaml

from fzcompare._names import check_known
from fzcompare._regions_index import read_region_table
from fzcompare.errors import CatalogError

__all__ = [
    "DIRECTIONS",
    "INDICATOR_KINDS",
    "REGION_LEVELS",
    "Catalog",
    "load_catalog",
    "load_regions",
]

INDICATOR_KINDS: Final[frozenset[str]] = frozenset({"rate", "count", "amount", "rank", "status"})
DIRECTIONS: Final[frozenset[str]] = frozenset({"higher", "lower", "target", "neutral"})
REGION_LEVELS: Final[frozenset[str]] = frozenset(
    {"country", "province", "prefecture", "county", "township"})
RELATION_KINDS: Final[frozenset[str]] = frozenset({"ratio", "le"})

INDICATOR_SCHEMA: Final[dict[str, pl.DataType]] = {
    "code": pl.String(),
    "name_zh": pl.String(),
    "name_en": pl.String(),
    "domain": pl.Int8(),
    "unit": pl.String(),
    "kind": pl.String(),
    "direction": pl.String(),
    "min_value": pl.Float64(),
    "max_value": pl.Float64(),
    "main": pl.Boolean(),
    "typical_low": pl.Float64(),
    "typical_high": pl.Float64(),
    "synonyms": pl.List(pl.String()),
    "full_statements": pl.List(pl.String()),
}
RELATION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "kind": pl.String(),
    "target": pl.String(),
    "numerator": pl.String(),
    "denominator": pl.String(),
    "tolerance": pl.Float64(),
}
DOMAIN_SCHEMA: Final[dict[str, pl.DataType]] = {
    "domain": pl.Int8(),
    "name_zh": pl.String(),
    "name_en": pl.String(),
}
REGION_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(),
    "name_zh": pl.String(),
    "name_en": pl.String(),
    "level": pl.String(),
    "parent_code": pl.String(),
}


@dataclass(frozen=True)
class Catalog:
    """The indicator catalog as three polars tables.

    Attributes:
        indicators: One row per indicator (columns of ``INDICATOR_SCHEMA``).
        relations: ``ratio`` rows say ``target = 100 * numerator / denominator`` within
            ``tolerance`` percentage points; ``le`` rows say ``numerator <= denominator``
            (``target`` is null).
        domains: The eight areas of the annual reports.
        version: The catalog file's version string.

    Examples:
        >>> catalog = load_catalog()
        >>> row = catalog.indicator("reconsideration_correction_rate")
        >>> row["kind"], row["unit"], row["domain"]
        ('rate', '%', 8)
        >>> catalog.relations.filter(pl.col("target") == "reconsideration_correction_rate"
        ...                          ).select("kind", "numerator", "denominator").row(0)
        ('ratio', 'reconsideration_corrected', 'reconsideration_concluded')
        >>> catalog.domains.height
        8
    """

    indicators: pl.DataFrame
    relations: pl.DataFrame
    domains: pl.DataFrame
    version: str

    @functools.cached_property
    def codes(self) -> frozenset[str]:
        """All indicator codes."""
        return frozenset(self.indicators["code"].to_list())

    def indicator(self, code: str) -> dict[str, Any]:
        """One indicator's catalog row as a dict.

        Raises:
            UnknownNameError: If the code is not in the catalog (with the closest codes).

        Examples:
            >>> load_catalog().indicator("gov_service_online_rate")["unit"]
            '%'
        """
        check_known("indicator code", [code], self.codes,
                    hint_source="fzcompare.load_catalog().indicators")
        return self.indicators.filter(pl.col("code") == code).row(0, named=True)

    def in_domain(self, domain: int | str) -> pl.DataFrame:
        """The indicators of one domain, given by its number (1-8) or its name.

        Raises:
            UnknownNameError: If no domain has that number or name (with the closest).

        Examples:
            >>> load_catalog().in_domain(8).height > 0
            True
        """
        numbers = [str(n) for n in self.domains["domain"].to_list()]
        names = {name: str(number) for column in ("name_zh", "name_en")
                 if column in self.domains.columns
                 for number, name in zip(self.domains["domain"].to_list(),
                                         self.domains[column].to_list(), strict=True)}
        given = str(domain)
        if given in names:
            given = names[given]
        check_known("domain", [given], [*numbers, *names],
                    hint_source="fzcompare.load_catalog().domains",
                    hint=f"domains are numbered {min(numbers, key=int)}-"
                         f"{max(numbers, key=int)}; see fzcompare.load_catalog().domains")
        return self.indicators.filter(pl.col("domain") == int(given))

    def __repr__(self) -> str:
        return (f"Catalog(version={self.version!r}, {self.indicators.height} indicators, "
                f"{self.relations.height} relations, {self.domains.height} domains)")

    __str__ = __repr__


def _read_package_text(name: str) -> str:
    return resources.files("fzcompare").joinpath("data", name).read_text(encoding="utf-8")


_INDICATOR_KEYS: Final[frozenset[str]] = frozenset({
    "code", "name_zh", "name_en", "domain", "unit", "kind", "direction", "min", "max", "main",
    "typical", "synonyms", "full_statements",
})
_RELATION_KEYS: Final[frozenset[str]] = frozenset(RELATION_SCHEMA)
_RELATION_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "ratio": ("target", "numerator", "denominator", "tolerance"),
    "le": ("numerator", "denominator"),
}


def _require(entry: dict[str, Any], key: str, where: str, source: str = "indicators.yaml") -> Any:
    if key not in entry or entry[key] is None:
        msg = f"{source}: {where}: missing key {key!r}"
        raise CatalogError(msg, key=key)
    return entry[key]


def _number(value: Any, key: str, where: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{source}: {where}: {key} must be a number, found {value!r}"
        raise CatalogError(msg, key=key)
    return float(value)


def _text_list(entry: dict[str, Any], key: str, where: str, source: str) -> list[str]:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(s, str | int | float) for s in value):
        msg = f"{source}: {where}: {key} must be a list of phrases, found {value!r}"
        raise CatalogError(msg, key=key)
    return [str(s) for s in value]


def _parse_indicator(entry: Any, i: int, source: str) -> dict[str, Any]:
    where = f"indicators[{i}]"
    if not isinstance(entry, dict):
        msg = f"{source}: {where}: expected a mapping, found {entry!r}"
        raise CatalogError(msg)
    code = _require(entry, "code", where, source)
    where = f"indicators[{i}] ({code})"
    unknown = sorted(set(entry) - _INDICATOR_KEYS)
    if unknown:
        msg = f"{source}: {where}: unknown key {unknown[0]!r}"
        raise CatalogError(msg, key=unknown[0],
                           hint="allowed keys: " + ", ".join(sorted(_INDICATOR_KEYS)))
    kind = _require(entry, "kind", where, source)
    direction = _require(entry, "direction", where, source)
    if kind not in INDICATOR_KINDS:
        msg = f"{source}: {where}: kind {kind!r} not in {sorted(INDICATOR_KINDS)}"
        raise CatalogError(msg, key="kind")
    if direction not in DIRECTIONS:
        msg = (f"{source}: {where}: direction {direction!r} not in "
               f"{sorted(DIRECTIONS)}")
        raise CatalogError(msg, key="direction")
    domain = _require(entry, "domain", where, source)
    if isinstance(domain, bool) or not isinstance(domain, int) or not 1 <= domain <= 8:
        msg = f"{source}: {where}: domain must be an integer 1-8, found {domain!r}"
        raise CatalogError(msg, key="domain")
    unit = str(_require(entry, "unit", where, source))
    if not unit.strip():
        msg = f"{source}: {where}: unit is empty"
        raise CatalogError(msg, key="unit")
    min_value = (None if "min" in entry and entry["min"] is None
                 else _number(entry.get("min", 0.0), "min", where, source))
    max_value = (_number(entry["max"], "max", where, source) if entry.get("max") is not None
                 else (100.0 if kind == "rate" else None))
    if min_value is not None and max_value is not None and min_value > max_value:
        msg = f"{source}: {where}: min {min_value} > max {max_value}"
        raise CatalogError(msg, key="min")
    typical = entry.get("typical")
    typical_low = typical_high = None
    if typical is not None:
        if not isinstance(typical, list) or len(typical) != 2:
            msg = (f"{source}: {where}: typical must be [low, high], found "
                   f"{typical!r}")
            raise CatalogError(msg, key="typical")
        typical_low = _number(typical[0], "typical", where, source)
        typical_high = _number(typical[1], "typical", where, source)
        if typical_low > typical_high:
            msg = (f"{source}: {where}: typical low {typical_low} > high "
                   f"{typical_high}")
            raise CatalogError(msg, key="typical")
        if ((min_value is not None and typical_low < min_value)
                or (max_value is not None and typical_high > max_value)):
            msg = (f"{source}: {where}: typical {typical!r} outside "
                   f"[{min_value}, {max_value}]")
            raise CatalogError(msg, key="typical")
    main = entry.get("main", False)
    if not isinstance(main, bool):
        msg = f"{source}: {where}: main must be true or false, found {main!r}"
        raise CatalogError(msg, key="main")
    return {
        "code": str(code),
        "name_zh": str(_require(entry, "name_zh", where, source)),
        "name_en": str(_require(entry, "name_en", where, source)),
        "domain": domain,
        "unit": unit,
        "kind": kind,
        "direction": direction,
        "min_value": min_value,
        "max_value": max_value,
        "main": main,
        "typical_low": typical_low,
        "typical_high": typical_high,
        "synonyms": _text_list(entry, "synonyms", where, source),
        "full_statements": _text_list(entry, "full_statements", where, source),
    }


def _parse_relation(rel: Any, i: int, codes: set[str], source: str) -> dict[str, Any]:
    where = f"relations[{i}]"
    if not isinstance(rel, dict):
        msg = f"{source}: {where}: expected a mapping, found {rel!r}"
        raise CatalogError(msg)
    unknown = sorted(set(rel) - _RELATION_KEYS)
    if unknown:
        msg = f"{source}: {where}: unknown key {unknown[0]!r}"
        raise CatalogError(msg, key=unknown[0],
                           hint="allowed keys: " + ", ".join(RELATION_SCHEMA))
    kind = rel.get("kind")
    if kind not in RELATION_KINDS:
        msg = f"{source}: {where}: kind {kind!r} not in {sorted(RELATION_KINDS)}"
        raise CatalogError(msg, key="kind")
    for key in _RELATION_REQUIRED[kind]:
        _require(rel, key, where, source)
    for key in ("target", "numerator", "denominator"):
        code = rel.get(key)
        if code is not None and code not in codes:
            msg = f"{source}: {where}: {key} {code!r} is not a catalog code"
            raise CatalogError(msg, key=key)
    tolerance = rel.get("tolerance")
    return {**dict.fromkeys(RELATION_SCHEMA), **rel,
            "tolerance": None if tolerance is None
            else _number(tolerance, "tolerance", where, source)}


def _parse_catalog(raw: Any, source: str = "indicators.yaml") -> Catalog:
    """Build a ``Catalog`` from the parsed YAML, raising on the first malformed key.

    Examples:
        >>> _parse_catalog({"indicators": [{"code": "x", "kind": "count"}]})
        Traceback (most recent call last):
        ...
        fzcompare.errors.CatalogError: indicators.yaml: indicators[0] (x): missing key 'direction'
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        msg = f"{source}: expected a mapping with an 'indicators' list"
        raise CatalogError(msg, key="indicators")
    domains = pl.DataFrame(raw.get("domains", []), schema=DOMAIN_SCHEMA)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["indicators"]):
        row = _parse_indicator(entry, i, source)
        if row["code"] in seen:
            msg = f"{source}: indicators[{i}] ({row['code']}): duplicate code"
            raise CatalogError(msg, key="code")
        seen.add(row["code"])
        rows.append(row)
    indicators = pl.DataFrame(rows, schema=INDICATOR_SCHEMA)
    relations_raw = raw.get("relations") or []
    if not isinstance(relations_raw, list):
        msg = f"{source}: relations must be a list"
        raise CatalogError(msg, key="relations")
    relations = pl.DataFrame(
        [_parse_relation(rel, i, seen, source) for i, rel in enumerate(relations_raw)],
        schema=RELATION_SCHEMA,
    )
    return Catalog(indicators=indicators, relations=relations, domains=domains,
                   version=str(raw.get("version", "0")))


@functools.cache
def load_catalog() -> Catalog:
    """The bundled indicator catalog (read once, then cached).

    Examples:
        >>> catalog = load_catalog()
        >>> catalog.indicator("reconsideration_correction_rate")["unit"]
        '%'
    """
    return _parse_catalog(yaml.load(_read_package_text("indicators.yaml"), Loader=yaml.CSafeLoader))


@functools.cache
def load_regions() -> pl.DataFrame:
    """The bundled regions table: ``region_code, name_zh, name_en, level, parent_code``.

    Every province-, prefecture- and county-level division in force (see
    ``docs/regions.md`` for the source and vintage); ``fzcompare.regions.region_table``
    has the other columns (aliases, province, division type, source).

    Examples:
        >>> regions = load_regions()
        >>> regions.filter(pl.col("region_code") == "420300")["name_zh"].item()
        '十堰市'
        >>> regions.height > 3200
        True
    """
    regions = read_region_table().select(list(REGION_SCHEMA))
    bad = regions.filter(~pl.col("level").is_in(list(REGION_LEVELS)))
    if bad.height:
        msg = (f"regions.csv: unknown level {bad['level'][0]!r} for "
               f"{bad['region_code'][0]}")
        raise CatalogError(msg)
    return regions
