"""Recall uplift: which customers a contact brings back, per treatment variant (issue #16, part 1).

Training rows are randomized past assignments: feature columns, a `variant` column (the
treatment variant's name, or None / the control label for the holdout) and a binary outcome
(`returned`: came back within the first month). All variants share one control group.

`UpliftModel` is a meta-learner over XGBoost:

- T-learner (`learner="t"`): one outcome model on the control rows (mu_0) and one per variant
  (mu_v); uplift_v(x) = mu_v(x) - mu_0(x).
- X-learner (`learner="x"`, the default; Kuenzel et al. 2019, PNAS 116(10)): the same outcome
  models, then imputed effects D1 = Y - mu_0(X) on the variant's rows and D0 = mu_v(X) - Y on
  the control rows (each model is applied only to rows it was not trained on), one regression
  per side (tau_1, tau_0), combined as tau_v(x) = e_v tau_0(x) + (1 - e_v) tau_1(x). e_v is the
  known randomization share of variant v among the rows of v and control (not estimated: the
  assignment was random), by default the share seen in the training rows.

Why the X-learner is the default: the return probability without contact varies far more than
the effect (a few points), and the two T-learner models each fit that baseline with their own
trees, so their difference is mostly the two models' independent errors. The X-learner's second
stage fits the effect itself, a simpler and smoother function, and pools both arms to do so. On
the planted data of `make_assignments` (tests/unit/test_ml_uplift.py, three seeds, none picked)
the X-learner's uplift correlates with the planted effect clearly better than the T-learner's
and it has the higher held-out Qini coefficient for every variant; the figures are in
docs/uplift.md.

Evaluation (one variant against the pooled control; ties in the score are targeted together):
`qini_curve`, `qini_coefficient`, `auuc`, `uplift_at_k`, and the baselines `random_scores` and
`GroupAverageUplift` (the mean uplift of the customer's layer x churn type on the training
rows, today's rule). `qini_plot` writes a PNG for MLflow. Nothing heavy is imported at import
time (xgboost and matplotlib load inside the functions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.train import XGBParams
from sources.contract import CHURN_TYPES, LAYERS

log = logging.getLogger(__name__)

LEARNERS = ("t", "x")
DEFAULT_LEARNER = "x"
CONTROL = "control"
TOP_SHARES = (0.1, 0.2, 0.3)
GROUP_COLUMNS = ("layer", "churn_type")
# Shallower, more regularized trees than the churn model's: the effect is a few points on a
# noisy binary outcome, and leaves of fewer than 50 customers mostly fit that noise.
UPLIFT_PARAMS = XGBParams(max_depth=3, min_child_weight=50.0, early_stopping_rounds=50)


# --------------------------------------------------------------------------------------------
# Input checks


def _check_features(frame: pd.DataFrame, features: Sequence[str]) -> None:
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(f"{len(missing)} feature column(s) missing from the frame "
                         f"({len(frame.columns)} columns): {missing}")


def _arms(frame: pd.DataFrame, variant: str, control: str) -> pd.Series:
    """The variant column as strings, None/NaN mapped to the control label."""
    if variant not in frame.columns:
        raise ValueError(f"variant column {variant!r} missing from the frame")
    arms = frame[variant].astype(object)
    return arms.where(arms.notna(), control).astype(str)


def _binary(values, name: str) -> np.ndarray:
    series = pd.Series(values)
    if series.isna().any():
        raise ValueError(f"{name} has {int(series.isna().sum())} missing value(s)")
    array = series.to_numpy(dtype=float)
    bad = ~np.isin(array, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"{name} must be 0/1; {int(bad.sum())} value(s) are not")
    return array.astype(int)


# --------------------------------------------------------------------------------------------
# The meta-learner


def _split_valid(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of validation rows (a random `share`, at least 1 row each side when n >= 2)."""
    mask = np.zeros(n, dtype=bool)
    k = int(round(share * n))
    if share > 0 and n >= 2:
        mask[rng.permutation(n)[:min(max(k, 1), n - 1)]] = True
    return mask


