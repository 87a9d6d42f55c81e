"""Build two checkouts of the dbt project on copies of one simulated warehouse and compare every
table, for refactors that must not change behaviour ("the marts of a fixed seed are identical").

    mkdir -p .churn/dbt_base && git archive HEAD dbt_project | tar -x -C .churn/dbt_base
    uv run python benchmarks/compare_marts.py --base-project .churn/dbt_base/dbt_project

Steps: simulate a shop (--customers, --months, --seed) into --work/source.duckdb (or copy --raw),
add the deterministic `ml.churn_scores` of tests/dbt (the recall marts read it; the pipeline
writes it from the model), copy the file twice, `dbt build` models and seeds (data tests and
unit tests are left to tests/dbt) with the default settings as vars in each copy, then compare
every table and view of the schemas staging, intermediate and marts: the column names, then the
rows with EXCEPT ALL both ways over the base's columns (order-free, duplicates counted); a
relation that differs exactly is compared again with doubles rounded (ROUND_DIGITS), and the
columns whose values still differ are listed (each column compared alone, the same way).

Prints one line per table and exits 1 when anything differs. About 2 minutes on 2 CPUs at the
default size (most of it the two dbt builds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.settings import Settings  # noqa: E402
from tests.dbt.conftest import add_churn_scores, simulate  # noqa: E402

DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
SCHEMAS = ("staging", "intermediate", "marts")
# Double sums depend on the order DuckDB's threads add them up, so two builds of the same project
# may differ in the last bits (measured: a few rows of recall_effect_* and
# int_customer_category_months). A table that differs exactly is compared again with doubles
# rounded to this many decimals.
ROUND_DIGITS = 6
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass
class TableResult:
    name: str
    base_rows: int | None
    new_rows: int | None
    only_base: int = 0  # rows only in base, doubles rounded to ROUND_DIGITS
    only_new: int = 0
    exact_only_base: int = 0  # the same, exact
    exact_only_new: int = 0
    columns_removed: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    differing_columns: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return (self.base_rows is not None and self.new_rows is not None
                and self.only_base == 0 and self.only_new == 0
                and not self.columns_removed and not self.columns_added)

    def line(self) -> str:
        if self.base_rows is None or self.new_rows is None:
            side = "base" if self.base_rows is None else "new"
            return f"{self.name}: missing in {side}"
        text = (f"{self.name}: {self.base_rows} / {self.new_rows} rows, "
                f"{self.only_base} only in base, {self.only_new} only in new")
        if self.columns_removed or self.columns_added:
            text += f", columns removed {self.columns_removed} added {self.columns_added}"
        if self.differing_columns:
            text += f", differing columns {self.differing_columns}"
        if self.identical and (self.exact_only_base or self.exact_only_new):
            return (f"identical to {ROUND_DIGITS} decimals: {text} (exact: "
                    f"{self.exact_only_base} / {self.exact_only_new} rows differ in the last "
                    "bits of doubles)")
        return ("identical: " if self.identical else "DIFFERS:   ") + text


def build(project: Path, warehouse: Path, work: Path) -> float:
    """`dbt build` of models and seeds in `project` on `warehouse`; seconds taken."""
    env = {**os.environ, "CHURN_DUCKDB_PATH": str(warehouse), "CHURN_DBT_TARGET": "local",
           "DBT_LOG_PATH": str(work / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DO_NOT_TRACK": "1"}
    cmd = [str(DBT_EXECUTABLE), "build", "--exclude-resource-type", "test",
           "--exclude-resource-type", "unit_test", "--project-dir", str(project),
           "--profiles-dir", str(project), "--target-path", str(work / "target"),
           "--vars", Settings().dbt_vars_json()]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed in {project}:\n{done.stdout[-5000:]}\n"
                         f"{done.stderr[-2000:]}")
    return time.perf_counter() - start


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, dict[str, str]]:
    """schema.table -> {column: data type}, in column order."""
    rows = con.execute(
        "select table_schema || '.' || table_name, column_name, data_type "
        "from information_schema.columns "
        "where table_catalog = ? and table_schema in (select unnest(?)) "
        "order by table_schema, table_name, ordinal_position", [catalog, list(SCHEMAS)]).fetchall()
    out: dict[str, dict[str, str]] = {}
    for name, column, data_type in rows:
        out.setdefault(name, {})[column] = data_type
    return out


def _select(column: str, data_type: str, rounded: bool) -> str:
    if rounded and data_type in FLOAT_TYPES:
        return f'round("{column}", {ROUND_DIGITS}) as "{column}"'
    return f'"{column}"'


def _differences(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str],
                 rounded: bool) -> tuple[int, int]:
    cols = ", ".join(_select(c, t, rounded) for c, t in columns.items())
    a, b = f"select {cols} from base.{name}", f"select {cols} from new.{name}"
    return _count(con, f"{a} except all {b}"), _count(con, f"{b} except all {a}")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(f"select count(*) from ({sql})").fetchone()[0]


def compare(base: Path, new: Path) -> list[TableResult]:
    """Every relation of SCHEMAS in either warehouse, compared (see the module docstring)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{base}' as base (read_only)")
        con.execute(f"attach '{new}' as new (read_only)")
        base_rel, new_rel = _relations(con, "base"), _relations(con, "new")
        results = []
        for name in sorted(set(base_rel) | set(new_rel)):
            if name not in base_rel or name not in new_rel:
                rows = {side: _count(con, f"select * from {side}.{name}")
                        for side, rel in (("base", base_rel), ("new", new_rel)) if name in rel}
                results.append(TableResult(name, rows.get("base"), rows.get("new")))
                continue
            shared = {c: t for c, t in base_rel[name].items() if c in new_rel[name]}
            result = TableResult(
                name, _count(con, f"select * from base.{name}"),
                _count(con, f"select * from new.{name}"),
                columns_removed=[c for c in base_rel[name] if c not in new_rel[name]],
                columns_added=[c for c in new_rel[name] if c not in base_rel[name]])
            result.exact_only_base, result.exact_only_new = _differences(con, name, shared, False)
            result.only_base, result.only_new = result.exact_only_base, result.exact_only_new
            if result.only_base or result.only_new:
                result.only_base, result.only_new = _differences(con, name, shared, True)
            if result.only_base or result.only_new:
                result.differing_columns = [
                    c for c, t in shared.items() if any(_differences(con, name, {c: t}, True))]
            results.append(result)
        return results
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-project", type=Path, required=True,
                        help="the dbt project before the change (e.g. from git archive)")
    parser.add_argument("--new-project", type=Path, default=DBT_PROJECT_DIR)
    parser.add_argument("--work", type=Path, default=Path(".churn") / "compare_marts",
                        help="working folder (default: .churn/compare_marts, like CHURN_HOME)")
    parser.add_argument("--raw", type=Path, help="a simulated raw warehouse to start from "
                        "(copied; default: simulate one with the options below)")
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--months", type=int, default=15)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reuse-base", action="store_true",
                        help="keep --work/base.duckdb from an earlier run (same raw data)")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    raw = args.work / "source.duckdb"
    reuse = args.reuse_base and raw.exists() and (args.work / "base.duckdb").exists()
    if not reuse:
        if args.raw is not None:
            shutil.copy(args.raw, raw)
        else:
            simulate(raw, args.customers, args.months, args.seed)
        add_churn_scores(raw)
    warehouses = {}
    for side, project in (("base", args.base_project), ("new", args.new_project)):
        warehouses[side] = args.work / f"{side}.duckdb"
        if side == "base" and reuse:
            print(f"reused {warehouses[side]}")
            continue
        shutil.copy(raw, warehouses[side])
        seconds = build(project.resolve(), warehouses[side], args.work / side)
        print(f"built {side} ({project}) in {seconds:.0f}s")
    results = compare(warehouses["base"], warehouses["new"])
    for result in results:
        print(result.line())
    differing = [r for r in results if not r.identical]
    print(f"{len(results)} relations compared, {len(results) - len(differing)} identical, "
          f"{len(differing)} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
