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
REGION_LEVELS: Final[frozenset[str]] = frozenset({"country", "province", "prefecture", "county"})
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
            CatalogError: If the code is not in the catalog.
        """
        rows = self.indicators.filter(pl.col("code") == code)
        if rows.height == 0:
            raise CatalogError(f"unknown indicator code {code!r}",
                               hint="see fzcompare.load_catalog().indicators for the codes")
        return rows.row(0, named=True)


def _read_package_text(name: str) -> str:
    return resources.files("fzcompare").joinpath("data", name).read_text(encoding="utf-8")


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] is None:
        raise CatalogError(f"indicators.yaml: {where}: missing key {key!r}")
    return entry[key]


def _parse_catalog(raw: Any, source: str = "indicators.yaml") -> Catalog:
    if not isinstance(raw, dict) or "indicators" not in raw:
        raise CatalogError(f"{source}: expected a mapping with an 'indicators' list")
    domains = pl.DataFrame(raw.get("domains", []), schema=DOMAIN_SCHEMA)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["indicators"]):
        where = f"indicators[{i}]"
        code = _require(entry, "code", where)
        where = f"indicators[{i}] ({code})"
        if code in seen:
            raise CatalogError(f"{source}: {where}: duplicate code")
        seen.add(code)
        kind = _require(entry, "kind", where)
        direction = _require(entry, "direction", where)
        if kind not in INDICATOR_KINDS:
            raise CatalogError(f"{source}: {where}: kind {kind!r} not in {sorted(INDICATOR_KINDS)}")
        if direction not in DIRECTIONS:
            raise CatalogError(f"{source}: {where}: direction {direction!r} not in "
                               f"{sorted(DIRECTIONS)}")
        default_max = 100.0 if kind == "rate" else None
        rows.append({
            "code": code,
            "name_zh": _require(entry, "name_zh", where),
            "name_en": _require(entry, "name_en", where),
            "domain": int(_require(entry, "domain", where)),
            "unit": str(_require(entry, "unit", where)),
            "kind": kind,
            "direction": direction,
            "min_value": float(entry.get("min", 0.0)) if entry.get("min", 0.0) is not None
            else None,
            "max_value": float(entry["max"]) if entry.get("max") is not None else default_max,
            "main": bool(entry.get("main", False)),
            "typical_low": float(entry["typical"][0]) if entry.get("typical") else None,
            "typical_high": float(entry["typical"][1]) if entry.get("typical") else None,
            "synonyms": [str(s) for s in entry.get("synonyms", [])],
            "full_statements": [str(s) for s in entry.get("full_statements", [])],
        })
    indicators = pl.DataFrame(rows, schema=INDICATOR_SCHEMA)
    relations = pl.DataFrame(
        [{**{k: None for k in RELATION_SCHEMA}, **r} for r in raw.get("relations", [])],
        schema=RELATION_SCHEMA,
    )
    for i, rel in enumerate(relations.iter_rows(named=True)):
        if rel["kind"] not in RELATION_KINDS:
            raise CatalogError(f"{source}: relations[{i}]: kind {rel['kind']!r} not in "
                               f"{sorted(RELATION_KINDS)}")
        for key in ("target", "numerator", "denominator"):
            code = rel[key]
            if code is not None and code not in seen:
                raise CatalogError(
                    f"{source}: relations[{i}]: {key} {code!r} is not a catalog code")
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
    import yaml

    return _parse_catalog(yaml.load(_read_package_text("indicators.yaml"), Loader=yaml.CSafeLoader))


@functools.cache
def load_regions() -> pl.DataFrame:
    """The bundled regions table: ``region_code, name_zh, name_en, level, parent_code``.

    Examples:
        >>> regions = load_regions()
        >>> regions.filter(pl.col("region_code") == "420300")["name_zh"].item()
        '十堰市'
    """
    import io

    text = _read_package_text("regions.csv")
    regions = pl.read_csv(io.StringIO(text), schema=REGION_SCHEMA)
    bad = regions.filter(~pl.col("level").is_in(list(REGION_LEVELS)))
    if bad.height:
        raise CatalogError(f"regions.csv: unknown level {bad['level'][0]!r} for "
                           f"{bad['region_code'][0]}")
    if regions["region_code"].is_duplicated().any():
        raise CatalogError("regions.csv: duplicate region codes")
    return regions
