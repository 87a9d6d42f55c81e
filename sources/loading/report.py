"""What a load did: the error for whole-file problems, rule names, per-file counts and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Row-level rules. A rejected row carries exactly one rule: the first one it breaks, checked in
# this order (per column in contract order for the row rules, then the cross-row rules).
NOT_NULL = "not_null"
UNPARSABLE = "unparsable"
OVERFLOW = "overflow"
NOT_FINITE = "not_finite"
BELOW_MIN = "below_min"
ABOVE_MAX = "above_max"
NOT_ALLOWED = "not_allowed"
FUTURE_TIMESTAMP = "future_timestamp"
DUPLICATE_KEY_IN_FILE = "duplicate_key_in_file"
DUPLICATE_KEY_CONFLICT = "duplicate_key_conflict"
ORPHAN_REFERENCE = "orphan_reference"
BEFORE_SIGNUP = "before_signup"
# Not a rejection: an identical row (same key, same values) is already in raw; it is skipped.
ALREADY_LOADED = "already_loaded"

RULES: dict[str, str] = {
    NOT_NULL: "missing value in a non-null column",
    UNPARSABLE: "value cannot be parsed as the column's type",
    OVERFLOW: "number too large for the column's type",
    NOT_FINITE: "NaN or infinity in a numeric column",
    BELOW_MIN: "value below the contract minimum",
    ABOVE_MAX: "value above the contract maximum",
    NOT_ALLOWED: "value not in the contract's allowed set",
    FUTURE_TIMESTAMP: "timestamp later than the load's reference time",
    DUPLICATE_KEY_IN_FILE: "key already seen earlier in the same file (first row kept)",
    DUPLICATE_KEY_CONFLICT: "duplicate key conflicts with loaded row",
    ORPHAN_REFERENCE: "referenced row (e.g. the order's customer) does not exist",
    BEFORE_SIGNUP: "timestamp before the customer's signup_at",
    ALREADY_LOADED: "identical row already in raw: skipped, not quarantined",
}


class LoadError(Exception):
    """A whole-file (or whole-load) problem; nothing was written. The message is one line."""

    def __init__(self, message: str, *, file: str | None = None, table: str | None = None,
                 column: str | None = None) -> None:
        super().__init__(" ".join(message.split()))
        self.file = file
        self.table = table
        self.column = column


@dataclass(frozen=True)
class RuleCount:
    """Rows of one file rejected (or skipped) by one rule on one column."""

    file: str
    table: str
    column: str
    rule: str
    rows: int
    first_row: int
    example: str


@dataclass
class FileReport:
    """One input file: where it went and what happened to each of its rows."""

    file: str
    table: str
    format: str
    input_rows: int = 0
    accepted: int = 0
    quarantined: int = 0
    skipped: int = 0
    already_quarantined: int = 0
    rules: list[RuleCount] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.input_rows == self.accepted + self.quarantined + self.skipped

    def rule_rows(self, rule: str, column: str | None = None) -> int:
        return sum(r.rows for r in self.rules
                   if r.rule == rule and (column is None or r.column == column))


@dataclass
class LoadReport:
    """Everything one `load_directory` call did (or, for a dry run, would do); `summary()` is
    the text users read.

    `missing_optional_tables` lists the contract tables that had no file in this load and no
    rows in raw before it: the features built on them will be empty.
    """

    directory: str
    loaded_at: datetime
    files: list[FileReport] = field(default_factory=list)
    unknown_files: list[str] = field(default_factory=list)
    dry_run: bool = False
    mapping: str | None = None
    missing_optional_tables: list[str] = field(default_factory=list)

    @property
    def input_rows(self) -> int:
        return sum(f.input_rows for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def clean(self) -> bool:
        """True when no row was (or, for a dry run, would be) quarantined."""
        return self.quarantined == 0

    def for_table(self, table: str) -> FileReport:
        for f in self.files:
            if f.table == table:
                return f
        raise KeyError(f"no file for table {table} in this load")

    def missing_tables_line(self) -> str:
        """"optional tables missing: a, b" (or "none"), for a report or a log."""
        return "optional tables missing: " + (", ".join(self.missing_optional_tables) or "none")

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        if self.dry_run:
            head = (f"Checked {len(self.files)} file(s) from {self.directory} (dry run, nothing "
                    f"written; reference time {self.loaded_at:%Y-%m-%d %H:%M:%S} UTC): "
                    f"{self.input_rows:,} rows in, would be {self.accepted:,} accepted, "
                    f"{self.quarantined:,} quarantined, {self.skipped:,} skipped (already "
                    "loaded).")
        else:
            head = (f"Loaded {len(self.files)} file(s) from {self.directory} at "
                    f"{self.loaded_at:%Y-%m-%d %H:%M:%S} UTC: {self.input_rows:,} rows in, "
                    f"{self.accepted:,} accepted, {self.quarantined:,} quarantined, "
                    f"{self.skipped:,} skipped (already loaded).")
        lines = [head]
        if self.mapping:
            lines.append(f"  mapping: {self.mapping}")
        for f in self.files:
            lines.append(
                f"  {f.file} -> raw.{f.table}: {f.input_rows:,} in, {would}{f.accepted:,} "
                f"accepted, {f.quarantined:,} quarantined, {f.skipped:,} skipped"
            )
            if f.already_quarantined:
                lines.append(f"    {f.already_quarantined:,} of the quarantined rows "
                             + ("are already in quarantine from an earlier load (would not "
                                "be stored twice)" if self.dry_run else
                                "were already in quarantine from an earlier load (not stored "
                                "twice)"))
            for r in f.rules:
                what = "skipped" if r.rule == ALREADY_LOADED else "quarantined"
                lines.append(
                    f"    {would}{what}: {r.file}, table {r.table}, column {r.column}, rule "
                    f"{r.rule}: {r.rows:,} row(s) (first at row {r.first_row}: {r.example})"
                )
            if f.extra_columns:
                lines.append(f"    extra columns ignored: {', '.join(f.extra_columns)}")
            if f.missing_optional_columns:
                lines.append(f"    missing nullable columns {would}loaded as NULL: "
                             + ", ".join(f.missing_optional_columns))
        if self.unknown_files:
            lines.append("  not loaded (no contract table of that name"
                         + (" or mapping file pattern" if self.mapping else "")
                         + " or not .csv/.parquet): " + ", ".join(self.unknown_files))
        if self.missing_optional_tables:
            lines.append(f"  {self.missing_tables_line()}")
        if self.quarantined and not self.dry_run:
            lines.append("  quarantined rows are in raw_quarantine.<table> "
                         "(_rule, _column, _detail, _source_file, _row_number, _loaded_at).")
        return "\n".join(lines)
