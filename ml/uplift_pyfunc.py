"""The recall uplift model as an MLflow pyfunc (registered model `recall_uplift`).

Imported only where a model is logged or loaded: importing it loads MLflow.
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from ml.uplift import UpliftModel


class UpliftPyfunc(mlflow.pyfunc.PythonModel):
    """`predict(frame)` returns `UpliftModel.predict`: p_control, p_<variant>, uplift_<variant>."""

    def __init__(self, model: UpliftModel):
        self.model = model

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.model.predict(model_input)


def load_uplift_model(model_uri: str) -> UpliftModel:
    """The fitted UpliftModel of a registered version (e.g. models:/recall_uplift@champion).
    Point MLflow at the tracking server first (ml.tracking.MlflowTracking.session)."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().model
