"""Per-customer recall targeting (issue #16, part 4): the recall_uplift champion's uplift per
variant x the customer's lifetime value x margin - the variant's contact cost; each candidate
gets its most profitable variant, positive profit only, cut at the recall budget, in
`ml.recall_targeting`. Without an uplift champion the rule-based ranking of recall_segments
stays in use, and the asset says so."""

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from orchestration.lib.metadata import markdown_table, rule_based_fallback
from sources.warehouse import replace_table, table_exists

# The candidates with the features of their newest snapshot (active or lapsed) and their value.
CANDIDATES = """
with latest_date as (
    select max(snapshot_date) as snapshot_date from marts.customer_snapshots
),
latest as (
    select s.* from marts.customer_snapshots as s join latest_date using (snapshot_date)
    union all by name
    select s.* from marts.lapsed_customer_snapshots as s join latest_date using (snapshot_date)
)
select
    c.customer_id, c.operating_layer as layer, c.churn_type, c.candidate_reason,
    {value} as expected_value,
    latest.* exclude (customer_id, snapshot_date, is_churned_label, tier, region)
from marts.recall_candidates as c
left join latest using (customer_id)
{value_join}
"""


def _candidates_sql(has_clv: bool) -> str:
    if has_clv:
        return CANDIDATES.format(
            value="coalesce(v.expected_gmv_6m_if_active, c.pre_churn_monthly_gmv * 7, 0)",
            value_join="left join ml.customer_lifetime_value as v using (customer_id)")
    return CANDIDATES.format(value="coalesce(c.pre_churn_monthly_gmv * 7, 0)", value_join="")


@dg.asset(deps=["recall_candidates", "recall_uplift", "customer_lifetime_value"],
          group_name="recall", kinds={"xgboost", "duckdb"}, owners=[OWNER], pool=DUCKDB_POOL)
def recall_targeting(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Every recall candidate's most profitable variant (expected uplift x lifetime value x
    gross_margin - contact cost), whether it is contacted under recall_budget, and its rank,
    from the `recall_uplift` champion; `ml.recall_targeting`. Falls back to the rule-based
    ranking (recall_segments) without a champion, and says so."""
    from ml.registry import UPLIFT_CHAMPION_URI, UPLIFT_MODEL_NAME, has_champion
    from ml.targeting import choose_variants, variant_costs
    from ml.tracking import MlflowTracking
    from ml.uplift_pyfunc import load_uplift_model

    s, env = platform.settings, platform.env.prepare()
    if not has_champion(UPLIFT_MODEL_NAME, tracking_uri=env.mlflow_uri):
        return rule_based_fallback(
            context, "no recall_uplift champion (see the recall_uplift asset): targeting stays "
            "with the rule-based ranking of recall_segments")
    with MlflowTracking(env.mlflow_uri).session():
        model = load_uplift_model(UPLIFT_CHAMPION_URI)
    with platform.connect(read_only=True) as con:
        has_clv = table_exists(con, "ml", "customer_lifetime_value")
        candidates = con.execute(_candidates_sql(has_clv)).df()
    if not has_clv:
        context.log.warning("no ml.customer_lifetime_value: value = pre-churn monthly GMV x 7")
    unscored = candidates[model.features].isna().all(axis=1)
    if unscored.any():
        context.log.warning(f"{int(unscored.sum()):,} candidate(s) without a snapshot row are "
                            "left out of targeting")
    candidates = candidates[~unscored].set_index("customer_id")
    uplift = model.predict(candidates)
    costs = variant_costs(model.variants, s.channel_costs())
    choice = choose_variants(uplift, candidates["expected_value"], costs,
                             variants=model.variants, margin=s.gross_margin,
                             budget=s.recall_budget)
    out = candidates[["layer", "churn_type", "candidate_reason"]].join(
        uplift[["p_control"]].rename(columns={"p_control": "return_probability_without_contact"})
    ).join(choice).reset_index()
    with platform.connect() as con:
        rows = replace_table(con, "ml", "recall_targeting", out)
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
