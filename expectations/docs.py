"""A small static HTML report of suite results (our own page: GX Data Docs would show the
per-chunk runs, not the aggregated table results)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from expectations.results import SuiteResult

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 2em}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.ok{color:#176f2c;font-weight:600}.bad{color:#b00020;font-weight:600}
code{font-size:90%}
"""


def _status(ok: bool) -> str:
    return '<span class="ok">passed</span>' if ok else '<span class="bad">failed</span>'


def _suite_html(r: SuiteResult) -> str:
    rows = []
    for e in r.results:
        sample = ", ".join(repr(v) for v in e.sample_unexpected)
        args = {k: v for k, v in e.kwargs.items() if k != "column"}
        rows.append(
            "<tr>"
            f"<td>{_status(e.success)}</td><td><code>{escape(e.expectation_type)}</code></td>"
            f"<td>{escape(e.column or '')}</td><td>{escape(json.dumps(args, default=str))}</td>"
            f"<td>{e.unexpected_count:,}</td><td>{e.element_count:,}</td>"
            f"<td>{escape(sample[:300])}</td><td>{escape(e.detail)}</td><td>{e.scope}</td>"
            "</tr>")
    return (
        f"<h2 id=\"{escape(r.suite_name)}\">{escape(r.suite_name)} on "
        f"{escape(r.schema)}.{escape(r.table)}: {_status(r.success)}</h2>"
        f"<p>{r.evaluated_rows:,} rows in {r.chunks} chunk(s), {len(r.results)} expectations, "
        f"{len(r.failed)} failed, {r.duration_s:.2f}s</p>"
        "<table><tr><th>status</th><th>expectation</th><th>column</th><th>arguments</th>"
        "<th>unexpected</th><th>evaluated</th><th>sample unexpected</th><th>detail</th>"
        "<th>checked by</th></tr>" + "".join(rows) + "</table>")


def build_data_docs(result_dir: Path, results: list[SuiteResult]) -> Path:
    """Write `index.html` and `validation_results.json` under `result_dir`."""
    result_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    overview = "".join(
        f"<tr><td><a href=\"#{escape(r.suite_name)}\">{escape(r.suite_name)}</a></td>"
        f"<td>{_status(r.success)}</td><td>{r.evaluated_rows:,}</td><td>{len(r.failed)}</td></tr>"
        for r in results)
    page = (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Data quality</title>"
        f"<style>{_STYLE}</style></head><body><h1>Data quality</h1><p>Generated {stamp}; "
        "chunk rules by Great Expectations, whole-table rules by DuckDB SQL.</p>"
        "<table><tr><th>suite</th><th>status</th><th>rows</th><th>failed expectations</th>"
        f"</tr>{overview}</table>" + "".join(_suite_html(r) for r in results)
        + "</body></html>")
    index = result_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    (result_dir / "validation_results.json").write_text(
        json.dumps([r.to_dict() for r in results], indent=2, default=str), encoding="utf-8")
    return index
