"""``fzcompare dataset``: dataset housekeeping (summary, history, restore, convert, catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` command group to the app."""
    group = typer.Typer(help="Dataset housekeeping: inspect a dataset, its versions, convert "
                             "an old folder, list the catalog.", no_args_is_help=True)
    _register_versions(group)

    @group.command("info")
    def info(
        dataset: Annotated[Path, typer.Argument(help="Dataset folder.")] = Path("datasets/demo"),
        version: Annotated[int | None, typer.Option(
            "--version", min=0, help="Read this dataset version (default: the newest).")]
        = None,
    ) -> None:
        """Rows per year, indicators, regions and sources of a dataset (schema-checked)."""
        import polars as pl

        from fzcompare.store import load, load_sources

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

    @group.command("catalog")
    def catalog(
        domain: Annotated[int | None, typer.Option(help="Only this domain (1-8).")] = None,
    ) -> None:
        """List the indicator catalog as CSV."""
        import sys

        import polars as pl

        from fzcompare.catalog import load_catalog

        table = load_catalog().indicators.drop("synonyms", "full_statements")
        if domain is not None:
            table = table.filter(pl.col("domain") == domain)
        sys.stdout.write(table.write_csv())

    app.add_typer(group, name="dataset")


def _register_versions(group: typer.Typer) -> None:
    """``dataset history``, ``dataset restore`` and ``dataset convert``."""

    @group.command("history")
    def history(
        dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
    ) -> None:
        """List the dataset's versions, newest first: time (UTC), operation, rows added /
        replaced / quarantined / readmitted and the source ids written."""
        from fzcompare.store import history as dataset_history

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

    @group.command("restore")
    def restore(
        dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
        version: Annotated[int, typer.Option("--version", min=0,
                                             help="The version to make current again.")],
    ) -> None:
        """Make an earlier version current again, as a new version (nothing is lost)."""
        from fzcompare.store import restore as restore_version

        new = restore_version(dataset, version=version)
        typer.echo(f"{dataset}: version {version} restored as version {new}")

    @group.command("convert")
    def convert(
        source: Annotated[Path, typer.Argument(help="Plain hive-partitioned Parquet dataset "
                                                    "folder (the format before versions).")],
        destination: Annotated[Path | None, typer.Argument(
            help="New dataset folder (default: convert SOURCE in place).")] = None,
    ) -> None:
        """Turn a plain Parquet dataset into a transactional one, keeping every row."""
        from fzcompare.store import convert as convert_dataset

        report = convert_dataset(source, destination)
        typer.echo(f"{report.destination}: {report.observations} observations, "
                   f"{report.quarantine} quarantine records, {report.sources} sources, "
                   f"{report.regions} extra regions (counts checked); version "
                   f"{report.version}")
