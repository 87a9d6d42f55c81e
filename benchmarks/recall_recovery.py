"""Issue #16 part 5: per-customer targeting proven against the simulator's planted effects.

    uv run python benchmarks/recall_recovery.py --customers 4000 --months 15 --seeds 0 1 2 3 4

Per seed, the whole loop on a simulated shop (each seed its own CHURN_HOME under --work):
1. simulate the shop; a campaign plan with one exploration wave (`explore`: every churn type,
   one variant per offer of EXPLORE_OFFERS on the preferred channel, a --explore-holdout
   share held out, no budget cut);
2. the pipeline (raw, dbt, ml, recall, exports) selects and exports the wave; the simulator
   answers it (`respond`: the contacts work by the planted offer x churn type, channel, fade,
   value and fatigue effects) and runs seven months on;
3. the pipeline again (the uplift model now trains on the exploration wave and the shop's past
   waves) selects the next wave, `evaluate`, at --budget: per-customer targeting by the uplift
   champion (`recall_segments` with targeting_method uplift_model);
4. today's rule for the same wave and budget: `recall_segments` rebuilt with an empty
   ml.recall_targeting (the layer's offer, the wave's offer, the layer channel rule, ranked by
   the layer x churn type average uplift of past waves);
5. the oracle: every candidate's planted effect for every variant the model knows (the
   simulator answers an all-holdout wave of every candidate, which writes
   truth.customer_offer_effects at that date and contacts nobody), its best variant by
   planted profit, cut at the same budget (`ml.targeting.choose_variants`).

Realised incremental profit of a selection = sum over its customers (both arms: the holdout
share is the same design choice for every policy) of planted effect of the customer's offer on
the customer's channel x value x gross_margin - contact cost. Value is the same for all
policies: the 6-month lifetime value if active, else pre-churn monthly GMV x 7 (what
recall_targeting uses), so the comparison measures who is contacted with which variant.

Prints per seed the three profits, model/oracle and model/rule, then their means; the issue's
goals are model/oracle >= 0.8 and model/rule >= 1.3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# One offer answering each churn type (sources/simulator/response.py MATCH): what a shop would
# test; each variant needs uplift_min_rows_per_arm treated customers.
EXPLORE_OFFERS = ("generic_coupon", "price_match", "service_recovery", "content_recommendation")
CHURN_TYPES = ("price_sensitive", "service_dissatisfied", "competitor_attracted", "silent")
DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def _plan(first_day, holdout: float) -> str:
    share = round(1 / len(EXPLORE_OFFERS), 6)
    variants = "\n".join(
        f"      - {{name: {o}, offer: {o}, channel: preferred, share: {share}}}"
        for o in EXPLORE_OFFERS[:-1])
    last = 1 - share * (len(EXPLORE_OFFERS) - 1)
    variants += (f"\n      - {{name: {EXPLORE_OFFERS[-1]}, offer: {EXPLORE_OFFERS[-1]}, "
                 f"channel: preferred, share: {last:.6f}}}")
    return f"""waves:
  - campaign_id: explore
    churn_types: [{", ".join(CHURN_TYPES)}]
    starts_on: {first_day.isoformat()}
    days: 30
    budget: 100000000
    holdout_share: {holdout}
    variants:
{variants}
"""


def _say(msg) -> None:
    print(f"  {msg}", flush=True)


def _pipeline(home: Path, overrides: dict, stages: tuple) -> None:
    from orchestration.runner import materialize

    materialize(str(home), overrides, stages=stages, progress=lambda m: None)


def _rule_based_segments(env, settings) -> None:
    """bench.rule_segments: recall_segments of the evaluation wave rebuilt with an empty
    ml.recall_targeting (today's rule); bench.model_segments keeps the model-targeted wave."""
    from orchestration.campaign_plan import dbt_vars
    from sources import warehouse

    with warehouse.connect(env.warehouse) as con:
        con.execute("create schema if not exists bench")
        con.execute("create or replace table bench.model_segments as "
                    "select * from marts.recall_segments")
        con.execute("create or replace table bench.targeting as select * from ml.recall_targeting")
        con.execute("delete from ml.recall_targeting")
    run_env = {**os.environ, "CHURN_DUCKDB_PATH": str(env.warehouse),
               "DBT_TARGET_PATH": str(env.home / "dbt_rule_target"),
               "DBT_LOG_PATH": str(env.home / "dbt_rule_logs")}
    proc = subprocess.run(
        [str(DBT_EXECUTABLE), "run", "--select", "recall_segments", "--vars",
         json.dumps(dbt_vars(settings, env)), "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=run_env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"dbt run recall_segments failed:\n{proc.stdout[-3000:]}")
    with warehouse.connect(env.warehouse) as con:
        con.execute("create or replace table bench.rule_segments as "
                    "select * from marts.recall_segments")
        con.execute("insert into ml.recall_targeting select * from bench.targeting")


def _planted_effects(env, candidates: pd.DataFrame) -> None:
    """truth.customer_offer_effects of every candidate at the evaluation wave's date (campaign
    oracle_truth): the simulator answers a wave holding every candidate in the control arm, so
    nobody is contacted."""
    from sources import warehouse
    from sources.simulator import respond

    wave = candidates[["customer_id", "layer"]].assign(
        campaign_id="oracle_truth", arm="control", offer="generic_coupon", channel="email")
    with warehouse.connect(env.warehouse) as con:
        respond(con, wave, progress=None)


def _realised(selection: pd.DataFrame, effects: pd.DataFrame, value: pd.Series,
              margin: float) -> float:
    """Planted profit of the rows (customer_id, offer, channel, cost_per_contact)."""
    rows = selection.merge(effects, on=["customer_id", "offer", "channel"], how="left")
    missing = rows.effect.isna().sum()
    if missing:
        raise RuntimeError(f"{missing} selected row(s) without a planted effect")
    v = rows.customer_id.map(value).fillna(0.0)
    return float((rows.effect * v * margin - rows.cost_per_contact).sum())


def run_seed(seed: int, args) -> dict:
    """Steps 1-5 for one seed in its own CHURN_HOME; the tables `score` reads stay there."""
    from ml.registry import UPLIFT_MODEL_NAME, has_champion
    from orchestration.campaign_plan import first_open_day
    from orchestration.environment import Environment
    from orchestration.settings import load_settings
    from sources import warehouse
    from sources.crm_export import crm_path
    from sources.simulator import SimulationConfig, respond, simulate_to_duckdb

    home = Path(args.work).resolve() / f"seed_{seed}"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["CHURN_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    env = Environment(home).prepare()
    timings = {}
    t0 = time.perf_counter()
    with warehouse.connect(env.warehouse) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=args.customers, months=args.months,
                                                 seed=seed))
        (home / "plan.yml").write_text(_plan(first_open_day(con), args.explore_holdout))
    timings["simulate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _pipeline(home, {"campaign_id": "explore"}, ("raw", "dbt", "ml", "recall", "exports"))
    wave = pd.read_parquet(crm_path(env.exports, "explore", "parquet"))
    _say(f"seed {seed}: exploration wave of {len(wave):,} customers "
         f"({(wave.arm == 'control').sum():,} held out)")
    with warehouse.connect(env.warehouse) as con:
        respond(con, wave, progress=None)
    timings["explore"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    overrides = {"campaign_id": "evaluate", "recall_budget": args.budget}
    _pipeline(home, overrides, ("raw", "dbt", "ml", "recall"))
    timings["retrain_and_target"] = time.perf_counter() - t0
    settings = load_settings(home, overrides)
    if not has_champion(UPLIFT_MODEL_NAME, tracking_uri=env.mlflow_uri):
        raise RuntimeError(f"seed {seed}: no recall_uplift champion after the exploration wave")
    with warehouse.connect(env.warehouse, read_only=True) as con:
        targeted = con.execute("select distinct targeting_method from marts.recall_segments"
                               ).fetchall()
        candidates = con.execute("select * from marts.recall_candidate_features").df()
    if targeted != [("uplift_model",)]:
        raise RuntimeError(f"seed {seed}: the evaluation wave is not model-targeted ({targeted})")
    t0 = time.perf_counter()
    _rule_based_segments(env, settings)
    _planted_effects(env, candidates)
    timings["baselines"] = time.perf_counter() - t0
    return {"seed": seed, "explored": len(wave),
            **{f"{k}_s": round(v) for k, v in timings.items()}}


def score(seed: int, args) -> dict:
    """Realised profit of each policy for the evaluation wave of seed `seed` (run_seed's home):
    the model, today's rule, the layer x churn type average with its best variant, the oracle."""
    from ml.registry import UPLIFT_CHAMPION_URI
    from ml.targeting import choose_variants
    from ml.tracking import MlflowTracking
    from ml.uplift import GroupAverageUplift
    from ml.uplift_pyfunc import load_uplift_model
    from ml.uplift_tracking import ARM_COLUMN, uplift_frame
    from orchestration.environment import Environment
    from orchestration.settings import load_settings
    from sources import warehouse

    home = Path(args.work).resolve() / f"seed_{seed}"
    env = Environment(home)
    margin = load_settings(home, {}).gross_margin
    with MlflowTracking(env.mlflow_uri).session():
        model = load_uplift_model(UPLIFT_CHAMPION_URI)
    variants = list(model.variants)
    with warehouse.connect(env.warehouse, read_only=True) as con:
        model_rows = con.execute("select * from bench.model_segments").df()
        rule_rows = con.execute("select * from bench.rule_segments").df()
        targeting = con.execute("select * from bench.targeting").df()
        candidates = con.execute("select * from marts.recall_candidate_features").df()
        reach = con.execute("select * from marts.recall_candidate_variants").df()
        training = con.execute("select * from marts.recall_uplift_training_rows").df()
        effects = con.execute("select customer_id, offer, channel, effect "
                              "from truth.customer_offer_effects "
                              "where campaign_id = 'oracle_truth'").df()
    candidates = candidates.set_index("customer_id")
    value = pd.concat([candidates.pre_churn_monthly_gmv.fillna(0) * 7,
                       targeting.set_index("customer_id").expected_value]
                      ).groupby(level=0).last().reindex(candidates.index).fillna(0.0)
    reach = reach[reach.variant.isin(variants)]
    costs = reach.pivot(index="customer_id", columns="variant", values="contact_cost"
                        ).reindex(candidates.index)

    def selected_rows(uplift: pd.DataFrame) -> pd.DataFrame:
        choice = choose_variants(uplift, value, costs, variants=variants, margin=margin,
                                 budget=args.budget)
        return (choice[choice.is_selected].reset_index()
                .merge(reach[["customer_id", "variant", "offer", "channel"]],
                       on=["customer_id", "variant"])
                .rename(columns={"contact_cost": "cost_per_contact"}))

    # the oracle: the planted effect of every model variant on the candidate's channel for it
    planted = reach.merge(effects, on=["customer_id", "offer", "channel"], how="left")
    true_uplift = (planted.pivot(index="customer_id", columns="variant", values="effect")
                   .reindex(index=candidates.index, columns=variants).fillna(0.0)
                   .add_prefix("uplift_"))
    oracle_rows = selected_rows(true_uplift)
    # the layer x churn type average of the training rows, each group's best variant
    frame = uplift_frame(training)
    group = GroupAverageUplift().fit(frame[frame[ARM_COLUMN].isin([model.control, *variants])],
                                     outcome="returned", variant=ARM_COLUMN,
                                     control=model.control)
    group_uplift = group.predict(candidates.reset_index()).set_axis(candidates.index)
    group_uplift = group_uplift.reindex(columns=[f"uplift_{v}" for v in variants]).fillna(0.0)
    group_rows = selected_rows(group_uplift)
    out = {"seed": seed, "candidates": len(candidates), "variants": len(variants)}
    for name, rows in (("model", model_rows), ("rule", rule_rows), ("group", group_rows),
                       ("oracle", oracle_rows)):
        out[name] = _realised(rows, effects, value, margin)
        out[f"{name}_customers"] = len(rows)
        out[f"{name}_spent"] = round(float(rows.cost_per_contact.sum()), 2)
    for base in ("oracle", "rule", "group"):
        out[f"model/{base}"] = out["model"] / out[base] if out[base] > 0 else float("nan")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=4000)
    p.add_argument("--months", type=int, default=15)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--budget", type=float, default=2000.0,
                   help="the evaluation wave's budget, the same for every policy")
    p.add_argument("--explore-holdout", type=float, default=0.2)
    p.add_argument("--work", default=".churn/recall_recovery")
    p.add_argument("--score-only", action="store_true",
                   help="score the seeds' homes already under --work (no simulation)")
    args = p.parse_args(argv)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    rows = []
    for seed in args.seeds:
        if not args.score_only:
            started = time.perf_counter()
            print(json.dumps(run_seed(seed, args)), flush=True)
            _say(f"seed {seed}: {time.perf_counter() - started:.0f} s")
        rows.append(score(seed, args))
        print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table[["seed", "candidates", "model_customers", "rule_customers", "group_customers",
                 "oracle_customers", "model", "rule", "group", "oracle", "model/oracle",
                 "model/rule", "model/group"]].round(3).to_string(index=False))
    print(f"mean over {len(rows)} seed(s): model/oracle {np.nanmean(table['model/oracle']):.3f} "
          f"(goal >= 0.8), model/rule {np.nanmean(table['model/rule']):.2f} (goal >= 1.3), "
          f"model/group {np.nanmean(table['model/group']):.2f}; profits model "
          f"{table.model.mean():,.0f}, rule {table.rule.mean():,.0f}, "
          f"group {table.group.mean():,.0f}, oracle {table.oracle.mean():,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