@dataclass
class UpliftModel:
    """Per-variant uplift of a recall contact on the probability of returning; see the module.

    learner: "x" (default) or "t". params: XGBoost hyperparameters of every model (default
    UPLIFT_PARAMS; the
    outcome models use the binary log loss, the X-learner's effect models squared error).
    Early stopping: `valid_share` of each arm (random, seeded) is held out and every model
    keeps its best rounds on it (`params.early_stopping_rounds`); valid_share=0 trains
    `max_rounds` rounds without early stopping. Deterministic for a given seed and threads.
    min_rows_per_arm: fit refuses the control group or a variant with fewer rows.
    """

    learner: str = DEFAULT_LEARNER
    params: XGBParams = UPLIFT_PARAMS
    threads: int = 2
    seed: int = 0
    max_rounds: int = 400
    valid_share: float = 0.2
    min_rows_per_arm: int = 200

    features: list[str] = field(default_factory=list, init=False)
    variants: list[str] = field(default_factory=list, init=False)
    control: str = field(default=CONTROL, init=False)
    propensity: dict[str, float] = field(default_factory=dict, init=False)
    outcome_models: dict[str, object] = field(default_factory=dict, init=False, repr=False)
    effect_models: dict[str, tuple[object, object]] = field(default_factory=dict, init=False,
                                                            repr=False)
    best_iterations: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.learner not in LEARNERS:
            raise ValueError(f"unknown learner {self.learner!r}; use one of {LEARNERS}")
        if not 0.0 <= self.valid_share < 1.0:
            raise ValueError(f"valid_share must lie in [0, 1), got {self.valid_share}")

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame, features: Sequence[str], outcome: str = "returned",
            variant: str = "variant", control: str = CONTROL,
            propensity: Mapping[str, float] | None = None) -> UpliftModel:
        """Fit on randomized assignments. propensity: {variant: share of the variant among the
        rows of the variant and control} when the design is known; default the training share."""
        features = list(features)
        if not features:
            raise ValueError("no feature columns given")
        _check_features(frame, features)
        if outcome not in frame.columns:
            raise ValueError(f"outcome column {outcome!r} missing from the frame")
        arms = _arms(frame, variant, control)
        y = _binary(frame[outcome], f"outcome column {outcome!r}")
        counts = arms.value_counts()
        n_control = int(counts.get(control, 0))
        if n_control == 0:
            raise ValueError(f"no control rows ({variant} == {control!r} or missing) among "
                             f"{len(frame):,} rows; uplift needs a randomized holdout")
        if n_control < self.min_rows_per_arm:
            raise ValueError(f"control group has {n_control:,} rows, fewer than "
                             f"min_rows_per_arm={self.min_rows_per_arm}")
        variants = sorted(v for v in counts.index if v != control)
        if not variants:
            raise ValueError(f"no treatment rows: every one of {len(frame):,} rows is control")
        small = {v: int(counts[v]) for v in variants if counts[v] < self.min_rows_per_arm}
        if small:
            raise ValueError("; ".join(f"variant {v!r} has {n:,} rows" for v, n in small.items())
                             + f", fewer than min_rows_per_arm={self.min_rows_per_arm}")
        propensity = dict(propensity or {})
        unknown = sorted(set(propensity) - set(variants))
        if unknown:
            raise ValueError(f"propensity given for variant(s) not in the data: {unknown}")
        for v in variants:
            share = propensity.get(v, counts[v] / (counts[v] + n_control))
            if not 0.0 < share < 1.0:
                raise ValueError(f"propensity of variant {v!r} must lie in (0, 1), got {share}")
            propensity[v] = float(share)

        self.features, self.variants, self.control = features, variants, control
        self.propensity = propensity
        self.outcome_models, self.effect_models, self.best_iterations = {}, {}, {}
        X = frame[features].astype(float).reset_index(drop=True)
        arm_values = arms.to_numpy()
        rng = np.random.default_rng(self.seed)
        valid = np.zeros(len(X), dtype=bool)
        rows = {}
        for arm in (control, *variants):
            rows[arm] = np.flatnonzero(arm_values == arm)
            valid[rows[arm]] = _split_valid(len(rows[arm]), self.valid_share, rng)

        for arm in (control, *variants):
            self.outcome_models[arm] = self._train(X, y.astype(float), rows[arm], valid,
                                                   "binary", f"mu_{arm}")
        if self.learner == "x":
            c = rows[control]
            y_c = y[c].astype(float)
            for v in variants:
                t = rows[v]
                d1 = y[t] - self._outcome(control, X.iloc[t])           # treated: Y - mu_0
                d0 = self._outcome(v, X.iloc[c]) - y_c                  # control: mu_v - Y
                target = np.zeros(len(X))
                target[t], target[c] = d1, d0
                tau_1 = self._train(X, target, t, valid, "effect", f"tau1_{v}")
                tau_0 = self._train(X, target, c, valid, "effect", f"tau0_{v}")
                self.effect_models[v] = (tau_0, tau_1)
        log.info("uplift %s-learner fitted: %d rows, control %d, variants %s", self.learner,
                 len(X), n_control, {v: int(counts[v]) for v in variants})
        return self

    def _booster_params(self, kind: str) -> dict:
        params = self.params.booster_params(threads=self.threads, seed=self.seed)
        if kind == "effect":
            params.update(objective="reg:squarederror", eval_metric="rmse")
        return params

    def _train(self, X: pd.DataFrame, target: np.ndarray, rows: np.ndarray, valid: np.ndarray,
               kind: str, tag: str):
        import xgboost as xgb

        params = self._booster_params(kind)
        fit_rows, valid_rows = rows[~valid[rows]], rows[valid[rows]]
        dtrain = xgb.DMatrix(X.iloc[fit_rows], label=target[fit_rows], nthread=self.threads)
        if len(valid_rows) and self.params.early_stopping_rounds:
            dvalid = xgb.DMatrix(X.iloc[valid_rows], label=target[valid_rows],
                                 nthread=self.threads)
            booster = xgb.train(params, dtrain, num_boost_round=self.max_rounds,
                                evals=[(dvalid, "validation")],
                                early_stopping_rounds=self.params.early_stopping_rounds,
                                verbose_eval=False)
            best = int(booster.best_iteration)
            booster = booster[: best + 1]
        else:
            booster = xgb.train(params, dtrain, num_boost_round=self.max_rounds)
            best = self.max_rounds - 1
        booster.set_param({"nthread": int(self.threads)})
        self.best_iterations[tag] = best
        return booster

    # -- prediction ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not self.outcome_models:
            raise RuntimeError("UpliftModel is not fitted; call fit() first")

    def _outcome(self, arm: str, X: pd.DataFrame) -> np.ndarray:
        import xgboost as xgb

        return self.outcome_models[arm].predict(xgb.DMatrix(X, nthread=self.threads)).astype(float)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per row: p_control (probability of returning without contact), and per variant
        p_<variant> (with that contact) and uplift_<variant> = p_<variant> - p_control.
        The index is the frame's."""
        import xgboost as xgb

        self._check_fitted()
        _check_features(frame, self.features)
        X = frame[self.features].astype(float)
        p_control = self._outcome(self.control, X)
        out = {"p_control": p_control}
        if self.learner == "x":
            dmatrix = xgb.DMatrix(X, nthread=self.threads)
        for v in self.variants:
            if self.learner == "t":
                p_v = self._outcome(v, X)
            else:
                tau_0, tau_1 = self.effect_models[v]
                e = self.propensity[v]
                tau = e * tau_0.predict(dmatrix) + (1.0 - e) * tau_1.predict(dmatrix)
                p_v = p_control + tau.astype(float)
            p_v = np.clip(p_v, 0.0, 1.0)
            out[f"p_{v}"] = p_v
            out[f"uplift_{v}"] = p_v - p_control
        return pd.DataFrame(out, index=frame.index)

    def best_variant(self, frame: pd.DataFrame, *, min_uplift: float | None = None) -> pd.Series:
        """The variant with the highest predicted uplift per row (see `best_variant`)."""
        return best_variant(self.predict(frame), self.variants, min_uplift=min_uplift,
                            control=self.control)


