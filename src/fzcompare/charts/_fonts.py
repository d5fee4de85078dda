"""Finding and registering the CJK font the charts draw with.

The font is resolved and registered with matplotlib's font manager on the first chart
call, never at import. Resolution order:

1. ``FZCOMPARE_CHART_FONT`` set to a font file path (``path`` or ``path#face_index``);
2. unless that variable is ``bundled``: a system font that is Noto Sans CJK SC (or
   one of its equivalents, see ``SYSTEM_FAMILIES``) and covers a probe of common hanzi;
3. the OFL-licensed ``NotoSansCJK-Regular.ttc`` of the ``noto-cjk-sans-otc`` package,
   face ``Noto Sans CJK SC`` (face index 2 of the collection).

The chosen face is registered under its own alias family name (``ALIAS_PREFIX`` plus a
number), so a chart always uses exactly that file and face even when other fonts with the
same family name are installed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from fzcompare.errors import FzcompareError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["ALIAS_PREFIX", "FONT_ENV", "SYSTEM_FAMILIES", "ChartFont", "chart_font",
           "uncovered_characters"]

FONT_ENV: Final[str] = "FZCOMPARE_CHART_FONT"
"""Environment variable: ``auto`` (default), ``bundled`` or a font file path."""

ALIAS_PREFIX: Final[str] = "fzcompare CJK"

SYSTEM_FAMILIES: Final[tuple[str, ...]] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
)
"""System families accepted in place of the bundled font, best first."""

BUNDLED_FAMILY: Final[str] = "Noto Sans CJK SC"

_PROBE: Final[str] = "十堰市法治政府建设年度报告行政复议纠错率郧西县湖北省"

FontSource = Literal["env", "system", "bundled"]


@dataclass(frozen=True)
class ChartFont:
    """The font face the charts use.

    Attributes:
        family: The alias family name registered with matplotlib (put it in ``font.family``).
        name: The face's own family name, e.g. ``Noto Sans CJK SC``.
        path: The font file.
        face_index: The face inside a collection (``.ttc``); 0 for single-face files.
        source: ``env`` (from ``FZCOMPARE_CHART_FONT``), ``system`` or ``bundled``.

    Examples:
        >>> from pathlib import Path
        >>> font = chart_font()
        >>> font.source in ("env", "system", "bundled"), Path(font.path).is_file()
        (True, True)
        >>> font.families == [font.family]
        True
    """

    family: str
    name: str
    path: str
    face_index: int
    source: FontSource

    @property
    def families(self) -> list[str]:
        """The ``font.family`` list: the CJK face alone.

        No fallback font on purpose: with a fallback list matplotlib 3.11 stops warning
        about glyphs that no font has, and that warning is what the tests turn into errors.
        """
        return [self.family]


_lock = threading.Lock()
_aliases: dict[tuple[str, int], str] = {}
_registered_in: dict[tuple[str, int], int] = {}
_resolved: dict[tuple[str, int, int], tuple[str, int, str, FontSource]] = {}


def bundled_font_path() -> Path:
    """The collection file of the ``noto-cjk-sans-otc`` package.

    Raises:
        FzcompareError: If the package is not installed.
    """
    try:
        import noto_cjk_sans_otc  # heavy: locates the bundled 20 MB font only when asked
    except ImportError as exc:
        msg = "the CJK chart font package noto-cjk-sans-otc is not installed"
        raise FzcompareError(
            msg,
            hint="pip install noto-cjk-sans-otc (or set FZCOMPARE_CHART_FONT to a font file)",
        ) from exc
    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def _face_index_by_name(path: str, family: str) -> tuple[int, str]:
    from matplotlib import ft2font  # heavy: matplotlib loads on the first chart, not on import

    first = ft2font.FT2Font(path)
    faces = [(0, first.family_name)]
    for index in range(1, first.num_faces):
        faces.append((index, ft2font.FT2Font(path, face_index=index).family_name))
    for index, name in faces:
        if name == family:
            return index, name
    return faces[0]


def _covers(path: str, face_index: int, text: str) -> bool:
    from matplotlib import ft2font  # heavy: matplotlib loads on the first chart, not on import

    try:
        font = ft2font.FT2Font(path, face_index=face_index)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


def _system_font() -> tuple[str, int, str] | None:
    from matplotlib import font_manager  # heavy: matplotlib loads on the first chart, not on import

    bundled = ""
    with contextlib.suppress(FzcompareError):
        bundled = os.path.realpath(bundled_font_path())
    entries = [e for e in font_manager.fontManager.ttflist
               if e.name in SYSTEM_FAMILIES and e.style == "normal"
               and e.weight in (400, "normal", "regular")
               and os.path.realpath(e.fname) != bundled]
    entries.sort(key=lambda e: (SYSTEM_FAMILIES.index(e.name), e.fname, e.index))
    for entry in entries:
        if _covers(entry.fname, entry.index, _PROBE):
            return entry.fname, entry.index, entry.name
    return None


def _resolve() -> tuple[str, int, str, FontSource]:
    setting = os.environ.get(FONT_ENV, "auto").strip()
    if setting not in ("", "auto", "bundled"):
        raw_path, _, raw_index = setting.partition("#")
        if not Path(raw_path).is_file():
            msg = f"{FONT_ENV}={setting!r}: no such font file"
            raise FzcompareError(msg,
                                 hint="use auto, bundled or the path of a .ttf/.otf/.ttc file")
        from matplotlib import ft2font  # heavy: matplotlib loads on the first chart, not on import

        index = int(raw_index) if raw_index.isdigit() else 0
        return raw_path, index, ft2font.FT2Font(raw_path, face_index=index).family_name, "env"
    if setting != "bundled":
        found = _system_font()
        if found is not None:
            return (*found, "system")
    path = str(bundled_font_path())
    index, name = _face_index_by_name(path, BUNDLED_FAMILY)
    return path, index, name, "bundled"


def chart_font() -> ChartFont:
    """Resolve the CJK chart font and make sure matplotlib knows it (idempotent, cheap).

    Returns:
        The face in use; ``families`` is what the chart style puts in ``font.family``.

    Raises:
        FzcompareError: If no CJK font can be found (package missing) or
            ``FZCOMPARE_CHART_FONT`` names a missing file.

    Examples:
        >>> font = chart_font()
        >>> font.name in SYSTEM_FAMILIES or font.source == "env"
        True
    """
    from matplotlib import font_manager  # heavy: matplotlib loads on the first chart, not on import

    with _lock:
        manager = font_manager.fontManager
        setting = (os.environ.get(FONT_ENV, "auto"), id(manager), len(manager.ttflist))
        if setting not in _resolved:
            _resolved[setting] = _resolve()
        path, index, name, source = _resolved[setting]
        key = (os.path.realpath(path), index)
        alias = _aliases.setdefault(key, f"{ALIAS_PREFIX} {len(_aliases) + 1}")
        # The font manager can be rebuilt (a new object); register again in that case.
        # findfont() caches per name; the alias is unique and never looked up before this.
        if _registered_in.get(key) != id(manager) or not any(
                e.name == alias for e in manager.ttflist):
            manager.ttflist.append(font_manager.FontEntry(
                fname=key[0], index=index, name=alias, style="normal", variant="normal",
                weight=400, stretch="normal", size="scalable"))
            _registered_in[key] = id(manager)
    return ChartFont(family=alias, name=name, path=key[0], face_index=index, source=source)


def uncovered_characters(texts: Iterable[str], font: ChartFont | None = None) -> set[str]:
    """The characters of ``texts`` that the chart font cannot draw.

    Whitespace and control characters are ignored.

    Examples:
        >>> sorted(uncovered_characters(["十堰市 ✓ × 95.5%", "😀"]))
        ['😀']
    """
    from matplotlib import ft2font  # heavy: matplotlib loads on the first chart, not on import

    font = font or chart_font()
    face = ft2font.FT2Font(font.path, face_index=font.face_index)
    missing: set[str] = set()
    for text in texts:
        for ch in set(text):
            if ch.isspace() or not ch.isprintable():
                continue
            if face.get_char_index(ord(ch)) == 0:
                missing.add(ch)
    return missing
