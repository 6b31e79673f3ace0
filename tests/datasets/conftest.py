"""Fixtures of the MLflow dataset tests: a scratch SQLite tracking database, and locks on it by another process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

# Another Python process: locks the database as a writer would, then waits for stdin to close.
_HOLD_LOCK = (
    "import sqlite3, sys\n"
    "connection = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "connection.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


class DatabaseLock:
    """Another process holding an exclusive lock (``BEGIN EXCLUSIVE``) on an SQLite file until released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._process: subprocess.Popen | None = None

    def hold(self) -> None:
        """Take the lock; return once the other process holds it."""
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(self.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout.readline().strip() == "locked", f"could not lock {self.path}"

    def release(self) -> None:
        """End the other process, and so its lock; nothing if it holds none."""
        if self._process is not None:
            self._process.stdin.close()
            self._process.wait(timeout=30)
            self._process = None


@pytest.fixture
def database_lock() -> Iterator[Callable[[Path], DatabaseLock]]:
    """Make locks on SQLite files; every one is released after the test, whatever happened."""
    locks: list[DatabaseLock] = []

    def lock(path: Path) -> DatabaseLock:
        locks.append(DatabaseLock(path))
        return locks[-1]

    yield lock
    for made in locks:
        made.release()


@dataclass(frozen=True)
class Tracking:
    """A scratch SQLite tracking database (and registry) that this process's MLflow calls use."""

    database: Path
    uri: str
    client: MlflowClient
    experiment_id: str


@pytest.fixture
def tracking(tmp_path: Path) -> Iterator[Tracking]:
    """Point MLflow at a new database in tmp_path, with an experiment storing artifacts there; restore after."""
    while mlflow.active_run():  # a run left open by an earlier test belongs to another database
        mlflow.end_run()
    previous_tracking_uri = mlflow.get_tracking_uri()
    # MLflow's setters also export these variables, which later clients (and kedro-mlflow) would read.
    exported = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    database = tmp_path / "mlflow.db"
    uri = f"sqlite:///{database}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    experiment_id = client.create_experiment("releases", artifact_location=str(tmp_path / "artifacts"))
    yield Tracking(database, uri, client, experiment_id)
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(previous_tracking_uri)
    mlflow.set_registry_uri(None)  # the registry follows the tracking URI again, as mlflow.yml sets it
    for name, value in exported.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
