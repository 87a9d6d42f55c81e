"""Plain validation results (no GX or Dagster types), easy to turn into check metadata."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation over the whole table (chunk results added up)."""

    expectation_type: str
    column: str | None
    success: bool
    unexpected_count: int
    element_count: int
    sample_unexpected: tuple[Any, ...] = ()
    scope: str = "chunk"  # "chunk" (GX, per chunk) or "table" (DuckDB SQL, whole table)
    observed_value: Any = None
    detail: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuiteResult:
    """A suite run on one table."""

    suite_name: str
    schema: str
    table: str
    success: bool
    evaluated_rows: int
    chunks: int
    results: tuple[ExpectationResult, ...]
    duration_s: float

    @property
    def failed(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    @property
    def statistics(self) -> dict[str, int]:
        return {"evaluated_expectations": len(self.results),
                "successful_expectations": len(self.results) - len(self.failed),
                "unsuccessful_expectations": len(self.failed),
                "evaluated_rows": self.evaluated_rows}

    def result(self, expectation_type: str, column: str | None = None) -> ExpectationResult:
        for r in self.results:
            if r.expectation_type == expectation_type and (column is None or r.column == column):
                return r
        raise KeyError(f"{self.suite_name} has no {expectation_type} on {column}")

    def describe(self) -> str:
        """One line per failed expectation, or a line saying all passed."""
        head = (f"{self.suite_name} on {self.schema}.{self.table}: "
                f"{'passed' if self.success else 'FAILED'} ({len(self.results)} expectations, "
                f"{self.evaluated_rows:,} rows, {self.chunks} chunk(s), {self.duration_s:.2f}s)")
        lines = [head]
        for r in self.failed:
            sample = ", ".join(repr(v) for v in r.sample_unexpected)
            lines.append(f"  {r.expectation_type}({r.column or ''}): {r.unexpected_count:,} "
                         f"unexpected" + (f" e.g. {sample}" if sample else "")
                         + (f"; {r.detail}" if r.detail else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["statistics"] = self.statistics
        return out
