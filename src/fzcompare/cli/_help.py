"""Help that reads cleanly: conventional metavars on every parameter of every command.

Typer's own help shows Python types (``<bool>``, ``<list[str]>``) and ``{name}`` in usage
lines. Commands and groups are built with :class:`Command` and :class:`Group`, which give
each parameter without an explicit metavar a conventional one: ``DATASET``, ``PATH...``,
``FILE``, ``YEAR``, ``N``, ``[csv|json]``; flags get none.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    from typer._click.core import Context, Parameter

__all__ = ["Command", "Group", "metavar_for"]

_BY_NAME: Final[dict[str, str]] = {
    "dataset": "DATASET", "source": "SOURCE", "destination": "DEST", "paths": "PATH...",
    "output": "FILE", "into": "DATASET", "out_dir": "DIR", "out_alias": "DIR", "docs": "DIR",
    "year": "YEAR", "years": "SPAN", "year_from": "YEAR", "year_to": "YEAR",
    "version": "N", "limit": "N", "robustness": "N", "seed": "N", "max_rows": "N",
    "criteria": "RUBRIC", "region": "REGION", "province": "PROVINCE", "indicator": "CODE",
    "min_evidence": "SHARE", "as_of": "DATE", "domain": "DOMAIN", "level": "LEVEL",
    "search": "TEXT", "confidence": "LEVEL", "tolerance_abs": "NUMBER",
    "tolerance_rel": "SHARE", "files": "LIST", "files_alias": "LIST",
    # Choices listed in the option's help: a short metavar leaves room for it at 80 columns.
    "output_format": "FORMAT", "view": "VIEW"}
_BY_TYPE: Final[dict[str, str]] = {"integer": "N", "float": "NUMBER", "path": "PATH",
                                   "text": "TEXT", "bool": ""}


def metavar_for(param: TyperOption | TyperArgument) -> str:
    """The conventional metavar of one parameter ("" for a flag).

    Examples:
        >>> import typer
        >>> from fzcompare.cli import app
        >>> trends = typer.main.get_command(app).commands["trends"]
        >>> {p.name: metavar_for(p) for p in trends.params if p.name in ("dataset", "limit")}
        {'dataset': 'DATASET', 'limit': 'N'}
    """
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    name = param.name or ""
    if name in _BY_NAME:
        return _BY_NAME[name]
    described = param.type_descriptor
    if described.is_choice and described.choices:
        return "[" + "|".join(str(c) for c in described.choices) + "]"
    annotation = getattr(described.annotation, "__name__", "text").lower()
    guess = _BY_TYPE.get({"str": "text", "int": "integer"}.get(annotation, annotation), "TEXT")
    return guess + ("..." if param.nargs != 1 and isinstance(param, TyperArgument) else "")


class _Argument(TyperArgument):
    """An argument whose help row shows its metavar only (no Python type beside it)."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None


def _tidy(params: Sequence[object]) -> None:
    for param in params:
        if isinstance(param, TyperOption | TyperArgument) and param.metavar is None:
            param.metavar = metavar_for(param)
        if type(param) is TyperArgument:
            param.__class__ = _Argument


def _reflow(text: str | None) -> str | None:
    """Docstring paragraphs as one line each (the terminal wraps them), blank lines kept."""
    if text is None:
        return None
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))


def _usage(params: Sequence[object]) -> list[str]:
    """The usage line's arguments: ``DATASET``, ``PATH...``, ``[DEST]`` (no braces)."""
    pieces = []
    for param in params:
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "ARG").upper()
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    """A command whose parameters carry conventional metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self.params)
        self.help = _reflow(self.help)

    def get_params(self, ctx: Context) -> list[Parameter]:
        """The parameters, the help option included, each with its metavar."""
        params = super().get_params(ctx)
        _tidy(params)
        return params

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """``[OPTIONS]`` and the arguments by their metavars."""
        return [*([self.options_metavar] if self.options_metavar else []),
                *_usage(self.get_params(ctx))]


class Group(TyperGroup):
    """A command group whose own options carry conventional metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self.params)
        self.help = _reflow(self.help)

    def get_params(self, ctx: Context) -> list[Parameter]:
        """The parameters, the help option included, each with its metavar."""
        params = super().get_params(ctx)
        _tidy(params)
        return params
