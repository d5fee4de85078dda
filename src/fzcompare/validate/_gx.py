"""great_expectations behind a lazy door: one import, one ephemeral context, process state kept.

Importing great_expectations 1.24 takes about two seconds and changes the process: it calls
``logging.captureWarnings(True)`` (later warnings go to a logger nobody listens to), sets one
of its loggers to INFO and, once a context exists, draws progress bars. Everything here runs
inside ``preserved_process_state``, which puts those things back, and the context is made
with analytics and progress bars turned off.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fzcompare._io import atomic_write_bytes
from fzcompare.errors import FzcompareError

if TYPE_CHECKING:
    import pandas as pd

RESULT_FORMAT: Final[str] = "BASIC"
"""Counts without the unexpected lists (those are slow to build when many rows fail)."""

_GX_LOGGER: Final[str] = "great_expectations"
_names = itertools.count()


@contextlib.contextmanager
def preserved_process_state() -> Iterator[None]:
    """Undo what importing or running great_expectations does to warnings and logging."""
    capturing = getattr(logging, "_warnings_showwarning", None) is not None
    showwarning = warnings.showwarning
    py_warnings = logging.getLogger("py.warnings")
    py_warnings_handlers = list(py_warnings.handlers)
    levels = {name: logger.level for name, logger in logging.root.manager.loggerDict.items()
              if isinstance(logger, logging.Logger)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if not capturing and getattr(logging, "_warnings_showwarning", None) is not None:
            logging.captureWarnings(False)
        warnings.showwarning = showwarning
        py_warnings.handlers[:] = py_warnings_handlers
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger):
                continue
            if name in levels:
                if logger.level != levels[name]:
                    logger.setLevel(levels[name])
            elif name.startswith(_GX_LOGGER) and logger.level != logging.NOTSET:
                logger.setLevel(logging.NOTSET)


@contextlib.contextmanager
def no_batch_fingerprint() -> Iterator[None]:
    """Skip the md5 fingerprint great_expectations' pandas engine takes of every batch.

    The engine hashes every row of a batch under 1 GB (``pandas.util.hash_pandas_object``)
    only to store the hash as a batch marker; no metric or result depends on it. At 3 M
    observations that is about a fifth of the time great_expectations spends validating.
    The threshold is module state: it is put back afterwards.
    """
    # heavy: great_expectations imports hundreds of modules; only a run needs it
    from great_expectations.execution_engine import pandas_execution_engine as engine

    threshold = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


@contextlib.contextmanager
def current_project(context: Any) -> Iterator[None]:
    """Make ``context`` great_expectations' current project, then put the previous one back.

    great_expectations keeps a process-wide "current project" (the last context made) and
    consults it while validating; fzcompare's context must not replace a user's own.
    """
    # heavy: great_expectations imports hundreds of modules; only a run needs it
    from great_expectations.data_context.data_context.context_factory import project_manager
    from great_expectations.exceptions.exceptions import DataContextRequiredError

    try:
        previous = project_manager.get_current_project()
    except DataContextRequiredError:
        previous = None
    project_manager.set_project(context)
    try:
        yield
    finally:
        project_manager.set_project(previous)


@dataclass(frozen=True, eq=False)
class GxSession:
    """The process-wide ephemeral context and its pandas datasource."""

    gx: Any
    context: Any
    datasource: Any
    version: str

    def batch_definition(self, frame_name: str) -> Any:
        """The whole-dataframe batch definition of one frame (made on first use)."""
        asset_name = f"fzcompare_{frame_name}"
        try:
            asset = self.datasource.get_asset(asset_name)
        except LookupError:
            asset = self.datasource.add_dataframe_asset(asset_name)
        try:
            return asset.get_batch_definition("whole")
        except (KeyError, LookupError):
            return asset.add_batch_definition_whole_dataframe("whole")


@functools.cache
def session() -> GxSession:
    """Import great_expectations and make the one ephemeral context this process uses."""
    with preserved_process_state():
        # heavy: great_expectations imports hundreds of modules; only a run needs it
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        )
        # heavy (see above): the project manager lives inside great_expectations
        from great_expectations.data_context.data_context.context_factory import project_manager
        from great_expectations.exceptions.exceptions import DataContextRequiredError

        try:
            previous = project_manager.get_current_project()
        except DataContextRequiredError:
            previous = None
        context = gx.get_context(project_config=config, mode="ephemeral")
        datasource = context.data_sources.add_pandas("fzcompare")
        project_manager.set_project(previous)
    return GxSession(gx=gx, context=context, datasource=datasource, version=gx.__version__)


def known_expectation_types() -> tuple[str, ...]:
    """The expectation types great_expectations can run, sorted."""
    session()
    # great_expectations is heavy (seconds to import): only when a suite is checked.
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
    )

    return tuple(sorted(list_registered_expectation_implementations()))


def expectation_problem(expectation: Mapping[str, Any]) -> str | None:
    """Why great_expectations cannot build ``expectation`` (a suite-JSON dict), or None.

    Building it here, one expectation at a time, replaces the traceback great_expectations
    logs (and the expectation it then drops silently) when a whole suite is built.
    """
    session()
    # great_expectations is heavy (seconds to import): only when a suite is checked.
    from great_expectations.exceptions.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    with preserved_process_state():
        try:
            ExpectationConfiguration(type=str(expectation["type"]),
                                     kwargs=dict(expectation.get("kwargs") or {}),
                                     meta=expectation.get("meta")).to_domain_obj()
        except ExpectationNotFoundError:
            return "unknown expectation type"
        except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            return "invalid arguments: " + "; ".join(lines[1:] or lines)
    return None


@dataclass(frozen=True)
class RawOutcome:
    """One expectation's result as plain values."""

    ref: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: Any
    exception: str | None
    unexpected_index_list: list[Any] | None
    details: Any = None


