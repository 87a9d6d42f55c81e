"""The minimum detectable effect has one definition, ml.experiment.minimum_detectable_effect;
the dbt macro minimum_detectable_effects (recall_segments) must give the same numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ml.experiment import minimum_detectable_effect
from orchestration.settings import Settings
from tests.dbt.conftest import query, run_dbt

# (n_treatment, n_control, base_rate): unequal and equal arms, a base rate of 0 (no control
# conversion yet), a high rate, and arms too small to detect anything (NaN / null).
CASES = [
    (900, 100, 0.05),
    (90, 10, 0.0),
    (500, 500, 0.1),
    (1000, 50, 0.3),
    (20, 20, 0.8),
    (3, 1, 0.5),
    (120, 13, 1.0),
]
TOLERANCE = 1e-6  # dbt reads z_alpha / z_power rounded to 6 decimals (Settings.dbt_vars)


def _python(n_treatment: int, n_control: int, base_rate: float) -> float:
    s = Settings()
    return minimum_detectable_effect(n_treatment, n_control, base_rate, alpha=s.alpha,
                                     power=s.power)


def _same(sql_value: float | None, python_value: float) -> bool:
    if math.isnan(python_value):
        return sql_value is None
    return sql_value is not None and abs(sql_value - python_value) <= TOLERANCE


def test_sql_and_python_minimum_detectable_effects_agree(tmp_path: Path, dbt_work_dir: Path):
    values = ", ".join(f"({i}, {n_t}, {n_c}, {p})" for i, (n_t, n_c, p) in enumerate(CASES))
    inline = (
        f"with cases as (select * from (values {values}) "
        "as t(case_id, n_treatment, n_control, base_rate)), "
        "power as ({{ minimum_detectable_effects('cases', 'case_id') }}) "
        "select cases.case_id, power.minimum_detectable_effect from cases "
        "left join power on cases.case_id = power.case_id order by cases.case_id")
    out = run_dbt(["--quiet", "show", "--inline", inline, "--output", "json", "--limit", "100",
                   "--vars", Settings().dbt_vars_json()],
                  tmp_path / "warehouse.duckdb", dbt_work_dir).stdout
    rows = json.loads(out[out.index("{"):])["show"]
    assert [r["case_id"] for r in rows] == list(range(len(CASES)))
    for row, case in zip(rows, CASES):
        python_value = _python(*case)
        assert _same(row["minimum_detectable_effect"], python_value), (case, row, python_value)
    assert math.isnan(_python(3, 1, 0.5))  # the null case is a real one


def test_recall_segments_layer_mde_is_pythons(built_warehouse):
    """On the built mart: each layer's effect from its arm sizes and control rate."""
    layers = query(built_warehouse, f"""
        with past_control as (
            select layer, sum(conversion_rate * targeted_count) / sum(targeted_count) as rate
            from marts.recall_effect_by_layer
            where arm = 'control' and is_window_complete = 1
            group by layer
        )
        select s.layer, any_value(s.layer_treatment_count) as n_t,
               any_value(s.layer_control_count) as n_c,
               coalesce(any_value(c.rate), {Settings().prior_control_conversion}) as base_rate,
               any_value(s.layer_minimum_detectable_effect) as mde,
               count(distinct s.layer_minimum_detectable_effect) as distinct_values
        from marts.recall_segments as s
        left join past_control as c using (layer)
        group by s.layer
    """)
    assert len(layers) >= 2
    assert (layers.distinct_values <= 1).all()
    for row in layers.itertuples():
        if row.n_t < 1 or row.n_c < 1:
            assert row.mde is None or math.isnan(row.mde), row
            continue
        expected = _python(int(row.n_t), int(row.n_c), float(row.base_rate))
        if math.isnan(expected):
            assert row.mde is None or math.isnan(row.mde), row
            continue
        assert row.mde == pytest.approx(expected, abs=TOLERANCE), row