def best_variant(predictions: pd.DataFrame, variants: Iterable[str], *,
                 min_uplift: float | None = None, control: str = CONTROL) -> pd.Series:
    """Per row, the variant whose `uplift_<variant>` column is highest (first one on a tie);
    with min_uplift, rows whose best uplift is not above it get the control label (no contact)."""
    variants = list(variants)
    if not variants:
        raise ValueError("no variants given")
    columns = [f"uplift_{v}" for v in variants]
    missing = [c for c in columns if c not in predictions.columns]
    if missing:
        raise ValueError(f"{len(missing)} uplift column(s) missing: {missing}")
    values = predictions[columns].to_numpy(dtype=float)
    best = np.asarray(variants, dtype=object)[np.argmax(values, axis=1)]
    if min_uplift is not None:
        best = np.where(values.max(axis=1) > min_uplift, best, control)
    return pd.Series(best, index=predictions.index, name="best_variant")


# --------------------------------------------------------------------------------------------
# Evaluation: one treatment against control


def _uplift_arrays(uplift_score, treated, outcome) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    score = np.asarray(uplift_score, dtype=float)
    t = _binary(np.asarray(treated).ravel(), "treated")
    y = np.asarray(outcome, dtype=float).ravel()
    bad = ~((y >= 0.0) & (y <= 1.0))
    if bad.any():
        raise ValueError(f"outcome must be 0/1 (or an expected outcome in [0, 1]); "
                         f"{int(bad.sum())} value(s) are not")
    if score.ndim != 1 or not (len(score) == len(t) == len(y)):
        raise ValueError(f"score, treated and outcome must be 1-d and of equal length, got "
                         f"{score.shape}, {t.shape}, {y.shape}")
    if len(score) == 0:
        raise ValueError("no rows to evaluate")
    if np.isnan(score).any():
        raise ValueError(f"uplift score has {int(np.isnan(score).sum())} NaN value(s)")
    return score, t, y


