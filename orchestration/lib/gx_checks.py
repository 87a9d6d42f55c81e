"""Great Expectations suite results as Dagster asset check results."""

import dagster as dg

MAX_FAILURES_IN_METADATA = 20


def to_check_result(result, *, asset_key, check_name: str, blocking: bool,
                    docs_path=None) -> dg.AssetCheckResult:
    """Per-expectation outcomes, unexpected counts and sample values in the check's metadata."""
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
                               passed=result.success, severity=severity, metadata=metadata)
