"""Asset metadata helpers."""

import base64
from pathlib import Path

import dagster as dg


def embedded_png(path: Path) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI), path in the alt text."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return dg.MetadataValue.md(f"![{Path(path).name}](data:image/png;base64,{data})")
