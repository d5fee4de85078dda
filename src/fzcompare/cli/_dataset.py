"""``fzcompare dataset``: summary, history, restore, convert, catalog and regions.

The listing commands (info, history, catalog, regions) write a table by the one convention
of ``fzcompare.cli._common``: ``-f`` and ``-o``, a table on a terminal, CSV when piped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from fzcompare._names import check_known
from fzcompare.catalog import REGION_LEVELS, load_catalog
from fzcompare.cli._common import (
    DatasetArg,
    Format,
    FormatOption,
    OutputOption,
    check_version,
    choose_sink,
    emit,
    empty_result,
    encode,
    note,
    synthetic_note,
)
from fzcompare.errors import CatalogError
from fzcompare.regions import region_table, resolve_region
from fzcompare.store import convert as convert_dataset
from fzcompare.store import dataset_regions as with_dataset
from fzcompare.store import history as dataset_history
from fzcompare.store import load, load_sources
from fzcompare.store import restore as restore_version


def _write(frame: pl.DataFrame, output_format: Format | None, output: Path | None, *,
           title: str, shown: tuple[str, ...] | None = None) -> None:
    sink = choose_sink(output_format, output)
    table = frame
    if sink.format is Format.table and shown:
        table = frame.select([c for c in shown if c in frame.columns])
    emit(encode(table, sink, title=title), sink, what=f"{frame.height} rows")


def dataset_info(
    dataset: DatasetArg,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")]
    = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Rows per year and source kind of a dataset (schema-checked), with its totals."""
    sink = choose_sink(output_format, output)
    check_version(dataset, version)
    observations = load(dataset, version=version)
    sources = load_sources(dataset, version=version)
    counts = (observations.join(sources.select("source_id", "kind"), on="source_id",
                                how="left")
              .group_by("year", pl.col("kind").alias("source_kind")).len("rows")
              .sort("year", "source_kind"))
    note(f"{dataset}: {observations.height} observations, "
         f"{observations['region_code'].n_unique()} regions, "
         f"{observations['indicator_code'].n_unique()} indicators, "
         f"{sources.height} sources")
    for line in synthetic_note(observations, sources):
        note(line)
    emit(encode(counts, sink, title=f"{dataset}: rows per year and source kind"), sink,
         what=f"{counts.height} rows")


_CATALOG_SHOWN = ("code", "unit", "name_zh", "domain", "kind", "direction", "name_en")


def dataset_catalog(
    domain: Annotated[str | None, typer.Option(
        "--domain", help="Only this domain: its number (1-8) or its name.")] = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """List the indicator catalog."""
    catalog = load_catalog()
    table = catalog.indicators if domain is None else catalog.in_domain(
        int(domain) if domain.isdigit() else domain)
    _write(table.drop("synonyms", "full_statements"), output_format, output,
           title="fzcompare indicator catalog", shown=_CATALOG_SHOWN)


def _regions_of(province: str | None, level: str | None, search: str | None,
                dataset: Path | None) -> pl.DataFrame:
    """The regions table narrowed by the options (names checked, with suggestions)."""
    table = region_table()
    if dataset is not None:
        own = with_dataset(dataset).filter(
            ~pl.col("region_code").is_in(table["region_code"].implode())
            & (pl.col("level") == "township"))
        table = pl.concat([table, own], how="diagonal_relaxed")
    if level is not None:
        check_known("level", [level], REGION_LEVELS,
                    hint="levels: " + ", ".join(sorted(REGION_LEVELS)),
                    hint_source="fzcompare.catalog.REGION_LEVELS")
        table = table.filter(pl.col("level") == level)
    if province is not None:
        match = resolve_region(province)
        if match.level != "province":
            msg = f"{province!r} is {match.name} ({match.code}), not a province"
            raise CatalogError(msg, hint="give a province, for example 浙江省 or 330000")
        table = table.filter((pl.col("province_code") == match.code)
                             | pl.col("parent_code").str.starts_with(match.code[:2]))
    if search:
        text = search.strip()
        table = table.filter(pl.col("name_zh").str.contains(text, literal=True)
                             | pl.col("aliases").fill_null("").str.contains(text, literal=True)
                             | pl.col("region_code").str.starts_with(text))
    return table


def _existing(path: Path | None) -> Path | None:
    if path is not None and not path.exists():
        msg = f"no such dataset folder: {path}"
        raise typer.BadParameter(msg)
    return path


def dataset_regions(
    province: Annotated[str | None, typer.Option(
        "--province", help="Only this province (name such as 浙江省 or 浙江, or its code).")
    ] = None,
    level: Annotated[str | None, typer.Option(
        "--level", help="Only this level: province, prefecture, county or township.")
    ] = None,
    search: Annotated[str | None, typer.Option(
        "--search", help="Only regions whose name, alias or code contains TEXT.")] = None,
    dataset: Annotated[Path | None, typer.Option(
        "--dataset", callback=_existing,
        help="Also list this dataset's own regions (townships, streets).")] = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """List the regions table (code, names, level, parent, province, type, source)."""
    table = _regions_of(province, level, search, dataset)
    if table.height == 0:
        msg = "no region matches these options"
        raise empty_result(msg)
    _write(table, output_format, output, title="fzcompare regions",
           shown=("region_code", "name_zh", "level", "parent_code", "name_en"))


def dataset_history_command(
    dataset: DatasetArg,
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """List the dataset's versions, newest first.

    Each with its time (UTC), operation, rows added / replaced / quarantined / readmitted
    and the source ids written.
    """
    _write(dataset_history(dataset), output_format, output,
           title=f"{dataset}: versions, newest first")


def dataset_restore_command(
    dataset: DatasetArg,
    version: Annotated[int, typer.Option("--version", min=0,
                                         help="The version to make current again.")],
) -> None:
    """Make an earlier version current again, as a new version (nothing is lost)."""
    check_version(dataset, version)
    new = restore_version(dataset, version=version)
    note(f"{dataset}: version {version} restored as version {new}")


def _source_exists(path: Path) -> Path:
    if not path.exists():
        msg = f"no such dataset folder: {path}"
        raise typer.BadParameter(msg)
    return path


def dataset_convert_command(
    source: Annotated[Path, typer.Argument(
        help="Plain hive-partitioned Parquet dataset folder (the format before versions).",
        callback=_source_exists, show_default=False)],
    destination: Annotated[Path | None, typer.Argument(
        help="New dataset folder (default: convert SOURCE in place).",
        show_default=False)] = None,
) -> None:
    """Turn a plain Parquet dataset into a transactional one, keeping every row."""
    report = convert_dataset(source, destination)
    note(f"{report.destination}: {report.observations} observations, "
         f"{report.quarantine} quarantine records, {report.sources} sources, "
         f"{report.regions} extra regions (counts checked); version {report.version}")
