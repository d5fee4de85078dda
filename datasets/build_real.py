"""Build the bundled real dataset ``datasets/real/`` from the raw tables in ``datasets/raw/``.

Run from the repository root::

    /work/venv/bin/python datasets/build_real.py

Deterministic: the same raw files give byte-identical output. Inputs:

- ``raw/shiyan-2023.gold.csv``: the hand-checked figures of Shiyan's 2023 report, written as they
  are (region 420300, year 2023, source ``shiyan-2023-report``).
- ``raw/published-figures.csv``: figures quoted from other reports and news. Each row's written
  indicator is matched (after NFKC normalisation) against the catalog's names and synonyms; a
  match gives the catalog code, no match gives ``unmapped_<hash of the written text>``.

Rows are never dropped. A published row whose year is uncertain (``~2022``, ``2024H1``) or whose
key (region, year, indicator, scope) collides with a gold row or another published row is
written to ``real/held_back.csv`` with a reason instead of the dataset.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import shutil
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import polars as pl

from fzcompare.catalog import load_catalog, load_regions
from fzcompare.schema import (
    OBSERVATION_SCHEMA,
    SOURCE_SCHEMA,
    UNMAPPED_PREFIX,
    conform_observations,
)
from fzcompare.store import write_observations

HERE: Final[Path] = Path(__file__).resolve().parent
RAW: Final[Path] = HERE / "raw"
OUT: Final[Path] = HERE / "real"
GOLD_FILE: Final[str] = "shiyan-2023.gold.csv"
PUBLISHED_FILE: Final[str] = "published-figures.csv"

GOLD_SOURCE: Final[dict[str, Any]] = {
    "source_id": "shiyan-2023-report",
    "title": "十堰市人民政府关于2023年法治政府建设情况的报告",
    "publisher": "十堰市人民政府",
    "published": None,
    "url": "",
    "kind": "report",
    "region_code": "420300",
    "year": 2023,
    "note": "94 figures checked by hand against the report text (datasets/raw/"
            "shiyan-2023.gold.csv); the report's address was not recorded.",
}

PLACE_ALIASES: Final[dict[str, str]] = {"恩施州": "422800", "湖北省司法厅": "420000"}
"""Places written differently from the regions table's ``name_zh``."""

PLACE_SCOPE: Final[dict[str, str]] = {"湖北省司法厅": "省直"}
"""Places whose figures belong to a body rather than the whole region."""

LEVEL_SCOPE: Final[dict[str, tuple[str, str]]] = {
    "国": ("全国", "全国"), "省": ("全省", "省本级"),
    "市": ("全市", "市本级"), "县": ("全县", "县本级"),
}
"""Written level -> (whole-region scope, own-government scope)."""

LEVEL_REGION: Final[dict[str, str]] = {
    "国": "country", "省": "province", "市": "prefecture", "县": "county",
}

OWN_GOVERNMENT_CODES: Final[frozenset[str]] = frozenset({
    "exec_meetings_on_rule_of_law", "leaders_collective_law_study_sessions",
    "central_group_law_study_sessions", "gov_regulations_enacted",
    "gov_regulations_made_amended_repealed", "local_regulations_submitted",
    "documents_legality_reviewed",
})
"""Figures about the government itself (its meetings, its rules): scope 本级, as in gold."""

OWN_GOVERNMENT_TEXTS: Final[frozenset[str]] = frozenset({
    "市级综合窗口覆盖率", "市政务服务中心综合窗口覆盖率",
})
"""Written indicators that name the city-level service centre rather than the whole city."""

TEN_THOUSAND: Final[str] = "万"

UNIT_EQUIVALENTS: Final[frozenset[tuple[str, str]]] = frozenset({
    ("人", "人次"), ("次", "期"), ("场次", "场"), ("个", "项"),
})
"""(written unit, catalog unit) pairs that count the same thing."""

QUALIFIERS: Final[dict[str, str]] = {
    "": "eq", "余": "approx", "多": "approx", "约": "approx", "近": "approx",
    ">=": "ge", ">": "gt", "<=": "le", "<": "lt",
}

