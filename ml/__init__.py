"""Churn model: one module per lifecycle step, plain functions, no Dagster, no work at import.

dataset (time-based split, hash, lineage) -> train (XGBoost, baselines) -> evaluate (metrics,
calibration) -> explain (SHAP reasons) -> tracking/registry (MLflow, champion/challenger) ->
scoring (churn_scores rows); drift (PSI) and experiment (sample size, uplift intervals) stand
alone. pipeline.train_and_track ties the training steps together; synthetic makes test data.
"""
