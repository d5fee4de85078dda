"""The ``fzcompare`` command: thin Typer wiring over the library.

Each pipeline stage's command is a module-level function in ``cli/_<stage>.py``; they are all
registered here, in ``_register``, and follow one convention (``cli/_common.py``: formats,
outputs, notes on stderr, tables that fit the terminal). Commands parse arguments and call
the library; errors become exit codes in one place, ``exit_code_for``, by the table
``EXIT_CODES`` (documented in docs/cli.md and docs/scheduling.md).
"""

from __future__ import annotations

import sys
from typing import Annotated, Final

import typer

from fzcompare._version import __version__
from fzcompare.cli._benchmark import benchmark_command
from fzcompare.cli._coverage import coverage_command
from fzcompare.cli._dataset import (
    dataset_catalog,
    dataset_convert_command,
    dataset_history_command,
    dataset_info,
    dataset_regions,
    dataset_restore_command,
)
from fzcompare.cli._extract import extract_command
from fzcompare.cli._help import Command, Group
from fzcompare.cli._import import import_command
from fzcompare.cli._report import report_command, report_index_command
from fzcompare.cli._trends import trends_command
from fzcompare.cli._validate import validate_command
from fzcompare.errors import FzcompareError

__all__ = ["EXIT_CODES", "app", "exit_code_for", "main"]

EXIT_CODES: Final[tuple[tuple[int, str], ...]] = (
    (0, "success (a benchmark or trend ran, whatever its verdicts)"),
    (1, "a failing verdict or a data error: validation failed, a dataset or rubric file "
        "cannot be read, the filters are valid but match no rows, a write lost to a "
        "concurrent writer"),
    (2, "usage error: unknown option or bad value, no such dataset or file, unknown "
        "indicator, region, year, rubric id or domain (with suggestions), -o suffix "
        "contradicting -f, binary output to a terminal"),
    (3, "validation errors stopped a report (--allow-invalid writes it anyway)"),
)
"""The one exit-code table: the same condition gives the same code in every command."""

app = typer.Typer(
    name="fzcompare",
    help="Year-over-year comparative analytics of 法治政府建设 indicators.\n\n"
         "Exit codes: 0 success; 1 failing verdict or data error; 2 usage error; 3 "
         "validation errors stopped a report (see docs/cli.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=Group,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fzcompare {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _register(root: typer.Typer) -> None:
    """Every command of the app, in the order ``--help`` lists them."""
    root.command("extract", cls=Command)(extract_command)
    root.command("import", cls=Command)(import_command)
    root.command("validate", cls=Command)(validate_command)
    root.command("trends", cls=Command)(trends_command)
    root.command("benchmark", cls=Command)(benchmark_command)
    root.command("coverage", cls=Command)(coverage_command)
    root.command("report", cls=Command)(report_command)
    root.command("report-index", cls=Command)(report_index_command)
    dataset = typer.Typer(
        help="Dataset housekeeping: inspect a dataset, its versions, convert an old folder, "
             "list the catalog and the regions.",
        no_args_is_help=True, cls=Group)
    dataset.command("info", cls=Command)(dataset_info)
    dataset.command("history", cls=Command)(dataset_history_command)
    dataset.command("restore", cls=Command)(dataset_restore_command)
    dataset.command("convert", cls=Command)(dataset_convert_command)
    dataset.command("catalog", cls=Command)(dataset_catalog)
    dataset.command("regions", cls=Command)(dataset_regions)
    root.add_typer(dataset, name="dataset")


_register(app)


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error: the one mapping from errors to exit codes.

    ``FzcompareError`` subclasses carry theirs (``exit_code``: 1 data error or failing
    verdict, 2 argument error such as an unknown name, 3 validation stopped a report);
    ``typer.Exit`` and the usage errors of the click that Typer vendors (they have
    ``exit_code`` and ``show()``) carry one too; anything else is 1. Every code is one of
    ``EXIT_CODES``.

    Examples:
        >>> from fzcompare.errors import InvalidArgumentError, SchemaError
        >>> exit_code_for(SchemaError("bad")), exit_code_for(InvalidArgumentError("x", hint="y"))
        (1, 2)
        >>> exit_code_for(typer.BadParameter("no such option")), exit_code_for(typer.Exit(0))
        (2, 0)
        >>> exit_code_for(KeyError("surprise"))
        1
    """
    if isinstance(error, FzcompareError):
        return error.exit_code
    if isinstance(error, typer.Exit) or _is_usage_error(error):
        return int(getattr(error, "exit_code", 1))
    return 1


def _is_usage_error(error: BaseException) -> bool:
    return callable(getattr(error, "show", None)) and isinstance(
        getattr(error, "exit_code", None), int)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors go to stderr, no traceback).

    Examples:
        >>> main(["dataset", "info", "datasets/demo", "-f", "csv"])  # notes go to stderr
        year,source_kind,rows
        2019,synthetic,975
        ...
        0
        >>> main(["trends", "no/such/dataset"])  # no such dataset: a usage error
        2
        >>> main(["no-such-command"])  # a usage error
        2
    """
    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False)
    except Exception as error:  # every error ends as an exit code, mapped in one place
        _explain(error)
        return exit_code_for(error)
    return result if isinstance(result, int) else 0


def _explain(error: BaseException) -> None:
    """Tell the user what went wrong on stderr (re-raise with ``--debug``)."""
    if isinstance(error, typer.Exit):
        return
    if _is_usage_error(error):
        error.show()  # type: ignore[attr-defined]
    elif isinstance(error, typer.Abort):
        typer.echo("aborted", err=True)
    elif _state["debug"]:
        raise error
    elif isinstance(error, FzcompareError):
        typer.echo(f"error: {error}", err=True)
    else:
        typer.echo(f"error: {type(error).__name__}: {error} (run with --debug for the "
                   "traceback)", err=True)