REPORT_PATH_MARKERS: Final[tuple[tuple[str, str], ...]] = (
    ("xxgk_nb", "政府信息公开工作年度报告"),
    ("fzzfjsnb", "法治政府建设年度报告"),
    ("fzzfjsndbg", "法治政府建设年度报告"),
    ("fzzdjsndbb", "法治政府建设年度报告"),
    ("/fzzfj/", "法治政府建设年度报告"),
)

HELD_BACK_COLUMNS: Final[tuple[str, ...]] = (
    "place", "level", "year_as_written", "indicator_as_written", "value_as_written",
    "unit_as_written", "qualifier_as_written", "source_url", "region_code", "indicator_code",
    "scope", "value", "unit", "qualifier", "source_id", "reason", "detail",
)


class BuildError(Exception):
    """A raw row cannot be converted; the message names the file and row."""


def normalise(text: str) -> str:
    """NFKC (full-width brackets and signs become ASCII) and no surrounding space."""
    return unicodedata.normalize("NFKC", text).strip()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def phrase_index(catalog_indicators: pl.DataFrame) -> dict[str, str]:
    """Normalised name or synonym -> code; a phrase claimed by two codes is an error."""
    index: dict[str, str] = {}
    for row in catalog_indicators.iter_rows(named=True):
        for phrase in [row["name_zh"], *row["synonyms"]]:
            key = normalise(phrase)
            if index.get(key, row["code"]) != row["code"]:
                raise BuildError(f"catalog phrase {phrase!r} belongs to {index[key]} and "
                                 f"{row['code']}")
            index[key] = row["code"]
    return index


def unmapped_code(written: str) -> str:
    return UNMAPPED_PREFIX + hashlib.sha1(normalise(written).encode("utf-8")).hexdigest()[:8]


def url_date(url: str) -> dt.date | None:
    """The publication date carried by CMS addresses (``t20230413_``, ``art/2024/3/8``)."""
    patterns = (r"/t(\d{4})(\d{2})(\d{2})_", r"/art/(\d{4})/(\d{1,2})/(\d{1,2})/",
                r"/content/(\d{4})(\d{2})/(\d{2})/")
    for pattern in patterns:
        match = re.search(pattern, url)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def gold_observations(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{
        "region_code": "420300", "year": 2023, "indicator_code": row["indicator_code"],
        "scope": row["scope"], "value": float(row["value"]), "unit": row["unit"],
        "qualifier": row["qualifier"], "source_id": GOLD_SOURCE["source_id"],
        "quote": row["quote"],
    } for row in rows]


def resolve_region(place: str, level: str, regions: pl.DataFrame, where: str) -> dict[str, Any]:
    code = PLACE_ALIASES.get(place)
    matches = regions.filter(pl.col("region_code") == code) if code else \
        regions.filter(pl.col("name_zh") == place)
    if matches.height != 1:
        raise BuildError(f"{where}: place {place!r} is not (uniquely) in the regions table")
    region = matches.row(0, named=True)
    if LEVEL_REGION.get(level) != region["level"]:
        raise BuildError(f"{where}: level {level!r} does not fit {place} ({region['level']})")
    return region


def convert_value(value: str, unit: str, where: str) -> tuple[float, str]:
    try:
        number = float(value)
    except ValueError:
        raise BuildError(f"{where}: value {value!r} is not a number") from None
    if unit.startswith(TEN_THOUSAND) and len(unit) > 1:
        return round(number * 10_000, 6), unit[1:]
    return number, unit


