"""The recall channel rule is one rule: the SQL that recall_segments compiles (macro
recall_channel, var layer_channels) picks the same channel as the simulator's past waves for
every layer and preferred channel, both from sources.contract.LAYER_CHANNELS."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np

from orchestration.settings import Settings
from sources.contract import CHANNELS, LAYER_CHANNELS, LAYERS
from sources.simulator.engine import ChunkSimulation
from tests.dbt.conftest import run_dbt


def _simulator_channel(layer: str, preferred: str) -> str:
    fake = SimpleNamespace(p=SimpleNamespace(
        preferred_channel=np.array([CHANNELS.index(preferred)], np.int8)))
    code = ChunkSimulation._channel(fake, np.array([0]), np.array([LAYERS.index(layer)], np.int8))
    return CHANNELS[int(code[0])]


def test_sql_and_simulator_pick_the_same_channel(tmp_path: Path, dbt_work_dir: Path) -> None:
    inline = "select {{ recall_channel('layer', 'preferred') }} as channel from grid"
    compiled = run_dbt(["compile", "--quiet", "--inline", inline,
                        "--vars", Settings().dbt_vars_json()],
                       tmp_path / "warehouse.duckdb", dbt_work_dir).stdout
    sql = compiled[compiled.lower().index("select"):]
    con = duckdb.connect()
    con.execute("create table grid (layer varchar, preferred varchar)")
    grid = [(layer, preferred) for layer in LAYERS for preferred in (*CHANNELS, None, "pigeon")]
    con.executemany("insert into grid values (?, ?)", grid)
    sql_channel = dict(zip(grid, (r[0] for r in con.execute(
        sql.replace("from grid", "from grid order by rowid")).fetchall())))
    for layer in LAYERS:
        default = LAYER_CHANNELS[layer][0]
        for preferred in CHANNELS:
            expected = preferred if preferred in LAYER_CHANNELS[layer] else default
            assert sql_channel[layer, preferred] == expected, (layer, preferred)
            assert _simulator_channel(layer, preferred) == expected, (layer, preferred)
        assert sql_channel[layer, None] == sql_channel[layer, "pigeon"] == default
