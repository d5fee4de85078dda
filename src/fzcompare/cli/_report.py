"""``fzcompare report``: the scheduled, deterministic benchmark report."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from fzcompare.criteria import load_criteria
from fzcompare.report import build_report, write_report, write_report_index
from fzcompare.store import current_version, dataset_regions, load, load_sources
from fzcompare.validate import validate as run_validation


def report_command(
    dataset: Annotated[Path, typer.Argument(help="Dataset folder.")],
    criteria: Annotated[str, typer.Option(
        "--criteria", "-c", help="Rubric file or bundled id.")] = "hubei-demo-2024",
    year: Annotated[int | None, typer.Option(
        help="Reporting year (default: the year with the most regions ranked on "
             "evidence).")]
    = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="Only these regions get a profile section (repeatable).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
    = Path("reports/latest"),
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date printed in the report, YYYY-MM-DD (default: today). The "
        "same inputs and --as-of give byte-identical files.")] = None,
    formats: Annotated[str, typer.Option(
        "--format", help="Comma-separated: html, md, json, csv, parquet.")]
    = "html,md,json,csv",
    allow_invalid: Annotated[bool, typer.Option(
        "--allow-invalid", help="Write the report even when validation finds errors "
        "(clearly marked).")] = False,
    validate: Annotated[bool, typer.Option(
        "--validate/--no-validate", help="Validate the dataset first.")] = True,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Draw charts.")]
    = True,
    min_evidence: Annotated[float | None, typer.Option(
        "--min-evidence", min=0.0, max=1.0,
        help="Rank a region only when its disclosed figures carry at least this share "
             "of the points (default: the rubric's min_evidence, 0.5 unless set).")]
    = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (see `fzcompare dataset "
                                 "history`); default: the newest.")] = None,
    robustness: Annotated[int, typer.Option(
        "--robustness", min=0, help="Monte Carlo draws: each rank's 90 % interval and each "
        "rank change's p_rank_improved in the ranking, and the 'How sure is this?' section "
        "(tied groups, bands, rubric audit); 0 leaves them out.")] = 500,
) -> None:
    """Score a dataset against a rubric and write index.html, summary.json and tables."""
    try:
        as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        typer.echo(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    wanted = [f.strip() for f in formats.split(",") if f.strip()]

    def log(message: str) -> None:
        typer.echo(f"fzcompare report: {message}", err=True)

    rubric = load_criteria(criteria)
    read_version = version if version is not None else current_version(dataset)
    observations = load(dataset, version=read_version)
    sources = load_sources(dataset)
    regions = dataset_regions(dataset)
    log(f"{observations.height} observations from {dataset}; rubric {rubric.id} "
        f"v{rubric.version}")
    validation = None
    if validate:
        validation = run_validation(observations, sources=sources, regions=regions)
        log(f"validation: {validation.verdict}")

    progress = None
    if sys.stderr.isatty():
        bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                       console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("report")

        def progress(message: str) -> None:
            bar.update(task, description=message)
    try:
        built = build_report(observations, rubric, sources=sources, regions=regions,
                             as_of=as_of_date, year=year, focus_regions=region,
                             validation=validation, allow_invalid=allow_invalid,
                             dataset_label=str(dataset), charts=charts, progress=progress,
                             min_evidence=min_evidence, robustness=robustness)
    finally:
        if progress is not None:
            bar.stop()
    written = write_report(built, out, formats=wanted, dataset_version=read_version)
    log(f"wrote {len(written)} files to {out} ({built!r})")


def report_index_command(
    out: Annotated[Path, typer.Argument(help="Folder whose sub-folders hold reports.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date printed on the page, YYYY-MM-DD (default: today).")] = None,
) -> None:
    """Write OUT/index.html linking every report in OUT's sub-folders (by summary.json)."""
    try:
        as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        typer.echo(f"error: --as-of {as_of!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None
    path = write_report_index(out, as_of=as_of_date)
    typer.echo(f"fzcompare report-index: wrote {path}", err=True)
