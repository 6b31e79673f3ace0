"""The registry's champion as deployment reads it: its ONNX model, version and metrics (read-only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from covid_tweets.mlflow_database import explained_database_errors, sqlite_path


@dataclass(frozen=True)
class ChampionModel:
    """A registered model version ready to serve: ONNX bytes plus where they came from."""

    name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    model_onnx: bytes = field(repr=False)


class RegisteredModelDataset(AbstractDataset[None, ChampionModel]):
    """Loads the version an alias points at, with the ONNX file its training run logged.

    Example catalog entry::

        champion_model:
          type: covid_tweets.datasets.RegisteredModelDataset
          registered_model_name: ${globals:registered_model_name}
          alias: champion
          onnx_artifact: model.onnx
    """

    def __init__(
        self,
        *,
        registered_model_name: str,
        alias: str = "champion",
        onnx_artifact: str = "model.onnx",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._name = registered_model_name
        self._alias = alias
        self._onnx_artifact = onnx_artifact
        self.metadata = metadata

    def load(self) -> ChampionModel:
        """Return the alias's version with its ONNX model; say so clearly when the registry cannot provide it."""
        import mlflow

        registry_uri = mlflow.get_registry_uri()
        self._check_database_exists(registry_uri)
        with explained_database_errors(registry_uri, f"the '{self._alias}' version of '{self._name}' could not be read"):
            return self._load_champion(registry_uri)

    def _check_database_exists(self, registry_uri: str) -> None:
        """Raise when a SQLite registry has no database file yet (rather than let MLflow create an empty one)."""
        path = sqlite_path(registry_uri)
        if path is not None and not path.is_file():
            raise DatasetError(
                f"no model registered as '{self._name}' with alias '{self._alias}': there is no MLflow database "
                f"at {path}; run `kedro run --pipeline modeling` first, or set MLFLOW_TRACKING_URI to the "
                "database that holds the champion"
            )

    def _load_champion(self, registry_uri: str) -> ChampionModel:
        """Read the version the alias points at, its run's metrics and its ONNX artifact."""
        import mlflow
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient()
        try:
            version = client.get_model_version_by_alias(self._name, self._alias)
        except MlflowException as error:
            # No such registered model, or no version of it holds the alias (none was promoted yet).
            if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise
            raise DatasetError(
                f"no model registered as '{self._name}' with alias '{self._alias}' in {registry_uri}: "
                "run `kedro run --pipeline modeling` first"
            ) from None
        run = client.get_run(version.run_id)
        with TemporaryDirectory() as folder:
            path = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path=self._onnx_artifact, dst_path=folder)
            model_onnx = Path(path).read_bytes()
        return ChampionModel(
            name=self._name,
            version=str(version.version),
            run_id=version.run_id,
            metrics=dict(run.data.metrics),
            model_onnx=model_onnx,
        )

    def save(self, data: None) -> None:
        raise DatasetError("RegisteredModelDataset is read-only: the modeling pipeline registers models")

    def _describe(self) -> dict[str, Any]:
        return {"registered_model_name": self._name, "alias": self._alias, "onnx_artifact": self._onnx_artifact}
