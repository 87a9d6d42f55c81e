"""dbt waits for another process to release the warehouse instead of failing at once."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
from dbt_runner import run_dbt

from sources.contract import create_raw_schema

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_dbt_retries_while_another_process_holds_the_file(tmp_path, dbt_manifest):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse), "15"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        run_dbt(warehouse, "stg_customers")            # fails on the first connect, retries
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert waited >= 15.0                              # it did have to wait for the holder
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_customers").fetchone() == (0,)
