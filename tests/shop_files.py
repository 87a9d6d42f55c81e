"""Writing small raw files for loader tests."""

from __future__ import annotations

from pathlib import Path


def write_csv(directory: Path, table: str, header: str, rows: list[str]) -> None:
    """`directory/<table>.csv` with the header line and the rows (UTF-8)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{table}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
