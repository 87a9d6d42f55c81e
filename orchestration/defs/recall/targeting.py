"""Per-customer recall targeting (issue #16, part 4): the recall_uplift champion's uplift per
variant x the customer's lifetime value x margin - the variant's contact cost for that customer
(marts.recall_candidate_variants); each candidate gets its most profitable variant, positive
profit only, cut at the recall budget, in `ml.recall_targeting`, which recall_segments sends.
Without an uplift champion the table is empty, recall_segments keeps its rule-based ranking,
and the asset says so."""

import dagster as dg
import pandas as pd

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import markdown_table, rule_based_fallback
from ml.targeting import TARGETING_COLUMNS
from sources.warehouse import replace_table, table_exists

# Value: the 6-month lifetime value if active (ml.customer_lifetime_value), else the rule.
VALUE_SQL = """
select f.*, coalesce({clv}f.pre_churn_monthly_gmv * 7, 0) as expected_value
from marts.recall_candidate_features as f
{join}
"""


def _candidates_sql(has_clv: bool) -> str:
    if has_clv:
        return VALUE_SQL.format(
            clv="v.expected_gmv_6m_if_active, ",
            join="left join ml.customer_lifetime_value as v using (customer_id)")
    return VALUE_SQL.format(clv="", join="")


def _write(platform: PlatformResource, frame: pd.DataFrame) -> int:
    frame = frame.reindex(columns=list(TARGETING_COLUMNS)).astype(TARGETING_COLUMNS)
    with platform.connect() as con:
        return replace_table(con, "ml", "recall_targeting", frame)


@dg.asset(deps=["recall_candidate_features", "recall_candidate_variants", "recall_uplift",
                "customer_lifetime_value"],
          group_name="recall", kinds={"xgboost", "duckdb"}, owners=[OWNER], pool=DUCKDB_POOL)
def recall_targeting(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Every recall candidate's most profitable variant (expected uplift x lifetime value x
    gross_margin - contact cost), whether it is contacted under recall_budget, and its rank,
    from the `recall_uplift` champion; `ml.recall_targeting`. Falls back to the rule-based
    ranking (recall_segments) without a champion, and says so."""
    from ml.registry import UPLIFT_CHAMPION_URI, UPLIFT_MODEL_NAME, has_champion
    from ml.targeting import choose_variants
    from ml.tracking import MlflowTracking
    from ml.uplift_pyfunc import load_uplift_model

    s, env = platform.settings, platform.env.prepare()
    if not has_champion(UPLIFT_MODEL_NAME, tracking_uri=env.mlflow_uri):
        _write(platform, pd.DataFrame())
        return rule_based_fallback(
            context, "no recall_uplift champion (see the recall_uplift asset): targeting stays "
            "with the rule-based ranking of recall_segments")
    with MlflowTracking(env.mlflow_uri).session():
        model = load_uplift_model(UPLIFT_CHAMPION_URI)
    with platform.connect(read_only=True) as con:
        has_clv = table_exists(con, "ml", "customer_lifetime_value")
        candidates = con.execute(_candidates_sql(has_clv)).df()
        reach = con.execute("select * from marts.recall_candidate_variants").df()
    if not has_clv:
        context.log.warning("no ml.customer_lifetime_value: value = pre-churn monthly GMV x 7")
    unscored = candidates[model.features].isna().all(axis=1)
    if unscored.any():
        context.log.warning(f"{int(unscored.sum()):,} candidate(s) without a snapshot row are "
                            "left out of targeting")
    candidates = candidates[~unscored].set_index("customer_id")
    uplift = model.predict(candidates)
    unreached = sorted(set(model.variants) - set(reach["variant"]))
    if unreached:
        _write(platform, pd.DataFrame())
        return rule_based_fallback(
            context, f"the recall_uplift champion's variant(s) {unreached} were never sent "
            "(recall_candidate_variants knows no channel or cost for them): targeting stays "
            "with the rule-based ranking of recall_segments")
    costs = reach.pivot(index="customer_id", columns="variant", values="contact_cost")
    choice = choose_variants(uplift, candidates["expected_value"], costs,
                             variants=model.variants, margin=s.gross_margin,
                             budget=s.recall_budget)
    out = (candidates[["layer", "churn_type", "candidate_reason"]]
           .join(uplift[["p_control"]].rename(
               columns={"p_control": "return_probability_without_contact"}))
           .join(choice).reset_index()
           .merge(reach.drop(columns="contact_cost"), on=["customer_id", "variant"], how="left"))
    rows = _write(platform, out)
    selected = out[out.is_selected]
    by_variant = (selected.groupby("variant").agg(customers=("customer_id", "size"),
                                                  expected_profit=("expected_profit", "sum"),
                                                  cost=("contact_cost", "sum"))
                  .reset_index())
    context.log.info(f"{len(selected):,} of {rows:,} candidates targeted, expected incremental "
                     f"profit {selected.expected_profit.sum():,.0f}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows, "targeting": "uplift model",
        "selected": len(selected), "left_out_no_snapshot": int(unscored.sum()),
        "expected_profit": float(selected.expected_profit.sum()),
        "budget_spent": float(selected.contact_cost.sum()),
        "by_variant": markdown_table(by_variant),
        "value_source": "ml.customer_lifetime_value" if has_clv else "pre-churn GMV x 7",
    })
