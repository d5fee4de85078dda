"""``fzcompare dataset``: summary, history, restore, convert, catalog and regions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from fzcompare.catalog import REGION_LEVELS, load_catalog
from fzcompare.errors import CatalogError
from fzcompare.regions import region_table, resolve_region
from fzcompare.store import convert as convert_dataset
from fzcompare.store import dataset_regions as with_dataset
from fzcompare.store import history as dataset_history
from fzcompare.store import load, load_sources
from fzcompare.store import restore as restore_version


def dataset_info(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")]
    = None,
) -> None:
    """Rows per year, indicators, regions and sources of a dataset (schema-checked)."""
    observations = load(dataset, version=version)
    sources = load_sources(dataset)
    per_year = observations.group_by("year").len().sort("year")
    typer.echo(f"{dataset}: {observations.height} observations, "
               f"{observations['region_code'].n_unique()} regions, "
               f"{observations['indicator_code'].n_unique()} indicators, "
               f"{sources.height} sources")
    for year, rows in per_year.iter_rows():
        typer.echo(f"  {year}: {rows}")
    kinds = (observations.join(sources.select("source_id", "kind"), on="source_id",
                               how="left").group_by("kind").len().sort("kind"))
    for kind, rows in kinds.iter_rows():
        typer.echo(f"  source kind {kind}: {rows} rows")
    if kinds.filter(pl.col("kind") == "synthetic").height:
        typer.echo("  NOTE: this dataset holds synthetic (generated, not real) figures.")


def dataset_catalog(
    domain: Annotated[int | None, typer.Option(help="Only this domain (1-8).")] = None,
) -> None:
    """List the indicator catalog as CSV."""
    catalog = load_catalog()
    table = catalog.indicators if domain is None else catalog.in_domain(domain)
    sys.stdout.write(table.drop("synonyms", "full_statements").write_csv())


def dataset_regions(
    province: Annotated[str | None, typer.Option(
        help="Only this province (name such as 浙江省 or 浙江, or its code).")] = None,
    level: Annotated[str | None, typer.Option(
        help="Only this level: province, prefecture, county or township.")] = None,
    search: Annotated[str | None, typer.Option(
        help="Only regions whose name, alias or code contains TEXT.")] = None,
    dataset: Annotated[Path | None, typer.Option(
        help="Also list the dataset's own regions.csv (townships, streets).")] = None,
) -> None:
    """List the regions table as CSV (code, names, level, parent, province, type, source)."""
    table = region_table()
    if dataset is not None:
        own = with_dataset(dataset).filter(
            ~pl.col("region_code").is_in(table["region_code"].implode())
            & (pl.col("level") == "township"))
        table = pl.concat([table, own], how="diagonal_relaxed")
    if level is not None:
        if level not in REGION_LEVELS:
            msg = f"unknown level {level!r}"
            raise CatalogError(msg,
                               hint="levels: " + ", ".join(sorted(REGION_LEVELS)))
        table = table.filter(pl.col("level") == level)
    if province is not None:
        match = resolve_region(province)
        if match.level != "province":
            msg = f"{province!r} is {match.name} ({match.code}), not a province"
            raise CatalogError(msg,
                               hint="give a province, for example 浙江省 or 330000")
        table = table.filter((pl.col("province_code") == match.code)
                             | pl.col("parent_code").str.starts_with(match.code[:2]))
    if search:
        text = search.strip()
        table = table.filter(pl.col("name_zh").str.contains(text, literal=True)
                             | pl.col("aliases").fill_null("").str.contains(text, literal=True)
                             | pl.col("region_code").str.starts_with(text))
    if table.height == 0:
        msg = "no region matches these options"
        raise CatalogError(msg,
                           hint="try --search with a shorter part of the name")
    sys.stdout.write(table.write_csv())


def dataset_history_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
) -> None:
    """List the dataset's versions, newest first.

    Each with its time (UTC), operation, rows added / replaced / quarantined / readmitted
    and the source ids written.
    """
    table = dataset_history(dataset)
    typer.echo("version  time (UTC)           operation        added replaced "
               "quarantined readmitted  sources")
    for row in table.iter_rows(named=True):
        counts = [("" if row[k] is None else str(row[k])) for k in
                  ("added", "replaced", "quarantined", "readmitted")]
        moment = row["time"].strftime("%Y-%m-%d %H:%M:%S") if row["time"] else ""
        typer.echo(f"{row['version']:>7}  {moment:<19}  {row['operation'] or '':<15} "
                   f"{counts[0]:>6} {counts[1]:>8} {counts[2]:>11} {counts[3]:>10}  "
                   f"{row['sources'] or ''}")


def dataset_restore_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
    version: Annotated[int, typer.Option("--version", min=0,
                                         help="The version to make current again.")],
) -> None:
    """Make an earlier version current again, as a new version (nothing is lost)."""
    new = restore_version(dataset, version=version)
    typer.echo(f"{dataset}: version {version} restored as version {new}")


def dataset_convert_command(
    source: Annotated[Path, typer.Argument(help="Plain hive-partitioned Parquet dataset "
                                                "folder (the format before versions).")],
    destination: Annotated[Path | None, typer.Argument(
        help="New dataset folder (default: convert SOURCE in place).")] = None,
) -> None:
    """Turn a plain Parquet dataset into a transactional one, keeping every row."""
    report = convert_dataset(source, destination)
    typer.echo(f"{report.destination}: {report.observations} observations, "
               f"{report.quarantine} quarantine records, {report.sources} sources, "
               f"{report.regions} extra regions (counts checked); version "
               f"{report.version}")
