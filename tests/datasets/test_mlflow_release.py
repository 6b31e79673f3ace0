"""The release dataset on a real SQLite registry: the alias moves last, and only to a complete version.

Each release is saved directly (not through the modeling pipeline) with a tiny fitted
Spark model, in an MLflow run that, as in the pipeline, already holds the ONNX model.
A locked database costs 20 s per failing MLflow call (MLflow's SQLite busy timeout).
"""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from kedro.io import DatasetError
from mlflow.models import infer_signature
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler

from covid_tweets.datasets.mlflow_release import DECISION_TAG, MlflowModelReleaseDataset, ModelRelease
from covid_tweets.mlflow_database import MlflowDatabaseError

NAME = "covid-tweets-engagement"
LOCK_ADVICE = "let that process finish or stop it"


@pytest.fixture(scope="module")
def tiny_model(spark) -> tuple[PipelineModel, pd.DataFrame]:
    """A logistic regression on polarity fitted on eight rows, and two rows it scores."""
    rows = pd.DataFrame({"polarity": [-0.8, -0.5, -0.3, -0.1, 0.1, 0.3, 0.5, 0.8], "label": [0.0] * 4 + [1.0] * 4})
    stages = [VectorAssembler(inputCols=["polarity"], outputCol="features"), LogisticRegression(maxIter=5)]
    return Pipeline(stages=stages).fit(spark.createDataFrame(rows)), rows[["polarity"]].head(2)


def release(tiny_model: tuple[PipelineModel, pd.DataFrame], roc_auc: float) -> ModelRelease:
    """The tiny model as a release scoring ``roc_auc`` on the held-out set."""
    model, example = tiny_model
    return ModelRelease(
        model=model,
        registered_model_name=NAME,
        metric_key="best.test.roc_auc",
        metric_value=roc_auc,
        signature=infer_signature(example, pd.DataFrame({"prediction": [0.0, 0.0]})),
        input_example=example,
        tags={"label": "engaged"},
    )


def log_onnx_model() -> None:
    """Log the run's model.onnx, as the pipeline's ONNX conversion does before the release (its bytes do not matter here)."""
    mlflow.log_text("an ONNX graph", "model.onnx")


class LockedBeforeTheAliasMoves(MlflowModelReleaseDataset):
    """The release dataset, with another process locking the database just before its last step."""

    def __init__(self, lock) -> None:
        super().__init__()
        self._lock = lock

    def _move_alias(self, client, name, version) -> None:
        self._lock.hold()
        super()._move_alias(client, name, version)


def test_a_run_without_its_onnx_model_registers_nothing(tracking, tiny_model):
    with mlflow.start_run(experiment_id=tracking.experiment_id) as run:
        with pytest.raises(DatasetError) as raised:
            MlflowModelReleaseDataset().save(release(tiny_model, 0.8))

    assert str(raised.value) == (
        f"MLflow run {run.info.run_id} has no artifact 'model.onnx', so deployment could not serve this model: "
        "nothing was registered and the 'champion' alias was not moved; "
        "run the whole modeling pipeline, whose ONNX conversion logs it"
    )
    assert tracking.client.search_registered_models() == []
    assert tracking.client.list_artifacts(run.info.run_id) == []  # checked before the Spark model is logged


@pytest.mark.slow  # MLflow waits 20 s on a locked SQLite database
def test_a_locked_database_stops_the_release_before_anything_is_registered(tracking, database_lock, tiny_model):
    dataset = MlflowModelReleaseDataset()
    with mlflow.start_run(experiment_id=tracking.experiment_id):
        log_onnx_model()
        dataset.save(release(tiny_model, 0.6))
    lock = database_lock(tracking.database)

    with mlflow.start_run(experiment_id=tracking.experiment_id):
        log_onnx_model()
        lock.hold()
        with pytest.raises(MlflowDatabaseError) as raised:
            dataset.save(release(tiny_model, 0.9))
        lock.release()  # before the run ends: ending it writes to the database

    assert str(raised.value).startswith(
        f"the MLflow database at {tracking.database} is locked by another process (database is locked): "
        f"nothing was registered and the 'champion' alias was not moved; {LOCK_ADVICE}"
    )
    assert [str(version.version) for version in tracking.client.search_model_versions(f"name = '{NAME}'")] == ["1"]
    assert str(tracking.client.get_model_version_by_alias(NAME, "champion").version) == "1"


@pytest.mark.slow  # MLflow waits 20 s on a locked SQLite database
def test_a_lock_before_the_alias_moves_leaves_a_complete_version_that_is_not_champion(
    tracking, database_lock, tiny_model
):
    client = tracking.client
    with mlflow.start_run(experiment_id=tracking.experiment_id):
        log_onnx_model()
        MlflowModelReleaseDataset().save(release(tiny_model, 0.6))
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"
    lock = database_lock(tracking.database)

    with mlflow.start_run(experiment_id=tracking.experiment_id) as run:
        log_onnx_model()
        with pytest.raises(MlflowDatabaseError) as raised:
            LockedBeforeTheAliasMoves(lock).save(release(tiny_model, 0.9))
        lock.release()  # before the run ends: ending it writes to the database

    reason = "promoted: best.test.roc_auc 0.9000 beats 0.6000 of version 1"
    assert str(raised.value) == (
        f"the MLflow database at {tracking.database} is locked by another process (database is locked): "
        f"version 2 of '{NAME}' was registered, but the 'champion' alias was NOT moved "
        f"(it still points at version 1, which still serves); it should have become the champion ({reason}): "
        f"once the database is free, MlflowClient().set_registered_model_alias('{NAME}', 'champion', '2') "
        f"promotes it; {LOCK_ADVICE} (another `kedro run`, `mlflow ui`, a notebook or a sqlite3 shell holding "
        "a transaction), then run again"
    )
    # The old champion still serves; the new version is complete, with its decision, but not aliased.
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"
    new = client.get_model_version(NAME, "2")
    assert new.aliases == [] and new.run_id == run.info.run_id
    assert new.tags[DECISION_TAG] == reason
    assert {"model.onnx", "model"} <= {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
    assert client.get_run(run.info.run_id).data.metrics["best.test.roc_auc"] == 0.9
