"""Renamed keyword arguments keep their old name working for a while, with a warning.

One decorator, ``renamed_arguments``: a call that uses an old keyword gets a
``DeprecationWarning`` naming the new one and runs as if the new keyword had been used. The
old names are listed on the function as ``__renamed_arguments__`` (old -> new), which
``tests/test_stable_api.py`` reads.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fzcompare.errors import ArgumentTypeError

__all__ = ["renamed_arguments"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def renamed_arguments(**renames: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Accept each old keyword (``old="new"``) with a ``DeprecationWarning``.

    Args:
        **renames: Old keyword name -> new keyword name.

    Returns:
        A decorator; the decorated function keeps its signature, name and docstring.

    Raises:
        ArgumentTypeError: (from the decorated function) when a call gives both the old and
            the new name of one argument.

    Examples:
        >>> import warnings
        >>> @renamed_arguments(obs="observations")
        ... def count(observations: list[int]) -> int:
        ...     return len(observations)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     count(obs=[1, 2])
        2
        >>> print(caught[0].message)
        count(): argument 'obs' is deprecated; use 'observations' instead
        >>> count.__renamed_arguments__
        {'obs': 'observations'}
    """

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        name = getattr(func, "__qualname__", repr(func))

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    msg = f"{name}() got both {old!r} and {new!r}"
                    raise ArgumentTypeError(msg, hint=f"pass only {new}= ({old}= is its old name)",
                                            argument=old)
                warnings.warn(f"{name}(): argument {old!r} is deprecated; use {new!r} instead",
                              DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__renamed_arguments__ = dict(renames)  # type: ignore[attr-defined]
        return wrapper

    return decorate
