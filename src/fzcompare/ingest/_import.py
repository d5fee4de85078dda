"""``import_tables``: indicator tables -> observations with cell provenance, one write."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl
import yaml

from fzcompare._deprecation import renamed_arguments
from fzcompare.catalog import Catalog, load_catalog, load_regions
from fzcompare.errors import FzcompareError, TableImportError
from fzcompare.ingest._cells import parse_cell
from fzcompare.ingest._grid import read_grids
from fzcompare.ingest._layout import RawValue, table_values
from fzcompare.ingest._names import (
    HeaderMatch,
    RegionMatch,
    match_header,
    names_region,
    resolve_region,
    resolve_regions,
)
from fzcompare.schema import OBSERVATION_SCHEMA, SOURCE_SCHEMA
from fzcompare.store import write_observations

if TYPE_CHECKING:
    from fzcompare.store import WriteReport

__all__ = ["ISSUE_SCHEMA", "ImportResult", "import_tables", "read_mapping"]

_SCOPE_BY_LEVEL: Final[dict[str, str]] = {
    "country": "全国", "province": "全省", "prefecture": "全市", "county": "全县",
    "township": "全镇"}
ISSUE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "file": pl.String(), "cell": pl.String(), "region": pl.String(), "year": pl.Int32(),
    "header": pl.String(), "text": pl.String(), "issue": pl.String()}
"""Columns of ``ImportResult.issues``: every value cell that did not become an observation."""


@dataclass(frozen=True)
class ImportResult:
    """What an import read, mapped, kept out and (when asked) wrote.

    Attributes:
        observations: The data-model rows (quote = ``file sheet!cell: header = text``);
            a not-disclosed cell (``—``, ``/``, ``未公开``, blank) in a mapped column is a row
            with disclosure ``withheld`` and no value, never a zero.
        sources: One ``statistics`` source row per file (its SHA-256 in the note).
        headers: Every header with its code (None: unmapped) and confidence.
        regions: Every region text with its code (None: unresolved).
        issues: Value cells kept out: ``not_disclosed`` (a not-disclosed cell that could not
            be placed: unmapped header, unresolved region or no year), ``not_a_figure``,
            ``unmapped_header``, ``unresolved_region`` (with the reason: the closest names,
            or the candidates of a shared name, and the region cell), ``no_year``,
            ``conflict``; and
            ``sheet_skipped`` for a sheet without a header in a file whose other sheets
            held data (a file where no sheet does is an error).
        errors: One error per file that could not be imported (nothing of it is written).
        written: The write report when ``into`` was given and something was written.
    """

    observations: pl.DataFrame
    sources: pl.DataFrame
    headers: tuple[HeaderMatch, ...]
    regions: tuple[RegionMatch, ...]
    issues: pl.DataFrame
    errors: tuple[TableImportError, ...]
    written: WriteReport | None = field(default=None)

    def __repr__(self) -> str:
        mapped = sum(1 for h in self.headers if h.code is not None)
        return (f"ImportResult(observations={self.observations.height}, headers={mapped}/"
                f"{len(self.headers)} mapped, issues={self.issues.height}, "
                f"errors={len(self.errors)})")

    def plan(self) -> dict[str, Any]:
        """The mapping as plain data (``--plan`` writes it as YAML; edit, pass ``--mapping``)."""
        return {
            "headers": [{"header": h.header, "code": h.code, "confidence": h.confidence,
                         "matched": h.matched, "unit": h.unit} for h in self.headers],
            "regions": [{"name": r.name, "code": r.code} for r in self.regions],
            "kept_out": self.issues.to_dicts(),
            "errors": [{"file": e.details.get("path"), "reason": e.details.get("reason"),
                        "message": e.message} for e in self.errors],
        }


@dataclass(frozen=True)
class _Mapping:
    headers: dict[str, str | None]
    regions: dict[str, str | None]


def read_mapping(path: str | os.PathLike[str]) -> _Mapping:
    """Read an edited plan file: header -> code (empty: leave out), region name -> code.

    Raises:
        TableImportError: ``reason`` ``bad_mapping`` when the file is not such a plan.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text("utf-8"))
        headers = {str(h["header"]): (str(h["code"]) if h.get("code") else None)
                   for h in raw.get("headers", [])}
        regions = {str(r["name"]): (str(r["code"]) if r.get("code") else None)
                   for r in raw.get("regions", [])}
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError) as error:
        msg = f"{path}: not an import plan ({error})"
        raise TableImportError(msg, reason="bad_mapping",
                               path=str(path), hint="write one with --plan, edit its codes, "
                               "pass it back with --mapping") from None
    return _Mapping(headers, regions)


