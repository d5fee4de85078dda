"""``fzcompare report``: the scheduled, deterministic benchmark report."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from fzcompare.cli._common import DatasetArg, check_names, check_version, note, region_codes
from fzcompare.criteria import load_criteria
from fzcompare.report import FORMATS, build_report, write_report, write_report_index
from fzcompare.store import current_version, dataset_regions, load, load_sources
from fzcompare.trends import load_targets
from fzcompare.validate import validate as run_validation


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        msg = f"{value!r} is not a date; write YYYY-MM-DD"
        raise typer.BadParameter(msg) from None


def _files(value: str) -> str:
    wanted = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        msg = (f"unknown file kind {', '.join(unknown) or '(none)'}; choose from "
               f"{', '.join(sorted(FORMATS))}")
        raise typer.BadParameter(msg)
    return value


def _out_dir(out_dir: Path | None, alias: Path | None) -> Path:
    if out_dir is not None and alias is not None and out_dir != alias:
        msg = f"-d {out_dir} and --out {alias} name two folders; give -d/--out-dir once"
        raise typer.BadParameter(msg, param_hint="--out-dir")
    chosen = out_dir or alias
    if chosen is None:
        msg = "the report needs a folder: -d/--out-dir DIR"
        raise typer.BadParameter(msg, param_hint="--out-dir")
    return chosen


def _progress_bar() -> tuple[Progress | None, Callable[[str], None] | None]:
    """A spinner on a terminal's stderr (None in cron mail and CI logs)."""
    if not sys.stderr.isatty():
        return None, None
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                   console=Console(stderr=True), transient=True)
    bar.start()
    task = bar.add_task("report")

    def progress(message: str) -> None:
        bar.update(task, description=message)

    return bar, progress


def _log(message: str) -> None:
    note(f"fzcompare report: {message}")


def report_command(
    dataset: DatasetArg,
    criteria: Annotated[str, typer.Option(
        "--criteria", "-c", help="Rubric file (.yaml) or bundled rubric id.")
    ] = "hubei-demo-2024",
    out_dir: Annotated[Path | None, typer.Option(
        "--out-dir", "-d", help="The folder the report is written to (required).")] = None,
    out_alias: Annotated[Path | None, typer.Option(
        "--out", "-o", hidden=True, help="Old spelling of -d/--out-dir.")] = None,
    year: Annotated[int | None, typer.Option(
        "--year", help="Reporting year (default: the year with the most regions ranked on "
                       "evidence).")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", "-r", help="Give this region (code or name) a profile section "
                               "(repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date printed in the report, YYYY-MM-DD (default: today); the same "
                        "inputs and date give byte-identical files.")] = None,
    files: Annotated[str, typer.Option(
        "--files", help="Comma-separated files to write: html, md, json, csv, parquet.")
    ] = "html,md,json,csv",
    files_alias: Annotated[str | None, typer.Option(
        "--format", hidden=True, help="Old spelling of --files.")] = None,
    allow_invalid: Annotated[bool, typer.Option(
        "--allow-invalid", help="Write the report even when validation finds errors "
        "(clearly marked).")] = False,
    validate: Annotated[bool, typer.Option(
        "--validate/--no-validate", help="Validate the dataset first.")] = True,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Draw charts.")]
    = True,
    min_evidence: Annotated[float | None, typer.Option(
        "--min-evidence", min=0.0, max=1.0,
        help="Rank a region only when its disclosed figures carry this share of the "
             "points (default: the rubric's, else 0.5).")] = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=0, help="Read this dataset version (default: the newest).")
    ] = None,
    robustness: Annotated[int, typer.Option(
        "--robustness", min=0, help="Monte Carlo draws: each rank's 90 % interval and each "
        "rank change's p_rank_improved in the ranking, and the 'How sure is this?' section "
        "(tied groups, bands, rubric audit); 0 leaves them out.")] = 500,
    targets: Annotated[Path | None, typer.Option(
        "--targets", exists=True, dir_okay=False, help="YAML or CSV of targets "
        "(indicator_code, value, year, ...) for the progress table of the Small numbers "
        "section (without it the report says none were declared).")] = None,
) -> None:
    """Score a dataset against a rubric and write index.html, summary.json and tables.

    Exit code 3 when validation errors stop the report (--allow-invalid writes it anyway,
    marked).
    """
    folder = _out_dir(out_dir, out_alias)
    wanted = [f.strip() for f in _files(files_alias or files).split(",") if f.strip()]
    as_of_date = _as_of(as_of) or dt.date.today()
    rubric = load_criteria(criteria)
    declared = load_targets(targets) if targets is not None else None
    check_version(dataset, version)
    read_version = version if version is not None else current_version(dataset)
    observations = load(dataset, version=read_version)
    sources = load_sources(dataset, version=read_version)
    regions = dataset_regions(dataset)
    focus = region_codes(region)
    check_names(observations, regions=focus, regions_table=regions)
    _log(f"{observations.height} observations from {dataset}; rubric {rubric.id} "
         f"v{rubric.version}")
    validation = None
    if validate:
        validation = run_validation(observations, sources=sources, regions_table=regions)
        _log(f"validation: {validation.verdict}")
    bar, progress = _progress_bar()
    try:
        built = build_report(observations, rubric, sources=sources, regions_table=regions,
                             as_of=as_of_date, year=year, focus_regions=focus,
                             validation=validation, allow_invalid=allow_invalid,
                             dataset_label=str(dataset), charts=charts, progress=progress,
                             min_evidence=min_evidence, robustness=robustness,
                             targets=declared)
    finally:
        if bar is not None:
            bar.stop()
    written = write_report(built, folder, formats=wanted, dataset_version=read_version)
    _log(f"wrote {len(written)} files to {folder} ({built!r})")


def _folder_exists(path: Path) -> Path:
    if not path.is_dir():
        msg = f"no such folder: {path}"
        raise typer.BadParameter(msg)
    return path


def report_index_command(
    out_dir: Annotated[Path, typer.Argument(
        help="Folder whose sub-folders hold reports.", callback=_folder_exists,
        show_default=False)],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date printed on the page, YYYY-MM-DD (default: today).")] = None,
) -> None:
    """Write DIR/index.html linking every report in DIR's sub-folders (by summary.json)."""
    path = write_report_index(out_dir, as_of=_as_of(as_of) or dt.date.today())
    note(f"fzcompare report-index: wrote {path}")
