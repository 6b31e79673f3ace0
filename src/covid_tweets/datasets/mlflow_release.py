"""Registers a model release in the MLflow Model Registry, and moves its champion alias only for a better model.

Every release becomes a new version. The alias (``champion`` by default) moves to it
only when its held-out metric beats the one the current champion's run logged under
the same key, for the same label; otherwise the alias stays and the reason is tagged
on the new version and on the run, and logged.

The steps run so that a failure never leaves the alias on an incomplete version: the
run's ONNX artifact is checked, the Spark model and its metric logged, the version
registered and tagged, and only then, last, the alias moved. A failure at any step
(typically a SQLite tracking database locked by another process) raises a
``DatasetError`` saying what the registry was left with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow import MlflowClient

from covid_tweets.errors import first_line
from covid_tweets.mlflow_database import explained_database_errors

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import ModelSignature
    from pyspark.ml import PipelineModel

logger = logging.getLogger(__name__)

DECISION_TAG = "champion_decision"
"""Tag, on the new version and on its run, saying whether the alias moved and why."""


@dataclass(frozen=True)
class ModelRelease:
    """A fitted Spark pipeline to register, with the held-out evidence for promoting it."""

    model: PipelineModel
    registered_model_name: str
    metric_key: str
    """The run metric recording ``metric_value``, compared between releases (larger is better)."""
    metric_value: float
    signature: ModelSignature
    input_example: pd.DataFrame
    tags: dict[str, str] = field(default_factory=dict)
    """Tags of the new version; a ``label`` tag must match the champion's for a promotion."""


@dataclass(frozen=True)
class CurrentChampion:
    """The version the alias points at, and what its run scored."""

    version: str
    metric_value: float | None
    label: str | None


@dataclass(frozen=True)
class ChampionDecision:
    """Whether the alias moves to the new version, and the sentence saying why."""

    promote: bool
    reason: str


def decide_champion(release: ModelRelease, champion: CurrentChampion | None) -> ChampionDecision:
    """Return whether the release should become the champion, and why."""
    new = f"{release.metric_key} {release.metric_value:.4f}"
    if champion is None:
        return ChampionDecision(True, f"promoted: no champion yet ({new})")
    label = release.tags.get("label")
    if champion.label is not None and label is not None and champion.label != label:
        return ChampionDecision(
            False,
            f"kept version {champion.version}: it predicts {champion.label!r}, this version {label!r}; "
            "register models of another label under another name",
        )
    if champion.metric_value is None:
        reason = f"kept version {champion.version}: its run has no {release.metric_key} to compare with"
        return ChampionDecision(False, reason)
    old = f"{champion.metric_value:.4f} of version {champion.version}"
    if release.metric_value > champion.metric_value:
        return ChampionDecision(True, f"promoted: {new} beats {old}")
    return ChampionDecision(False, f"kept version {champion.version}: {new} does not beat {old}")


