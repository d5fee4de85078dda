"""The lookups behind ``fzcompare.regions``: the full regions table, its history, name index.

Both tables are package data built by ``datasets/build_regions.py`` (never typed by hand);
they are read on first use and cached, so ``import fzcompare`` does not read them.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from importlib import resources
from typing import Final

import polars as pl

from fzcompare.errors import CatalogError

__all__ = [
    "HISTORY_SCHEMA",
    "REGION_TABLE_SCHEMA",
    "NameIndex",
    "Place",
    "extra_regions",
    "name_index",
    "read_history",
    "read_region_table",
    "strip_government",
]

REGION_TABLE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(), "name_zh": pl.String(), "name_en": pl.String(),
    "level": pl.String(), "parent_code": pl.String(), "short_name": pl.String(),
    "aliases": pl.String(), "province_code": pl.String(), "division_type": pl.String(),
    "scope_suffix": pl.String(), "valid_from": pl.String(), "source": pl.String(),
}
HISTORY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "region_code": pl.String(), "name_zh": pl.String(), "level": pl.String(),
    "parent_code": pl.String(), "valid_from": pl.String(), "valid_to": pl.String(),
    "successor_codes": pl.String(), "change": pl.String(), "note": pl.String(),
    "source": pl.String(),
}
_GOVERNMENT_ENDINGS: Final[tuple[str, ...]] = ("人民政府办公室", "人民政府办公厅", "人民政府",
                                               "政府")
_LEVEL_DEPTH: Final[dict[str, int]] = {"country": 0, "province": 1, "prefecture": 2,
                                       "county": 3, "township": 4}


def _read_data(name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    text = resources.files("fzcompare").joinpath("data", name).read_text(encoding="utf-8")
    return pl.read_csv(io.StringIO(text), schema=schema)


@functools.cache
def read_region_table() -> pl.DataFrame:
    """The bundled regions table with every column (names, aliases, types, source)."""
    table = _read_data("regions.csv", REGION_TABLE_SCHEMA)
    if table["region_code"].is_duplicated().any():
        msg = "regions.csv: duplicate region codes"
        raise CatalogError(msg,
                           hint="rebuild it with datasets/build_regions.py")
    return table


@functools.cache
def read_history() -> pl.DataFrame:
    """The bundled code history: codes and names no longer in force, with successors."""
    return _read_data("region_history.csv", HISTORY_SCHEMA)


def extra_regions(regions: pl.DataFrame) -> pl.DataFrame | None:
    """The rows of a regions table the bundled one lacks (a dataset's townships), if any.

    None when there are none or the table lacks ``region_code, name_zh, level,
    parent_code``: what ``name_index`` takes as its extra regions.
    """
    needed = ("region_code", "name_zh", "level", "parent_code")
    if not all(column in regions.columns for column in needed):
        return None
    bundled = read_region_table()["region_code"].implode()
    extra = regions.select(needed).filter(~pl.col("region_code").is_in(bundled))
    return extra if extra.height else None


def strip_government(name: str) -> str:
    """A government's name without 人民政府 / 政府 (北京市海淀区人民政府 -> 北京市海淀区).

    Examples:
        >>> strip_government(" 十堰市人民政府 "), strip_government("湖北省")
        ('十堰市', '湖北省')
    """
    name = re.sub(r"\s+", "", name)
    for ending in _GOVERNMENT_ENDINGS:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


@dataclass(frozen=True)
class Place:
    """One code a name can stand for: in force (``until`` None) or historical.

    ``note`` says how a historical code left the list (why it has no successor, if none).
    """

    code: str
    name: str
    level: str
    parent: str
    since: int | None
    until: int | None
    successors: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class NameIndex:
    """Name or alias -> the places it can stand for; code -> place; a regex of the names.

    ``ancestors`` maps a code to its parent chain (parent first).
    """

    by_name: dict[str, tuple[Place, ...]]
    by_code: dict[str, Place]
    historical: dict[str, Place]
    ancestors: dict[str, tuple[str, ...]]

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """All names of two characters or more, longest first (built on first use)."""
        names = sorted((n for n in self.by_name if len(n) >= 2 and n != "全国"),
                       key=lambda n: (-len(n), n))
        return re.compile("|".join(re.escape(n) for n in names))

    def depth(self, place: Place) -> int:
        return _LEVEL_DEPTH.get(place.level, 3)


def _year(revision: str | None) -> int | None:
    return int(revision[:4]) if revision and revision[:4].isdigit() else None


def _chains(parents: dict[str, str]) -> dict[str, tuple[str, ...]]:
    chains: dict[str, tuple[str, ...]] = {}
    for code in parents:
        chain: list[str] = []
        step = parents.get(code) or ""
        while step and step not in chain and len(chain) < 6:
            chain.append(step)
            step = parents.get(step) or ""
        chains[code] = tuple(chain)
    return chains


def name_index(regions: pl.DataFrame | None = None) -> NameIndex:
    """The name index of the bundled table, or of the bundled table plus ``regions``.

    Extra regions (a dataset's own ``regions.csv``: townships, streets) need only
    ``region_code, name_zh, level, parent_code``.
    """
    if regions is None:
        return _bundled_index()
    extra = tuple(regions.select("region_code", "name_zh", "level", "parent_code").iter_rows())
    return _index_with(extra)


@functools.cache
def _bundled_index() -> NameIndex:
    return _index_with(())


@functools.lru_cache(maxsize=8)
def _index_with(extra: tuple[tuple[str | None, ...], ...]) -> NameIndex:
    table = read_region_table()
    by_name: dict[str, list[Place]] = {}
    by_code: dict[str, Place] = {}
    parents: dict[str, str] = {}
    columns = ("region_code", "name_zh", "level", "parent_code", "aliases", "valid_from")
    for code, name, level, parent, aliases, since in table.select(columns).iter_rows():
        first = _year(since)
        place = Place(code, name, level, parent or "", None if first == 2000 else first, None,
                      ())
        by_code[code] = place
        parents[code] = parent or ""
        for alias in dict.fromkeys([name, *(aliases or "").split(";")]):
            if alias:
                by_name.setdefault(alias, []).append(place)
    for code, name, level, parent in extra:
        if not code or not name or code in by_code:
            continue
        place = Place(code, name, level or "township", parent or "", None, None, ())
        by_code[code] = place
        parents[code] = parent or ""
        by_name.setdefault(name, []).append(place)
    historical: dict[str, Place] = {}
    for row in read_history().iter_rows(named=True):
        place = Place(row["region_code"], row["name_zh"], row["level"], row["parent_code"] or "",
                      _year(row["valid_from"]), _year(row["valid_to"]),
                      tuple(c for c in (row["successor_codes"] or "").split(";") if c),
                      row["note"] or "")
        if place.code not in by_code:  # rows come oldest first: keep a code's latest name
            historical[place.code] = place
            parents[place.code] = place.parent
        by_name.setdefault(place.name, []).append(place)
    return NameIndex({k: tuple(v) for k, v in by_name.items()}, by_code, historical,
                     _chains(parents))
