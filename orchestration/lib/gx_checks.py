"""Great Expectations suite results as Dagster asset check results."""

import dagster as dg

MAX_FAILURES_IN_METADATA = 20
MAX_DESCRIPTION_CHARS = 1000


def _failure_description(result, consequence: str) -> str | None:
    """What failed, one clause per expectation, then what the failure stops and what to do."""
    if result.success:
        return None
    parts = [r.detail or f"{r.expectation_type}({r.column or ''}): {int(r.unexpected_count):,} "
             "unexpected" for r in result.failed]
    text = f"{result.suite_name}: " + "; ".join(parts)
    if consequence:
        text += f". {consequence}"
    return text[:MAX_DESCRIPTION_CHARS]


def to_check_result(result, *, asset_key, check_name: str, blocking: bool,
                    docs_path=None, consequence: str = "") -> dg.AssetCheckResult:
    """Per-expectation outcomes, unexpected counts and sample values in the check's metadata;
    a failure also in the description, followed by `consequence` (what it stops, what to do).
    `blocking` gives ERROR severity, which a check declared `blocking=True` needs to stop the
    assets downstream of it in the same run."""
    failures = {
        f"{r.expectation_type}({r.column or ''})": {
            "unexpected_count": int(r.unexpected_count),
            "sample_unexpected": [str(v) for v in r.sample_unexpected][:5],
            "detail": r.detail,
        }
        for r in result.failed[:MAX_FAILURES_IN_METADATA]
    }
    metadata = {
        "suite": result.suite_name,
        "evaluated_rows": result.evaluated_rows,
        "expectations": len(result.results),
        "failed_expectations": len(result.failed),
        "unexpected_rows": sum(int(r.unexpected_count) for r in result.failed),
        "duration_s": float(result.duration_s),
        "failures": dg.MetadataValue.json(failures),
        "summary": dg.MetadataValue.md("```\n" + result.describe() + "\n```"),
    }
    if docs_path is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs_path))
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=asset_key, check_name=check_name,
                               passed=result.success, severity=severity, metadata=metadata,
                               description=_failure_description(result, consequence))
