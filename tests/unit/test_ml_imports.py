"""ml/ does no work at import: heavy libraries load lazily, nothing touches MLflow or disk."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = ("dataset", "drift", "evaluate", "experiment", "explain", "features", "pipeline",
           "plots", "registry", "scoring", "synthetic", "tracking", "train", "training_rows")
HEAVY = ("mlflow", "xgboost", "sklearn", "matplotlib", "dagster")


def test_importing_ml_loads_no_heavy_library(tmp_path):
    code = (
        "import json, sys\n"
        + "".join(f"import ml.{m}\n" for m in MODULES)
        + f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert list(tmp_path.iterdir()) == []  # no mlruns/, no database, no plots
