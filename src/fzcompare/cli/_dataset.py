"""``fzcompare dataset``: dataset housekeeping (summary, catalog listing)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from fzcompare.catalog import REGION_LEVELS, load_catalog
from fzcompare.errors import CatalogError
from fzcompare.regions import region_table, resolve_region
from fzcompare.store import dataset_regions as with_dataset
from fzcompare.store import load, load_sources


def dataset_info(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
) -> None:
    """Rows per year, indicators, regions and sources of a dataset (schema-checked)."""
    observations = load(dataset)
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
    table = load_catalog().indicators.drop("synonyms", "full_statements")
    if domain is not None:
        table = table.filter(pl.col("domain") == domain)
    sys.stdout.write(table.write_csv())


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
            raise CatalogError(f"unknown level {level!r}",
                               hint="levels: " + ", ".join(sorted(REGION_LEVELS)))
        table = table.filter(pl.col("level") == level)
    if province is not None:
        match = resolve_region(province)
        if match.level != "province":
            raise CatalogError(f"{province!r} is {match.name} ({match.code}), not a province",
                               hint="give a province, for example 浙江省 or 330000")
        table = table.filter((pl.col("province_code") == match.code)
                             | pl.col("parent_code").str.starts_with(match.code[:2]))
    if search:
        text = search.strip()
        table = table.filter(pl.col("name_zh").str.contains(text, literal=True)
                             | pl.col("aliases").fill_null("").str.contains(text, literal=True)
                             | pl.col("region_code").str.starts_with(text))
    if table.height == 0:
        raise CatalogError("no region matches these options",
                           hint="try --search with a shorter part of the name")
    sys.stdout.write(table.write_csv())