def source_for(url: str, first: dict[str, str], region: dict[str, Any]) -> dict[str, Any]:
    """One source row per address; title and publisher derived from the first row citing it."""
    place, year = first["place"], re.sub(r"\D", "", first["year"])
    host = urlsplit(url).hostname or ""
    government_page = host.endswith(".gov.cn")
    document = next((name for marker, name in REPORT_PATH_MARKERS if marker in url), None)
    if government_page:
        title = f"{place}{year}年{document or '法治政府建设情况'} (as cited)"
        publisher = place if place.endswith(("厅", "局")) else f"{place}人民政府"
        if place == "全国":
            publisher = "国务院"
        kind = "report"
    else:
        title = f"{place}{year}年法治建设相关报道 ({host}, as cited)"
        publisher = host
        kind = "news"
    published = url_date(url)
    note = ("Figures as quoted in datasets/raw/published-figures.csv; title derived from place "
            "and year, not read from the page")
    note += "; published date read from the address." if published else "."
    source_id = f"{slug(region['name_en'])}-{year}-{hashlib.sha1(url.encode()).hexdigest()[:6]}"
    # The government and year the source reports on: a report is that government's own for
    # the year; a news item is about that region-year but is not its report (kind news).
    return {"source_id": source_id, "title": title, "publisher": publisher,
            "published": published, "url": url, "kind": kind,
            "region_code": region["region_code"], "year": int(year), "note": note}


def published_rows(rows: list[dict[str, str]], regions: pl.DataFrame, phrases: dict[str, str],
                   catalog_units: dict[str, str]) -> tuple[list[dict[str, Any]],
                                                          list[dict[str, Any]]]:
    """Convert every published row; returns (candidate rows, source rows)."""
    sources: dict[str, dict[str, Any]] = {}
    converted: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):
        where = f"{RAW / PUBLISHED_FILE}: line {number}"
        region = resolve_region(row["place"], row["level"], regions, where)
        url = row["source_url"].strip()
        if url not in sources:
            sources[url] = source_for(url, row, region)
        written = normalise(row["indicator_as_written_or_paraphrased"])
        code = phrases.get(written) or unmapped_code(written)
        value, unit = convert_value(row["value"], normalise(row["unit"]), where)
        if code in catalog_units and unit != catalog_units[code]:
            if (unit, catalog_units[code]) not in UNIT_EQUIVALENTS:
                raise BuildError(f"{where}: unit {unit!r} cannot be read as {code}'s unit "
                                 f"{catalog_units[code]!r}")
            unit = catalog_units[code]
        qualifier = QUALIFIERS.get(normalise(row["qualifier"]))
        if qualifier is None:
            raise BuildError(f"{where}: unknown qualifier {row['qualifier']!r}")
        whole, own = LEVEL_SCOPE[row["level"]]
        scope = PLACE_SCOPE.get(row["place"]) or (
            own if code in OWN_GOVERNMENT_CODES or written in OWN_GOVERNMENT_TEXTS else whole)
        year_text = row["year"].strip()
        converted.append({
            "raw": row, "line": number, "region_code": region["region_code"],
            "year": int(year_text) if re.fullmatch(r"\d{4}", year_text) else None,
            "indicator_code": code, "scope": scope, "value": value, "unit": unit,
            "qualifier": qualifier, "source_id": sources[url]["source_id"], "quote": written,
        })
    return converted, list(sources.values())


