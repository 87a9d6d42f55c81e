"""Asset metadata helpers."""

import base64
from pathlib import Path

import dagster as dg


def embedded_png(path: Path) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI), path in the alt text."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return dg.MetadataValue.md(f"![{Path(path).name}](data:image/png;base64,{data})")


def _cell(value, digits: int) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    return f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def markdown_table(frame, digits: int = 3) -> dg.MetadataValue:
    """A data frame as a markdown table (floats to `digits` decimals, missing values blank)."""
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v, digits) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join(lines))


RULE_BASED = "rule-based ranking"


def rule_based_fallback(context: dg.AssetExecutionContext, message: str,
                        metadata: dict | None = None) -> dg.MaterializeResult:
    """Targeting keeps the rule-based ranking: `message` (why) as a warning and as metadata."""
    context.log.warning(message)
    return dg.MaterializeResult(metadata={**(metadata or {}), "targeting": RULE_BASED,
                                          "fallback_reason": message})