def qini_curve(uplift_score, treated, outcome) -> pd.DataFrame:
    """Qini and uplift curves, targeting customers by decreasing score.

    outcome is 0/1; a probability in [0, 1] (e.g. the planted one on synthetic data) gives the
    curve's expectation over outcome draws.

    One point per distinct score (customers with equal scores are targeted together) plus the
    origin. Columns: n (customers targeted), share (n / all), n_treated, n_control, qini
    (incremental returns: returns among targeted treated - returns among targeted controls x
    n_treated / n_control; 0 controls count as 0 returns), gain (treated rate - control rate
    among the targeted, x share; 0 while either group is empty).
    """
    score, t, y = _uplift_arrays(uplift_score, treated, outcome)
    order = np.argsort(-score, kind="stable")
    s, t, y = score[order], t[order], y[order]
    n_t, n_c = np.cumsum(t), np.cumsum(1 - t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    last = np.r_[s[1:] != s[:-1], True]
    n = np.flatnonzero(last) + 1
    n_t, n_c, y_t, y_c = n_t[last], n_c[last], y_t[last], y_c[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(n_c > 0, n_t / np.maximum(n_c, 1), 0.0)
        both = (n_t > 0) & (n_c > 0)
        rate_diff = np.where(both, y_t / np.maximum(n_t, 1) - y_c / np.maximum(n_c, 1), 0.0)
    total = len(s)
    return pd.DataFrame({
        "n": np.r_[0, n],
        "share": np.r_[0, n] / total,
        "n_treated": np.r_[0, n_t],
        "n_control": np.r_[0, n_c],
        "qini": np.r_[0.0, y_t - y_c * ratio],
        "gain": np.r_[0.0, rate_diff * n / total],
    })


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def qini_coefficient(uplift_score, treated, outcome) -> float:
    """Area between the Qini curve (incremental returns / all customers, against the share
    targeted) and the random-targeting line from the origin to its end point. 0 for a random
    order in expectation; positive when high scores hold the customers a contact moves."""
    curve = qini_curve(uplift_score, treated, outcome)
    share = curve["share"].to_numpy()
    q = curve["qini"].to_numpy() / curve["n"].iloc[-1]
    return _area(share, q - share * q[-1])


def auuc(uplift_score, treated, outcome) -> float:
    """Area under the uplift curve `gain` of `qini_curve` (treated minus control return rate
    among the targeted x the share targeted). A random order scores about ATE / 2."""
    curve = qini_curve(uplift_score, treated, outcome)
    return _area(curve["share"].to_numpy(), curve["gain"].to_numpy())


def uplift_at_k(uplift_score, treated, outcome, k: float = 0.1) -> float:
    """Observed treated minus control return rate among the ceil(k x n) highest scores (ties by
    position). NaN when that top holds no treated or no control customer."""
    if not 0.0 < k <= 1.0:
        raise ValueError(f"k must lie in (0, 1], got {k}")
    score, t, y = _uplift_arrays(uplift_score, treated, outcome)
    top = np.argsort(-score, kind="stable")[: max(1, int(np.ceil(k * len(score))))]
    t, y = t[top], y[top]
    if t.all() or not t.any():
        return float("nan")
    return float(y[t == 1].mean() - y[t == 0].mean())


def uplift_metrics(uplift_score, treated, outcome,
                   shares: Sequence[float] = TOP_SHARES) -> dict[str, float]:
    """qini_coefficient, auuc and uplift_at_<10|20|30> (percent) of one score."""
    metrics = {"qini_coefficient": qini_coefficient(uplift_score, treated, outcome),
               "auuc": auuc(uplift_score, treated, outcome)}
    for k in shares:
        metrics[f"uplift_at_{round(k * 100)}"] = uplift_at_k(uplift_score, treated, outcome, k)
    return metrics


def random_scores(n: int, seed: int = 0) -> np.ndarray:
    """The random-ranking baseline: uniform scores from a seeded generator."""
    return np.random.default_rng(seed).random(n)


@dataclass
class GroupAverageUplift:
    """Baseline: the uplift of a customer is the training mean uplift (variant return rate -
    control return rate) of the customer's group (layer x churn type by default). A group
    without rows of both arms in training gets the variant's overall uplift."""

    groups: tuple[str, ...] = GROUP_COLUMNS
    table: pd.DataFrame = field(default_factory=pd.DataFrame, init=False)
    overall: dict[str, float] = field(default_factory=dict, init=False)
    variants: list[str] = field(default_factory=list, init=False)

    def fit(self, frame: pd.DataFrame, outcome: str = "returned", variant: str = "variant",
            control: str = CONTROL) -> GroupAverageUplift:
        _check_features(frame, [*self.groups, outcome])
        arms = _arms(frame, variant, control)
        y = pd.Series(_binary(frame[outcome], f"outcome column {outcome!r}"), index=frame.index)
        keys = [frame[g].astype(str) for g in self.groups]
        rates = y.groupby([*keys, arms.rename("_arm")]).mean().unstack("_arm")
        if control not in rates.columns:
            raise ValueError(f"no control rows ({variant} == {control!r} or missing)")
        self.variants = sorted(c for c in rates.columns if c != control)
        self.table = rates[self.variants].sub(rates[control], axis=0)
        control_rate = y[arms == control].mean()
        self.overall = {v: float(y[arms == v].mean() - control_rate) for v in self.variants}
        return self

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """uplift_<variant> per row, from the group table."""
        _check_features(frame, list(self.groups))
        index = pd.MultiIndex.from_arrays([frame[g].astype(str) for g in self.groups])
        out = {}
        for v in self.variants:
            values = self.table[v].reindex(index).to_numpy(dtype=float)
            out[f"uplift_{v}"] = np.where(np.isnan(values), self.overall[v], values)
        return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class HeldOutScores:
    """One variant's held-out rows (the variant's and the control's): who was treated, the
    outcome, and each scorer's uplift score."""

    variant: str
    treated: np.ndarray
    outcome: np.ndarray
    scores: dict[str, np.ndarray]


def held_out_scores(model: UpliftModel, train: pd.DataFrame, test: pd.DataFrame, *,
                    outcome: str = "returned", variant: str = "variant",
                    groups: tuple[str, ...] = GROUP_COLUMNS,
                    seed: int = 0) -> list[HeldOutScores]:
    """Per variant with held-out rows: the model's, the group-average baseline's (fitted on
    `train`) and a random ranking's scores of the variant's and the control's rows."""
    arms = _arms(test, variant, model.control)
    ours = model.predict(test)
    group = GroupAverageUplift(groups).fit(train, outcome=outcome, variant=variant,
                                           control=model.control).predict(test)
    out = []
    for i, v in enumerate(model.variants):
        keep = ((arms == v) | (arms == model.control)).to_numpy()
        if not (arms == v).any():
            continue
        column = f"uplift_{v}"
        out.append(HeldOutScores(
            variant=v, treated=(arms[keep] == v).to_numpy(dtype=int),
            outcome=test.loc[keep, outcome].to_numpy(),
            scores={"model": ours.loc[keep, column].to_numpy(),
                    "group_average": group.loc[keep, column].to_numpy()
                    if column in group else np.zeros(int(keep.sum())),
                    "random": random_scores(int(keep.sum()), seed + i)}))
    return out


def evaluation_table(held: Sequence[HeldOutScores]) -> pd.DataFrame:
    """`uplift_metrics` of every scorer of every variant: one row per variant x scorer."""
    return pd.DataFrame([{"variant": h.variant, "scorer": name, "rows": len(h.treated),
                          **uplift_metrics(score, h.treated, h.outcome)}
                         for h in held for name, score in h.scores.items()])


def evaluate_against_baselines(model: UpliftModel, train: pd.DataFrame, test: pd.DataFrame, *,
                               outcome: str = "returned", variant: str = "variant",
                               groups: tuple[str, ...] = GROUP_COLUMNS,
                               seed: int = 0) -> pd.DataFrame:
    """Held-out metrics of the model, the group-average baseline (fitted on `train`) and random
    ranking, each variant against the pooled control. One row per variant x scorer."""
    return evaluation_table(held_out_scores(model, train, test, outcome=outcome,
                                            variant=variant, groups=groups, seed=seed))


def qini_plot(scores: Mapping[str, np.ndarray], treated, outcome, path: Path, *,
              title: str = "Qini curve") -> Path:
    """Qini curves (incremental returns against share targeted) of several scores, model first,
    with the random-targeting line; the legend carries each Qini coefficient. Agg canvas."""
    from ml.plots import _figure, _save

    fig, ax = _figure()
    end = None
    for name, score in scores.items():
        curve = qini_curve(score, treated, outcome)
        coef = qini_coefficient(score, treated, outcome)
        ax.plot(curve["share"], curve["qini"], label=f"{name} (Qini {coef:.4f})")
        end = float(curve["qini"].iloc[-1])
    if end is not None:
        ax.plot([0, 1], [0, end], linestyle=":", color="grey", label="random")
    ax.set(xlabel="share of customers targeted", ylabel="incremental returns", title=title)
    ax.legend(loc="upper left")
    return _save(fig, path)


# --------------------------------------------------------------------------------------------
# Synthetic randomized assignments with a planted heterogeneous effect (tests and benchmark)

# Planted first-month effect before the layer, recency and value factors, by variant x churn
# type (shaped like sources/simulator/response.py's MATCH table, which ml/ may not import).
PLANTED_MATCH: dict[str, dict[str, float]] = {
    "generic_coupon": dict(zip(CHURN_TYPES, (0.20, 0.03, 0.04, 0.03))),
    "price_match": dict(zip(CHURN_TYPES, (0.10, 0.02, 0.24, 0.02))),
    "service_recovery": dict(zip(CHURN_TYPES, (0.02, 0.20, 0.02, 0.03))),
}
PLANTED_LAYER_FACTOR: dict[str, float] = {"base": 1.5, "advanced": 0.0, "core": 0.8}
PLANTED_FADE_DAYS = 150.0
PLANTED_OTHER_CHANNEL_FACTOR = 0.5
SYNTHETIC_FEATURES = ("days_since_churn", "pre_churn_gmv", "tenure_days", "orders_12m",
                      "recent_contacts", "on_preferred_channel", "noise_1", "noise_2",
                      *(f"is_layer_{x}" for x in LAYERS),
                      *(f"is_type_{x}" for x in CHURN_TYPES))


def make_assignments(n_rows: int, *, seed: int = 0, control_share: float = 0.25,
                     variants: Sequence[str] = tuple(PLANTED_MATCH)) -> pd.DataFrame:
    """Randomized recall assignments with planted per-customer effects.

    Columns: SYNTHETIC_FEATURES, `layer`, `churn_type`, `variant` ("control" for the holdout,
    the rest split evenly between the variants), `returned` (0/1), `p_control_true` and
    `true_uplift_<variant>` for every variant (the planted truth, not features). The effect is
    PLANTED_LAYER_FACTOR[layer] x PLANTED_MATCH[variant][churn type] x exp(-days since churn /
    150) x (0.2 + 1.6 x the GMV rank) x (1 on the customer's preferred channel, else 0.5), so
    it varies within every layer x churn type as the simulator's does (sources/simulator/
    response.py); the return probability without contact depends on recency, orders, tenure
    and recent contacts.
    """
    unknown = [v for v in variants if v not in PLANTED_MATCH]
    if unknown:
        raise ValueError(f"no planted effect for variant(s) {unknown}")
    rng = np.random.default_rng(seed)
    n = int(n_rows)
    layer = rng.choice(len(LAYERS), size=n, p=(0.45, 0.2, 0.35))
    ctype = rng.choice(len(CHURN_TYPES), size=n, p=(0.3, 0.2, 0.25, 0.25))
    days = rng.uniform(0, 365, n)
    gmv = rng.lognormal(4.0, 0.8, n)
    tenure = rng.uniform(60, 1500, n)
    orders = rng.poisson(2 + 6 * (layer == LAYERS.index("core")) + 3 * (layer == 1), n)
    contacts = rng.poisson(0.5, n)
    preferred = (rng.random(n) < 0.6).astype(float)
    logit_0 = -1.6 - days / 200 + 0.08 * np.minimum(orders, 15) + tenure / 3000 - 0.2 * contacts
    p0 = 1.0 / (1.0 + np.exp(-logit_0))
    gmv_rank = pd.Series(gmv).rank(pct=True).to_numpy()
    modifier = (np.array([PLANTED_LAYER_FACTOR[x] for x in LAYERS])[layer]
                * np.exp(-days / PLANTED_FADE_DAYS) * (0.2 + 1.6 * gmv_rank)
                * np.where(preferred == 1.0, 1.0, PLANTED_OTHER_CHANNEL_FACTOR))
    arm_names = np.array([CONTROL, *variants], dtype=object)
    treated_share = (1.0 - control_share) / len(variants)
    arm = rng.choice(len(arm_names), size=n, p=[control_share, *[treated_share] * len(variants)])
    frame = pd.DataFrame({
        "days_since_churn": days, "pre_churn_gmv": gmv, "tenure_days": tenure,
        "orders_12m": orders.astype(float), "recent_contacts": contacts.astype(float),
        "on_preferred_channel": preferred,
        "noise_1": rng.normal(size=n), "noise_2": rng.uniform(size=n),
    })
    for i, x in enumerate(LAYERS):
        frame[f"is_layer_{x}"] = (layer == i).astype(float)
    for i, x in enumerate(CHURN_TYPES):
        frame[f"is_type_{x}"] = (ctype == i).astype(float)
    frame["layer"] = np.asarray(LAYERS, dtype=object)[layer]
    frame["churn_type"] = np.asarray(CHURN_TYPES, dtype=object)[ctype]
    frame["variant"] = arm_names[arm]
    effect_by_arm = np.zeros(n)
    for j, v in enumerate(variants, start=1):
        match = np.array([PLANTED_MATCH[v][ct] for ct in CHURN_TYPES])[ctype]
        effect = np.minimum(match * modifier, 1.0 - p0)
        frame[f"true_uplift_{v}"] = effect
        effect_by_arm = np.where(arm == j, effect, effect_by_arm)
    frame["p_control_true"] = p0
    frame["returned"] = (rng.random(n) < p0 + effect_by_arm).astype(int)
    return frame


def true_best_variant(frame: pd.DataFrame, variants: Iterable[str]) -> pd.Series:
    """The planted best variant per row (from the `true_uplift_<variant>` columns)."""
    variants = list(variants)
    truth = frame[[f"true_uplift_{v}" for v in variants]].rename(
        columns=lambda c: c.replace("true_", "", 1))
    return best_variant(truth, variants)


__all__ = [
    "CONTROL", "DEFAULT_LEARNER", "GroupAverageUplift", "LEARNERS", "SYNTHETIC_FEATURES",
    "HeldOutScores", "UpliftModel", "auuc", "best_variant", "evaluate_against_baselines",
    "evaluation_table", "held_out_scores", "make_assignments",
    "qini_coefficient", "qini_curve", "qini_plot", "random_scores", "true_best_variant",
    "uplift_at_k", "uplift_metrics",
]
