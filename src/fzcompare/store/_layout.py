"""Where a dataset's tables live, which format they are in, and the test pause points."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from fzcompare.errors import SchemaError

if TYPE_CHECKING:
    from deltalake import DeltaTable

StorageOptions = dict[str, Any]
Layout = Literal["delta", "legacy"]

DEFAULT_DATASET: Final[str] = "datasets/demo"
"""The bundled synthetic demo panel, relative to a checkout of the repository."""

OBSERVATIONS: Final[str] = "observations"
SOURCES: Final[str] = "sources"
REGIONS: Final[str] = "regions"
DOCUMENTS: Final[str] = "documents"
_REMOTE_PREFIXES: Final[tuple[str, ...]] = ("s3://", "s3a://", "gs://", "gcs://", "az://",
                                            "abfs://", "abfss://", "https://", "http://",
                                            "hf://")
_READ_ONLY_PREFIXES: Final[tuple[str, ...]] = ("https://", "http://", "hf://")
PAUSE_ENV: Final[str] = "FZCOMPARE_TEST_PAUSE"
PAUSE_MARKER_ENV: Final[str] = "FZCOMPARE_TEST_PAUSE_MARKER"


def is_remote(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an object-store or web URL rather than a local folder."""
    return str(path).startswith(_REMOTE_PREFIXES)


def is_read_only_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL that can only be read (HTTP(S), Hugging Face)."""
    return str(path).startswith(_READ_ONLY_PREFIXES)


def join(base: str | os.PathLike[str], *parts: str) -> str:
    """``base/part/...`` for local paths and URLs alike."""
    return "/".join([str(base).rstrip("/"), *parts])


def table_uri(dataset: str | os.PathLike[str], table: str) -> str:
    """The location of one of a dataset's tables (observations, sources, regions)."""
    if is_remote(dataset):
        return join(dataset, table)
    return str(Path(dataset).absolute() / table)


def open_table(uri: str, storage_options: StorageOptions | None,
               version: int | None = None) -> DeltaTable | None:
    """The Delta table at ``uri`` (at ``version``), or None if there is none."""
    from deltalake import DeltaTable  # heavy: loaded only when a table is touched
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(uri, version=version, storage_options=storage_options)
    except TableNotFoundError:
        return None


def _delta_exists(uri: str, storage_options: StorageOptions | None) -> bool:
    if not is_remote(uri):
        return (Path(uri) / "_delta_log").is_dir()
    # not DeltaTable.is_deltatable: it holds the GIL while it waits for the network, which
    # starves an S3 server running in a thread of the same process (the tests' moto)
    return open_table(uri, storage_options) is not None


def layout(dataset: str | os.PathLike[str],
           storage_options: StorageOptions | None = None) -> Layout | None:
    """``delta`` for a transactional dataset, ``legacy`` for plain hive Parquet, else None.

    Remote datasets are taken as legacy unless their observations are a Delta table.
    """
    if _delta_exists(table_uri(dataset, OBSERVATIONS), storage_options):
        return "delta"
    if is_remote(dataset):
        return "legacy"
    root = Path(dataset) / OBSERVATIONS
    return "legacy" if root.is_dir() and any(root.rglob("*.parquet")) else None


def no_observations(dataset: str | os.PathLike[str]) -> SchemaError:
    """The error for a path that holds no observations, with a hint when it is one level off."""
    path = Path(dataset)
    if not is_remote(dataset) and not path.exists():
        return SchemaError(f"{path}: no such dataset", path=str(path), reason="not_found",
                           hint="give the folder that holds observations/ and sources.csv")
    hint = ("a dataset folder holds observations/ (create one with `fzcompare extract "
            "--into` or `fzcompare dataset convert`)")
    if not is_remote(dataset) and ((path / "_delta_log").is_dir()
                                   or any(path.glob("year=*"))):
        hint = (f"{path} is the observations folder of a dataset; give the dataset "
                f"folder itself: {path.parent}")
    return SchemaError(f"no observations at {dataset}", path=str(dataset),
                       reason="no_observations", hint=hint)


def pause(step: str) -> None:
    """Block forever at ``step`` when the test environment asks for it.

    With ``FZCOMPARE_TEST_PAUSE=<step>`` set, a writer reaching ``step`` writes the file
    named by ``FZCOMPARE_TEST_PAUSE_MARKER`` and sleeps, so a test can SIGKILL the real
    process at a known point of a write. Without the variable this does nothing.
    """
    if os.environ.get(PAUSE_ENV) != step:
        return
    marker = os.environ.get(PAUSE_MARKER_ENV)
    if marker:
        Path(marker).write_text(step, encoding="utf-8")
    while True:  # pragma: no cover - only ever ended by the test's SIGKILL
        time.sleep(60)
