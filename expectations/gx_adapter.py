"""The only module that imports Great Expectations, lazily, once per process.

One ephemeral context with one pandas datasource is cached; each distinct suite gets its own
DataFrame asset, batch definition, GX suite and validation definition, created on first use
and reused for every chunk after that (GX refuses to add the same name twice).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from expectations.spec import CHUNK, SuiteSpec

DATASOURCE = "churn_recall_frames"
SAMPLE_SIZE = 5

_LOCK = threading.RLock()
_context: Any = None
_validations: dict[tuple, Any] = {}


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


def _get_context():
    global _context
    if _context is None:
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False)
        context.data_sources.add_pandas(name=DATASOURCE)
        _context = context
    return _context


def _class_name(type_: str) -> str:
    return "".join(part.title() for part in type_.split("_"))


def _validation_definition(suite: SuiteSpec):
    """The cached GX validation definition for this suite's chunk-scope expectations."""
    specs = suite.of_scope(CHUNK)
    key = (suite.name, repr(specs))
    if key in _validations:
        return _validations[key]
    gx = _gx()
    import great_expectations.expectations as gxe

    context = _get_context()
    name = f"{suite.name}#{len(_validations)}"
    asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    expectations = [getattr(gxe, _class_name(spec.type))(**spec.kwargs, meta={"spec_index": i})
                    for i, spec in specs]
    gx_suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite))
    _validations[key] = definition
    return definition


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


def prepare(suite: SuiteSpec) -> None:
    """Import GX and build the suite's validation definition now (the first call is slow)."""
    with _LOCK:
        _validation_definition(suite)


def validate_frame(suite: SuiteSpec, frame) -> dict[int, ChunkOutcome]:
    """Validate one DataFrame chunk; outcome per expectation index of the suite."""
    with _LOCK:
        definition = _validation_definition(suite)
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
