"""Deployment's reader of the registry: without a database or a champion, it says to run modeling first.

(A database locked while deployment reads it: tests/datasets/test_mlflow_database_runs.py.)
"""

from __future__ import annotations

import mlflow
import pytest
from kedro.io import DatasetError

from covid_tweets.datasets import RegisteredModelDataset

NAME = "covid-tweets-engagement"


def champion_dataset() -> RegisteredModelDataset:
    return RegisteredModelDataset(registered_model_name=NAME, alias="champion")


def test_without_a_database_it_says_to_run_modeling_and_creates_none(tracking, tmp_path):
    missing = tmp_path / "nothing-here" / "mlflow.db"
    mlflow.set_registry_uri(f"sqlite:///{missing}")  # the fixture restores it

    with pytest.raises(DatasetError) as raised:
        champion_dataset().load()

    assert str(raised.value) == (
        f"no model registered as '{NAME}' with alias 'champion': there is no MLflow database at {missing}; "
        "run `kedro run --pipeline modeling` first, or set MLFLOW_TRACKING_URI to the database that holds the champion"
    )
    assert not missing.parent.exists()  # MLflow alone would have created an empty database there


def register_unaliased_version(tracking) -> None:
    """A version no release promoted (e.g. it did not beat the champion, or the alias move failed)."""
    run = tracking.client.create_run(tracking.experiment_id)
    tracking.client.create_registered_model(NAME)
    tracking.client.create_model_version(NAME, f"{run.info.artifact_uri}/model", run_id=run.info.run_id)


@pytest.mark.parametrize(
    "fill", [lambda tracking: None, register_unaliased_version], ids=["empty registry", "no version is champion"]
)
def test_a_registry_without_a_champion_says_to_run_modeling(tracking, fill):
    fill(tracking)

    with pytest.raises(DatasetError) as raised:
        champion_dataset().load()

    assert str(raised.value) == (
        f"no model registered as '{NAME}' with alias 'champion' in {tracking.uri}: "
        "run `kedro run --pipeline modeling` first"
    )
