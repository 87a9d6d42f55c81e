"""MLflow behind one small object: tracking URI, artifact root and experiment, all explicit.

Nothing happens at import. `MlflowTracking.session()` points MLflow's fluent API (runs,
`log_model`, `models:/` URIs) at this tracking URI for the duration of a `with` block, creates
the experiment with an explicit artifact location (so artifacts never land in `./mlruns`), and
afterwards restores the process's previous MLflow URIs and MLFLOW_*_URI variables, so one
call (or test) does not redirect the next.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

EXPERIMENT_NAME = "churn"
_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def _global_uri(module: str, attribute: str) -> str | None:
    """The URI MLflow holds in-process (None when unset), read without changing it."""
    import importlib

    return getattr(importlib.import_module(module), attribute, None)


def local_path(uri: str) -> Path:
    """The local folder of a file:// (or plain path) artifact URI."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else Path(uri)


def sqlite_uri(db_path: Path) -> str:
    """`sqlite:////abs/path/mlflow.db` for a database file (made absolute)."""
    return f"sqlite:///{Path(db_path).resolve()}"


def code_version() -> str:
    """Git commit of the code (`-dirty` when ml/ has uncommitted changes), else "unknown"."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here,
                               capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not sha:
        return "unknown"
    return f"{sha}-dirty" if dirty.strip() else sha


@dataclass(frozen=True)
class MlflowTracking:
    """Where runs and models go. artifact_root is only needed to create the experiment."""

    tracking_uri: str
    artifact_root: Path | None = None
    experiment_name: str = EXPERIMENT_NAME

    def activate(self) -> str | None:
        """Point MLflow (tracking and registry) at tracking_uri; return the experiment id.

        Creates the experiment (artifact_location = artifact_root as a file URI) when missing
        and an artifact root is given; returns None when it is missing and none is given.
        """
        import mlflow

        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        return self.experiment_id(create=self.artifact_root is not None)

    @contextmanager
    def session(self) -> Iterator[str | None]:
        """`activate()` for the block, then restore the previous URIs; yields the experiment id."""
        import mlflow

        saved_env = {k: os.environ.get(k) for k in _URI_VARIABLES}
        saved = (_global_uri("mlflow.tracking._tracking_service.utils", "_tracking_uri"),
                 _global_uri("mlflow.tracking._model_registry.utils", "_registry_uri"))
        try:
            yield self.activate()
        finally:
            mlflow.set_tracking_uri(saved[0])
            mlflow.set_registry_uri(saved[1])
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def experiment_id(self, *, create: bool = True) -> str | None:
        client = self.client()
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            expected = self.artifact_uri()
            if expected and experiment.artifact_location.rstrip("/") != expected.rstrip("/"):
                log.warning("experiment %s keeps its artifact location %s (asked for %s)",
                            self.experiment_name, experiment.artifact_location, expected)
            return experiment.experiment_id
        if not create:
            return None
        from mlflow.exceptions import MlflowException

        Path(self.artifact_root).mkdir(parents=True, exist_ok=True)
        try:
            return client.create_experiment(self.experiment_name,
                                            artifact_location=self.artifact_uri())
        except MlflowException:  # created meanwhile by another process
            experiment = client.get_experiment_by_name(self.experiment_name)
            if experiment is None:
                raise
            return experiment.experiment_id

    def artifact_uri(self) -> str | None:
        return Path(self.artifact_root).resolve().as_uri() if self.artifact_root is not None else None