@dataclass
class _Run:
    catalog: Catalog
    regions: pl.DataFrame
    mapping: _Mapping | None
    header_cache: dict[str, HeaderMatch] = field(default_factory=dict)
    region_cache: dict[str, RegionMatch] = field(default_factory=dict)
    probe_cache: dict[str, bool] = field(default_factory=dict)
    rows: dict[tuple[str, int, str, str], dict[str, object]] = field(default_factory=dict)
    issues: list[tuple[object, ...]] = field(default_factory=list)

    def header(self, text: str) -> HeaderMatch:
        found = self.header_cache.get(text)
        if found is None:
            found = match_header(text, self.catalog)
            if self.mapping is not None and text in self.mapping.headers:
                code = self.mapping.headers[text]
                found = HeaderMatch(text, code, 1.0 if code else 0.0, found.unit,
                                    found.multiplier, "mapping file" if code else None)
            self.header_cache[text] = found
        return found

    def names_region(self, text: str) -> bool:
        """Whether a text names a region (while looking for the region column; not reported)."""
        found = self.probe_cache.get(text)
        if found is None:
            if self.mapping is not None and text in self.mapping.regions:
                found = self.mapping.regions[text] is not None
            else:
                found = names_region(text, self.regions)
            self.probe_cache[text] = found
        return found

    def resolve_all(self, texts: list[str]) -> None:
        """Resolve a file's region cells together, so that the others settle a shared name."""
        fresh = [t for t in dict.fromkeys(texts) if t not in self.region_cache
                 and (self.mapping is None or t not in self.mapping.regions)]
        self.region_cache.update(resolve_regions(fresh, self.regions))

    def region(self, text: str) -> RegionMatch:
        found = self.region_cache.get(text)
        if found is None:
            if self.mapping is not None and text in self.mapping.regions:
                code = self.mapping.regions[text]
                level = resolve_region(code, self.regions).level if code else None
                found = RegionMatch(text, code, level)
            else:
                found = resolve_region(text, self.regions)
            self.region_cache[text] = found
        return found


def _value(run: _Run, value: RawValue, name: str, source_id: str,
           units: dict[str, str]) -> None:
    """One value cell -> an observation (a figure, or ``withheld``), or a kept-out issue."""
    cell = parse_cell(value.raw)
    header = run.header(value.header)
    region = run.region(value.region)
    issue = _issue(cell.disclosed and not cell.is_figure, header, region, value)
    if issue is not None:
        run.issues.append((name, value.address, value.region, value.year, value.header,
                           cell.text, issue if cell.disclosed else "not_disclosed"))
        return
    assert header.code is not None and region.code is not None and region.level is not None
    assert value.year is not None
    key = (region.code, value.year, header.code, _SCOPE_BY_LEVEL[region.level])
    amount = (None if cell.value is None
              else round(cell.value * header.multiplier, 10))
    written = cell.text if cell.text else "(blank)"
    row = {"region_code": key[0], "year": key[1], "indicator_code": key[2], "scope": key[3],
           "value": amount, "unit": units[header.code], "qualifier": cell.qualifier,
           "source_id": source_id, "quote": f"{name} {value.address}: {value.header} = "
           f"{written}", "disclosure": "reported" if cell.disclosed else "withheld"}
    old = run.rows.get(key)
    if old is not None and (old["value"], old["disclosure"]) != (row["value"],
                                                                row["disclosure"]):
        run.issues.append((name, value.address, value.region, value.year, value.header,
                           cell.text, f"conflict: {old['quote']}"))
        return
    run.rows.setdefault(key, row)


def _issue(not_a_figure: bool, header: HeaderMatch, region: RegionMatch,
           value: RawValue) -> str | None:
    """Why a cell cannot become an observation, or None.

    A not-disclosed cell (``—``, ``/``, ``未公开``, blank) under a mapped header, for a
    resolved region and year, becomes a ``withheld`` observation (value null, never zero).
    """
    if not_a_figure:
        return "not_a_figure"
    if header.code is None:
        return "unmapped_header"
    if region.code is None or region.level is None:
        return (f"unresolved_region: {region.problem or 'no region'} "
                f"(region cell {value.region_cell or value.address})")
    if value.year is None:
        return "no_year"
    return None