def _plain(result: Any) -> RawOutcome:
    info = result.exception_info or {}
    message: str | None = None
    if info.get("raised_exception"):
        message = str(info.get("exception_message"))
    else:
        nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
        if nested:
            message = str(nested[0].get("exception_message"))
    body = result.result or {}
    meta = result.expectation_config.meta or {}
    return RawOutcome(
        ref=str(meta.get("fzcompare_ref", "")),
        success=bool(result.success),
        element_count=body.get("element_count"),
        unexpected_count=body.get("unexpected_count"),
        unexpected_percent=body.get("unexpected_percent"),
        observed_value=body.get("observed_value"),
        exception=message,
        unexpected_index_list=body.get("unexpected_index_list"),
        details=body.get("details"),
    )


def run_suite(
    frame_name: str,
    frame: pd.DataFrame,
    expectations: Sequence[Mapping[str, Any]],
    *,
    parameters: Mapping[str, Any],
    result_format: str | Mapping[str, Any] = RESULT_FORMAT,
    suite_meta: Mapping[str, Any] | None = None,
    store: bool = False,
) -> dict[str, RawOutcome]:
    """Validate one pandas frame against expectations (dicts in suite-JSON form).

    Each expectation's ``meta`` must carry a unique ``fzcompare_ref``: great_expectations
    returns results in its own order, so they are matched back by that stamp (and checked
    against the expectation type).

    Args:
        frame_name: Names the data asset (one per frame kind) and the suite.
        frame: The batch.
        expectations: ``{"type", "kwargs", "meta", ...}`` dicts.
        parameters: Values for ``{"$PARAMETER": name}`` arguments.
        result_format: great_expectations result format.
        suite_meta: Stored with the suite (shown in Data Docs).
        store: Run through a ValidationDefinition, which keeps the result in the context's
            validation results store for ``build_data_docs``. Otherwise the validator
            runs directly and nothing is kept (and the batch is fingerprinted once, not twice).

    Returns:
        ``fzcompare_ref`` -> outcome.
    """
    gx_session = session()
    number = next(_names)
    suite_name = f"fzcompare.{frame_name}" if store else f"fzcompare.{frame_name}.{number}"
    with preserved_process_state(), current_project(gx_session.context), \
            no_batch_fingerprint():
        gx = gx_session.gx
        suite = gx.ExpectationSuite(name=suite_name, expectations=[dict(e) for e in expectations],
                                    meta=dict(suite_meta or {}))
        batch_definition = gx_session.batch_definition(frame_name)
        if store:
            result = _run_stored(gx_session, suite, batch_definition, frame, parameters,
                                 result_format, number)
        else:
            # heavy: great_expectations imports hundreds of modules; only a run needs it
            from great_expectations.validator.v1_validator import Validator

            validator = Validator(batch_definition=batch_definition,
                                  batch_parameters={"dataframe": frame},
                                  result_format=result_format)  # type: ignore[arg-type]
            result = validator.validate_expectation_suite(suite, dict(parameters))
    wanted = {str(e["meta"]["fzcompare_ref"]): str(e["type"]) for e in expectations}
    outcomes: dict[str, RawOutcome] = {}
    for item in result.results:
        outcome = _plain(item)
        if wanted.get(outcome.ref) != item.expectation_config.type:
            raise FzcompareError(f"great_expectations returned an unmatched result "
                                 f"{item.expectation_config.type} ({outcome.ref!r})",
                                 hint="a great_expectations upgrade changed its results; "
                                 "pin the version in constraints.txt and report this")
        outcomes[outcome.ref] = outcome
    return outcomes


