"""The ``fzcompare`` command: thin Typer wiring over the library.

Each pipeline stage's command lives in ``cli/_<stage>.py`` and registers itself on the app;
commands parse arguments, call the library and map errors to exit codes:
0 success, 1 failure or failing verdict, 2 usage error, 3 validation errors stopped a report.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Final

import typer

from fzcompare import __version__

__all__ = ["app", "main"]

_STAGES: Final[tuple[str, ...]] = (
    "extract", "validate", "trends", "benchmark", "report", "dataset", "import",
)

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


def _placeholder(stage: str) -> None:
    @app.command(name=stage, help=f"The {stage} stage (not available in this build).")
    def _missing() -> None:
        typer.echo(f"fzcompare {stage}: this stage is not available in this build yet.",
                   err=True)
        raise typer.Exit(2)


for _stage in _STAGES:
    try:
        _module = importlib.import_module(f"fzcompare.cli._{_stage}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"fzcompare.cli._{_stage}":
            raise
        _placeholder(_stage)
    else:
        _module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors go to stderr, no traceback).

    Examples:
        >>> main(["dataset", "info", "datasets/demo"])
        datasets/demo: ... observations, 25 regions, 40 indicators, 1 sources
        ...
          NOTE: this dataset holds synthetic (generated, not real) figures.
        0
        >>> main(["trends", "no/such/dataset"])  # the message goes to stderr
        1
        >>> main(["no-such-command"])  # a usage error
        2
    """
    from fzcompare.errors import FzcompareError

    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False)
    except FzcompareError as error:
        if _state["debug"]:
            raise
        typer.echo(f"error: {error}", err=True)
        return error.exit_code
    except typer.Exit as stop:
        return int(stop.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as error:
        # Typer vendors click; its exceptions carry exit_code (2 for usage errors) and show().
        show = getattr(error, "show", None)
        if callable(show) and hasattr(error, "exit_code"):
            show()
            return int(error.exit_code)
        if _state["debug"]:
            raise
        typer.echo(f"error: {type(error).__name__}: {error} (run with --debug for the "
                   "traceback)", err=True)
        return 1
    return result if isinstance(result, int) else 0
