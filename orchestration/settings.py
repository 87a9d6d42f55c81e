"""Domain thresholds and run settings, defined once with domain.md's defaults.

Precedence: defaults here < `$CHURN_HOME/settings.toml` < `--set name=value` on the CLI.
Every setting flows into dbt as a var of the same name (`dbt_vars()`) and into Python code as
an attribute, so SQL and Python never disagree.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from statistics import NormalDist
from dataclasses import dataclass, field, fields
from pathlib import Path

from sources.contract import CONTACT_COSTS, LAYER_CHANNELS
from sources.plan import ContactPolicy

SETTINGS_FILE = "settings.toml"


class SettingsError(ValueError):
    """A setting is unknown, unparsable or out of range."""


@dataclass(frozen=True)
class Settings:
    """Domain thresholds (domain.md) and run knobs. Field docs live in `DOCS` below."""

    warning_days: int = 3
    churn_days: int = 30
    churn_window_days: int = 30
    snapshot_cadence_months: int = 1
    complaint_threshold: int = 2
    service_incident_threshold: int = 2
    churn_signal_lookback_days: int = 90
    slow_response_minutes: float = 240.0
    competitor_search_lookback_days: int = 30
    late_delivery_days: int = 5
    price_discount_share: float = 0.25
    hesitating_lookback_days: int = 14
    recent_window_days: int = 14
    new_customer_days: int = 60
    high_value_gmv_percentile: float = 80.0
    high_value_frequency_percentile: float = 80.0
    advanced_frequency_percentile: float = 60.0
    at_risk_score_threshold: float = 0.5
    holdout_share: float = 0.10
    first_month_days: int = 30
    effect_months: int = 6
    effect_month_days: int = 30
    recall_budget: float = 50000.0
    cost_email: float = CONTACT_COSTS["email"]
    cost_sms: float = CONTACT_COSTS["sms"]
    cost_in_app: float = CONTACT_COSTS["in_app"]
    cost_app_push: float = CONTACT_COSTS["app_push"]
    cost_messenger: float = CONTACT_COSTS["messenger"]
    cost_agent: float = CONTACT_COSTS["agent"]
    cost_phone: float = CONTACT_COSTS["phone"]
    gross_margin: float = 1.0
    power: float = 0.80
    alpha: float = 0.05
    min_detectable_uplift: float = 0.05
    prior_control_conversion: float = 0.05
    business_cutoff: float = 0.5
    drift_psi_threshold: float = 0.2
    raw_feed_lag_days: int = 3
    label_rate_min: float = 0.01
    label_rate_max: float = 0.8
    min_segment_size: int = 1
    arm_balance_tolerance: float = 0.02
    xgb_threads: int = 2
    training_snapshots: int = 12
    max_training_rows: int = 1_000_000
    xgb_max_rounds: int = 400
    duckdb_memory_limit: str = "8GB"
    uplift_min_control_customers: int = 30
    uplift_min_rows_per_arm: int = 200
    campaign_id: str = "next_wave"
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def dbt_vars(self) -> dict:
        """All settings as dbt vars (same names), plus derived ones: the z quantiles of alpha and
        power, the recall channel rule (`layer_channels`, sources.contract.LAYER_CHANNELS), and
        an empty campaign plan with the default contact policy (`recall_plan`,
        `contact_policy`; orchestration.campaign_plan.dbt_vars adds CHURN_HOME/plan.yml's)."""
        out = dataclasses.asdict(self)
        out.pop("extra")
        normal = NormalDist()
        out["z_alpha"] = round(normal.inv_cdf(1 - self.alpha / 2), 6)
        out["z_power"] = round(normal.inv_cdf(self.power), 6)
        out["layer_channels"] = {layer: list(ch) for layer, ch in LAYER_CHANNELS.items()}
        out["recall_plan"] = []
        out["contact_policy"] = ContactPolicy().as_dbt_var()
        out["recall_triggers"] = []  # the plan's trigger campaigns (campaign_plan.dbt_vars)
        return out

    def dbt_vars_json(self) -> str:
        return json.dumps(self.dbt_vars(), sort_keys=True)

    def channel_costs(self) -> dict[str, float]:
        return {f.name.removeprefix("cost_"): getattr(self, f.name)
                for f in fields(self) if f.name.startswith("cost_")}

    def replace(self, **changes) -> "Settings":
        return validate(dataclasses.replace(self, **changes))


DOCS: dict[str, str] = {
    "warning_days": "No visit for this many consecutive days puts a customer in the warning stage.",
    "churn_days": "No interaction for this many days confirms churn (lifecycle stage churned).",
    "churn_window_days": "Label window after a snapshot: churned if no interaction within it.",
    "snapshot_cadence_months": "Months between customer snapshots.",
    "complaint_threshold": "Complaints on record that make a customer service-dissatisfied.",
    "service_incident_threshold": "Service incidents (complaints + late deliveries + returned "
                                  "orders + slow first responses) in the signal window that make "
                                  "a customer service-dissatisfied.",
    "churn_signal_lookback_days": "Window before the last interaction in which service incidents "
                                  "and promotion views count as churn-type signals.",
    "slow_response_minutes": "First support responses slower than this many minutes count as slow.",
    "competitor_search_lookback_days": "Recent window for competitor-keyword searches.",
    "late_delivery_days": "Deliveries slower than this count as late.",
    "price_discount_share": "Discount share of past GMV above which a customer is price-sensitive.",
    "hesitating_lookback_days": "Window in which visits without an order mean hesitating.",
    "recent_window_days": "Churn feature recent_visits: visits in this many days before a "
                          "snapshot (the last days of the month before it; 1 to 28).",
    "new_customer_days": "Customers signed up within this many days are in the new layer.",
    "high_value_gmv_percentile": "High-value double filter: annual GMV percentile.",
    "high_value_frequency_percentile": "High-value double filter: repurchase frequency percentile.",
    "advanced_frequency_percentile": "Advanced layer: used to buy often (frequency percentile).",
    "at_risk_score_threshold": "Churn score from which an active customer is at risk: a recall "
                               "candidate, and on the report's early-warning list when not at "
                               "risk in the previous scoring run.",
    "holdout_share": "Control (holdout) share of every layer in a recall wave.",
    "first_month_days": "Length of the first-month effect window after a recall touch.",
    "effect_months": "Months tracked after the first month.",
    "effect_month_days": "Days in each tracked month.",
    "recall_budget": "Budget cut for a recall wave, in shop currency.",
    "gross_margin": "Share of GMV counted as margin in ROI (1.0 = ROI on GMV).",
    "min_detectable_uplift": "A layer whose minimum detectable effect exceeds this is flagged under-powered.",
    "prior_control_conversion": "Control conversion rate assumed for the minimum detectable "
                                "effect of a recall layer without a completed randomized wave "
                                "(after one, the layer's observed control rate is used).",
    "power": "Statistical power for sample size and minimum detectable effect.",
    "alpha": "Two-sided significance level for intervals and power.",
    "business_cutoff": "Churn probability above which the model calls a customer a churner.",
    "drift_psi_threshold": "Population stability index above which retraining is triggered.",
    "raw_feed_lag_days": "Freshness check: a raw feed (orders, events) whose newest "
                         "record is this many days older than the newest raw record is stale.",
    "label_rate_min": "Blocking check: a customer_snapshots churn label rate below this stops "
                      "churn_model.",
    "label_rate_max": "Blocking check: a customer_snapshots churn label rate above this stops "
                      "churn_model (the window does not fit the shop: `churn-recall suggest`; "
                      "the summary already warns above 0.5).",
    "min_segment_size": "Blocking check: recall_segments with fewer customers than this are not "
                        "exported.",
    "arm_balance_tolerance": "Blocking check: a layer's control share may differ from "
                             "holdout_share by this much (or one customer, whichever is more), "
                             "else the wave is not exported.",
    "xgb_threads": "Threads XGBoost may use.",
    "training_snapshots": "Newest labelled monthly snapshots the model trains on (the newest "
                          "of them validates).",
    "max_training_rows": "Above this many labelled rows, a fixed share of customers (by a hash "
                         "of their id) is trained on, all of their snapshots kept.",
    "xgb_max_rounds": "Maximum boosting rounds (early stopping picks fewer).",
    "duckdb_memory_limit": "DuckDB memory limit for dbt and Python connections.",
    "uplift_min_control_customers": "A randomized campaign with fewer control customers "
                                     "(first month complete) than this is left out of the "
                                     "uplift model's training rows, with that reason.",
    "uplift_min_rows_per_arm": "The uplift model trains a treatment variant only with at least "
                               "this many training rows, and needs as many control rows; "
                               "with fewer, targeting keeps the rule-based ranking.",
    "campaign_id": "Campaign the recall segment tables are built for.",
}
DOCS.update({f"cost_{c}": f"Cost per contact through {c}." for c in CONTACT_COSTS})

_PERCENTILES = ("high_value_gmv_percentile", "high_value_frequency_percentile",
                "advanced_frequency_percentile")
_PROBABILITIES = ("at_risk_score_threshold", "business_cutoff", "power", "alpha", "gross_margin",
                  "min_detectable_uplift", "label_rate_max", "arm_balance_tolerance")


def validate(s: Settings) -> Settings:
    """Refuse settings outside their domain with a message naming the setting."""
    problems = []
    for f in fields(s):
        value = getattr(s, f.name)
        if f.type in ("int", "float") and isinstance(value, (int, float)):
            if value < 0:
                problems.append(f"{f.name}={value} must not be negative")
    for name in ("warning_days", "churn_days", "churn_window_days", "snapshot_cadence_months",
                 "first_month_days", "effect_months", "effect_month_days", "xgb_threads",
                 "max_training_rows",
                 "xgb_max_rounds", "complaint_threshold", "service_incident_threshold",
                 "churn_signal_lookback_days", "competitor_search_lookback_days"):
        if getattr(s, name) < 1:
            problems.append(f"{name}={getattr(s, name)} must be at least 1")
    if not 0 < s.holdout_share <= 0.5:
        problems.append(f"holdout_share={s.holdout_share} must be in (0, 0.5]")
    for name in _PERCENTILES:
        if not 0 <= getattr(s, name) <= 100:
            problems.append(f"{name}={getattr(s, name)} must be in [0, 100]")
    for name in _PROBABILITIES:
        if not 0 < getattr(s, name) <= 1:
            problems.append(f"{name}={getattr(s, name)} must be in (0, 1]")
    if not 0 <= s.prior_control_conversion < 1:
        problems.append(f"prior_control_conversion={s.prior_control_conversion} must be in [0, 1)")
    if s.slow_response_minutes == 0:
        problems.append(f"slow_response_minutes={s.slow_response_minutes} must be positive")
    if not 1 <= s.recent_window_days <= 28:
        problems.append(f"recent_window_days={s.recent_window_days} must be in [1, 28] "
                        "(it counts the last days of the month before a snapshot)")
    if s.training_snapshots < 2:
        problems.append(f"training_snapshots={s.training_snapshots} must be at least 2 "
                        "(one to train on, the newest to validate)")
    if s.label_rate_min >= s.label_rate_max:
        problems.append(f"label_rate_min={s.label_rate_min} must be below "
                        f"label_rate_max={s.label_rate_max}")
    if s.warning_days >= s.churn_days:
        problems.append(f"warning_days={s.warning_days} must be below churn_days={s.churn_days}")
    if not s.campaign_id.replace("_", "").replace("-", "").isalnum():
        problems.append(f"campaign_id={s.campaign_id!r} may hold letters, digits, '-' and '_' only")
    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return s


def _coerce(name: str, raw, type_name: str):
    try:
        if type_name == "int":
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        if type_name == "float":
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name}: cannot read {raw!r} as {type_name}") from None


def parse_overrides(pairs: list[str] | None) -> dict:
    """Turn `name=value` strings from `--set` into a dict."""
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SettingsError(f"--set expects name=value, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


def load_settings(home: Path | None = None, overrides: dict | None = None) -> Settings:
    """Defaults, then `$CHURN_HOME/settings.toml`, then overrides; validated."""
    known = {f.name: f.type for f in fields(Settings) if f.name != "extra"}
    values: dict = {}
    if home is not None and (home / SETTINGS_FILE).exists():
        path = home / SETTINGS_FILE
        try:
            values.update(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    values.update(overrides or {})
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(
            f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    typed = {k: _coerce(k, v, known[k]) for k, v in values.items()}
    return validate(Settings(**typed))
