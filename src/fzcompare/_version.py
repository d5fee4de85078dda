"""The installed version of fzcompare, read from the package metadata.

Modules that need the version import it from here, never from the package root (which
imports every stage).

Examples:
    >>> from fzcompare._version import __version__
    >>> __version__.count(".") >= 1
    True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__: str = version("fzcompare")
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"
