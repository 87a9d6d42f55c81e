"""The short text the demo prints: what was built, how good the model is, what the waves did."""

from __future__ import annotations

from orchestration.environment import Environment
from orchestration.settings import Settings
from sources import warehouse

TABLES = ("raw.customers", "raw.orders", "raw.events", "marts.customer_snapshots",
          "ml.churn_scores", "marts.recall_segments", "marts.recall_effect_first_month",
          "marts.recall_effect_six_months")


# The share of active customers labelled churned above which the churn window is too short.
MOSTLY_CHURNED = 0.5


def _champion_metrics(env: Environment, name: str) -> dict:
    from mlflow import MlflowClient

    from ml.registry import CHAMPION

    client = MlflowClient(tracking_uri=env.mlflow_uri)
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except Exception:  # no registered model yet: the summary says so
        return {}
    run = client.get_run(version.run_id)
    return {"version": version.version, **run.data.metrics,
            "dropped_features": run.data.tags.get("dropped_features", "none")}


def window_warning(label_rate: float | None, settings: Settings) -> str | None:
    """A warning when the churn window labels most active customers churned."""
    if label_rate is None or label_rate <= MOSTLY_CHURNED:
        return None
    return (f"Warning: {label_rate:.0%} of active customers are labelled churned within "
            f"{settings.churn_window_days} days: the window looks too short for how often this "
            "shop's customers buy. Run `churn-recall suggest` for a churn_days that fits.")


def _model_line(title: str, m: dict) -> list[str]:
    if not m:
        return [f"{title}: not trained yet"]
    lines = [f"{title} v{m['version']}: AUC {m.get('auc', float('nan')):.3f}, "
             f"PR AUC {m.get('pr_auc', float('nan')):.3f}, "
             f"Brier {m.get('brier', float('nan')):.3f} "
             f"(recency rule AUC {m.get('baseline_recency_auc', float('nan')):.3f})"]
    if m.get("dropped_features", "none") != "none":
        lines.append(f"  empty features left out: {m['dropped_features']}")
    return lines


def _variant_lines(rows) -> list[str]:
    """Each randomized campaign's variants against its control and the winner (Holm)."""
    if not rows:
        return []
    lines = ["", "Variants (conversion uplift over the campaign's control, 95% interval, "
                 "Holm-adjusted p; * = winner):"]
    reasons: dict[str, str] = {}
    for cid, variant, n, up, lo, hi, p_holm, winner, reason in rows:
        reasons[cid] = reason
        if up is None:
            continue
        mark = "*" if winner else " "
        lines.append(f" {mark}{cid:<18} {variant:<24} n={n:<6} {up:+.1%} [{lo:+.1%}, {hi:+.1%}]"
                     f" p={p_holm:.3f}")
    for cid, reason in reasons.items():
        lines.append(f"  {cid}: {reason}")
    return lines


def targeting_line(m: dict) -> str:
    """How the next wave is targeted: by the recall_uplift champion, or by the rule."""
    if not m:
        return ("Targeting: rule-based ranking (layer x churn type averages): no recall_uplift "
                "champion yet, too little randomized history (see the recall_uplift asset)")
    return (f"Targeting: recall_uplift v{m['version']} per customer (held-out mean Qini "
            f"{m.get('mean_qini_model', float('nan')):.4f}, layer x type average "
            f"{m.get('mean_qini_group_average', float('nan')):.4f}); see ml.recall_targeting")


def render(env: Environment, settings: Settings, seconds: float) -> str:
    from ml.registry import MODEL_NAME, RETURN_MODEL_NAME, UPLIFT_MODEL_NAME
    from ml.scoring import ACTIVE, LAPSED

    lines = [f"\nDone in {seconds:.0f}s. CHURN_HOME={env.home}", "", "Tables:"]
    with warehouse.connect(env.warehouse, read_only=True) as con:
        for t in TABLES:
            schema, name = t.split(".")
            lines.append(f"  {t:<36} {warehouse.row_count(con, schema, name):>12,} rows")
        label = con.execute("select avg(is_churned_label) from marts.customer_snapshots "
                            "where is_churned_label is not null").fetchone()[0]
        customers = con.execute("select count(*) from marts.customer_lifecycle").fetchone()[0]
        scored = dict(con.execute("select population, count(*) from ml.churn_scores "
                                  "group by 1").fetchall())
        segments = con.execute(
            "select layer, arm, count(*), any_value(is_layer_underpowered) "
            "from marts.recall_segments group by 1, 2 order by 1, 2").fetchall()
        wave_ids = [r[0] for r in con.execute(
            "select distinct campaign_id from marts.recall_segments").fetchall()]
        effects = con.execute(
            "select campaign_id, layer, targeted_count, conversion_rate, conversion_uplift, "
            "conversion_uplift_lower, conversion_uplift_upper, roi "
            "from marts.recall_effect_by_layer where arm = 'treatment' "
            "order by campaign_id, layer").fetchall()
        variants = con.execute(
            "select v.campaign_id, v.variant, v.targeted_count, v.conversion_uplift, "
            "v.conversion_uplift_lower, v.conversion_uplift_upper, v.conversion_p_value_holm, "
            "v.is_winner, w.reason from marts.recall_effect_variants v "
            "join marts.recall_wave_winners w using (campaign_id) "
            "where v.estimate_type = 'uplift' order by v.campaign_id, v.variant").fetchall()
    lines += ["", f"Label rate (churned within {settings.churn_window_days} days): "
                  f"{(label or 0):.1%}"]
    if warning := window_warning(label, settings):
        lines.append(warning)
    lines += _model_line(f"Champion {MODEL_NAME}", _champion_metrics(env, MODEL_NAME))
    lines += _model_line(f"Champion {RETURN_MODEL_NAME} (lapsed customers coming back)",
                         _champion_metrics(env, RETURN_MODEL_NAME))
    lines.append(targeting_line(_champion_metrics(env, UPLIFT_MODEL_NAME)))
    active, lapsed = scored.get(ACTIVE, 0), scored.get(LAPSED, 0)
    lines.append(f"Scored: {active + lapsed:,} of {customers:,} customers ({active:,} active with a "
                 f"churn probability, {lapsed:,} lapsed with a chance of returning)")
    wave_id = wave_ids[0] if len(wave_ids) == 1 else settings.campaign_id
    lines += ["", f"Recall wave {wave_id} (segments):"]
    for layer, arm, n, under in segments:
        flag = "  under-powered" if under else ""
        lines.append(f"  {layer:<9} {arm:<10} {n:>7,}{flag}")
    lines += ["", "First-month uplift (treatment - control conversion, 95% interval):"]
    for cid, layer, n, rate, up, lo, hi, roi in effects:
        if up is None:
            lines.append(f"  {cid:<16} {layer:<9} n={n:<6} conversion {rate:.1%} "
                         "(observational, no uplift)")
            continue
        roi_text = f"ROI {roi:+.2f}" if roi is not None else ""
        lines.append(f"  {cid:<16} {layer:<9} n={n:<6} uplift {up:+.1%} "
                     f"[{lo:+.1%}, {hi:+.1%}] {roi_text}")
    lines += _variant_lines(variants)
    from orchestration.report import reports_dir

    report = reports_dir(env.home) / "index.html"
    lines.append(f"Report: {report}" if report.exists() else
                 "Report: not built yet (`uv run churn-recall report`)")
    lines += ["", "Open the UIs: `uv run churn-recall ui` -> Dagster http://127.0.0.1:3000, "
                  "MLflow http://127.0.0.1:5000"]
    return "\n".join(lines)
