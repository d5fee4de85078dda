"""``fzcompare dataset``: dataset housekeeping (summary, catalog listing)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from fzcompare.catalog import load_catalog
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
    catalog = load_catalog()
    table = catalog.indicators if domain is None else catalog.in_domain(domain)
    sys.stdout.write(table.drop("synonyms", "full_statements").write_csv())