def split_held_back(candidates: list[dict[str, Any]], gold: list[dict[str, Any]]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Hold back uncertain years and every row whose key is taken twice (gold rows win)."""
    gold_values = {(g["region_code"], g["year"], g["indicator_code"], g["scope"]): g["value"]
                   for g in gold}
    dated = [c for c in candidates if c["year"] is not None]
    counts = Counter((c["region_code"], c["year"], c["indicator_code"], c["scope"])
                     for c in dated)
    kept: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    for cand in candidates:
        key = (cand["region_code"], cand["year"], cand["indicator_code"], cand["scope"])
        if cand["year"] is None:
            held.append({**cand, "reason": "uncertain_year",
                         "detail": f"year written {cand['raw']['year']!r}"})
        elif key in gold_values:
            same = "same" if gold_values[key] == cand["value"] else "different"
            held.append({**cand, "reason": "key_collides_with_gold",
                         "detail": f"gold row has the key with the {same} value "
                                   f"({gold_values[key]:g})"})
        elif counts[key] > 1:
            held.append({**cand, "reason": "key_collision",
                         "detail": f"{counts[key]} published rows share the key"})
        else:
            kept.append(cand)
    return kept, held


def held_back_frame(held: list[dict[str, Any]]) -> pl.DataFrame:
    records = [{
        "place": h["raw"]["place"], "level": h["raw"]["level"],
        "year_as_written": h["raw"]["year"],
        "indicator_as_written": h["raw"]["indicator_as_written_or_paraphrased"],
        "value_as_written": h["raw"]["value"], "unit_as_written": h["raw"]["unit"],
        "qualifier_as_written": h["raw"]["qualifier"], "source_url": h["raw"]["source_url"],
        "region_code": h["region_code"], "indicator_code": h["indicator_code"],
        "scope": h["scope"], "value": h["value"], "unit": h["unit"],
        "qualifier": h["qualifier"], "source_id": h["source_id"], "reason": h["reason"],
        "detail": h["detail"],
    } for h in sorted(held, key=lambda h: h["line"])]
    schema = {c: pl.String() for c in HELD_BACK_COLUMNS} | {"value": pl.Float64()}
    return pl.DataFrame(records, schema=schema)


def make_readable(folder: Path) -> None:
    """Temporary files and folders are created private (0600/0700); a dataset is shared."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def build(out: Path = OUT) -> dict[str, int]:
    catalog = load_catalog()
    regions = load_regions()
    phrases = phrase_index(catalog.indicators)
    units = dict(zip(catalog.indicators["code"], catalog.indicators["unit"], strict=True))
    gold_raw = read_csv(RAW / GOLD_FILE)
    published_raw = read_csv(RAW / PUBLISHED_FILE)

    gold = gold_observations(gold_raw)
    candidates, sources = published_rows(published_raw, regions, phrases, units)
    kept, held = split_held_back(candidates, gold)

    columns = list(OBSERVATION_SCHEMA)
    # Every figure here was published with a number: disclosure is its default, "reported".
    observations = conform_observations(pl.DataFrame(
        [{c: row.get(c) for c in columns} for row in [*gold, *kept]], schema=OBSERVATION_SCHEMA))
    source_frame = pl.DataFrame([GOLD_SOURCE, *sources], schema=SOURCE_SCHEMA).sort("source_id")

    # Build beside the target, then swap it in, so a failed build leaves the old dataset intact.
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=".real-build-"))
    try:
        write_observations(observations, staging, sources=source_frame)
        held_back_frame(held).write_csv(staging / "held_back.csv")
        make_readable(staging)
        backup = out.with_name(f".{out.name}.old")
        if backup.exists():
            shutil.rmtree(backup)
        if out.exists():
            out.replace(backup)
        staging.replace(out)
        if backup.exists():
            shutil.rmtree(backup)
    finally:
        if staging.exists():
            shutil.rmtree(staging)

    unmapped = sum(k["indicator_code"].startswith(UNMAPPED_PREFIX) for k in kept)
    by_reason: defaultdict[str, int] = defaultdict(int)
    for h in held:
        by_reason[h["reason"]] += 1
    return {
        "rows_in": len(gold_raw) + len(published_raw),
        "gold_rows_in": len(gold_raw),
        "published_rows_in": len(published_raw),
        "rows_written": observations.height,
        "mapped": observations.height - unmapped,
        "mapped_published": len(kept) - unmapped,
        "unmapped": unmapped,
        "held_back": len(held),
        **{f"held_back_{reason}": n for reason, n in sorted(by_reason.items())},
        "sources": source_frame.height,
    }


def main() -> int:
    try:
        counts = build()
    except BuildError as error:
        print(f"build_real: {error}", file=sys.stderr)
        return 1
    print(f"rows in:     {counts['rows_in']} ({counts['gold_rows_in']} gold, "
          f"{counts['published_rows_in']} published)")
    print(f"rows written: {counts['rows_written']} -> {OUT.relative_to(HERE.parent)}")
    print(f"  mapped to catalog codes: {counts['mapped']} ({counts['gold_rows_in']} gold + "
          f"{counts['mapped_published']} published)")
    print(f"  {UNMAPPED_PREFIX}*:              {counts['unmapped']}")
    reasons = ", ".join(f"{k.removeprefix('held_back_')} {v}" for k, v in counts.items()
                        if k.startswith("held_back_"))
    print(f"held back:   {counts['held_back']} ({reasons}) -> "
          f"{(OUT / 'held_back.csv').relative_to(HERE.parent)}")
    print(f"sources:     {counts['sources']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
