"""The ``fzcompare`` command: thin Typer wiring over the library.

Each pipeline stage's command is a module-level function in ``cli/_<stage>.py``; they are all
registered here, in ``_register``. Commands parse arguments and call the library; errors
become exit codes in one place, ``exit_code_for``: 0 success, 1 failing verdict or data
error, 2 usage error, 3 validation errors stopped a report.
"""

from __future__ import annotations

import sys
from typing import Annotated

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
from fzcompare.cli._import import import_command
from fzcompare.cli._report import report_command, report_index_command
from fzcompare.cli._trends import trends_command
from fzcompare.cli._validate import validate_command
from fzcompare.errors import FzcompareError

__all__ = ["app", "exit_code_for", "main"]

app = typer.Typer(
    name="fzcompare",
    help="Year-over-year comparative analytics of 法治政府建设 indicators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    root.command("extract")(extract_command)
    root.command("import")(import_command)
    root.command("validate")(validate_command)
    root.command("trends")(trends_command)
    root.command("benchmark")(benchmark_command)
    root.command("coverage")(coverage_command)
    root.command("report")(report_command)
    root.command("report-index")(report_index_command)
    dataset = typer.Typer(
        help="Dataset housekeeping: inspect a dataset, its versions, convert an old folder, "
             "list the catalog and the regions.",
        no_args_is_help=True)
    dataset.command("info")(dataset_info)
    dataset.command("history")(dataset_history_command)
    dataset.command("restore")(dataset_restore_command)
    dataset.command("convert")(dataset_convert_command)
    dataset.command("catalog")(dataset_catalog)
    dataset.command("regions")(dataset_regions)
    root.add_typer(dataset, name="dataset")


_register(app)


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error: the one mapping from errors to exit codes.

    ``FzcompareError`` subclasses carry theirs (``exit_code``: 1 data error or failing
    verdict, 2 argument error, 3 validation stopped a report); ``typer.Exit`` and the usage
    errors of the click that Typer vendors (they have ``exit_code`` and ``show()``) carry one
    too; anything else is 1.

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
        >>> main(["dataset", "info", "datasets/demo"])
        datasets/demo: ... observations, 25 regions, 40 indicators, 151 sources
        ...
          NOTE: this dataset holds synthetic (generated, not real) figures.
        0
        >>> main(["trends", "no/such/dataset"])  # the message goes to stderr
        1
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
