"""The only module that imports Great Expectations, lazily (Python imports it once per process).

A `GxValidator` holds one ephemeral context with one pandas datasource; each distinct suite gets
its own DataFrame asset, batch definition, GX suite and validation definition, created on first
use and reused for every chunk after that (GX refuses to add the same name twice). The module
keeps no state: whoever validates owns a validator (`expectations.runner.GxRunner` does), so two
runs in one process never share a context.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from expectations.spec import CHUNK, SuiteSpec

DATASOURCE = "churn_recall_frames"
SAMPLE_SIZE = 5


@dataclass
class ChunkOutcome:
    success: bool
    unexpected_count: int
    element_count: int
    sample: list[Any]
    error: str = ""


def _gx():
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # must precede the import: no phoning home
    import great_expectations as gx

    return gx


def _new_context():
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas(name=DATASOURCE)
    return context


def _class_name(type_: str) -> str:
    return "".join(part.title() for part in type_.split("_"))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _error(exception_info: Any) -> str:
    if not isinstance(exception_info, dict):
        return ""
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "error")
    for value in exception_info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "error")
    return ""


class GxValidator:
    """One GX ephemeral context (built on first use) and the validation definitions of the
    suites validated with it. Thread-safe; a GX context is not, so calls take a lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._context: Any = None
        self._validations: dict[tuple, Any] = {}

    def _get_context(self):
        if self._context is None:
            self._context = _new_context()
        return self._context

    def _validation_definition(self, suite: SuiteSpec):
        """The GX validation definition for this suite's chunk-scope expectations."""
        specs = suite.of_scope(CHUNK)
        key = (suite.name, repr(specs))
        if key in self._validations:
            return self._validations[key]
        gx = _gx()
        import great_expectations.expectations as gxe

        context = self._get_context()
        name = f"{suite.name}#{len(self._validations)}"
        asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(name=name)
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        expectations = [getattr(gxe, _class_name(spec.type))(**spec.kwargs,
                                                             meta={"spec_index": i})
                        for i, spec in specs]
        gx_suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite))
        self._validations[key] = definition
        return definition

    def prepare(self, suite: SuiteSpec | None = None) -> None:
        """Import GX and build the context, and the suite's validation definition if one is
        given, now (the first call is slow)."""
        with self._lock:
            self._get_context()
            if suite is not None:
                self._validation_definition(suite)

    def validate_frame(self, suite: SuiteSpec, frame) -> dict[int, ChunkOutcome]:
        """Validate one DataFrame chunk; outcome per expectation index of the suite."""
        with self._lock:
            definition = self._validation_definition(suite)
            run = definition.run(batch_parameters={"dataframe": frame}, result_format="BASIC")
        out: dict[int, ChunkOutcome] = {}
        for r in run.results:
            index = int(r.expectation_config.meta["spec_index"])
            result = r.result or {}
            error = _error(r.exception_info)
            out[index] = ChunkOutcome(
                success=bool(r.success) and not error,
                unexpected_count=int(result.get("unexpected_count") or 0),
                element_count=int(result.get("element_count") or len(frame)),
                sample=[_plain(v) for v in (result.get("partial_unexpected_list") or [])
                        ][:SAMPLE_SIZE],
                error=error,
            )
        return out
