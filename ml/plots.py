"""PNG plots of a validation result: ROC, precision-recall, calibration, gains/lift, importance.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global backend
switch), so they work headless and in threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _canvas(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _figure(width: float = 5.5, height: float = 4.5):
    fig = _canvas(width, height)
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def roc_plot(y, scores: dict[str, np.ndarray], path: Path) -> Path:
    """ROC curves of several scores (model first, then baselines) with their AUC."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = _figure()
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(y, score)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, score):.3f})")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax.legend(loc="lower right")
    return _save(fig, path)


def pr_plot(y, scores: dict[str, np.ndarray], path: Path) -> Path:
    """Precision-recall curves with average precision; the base rate as reference."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = _figure()
    for name, score in scores.items():
        precision, recall, _ = precision_recall_curve(y, score)
        ax.plot(recall, precision, label=f"{name} (AP {average_precision_score(y, score):.3f})")
    ax.axhline(float(np.mean(y)), linestyle=":", color="grey", label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall", ylim=(0, 1.02))
    ax.legend(loc="upper right")
    return _save(fig, path)


def calibration_plot(y, p, path: Path, *, n_bins: int = 10) -> Path:
    """Reliability diagram (observed rate vs mean predicted per bin) and prediction histogram."""
    from ml.evaluate import reliability_curve

    curve = reliability_curve(y, p, n_bins=n_bins)
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    ax.plot(curve["mean_predicted"], curve["observed_rate"], marker="o", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed churn rate",
           title="Calibration", xlim=(0, 1), ylim=(0, 1))
    hist = ax.twinx()
    hist.hist(np.asarray(p, dtype=float), bins=n_bins, range=(0, 1), alpha=0.2, color="grey")
    hist.set_ylabel("customers")
    ax.legend(loc="upper left")
    return _save(fig, path)


def gains_plot(y, p, path: Path) -> Path:
    """Cumulative gains (share of churners captured vs share contacted) and lift per decile."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    captured = np.concatenate([[0.0], np.cumsum(y[order]) / max(y.sum(), 1.0)])
    contacted = np.linspace(0.0, 1.0, len(y) + 1)
    deciles = np.array_split(y[order], 10)
    lift = [chunk.mean() / y.mean() if len(chunk) and y.mean() > 0 else np.nan for chunk in deciles]
    fig = _canvas(9.0, 4.0)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(contacted, captured, label="model")
    left.plot([0, 1], [0, 1], linestyle=":", color="grey", label="random")
    left.set(xlabel="share of customers contacted", ylabel="share of churners captured",
             title="Cumulative gains")
    left.legend(loc="lower right")
    right.bar(np.arange(1, 11), lift)
    right.axhline(1.0, linestyle=":", color="grey")
    right.set(xlabel="risk decile (1 = highest)", ylabel="lift", title="Lift by decile",
              xticks=np.arange(1, 11))
    return _save(fig, path)


def importance_plot(importance: dict[str, float], path: Path, *, top: int = 20) -> Path:
    """Horizontal bars of the `top` most important features (total gain by default)."""
    items = sorted(importance.items(), key=lambda kv: kv[1], reverse=True)[:top][::-1]
    fig, ax = _figure(6.5, 0.3 * max(len(items), 4) + 1.2)
    ax.barh([name for name, _ in items], [value for _, value in items])
    ax.set(xlabel="total gain", title="Feature importance")
    return _save(fig, path)


def save_all(y, p, *, baselines: dict[str, np.ndarray], importance: dict[str, float],
             out_dir: Path) -> dict[str, Path]:
    """Write all five plots into out_dir; returns {name: path}."""
    out_dir = Path(out_dir)
    scores = {"xgboost": np.asarray(p), **baselines}
    return {
        "roc": roc_plot(y, scores, out_dir / "roc.png"),
        "pr": pr_plot(y, scores, out_dir / "pr.png"),
        "calibration": calibration_plot(y, p, out_dir / "calibration.png"),
        "gains": gains_plot(y, p, out_dir / "gains.png"),
        "importance": importance_plot(importance, out_dir / "importance.png"),
    }