class MlflowModelReleaseDataset(AbstractDataset[ModelRelease, None]):
    """Logs a :class:`ModelRelease`'s Spark model in the active run, registers it, and decides the alias.

    Example catalog entry::

        model_release:
          type: covid_tweets.datasets.MlflowModelReleaseDataset
          alias: champion
          artifact_path: model
          onnx_artifact: model.onnx

    The tracking and registry URIs are the process's (kedro-mlflow sets them). The run
    must already hold ``onnx_artifact`` (the model deployment serves); None skips that check.
    """

    def __init__(
        self,
        *,
        alias: str = "champion",
        artifact_path: str = "model",
        onnx_artifact: str | None = "model.onnx",
        pip_requirements: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._alias = alias
        self._artifact_path = artifact_path
        self._onnx_artifact = onnx_artifact
        self._pip_requirements = pip_requirements
        self.metadata = metadata

    def load(self) -> None:
        raise DatasetError("MlflowModelReleaseDataset is write-only: ask the registry for the champion alias")

    def save(self, release: ModelRelease) -> None:
        """Log and register the release's model, then move the alias if it is better."""
        client = MlflowClient()
        name = release.registered_model_name
        nothing_done = f"nothing was registered and the '{self._alias}' alias was not moved"
        with _failures_say(mlflow.get_tracking_uri(), nothing_done):
            run_id = _active_run_id()
            model_uri = self._log(client, run_id, release)
        maybe_registered = (
            f"the '{self._alias}' alias was not moved; a version of '{name}' for run {run_id} "
            "may have been registered without it"
        )
        with _failures_say(mlflow.get_registry_uri(), maybe_registered):
            version = str(mlflow.register_model(model_uri, name, tags=release.tags).version)
        self._decide_and_promote(client, run_id, name, version, release)

    def _log(self, client: MlflowClient, run_id: str, release: ModelRelease) -> str:
        """Log the Spark model and its metric in the run, which must hold the ONNX model; return the model's URI."""
        self._check_onnx_logged(client, run_id)
        logged = mlflow.spark.log_model(
            release.model,
            artifact_path=self._artifact_path,
            signature=release.signature,
            input_example=release.input_example,
            pip_requirements=self._pip_requirements or _spark_requirements(),
        )
        # Recorded here, next to the model, so that later releases compare with exactly this value.
        client.log_metric(run_id, release.metric_key, release.metric_value)
        return logged.model_uri

    def _decide_and_promote(
        self, client: MlflowClient, run_id: str, name: str, version: str, release: ModelRelease
    ) -> None:
        """Tag the registered version with the champion decision, then, last, move the alias if it won."""
        champion: CurrentChampion | None = None
        decision: ChampionDecision | None = None

        def not_moved() -> str:
            """What a failing step left: says as much of the champion and the decision as was known by then."""
            return _alias_not_moved(name, version, self._alias, champion, decision)

        with _failures_say(mlflow.get_registry_uri(), not_moved):
            champion = self._current_champion(client, name, release.metric_key)
            decision = decide_champion(release, champion)
            client.set_model_version_tag(name, version, DECISION_TAG, decision.reason)
            client.set_tag(run_id, DECISION_TAG, decision.reason)
            if decision.promote:
                self._move_alias(client, name, version)
        logger.info("registered %s version %s; %s alias: %s", name, version, self._alias, decision.reason)

    def _check_onnx_logged(self, client: MlflowClient, run_id: str) -> None:
        """Raise unless the run holds the ONNX artifact deployment will serve."""
        if self._onnx_artifact is None:
            return
        folder = str(PurePosixPath(self._onnx_artifact).parent)
        logged = {artifact.path for artifact in client.list_artifacts(run_id, None if folder == "." else folder)}
        if self._onnx_artifact not in logged:
            raise DatasetError(
                f"MLflow run {run_id} has no artifact '{self._onnx_artifact}', so deployment could not serve "
                f"this model: nothing was registered and the '{self._alias}' alias was not moved; "
                "run the whole modeling pipeline, whose ONNX conversion logs it"
            )

    def _move_alias(self, client: MlflowClient, name: str, version: str) -> None:
        """Point the alias at the version: the last step of a release."""
        client.set_registered_model_alias(name, self._alias, version)

    def _current_champion(self, client: MlflowClient, name: str, metric_key: str) -> CurrentChampion | None:
        """Return the version the alias points at, with its run's ``metric_key``; None without one."""
        version_number = client.get_registered_model(name).aliases.get(self._alias)
        if version_number is None:
            return None
        version = client.get_model_version(name, str(version_number))
        run_metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
        return CurrentChampion(str(version_number), run_metrics.get(metric_key), version.tags.get("label"))

    def _describe(self) -> dict[str, Any]:
        return {"alias": self._alias, "artifact_path": self._artifact_path, "onnx_artifact": self._onnx_artifact}


def _spark_requirements() -> list[str]:
    """The pinned pip requirement of a Spark model."""
    # Given explicitly, MLflow does not infer requirements in a subprocess (about 10 s).
    import pyspark

    return [f"pyspark=={pyspark.__version__}"]


def _active_run_id() -> str:
    """The id of the MLflow run kedro-mlflow started; raise without one."""
    run = mlflow.active_run()
    if run is None:
        raise DatasetError("no active MLflow run to log the model in: release models with `kedro run`, which starts one")
    return run.info.run_id


def _alias_not_moved(
    name: str, version: str, alias: str, champion: CurrentChampion | None, decision: ChampionDecision | None
) -> str:
    """What the registry holds when a registered version did not get the alias, and how to promote it by hand."""
    if champion is None:
        serving = "whichever version it pointed at still serves"
    else:
        serving = f"it still points at version {champion.version}, which still serves"
    said = f"version {version} of '{name}' was registered, but the '{alias}' alias was NOT moved ({serving})"
    if decision is not None and decision.promote:
        # The version is complete: pointing the alias at it is all that is left, no need to retrain.
        said += (
            f"; it should have become the {alias} ({decision.reason}): once the database is free, "
            f"MlflowClient().set_registered_model_alias('{name}', '{alias}', '{version}') promotes it"
        )
    return said


@contextmanager
def _failures_say(uri: str, consequence: str | Callable[[], str]) -> Iterator[None]:
    """Re-raise a failure of the block as a DatasetError naming the problem and what the registry holds."""
    try:
        with explained_database_errors(uri, consequence):
            yield
    except DatasetError:
        raise  # already says what happened
    except Exception as error:
        said = consequence() if callable(consequence) else consequence
        # The rest of the error is in the chained traceback.
        failure = f"{type(error).__name__}: {first_line(error, 300)}"
        raise DatasetError(f"MLflow at {uri} failed ({failure}): {said}") from error
