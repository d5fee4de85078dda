"""Atomic file writes shared by every stage that writes a file.

A file is written to a temporary name in the same folder and renamed over the target, so a
reader (or a crash) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "file_mode"]


def file_mode() -> int:
    """Permissions a plain ``open()`` would give a new file (``mkstemp`` gives 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Missing parent folders are created. Readers see the old file or the new one, never a
    partly written one; if writing fails, the temporary file is removed.

    Examples:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "notes" / "shiyan.txt"
        >>> atomic_write_bytes(target, "十堰市 2023".encode())
        >>> atomic_write_bytes(target, "十堰市 2024".encode())
        >>> target.read_text(encoding="utf-8")
        '十堰市 2024'
        >>> [p.name for p in target.parent.iterdir()]  # no temporary file left behind
        ['shiyan.txt']
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(file_mode())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
