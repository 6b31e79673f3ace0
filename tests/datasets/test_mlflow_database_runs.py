"""Kedro runs when MLflow's SQLite database is locked or unusable: a clear error, no half-registered champion.

The lock is a real one: another process holds ``BEGIN EXCLUSIVE`` on the database file.
MLflow waits 20 s for a locked database (``PRAGMA busy_timeout = 20000`` on every
session; 5 s with the sqlite3 default while it first opens it), so each locked MLflow
call in these tests costs that long.
"""

from __future__ import annotations

import time
from pathlib import Path

import mlflow
import pytest
from kedro.framework.hooks import hook_impl
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import DatasetError
from kedro.runner import SequentialRunner
from mlflow import MlflowClient

from covid_tweets.mlflow_database import MlflowDatabaseError
from support import run_pipeline

REGISTERED_MODEL = "covid-tweets-engagement"
METRIC = "best.test.roc_auc"


def project_database(project: Path) -> Path:
    """The tracking database a scratch project uses when MLFLOW_TRACKING_URI is unset."""
    return project / "data" / "mlflow" / "mlflow.db"


def register_champion(project: Path, roc_auc: float) -> MlflowClient:
    """Register a version as the champion in the project's registry, as an earlier release would have."""
    uri = f"sqlite:///{project_database(project)}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("covid-tweets", artifact_location=str(project / "data/mlflow/artifacts"))
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, METRIC, roc_auc)
    client.set_terminated(run.info.run_id)
    client.create_registered_model(REGISTERED_MODEL)
    version = client.create_model_version(
        REGISTERED_MODEL, f"{run.info.artifact_uri}/model", run_id=run.info.run_id, tags={"label": "engaged"}
    )
    client.set_registered_model_alias(REGISTERED_MODEL, "champion", version.version)
    return client


def assert_champion_unchanged(client: MlflowClient) -> None:
    """Version 1 is still the only version and still the champion."""
    assert [str(v.version) for v in client.search_model_versions(f"name = '{REGISTERED_MODEL}'")] == ["1"]
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, "champion").version) == "1"


class LockBeforeLoading:
    """A Kedro hook: another process locks the database just before a given dataset is first loaded."""

    def __init__(self, dataset_name: str, lock) -> None:
        self._dataset_name = dataset_name
        self._lock = lock

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node) -> None:
        if dataset_name == self._dataset_name:
            self._lock.hold()
            self._dataset_name = None


class RunnerWithHooks(SequentialRunner):
    """The sequential runner, with extra hooks registered for this run only."""

    def __init__(self, *hooks) -> None:
        super().__init__()
        self._extra_hooks = hooks

    def run(self, pipeline, catalog, hook_manager=None, run_id=None, only_missing_outputs=False):
        for hook in self._extra_hooks:
            hook_manager.register(hook)
        return super().run(pipeline, catalog, hook_manager, run_id=run_id, only_missing_outputs=only_missing_outputs)


@pytest.fixture
def lock(kedro_project, database_lock):
    """Another process's lock on the scratch project's database (not held yet)."""
    return database_lock(project_database(kedro_project))


@pytest.mark.slow  # MLflow waits 20 s on a locked SQLite database
def test_a_locked_database_stops_the_run_before_it_starts_and_the_champion_stays(kedro_project, monkeypatch, lock):
    client = register_champion(kedro_project, roc_auc=0.5)
    database = project_database(kedro_project)

    lock.hold()
    started = time.monotonic()
    with pytest.raises(MlflowDatabaseError) as raised:
        run_pipeline(kedro_project, monkeypatch, "modeling")
    print(f"failed after {time.monotonic() - started:.0f} s")
    lock.release()

    assert str(raised.value).startswith(
        f"the MLflow database at {database} is locked by another process (database is locked): "
        "the Kedro run did not start: nothing was logged or registered; let that process finish or stop it"
    )
    assert_champion_unchanged(client)
    assert len(client.search_runs(client.get_experiment_by_name("covid-tweets").experiment_id)) == 1


@pytest.mark.slow  # MLflow waits 20 s on a locked SQLite database
def test_a_lock_during_the_run_stops_it_with_the_clear_error_not_the_failure_to_close_the_run(
    kedro_project, monkeypatch, lock, caplog
):
    client = register_champion(kedro_project, roc_auc=0.5)
    monkeypatch.chdir(kedro_project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    bootstrap_project(kedro_project)
    while mlflow.active_run():
        mlflow.end_run()

    # The run starts; then the first node's input, the registry's champion, finds the database locked.
    # kedro-mlflow then fails to mark the run FAILED on the same locked database: that must not hide the cause.
    started = time.monotonic()
    with pytest.raises(DatasetError) as raised:
        with KedroSession.create(project_path=kedro_project) as session:
            session.run(pipeline_names=["deployment"], runner=RunnerWithHooks(LockBeforeLoading("champion_model@serving", lock)))
    print(f"deployment until the locked read failed: {time.monotonic() - started:.0f} s")
    lock.release()

    assert (
        f"the MLflow database at {project_database(kedro_project)} is locked by another process (database is locked): "
        f"the 'champion' version of '{REGISTERED_MODEL}' could not be read; let that process finish or stop it"
    ) in str(raised.value)
    assert_champion_unchanged(client)
    # kedro-mlflow could not mark the run FAILED: a warning says so, and how to once the database is free.
    experiment = client.get_experiment_by_name("covid-tweets").experiment_id
    [run] = client.search_runs(experiment, "attributes.run_name = 'deployment'")
    assert run.info.status == "RUNNING"
    assert f"the failed MLflow run {run.info.run_id} stays marked RUNNING (once the database is free, " in caplog.text


@pytest.mark.parametrize(
    ("make_unusable", "problem"),
    [
        (lambda tmp: (tmp / "a-file").write_text("not a folder"), "cannot be created: its folder cannot be made"),
        (lambda tmp: (tmp / "a-file" / "mlflow.db").mkdir(parents=True), "cannot be used: it is not a file"),
    ],
    ids=["folder under a file", "database path is a folder"],
)
def test_an_unusable_database_path_fails_at_once_naming_it(kedro_project, monkeypatch, tmp_path, make_unusable, problem):
    make_unusable(tmp_path)
    database = tmp_path / "a-file" / "mlflow.db"

    started = time.monotonic()
    with pytest.raises(MlflowDatabaseError) as raised:
        run_pipeline(kedro_project, monkeypatch, "modeling", MLFLOW_TRACKING_URI=f"sqlite:///{database}")

    # MLflow alone would retry opening a folder as a database for about 100 s.
    assert time.monotonic() - started < 30
    assert str(raised.value).startswith(f"the MLflow database at {database} {problem}")
    assert "set MLFLOW_TRACKING_URI to sqlite:///<a writable path>" in str(raised.value)


def test_a_missing_database_is_created_with_its_folders_when_a_run_starts(kedro_project, monkeypatch, tmp_path):
    # Expected, not an error: the first `kedro run` of a fresh clone creates data/mlflow/mlflow.db.
    database = tmp_path / "new" / "folders" / "mlflow.db"
    monkeypatch.chdir(kedro_project)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{database}")
    bootstrap_project(kedro_project)

    with KedroSession.create(project_path=kedro_project) as session:
        session.load_context()

    assert database.is_file()
    assert MlflowClient(tracking_uri=f"sqlite:///{database}").get_experiment_by_name("covid-tweets") is not None
