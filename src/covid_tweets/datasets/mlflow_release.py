"""Registers a model release in the MLflow Model Registry, and moves its champion alias only for a better model.

Every release becomes a new version. The alias (``champion`` by default) moves to it
only when its held-out metric beats the one the current champion's run logged under
the same key, for the same label; otherwise the alias stays and the reason is tagged
on the new version and on the run, and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow import MlflowClient

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

    The tracking and registry URIs are the process's (kedro-mlflow sets them).
    """

    def __init__(
        self,
        *,
        alias: str = "champion",
        artifact_path: str = "model",
        pip_requirements: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._alias = alias
        self._artifact_path = artifact_path
        self._pip_requirements = pip_requirements
        self.metadata = metadata

    def load(self) -> None:
        raise DatasetError("MlflowModelReleaseDataset is write-only: ask the registry for the champion alias")

    def save(self, release: ModelRelease) -> None:
        """Log and register the release's model, then move the alias if it is better."""
        client = MlflowClient()
        name = release.registered_model_name
        logged = mlflow.spark.log_model(
            release.model,
            artifact_path=self._artifact_path,
            signature=release.signature,
            input_example=release.input_example,
            pip_requirements=self._pip_requirements or _spark_requirements(),
        )
        # Recorded here, next to the model, so that later releases compare with exactly this value.
        client.log_metric(logged.run_id, release.metric_key, release.metric_value)
        version = mlflow.register_model(logged.model_uri, name, tags=release.tags).version
        champion = self._current_champion(client, name, release.metric_key)
        decision = decide_champion(release, champion)
        if decision.promote:
            client.set_registered_model_alias(name, self._alias, version)
        client.set_model_version_tag(name, version, DECISION_TAG, decision.reason)
        client.set_tag(logged.run_id, DECISION_TAG, decision.reason)
        logger.info("registered %s version %s; %s alias: %s", name, version, self._alias, decision.reason)

    def _current_champion(self, client: MlflowClient, name: str, metric_key: str) -> CurrentChampion | None:
        """Return the version the alias points at, with its run's ``metric_key``; None without one."""
        version_number = client.get_registered_model(name).aliases.get(self._alias)
        if version_number is None:
            return None
        version = client.get_model_version(name, str(version_number))
        run_metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
        return CurrentChampion(str(version_number), run_metrics.get(metric_key), version.tags.get("label"))

    def _describe(self) -> dict[str, Any]:
        return {"alias": self._alias, "artifact_path": self._artifact_path}


def _spark_requirements() -> list[str]:
    """The pinned pip requirement of a Spark model."""
    # Given explicitly, MLflow does not infer requirements in a subprocess (about 10 s).
    import pyspark

    return [f"pyspark=={pyspark.__version__}"]