def _read_file(run: _Run, path: Path) -> tuple[dict[str, object], int]:
    grids = read_grids(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    source_id = f"tbl-{digest[:12]}"
    units = dict(run.catalog.indicators.select("code", "unit").iter_rows())
    values: list[RawValue] = []
    skipped: list[TableImportError] = []
    for grid in grids:
        if not grid.rows:
            continue
        try:
            values.extend(table_values(grid, names_region=run.names_region))
        except TableImportError as error:  # e.g. a 说明 sheet beside the data sheets
            skipped.append(error)
    if not values:
        if skipped:
            raise skipped[0]
        msg = f"{path}: no value cells in any sheet"
        raise TableImportError(msg, reason="empty",
                               path=str(path), hint="pass a table with figures")
    for skip in skipped:  # other sheets held data: these are listed, not fatal
        run.issues.append((path.name, skip.details.get("sheet") or "", None, None, None,
                           skip.message, f"sheet_skipped: {skip.details.get('reason')}"))
    run.resolve_all([v.region for v in values])
    if not any(run.region(v.region).code for v in values):
        first = values[0]
        msg = (f"{path}: no region in the table resolves to a known region; cell "
               f"{first.region_cell or first.address} {first.region!r}: "
               f"{run.region(first.region).problem}")
        raise TableImportError(msg,
                               reason="no_regions", path=str(path),
                               hint="use names from the regions table or a --mapping file")
    for value in values:
        _value(run, value, path.name, source_id, units)
    source: dict[str, object] = {
        "source_id": source_id, "title": path.name, "publisher": "", "published": None,
        "url": "", "kind": "statistics",
        "note": f"imported by fzcompare.ingest from {path.name}; sha256 {digest}"}
    return source, len(values)


@renamed_arguments(regions="regions_table")
def import_tables(
    paths: Sequence[str | os.PathLike[str]],
    *,
    into: str | os.PathLike[str] | None = None,
    mapping: str | os.PathLike[str] | None = None,
    catalog: Catalog | None = None,
    regions_table: pl.DataFrame | None = None,
) -> ImportResult:
    """Import indicator tables (XLSX, CSV, Parquet; long or wide) as observations.

    Every file is read first; a file that cannot be imported gets one error in
    ``errors`` and adds nothing, the others still go through; then everything is written in
    one ``fzcompare.store.write_observations`` call (when ``into`` is given).

    Args:
        paths: The table files.
        into: The dataset to add the observations to (replacing rows with the same key).
        mapping: An edited plan file (header -> code, region name -> code).
        catalog: The indicator catalog (default: the bundled one).
        regions_table: The regions table (default: the bundled one).

    Returns:
        The observations, the mapping, the cells kept out and the per-file errors.

    Examples:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "t.csv").write_text(
        ...     "地区,年份,行政复议申请(件),政务服务网办率(%)\\n武汉市,2023,1.76万,—\\n",
        ...     encoding="utf-8")
        >>> result = import_tables([folder / "t.csv"])
        >>> for row in result.observations.select("indicator_code", "value", "disclosure",
        ...                                       "quote").rows():
        ...     print(*row)
        gov_service_online_rate None withheld t.csv D2: 政务服务网办率(%) = —
        reconsideration_applications 17600.0 reported t.csv C2: 行政复议申请(件) = 1.76万
        >>> result.issues.height
        0
    """
    run = _Run(load_catalog() if catalog is None else catalog,
               load_regions() if regions_table is None else regions_table,
               read_mapping(mapping) if mapping is not None else None)
    sources: list[dict[str, object]] = []
    errors: list[TableImportError] = []
    for raw_path in paths:
        path = Path(raw_path)
        saved = (dict(run.rows), len(run.issues))
        try:
            source, _ = _read_file(run, path)
        except FzcompareError as error:
            run.rows, run.issues = saved[0], run.issues[: saved[1]]
            errors.append(error if isinstance(error, TableImportError) else TableImportError(
                error.message, reason=error.details.get("reason", "unreadable"),
                path=str(path), hint=error.hint))
            continue
        sources.append(source)
    observations = pl.DataFrame(list(run.rows.values()), schema=OBSERVATION_SCHEMA) \
        .sort("region_code", "year", "indicator_code", "scope")
    source_frame = pl.DataFrame(sources, schema=SOURCE_SCHEMA)
    issues = pl.DataFrame(run.issues, schema=ISSUE_SCHEMA, orient="row")
    written = None
    if into is not None and observations.height:
        written = write_observations(observations, into, sources=source_frame)
    return ImportResult(observations, source_frame, tuple(run.header_cache.values()),
                        tuple(run.region_cache.values()), issues, tuple(errors), written)
