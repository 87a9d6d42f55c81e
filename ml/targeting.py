"""Recall targeting by expected incremental profit (issue #16, part 4).

For every candidate and treatment variant:

    expected profit = uplift x value x margin - contact cost of the variant

(uplift: the variant's increase in the probability of returning; value: the GMV the customer
brings if it returns). Each candidate gets its most profitable variant; candidates whose best
profit is not positive are not contacted; the rest are taken by decreasing profit while the
contact costs fit the budget (a candidate that does not fit is skipped, a cheaper one further
down may still fit).

The uplift comes from the uplift model (`ml.uplift.UpliftModel.predict`), from today's
layer x churn type average (`ml.uplift.GroupAverageUplift`), or, on the simulator, from the
planted effects (the oracle). `realised_profit` scores any selection against the planted
effects, so the three policies can be compared under the same budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

NO_CONTACT = "no_contact"
# ml.recall_targeting's columns and pandas dtypes (recall_segments reads the table as a dbt
# source, so it always exists: with no row when targeting falls back to the rule-based ranking).
TARGETING_COLUMNS = {
    "customer_id": "string", "layer": "string", "churn_type": "string",
    "candidate_reason": "string", "return_probability_without_contact": "float64",
    "variant": "string", "offer": "string", "offer_category": "string", "channel": "string",
    "template": "string", "expected_uplift": "float64", "expected_value": "float64",
    "contact_cost": "float64", "expected_profit": "float64", "is_selected": "bool",
    "profit_rank": "int64",
}


def uplift_columns(uplift: pd.DataFrame, variants: Sequence[str]) -> np.ndarray:
    """The (rows x variants) matrix of `uplift_<variant>` columns; names the missing ones."""
    missing = [f"uplift_{v}" for v in variants if f"uplift_{v}" not in uplift.columns]
    if missing:
        raise ValueError(f"uplift frame lacks column(s) {missing}")
    values = uplift[[f"uplift_{v}" for v in variants]].to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError(f"{int(np.isnan(values).any(axis=1).sum())} candidate(s) have a "
                         f"missing uplift")
    return values


def _costs(variants: Sequence[str], costs: Mapping[str, float] | pd.DataFrame,
           index: pd.Index) -> np.ndarray:
    """The (rows x variants) contact cost matrix: one cost per variant (a mapping), or one per
    candidate and variant (a frame indexed like the candidates, a column per variant)."""
    missing = [v for v in variants if v not in costs]
    if missing:
        raise ValueError(f"no contact cost for variant(s) {missing}")
    if isinstance(costs, pd.DataFrame):
        matrix = costs.reindex(index)[list(variants)].to_numpy(dtype=float)
        if np.isnan(matrix).any():
            raise ValueError(f"{int(np.isnan(matrix).any(axis=1).sum())} candidate(s) have no "
                             "contact cost for some variant")
        return matrix
    return np.tile(np.array([float(costs[v]) for v in variants]), (len(index), 1))


def variant_costs(variants: Sequence[str], channel_costs: Mapping[str, float],
                  default_channel: str = "email") -> dict[str, float]:
    """Contact cost per variant from its channel: a variant is named `offer@channel`
    (`default_channel` when it names none)."""
    out = {}
    for v in variants:
        channel = v.split("@", 1)[1] if "@" in v else default_channel
        if channel not in channel_costs:
            raise ValueError(f"variant {v!r}: no contact cost for channel {channel!r}")
        out[v] = float(channel_costs[channel])
    return out


def choose_variants(uplift: pd.DataFrame, value: pd.Series,
                    costs: Mapping[str, float] | pd.DataFrame, *,
                    variants: Sequence[str], margin: float = 1.0,
                    budget: float | None = None) -> pd.DataFrame:
    """Per candidate (the frames' index): the most profitable variant, its expected uplift,
    value, cost and profit, whether it is selected under the budget, and its rank. `costs`:
    one contact cost per variant, or a frame of them per candidate (column per variant).

    Candidates with no positive profit get variant NO_CONTACT and are never selected;
    budget None selects every positive one.
    """
    if not variants:
        raise ValueError("no variants to choose from")
    if margin <= 0:
        raise ValueError(f"margin must be positive, got {margin}")
    if not uplift.index.equals(value.index):
        raise ValueError("uplift and value must share the candidates' index")
    effects = uplift_columns(uplift, variants)
    cost = _costs(variants, costs, uplift.index)
    v = value.to_numpy(dtype=float)
    if np.isnan(v).any() or (v < 0).any():
        raise ValueError(f"value must be known and non-negative; {int(np.isnan(v).sum())} "
                         f"missing, {int((v < 0).sum())} negative")
    profit = effects * v[:, None] * margin - cost
    best = np.argmax(profit, axis=1)
    rows = np.arange(len(v))
    best_profit = profit[rows, best]
    positive = best_profit > 0
    out = pd.DataFrame({
        "variant": np.where(positive, np.asarray(variants, dtype=object)[best], NO_CONTACT),
        "expected_uplift": effects[rows, best],
        "expected_value": v,
        "contact_cost": np.where(positive, cost[rows, best], 0.0),
        "expected_profit": best_profit,
    }, index=uplift.index)
    order = np.argsort(-best_profit, kind="stable")
    selected = np.zeros(len(v), dtype=bool)
    spent = 0.0
    for i in order:
        if not positive[i]:
            break
        if budget is None or spent + cost[i, best[i]] <= budget:
            selected[i] = True
            spent += cost[i, best[i]]
    out["is_selected"] = selected
    rank = np.empty(len(v), dtype=int)
    rank[order] = np.arange(1, len(v) + 1)
    out["profit_rank"] = rank
    return out


def realised_profit(selection: pd.DataFrame, true_uplift: pd.DataFrame, *,
                    margin: float = 1.0) -> float:
    """Planted incremental profit of the selected contacts (`choose_variants`' output): true
    uplift of the chosen variant x value x margin - its contact cost, summed (true_uplift has
    `uplift_<variant>` columns)."""
    chosen = selection[selection["is_selected"]]
    if chosen.empty:
        return 0.0
    variants = sorted(chosen["variant"].unique())
    effects = uplift_columns(true_uplift.loc[chosen.index], variants)
    column = chosen["variant"].map({v: i for i, v in enumerate(variants)}).to_numpy()
    true_effect = effects[np.arange(len(chosen)), column]
    return float(np.sum(true_effect * chosen["expected_value"].to_numpy() * margin
                        - chosen["contact_cost"].to_numpy()))