def _run_stored(gx_session: GxSession, suite: Any, batch_definition: Any, frame: pd.DataFrame,
                parameters: Mapping[str, Any], result_format: str | Mapping[str, Any],
                number: int) -> Any:
    context = gx_session.context
    with contextlib.suppress(Exception):
        context.suites.delete(suite.name)
    suite = context.suites.add(suite)
    validation_name = f"{suite.name}.{number}.validation"
    definition = context.validation_definitions.add(gx_session.gx.ValidationDefinition(
        name=validation_name, data=batch_definition, suite=suite))
    try:
        return definition.run(batch_parameters={"dataframe": frame},
                              expectation_parameters=dict(parameters),
                              result_format=result_format)
    finally:
        with contextlib.suppress(Exception):
            context.validation_definitions.delete(validation_name)


def forget_stored_results() -> None:
    """Empty the context's validation results store (after Data Docs were built)."""
    context = session().context
    with preserved_process_state(), current_project(context):
        store = context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)


DOCS_NOTE: Final[str] = (
    "These pages are great_expectations Data Docs, written by fzcompare validate --docs.\n"
    "They load their stylesheets and scripts from the internet (cdn.jsdelivr.net,\n"
    "cdnjs.cloudflare.com, code.jquery.com): offline they show unstyled. fzcompare's own\n"
    "reports do not depend on any network resource.\n"
    "Suites are grouped by the frame they run on: 'observations' holds the schema and keys\n"
    "suites, 'values' the ranges suite; each expectation's meta names its suite and check.\n"
)


def build_data_docs(directory: str) -> str:
    """Render the validation results stored so far as a Data Docs site in ``directory``.

    Afterwards the stored results and suites are removed from the context, so a later build
    shows only its own run.

    Returns:
        The path of the site's ``index.html``.
    """
    gx_session = session()
    context = gx_session.context
    base = Path(directory).resolve()
    site_name = f"fzcompare_docs_{next(_names)}"
    with preserved_process_state(), current_project(context):
        context.add_data_docs_site(site_name=site_name, site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(base)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        try:
            context.build_data_docs(site_names=[site_name])
        finally:
            with contextlib.suppress(Exception):
                context.delete_data_docs_site(site_name)
            for suite in list(context.suites.all()):
                if str(suite.name).startswith("fzcompare."):
                    with contextlib.suppress(Exception):
                        context.suites.delete(suite.name)
    forget_stored_results()
    atomic_write_bytes(base / "README-fzcompare.txt", DOCS_NOTE.encode("utf-8"))
    return str(base / "index.html")
