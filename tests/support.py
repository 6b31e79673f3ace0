"""Helpers the tests share: paths, sample tweets, sending raw messages, running pipelines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

PROJECT_PATH = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_PATH.parent / "shared" / "data"


def shared_sample(name: str) -> Path:
    """Path of a real sample in ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"real sample {path} is not here")
    return path


def make_scratch_project(folder: Path, source: Path) -> Path:
    """Copy a project's conf and data layout into ``folder``/project; share its Ivy cache."""
    import shutil

    project = folder / "project"
    project.mkdir()
    shutil.copy(source / "pyproject.toml", project)
    shutil.copy(source / ".telemetry", project)
    shutil.copytree(source / "conf", project / "conf")
    (project / "conf" / "local" / "credentials.yml").unlink(missing_ok=True)  # a developer's secrets stay home
    for layer in (source / "data").iterdir():
        if layer.is_dir():
            (project / "data" / layer.name).mkdir(parents=True)
    (project / "src").mkdir()
    (project / ".cache").mkdir()
    (project / ".cache" / "ivy").symlink_to(source / ".cache" / "ivy")
    return project


def run_kedro(project: Path, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the `kedro` command in a project folder, as a user would, and capture its output."""
    environment = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    environment.update({"KEDRO_DISABLE_TELEMETRY": "1", "SPARK_UI_ENABLED": "false"})
    environment.update(env or {})
    kedro = Path(os.sys.executable).with_name("kedro")
    return subprocess.run(
        [str(kedro), *args], cwd=project, env=environment, capture_output=True, text=True, timeout=timeout
    )


def make_tweet(n: int, **overrides) -> dict:
    """A valid tweet (every field of the message schema) whose values depend on ``n``."""
    tweet = {
        "id": f"t{n}",
        "user_name": f"user {n}",
        "user_location": "Paris, France" if n % 3 else None,
        "user_description": "line one,\nline two 🙂",
        "user_created": "2019-01-02 03:04:05",
        "user_followers": 10 * n,
        "user_friends": n,
        "user_favourites": 0,
        "user_verified": n % 2 == 0,
        "date": f"2020-07-{1 + n % 28:02d} 12:00:00",
        "text": f"tweet {n}, with a comma\nand a newline #covid",
        "hashtags": ["covid"],
        "source": "Twitter for iPhone",
        "is_retweet": False,
        "retweets": n % 4,
        "favorites": None,
    }
    tweet.update(overrides)
    return tweet


def send_messages(kafka: dict, topic: str, messages: list[tuple[bytes | None, bytes | None]]) -> None:
    """Write raw (key, value) messages to a topic with a plain confluent-kafka producer."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": kafka["bootstrap_servers"], "enable.idempotence": True})
    for key, value in messages:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0, "the broker did not acknowledge every test message"


def run_pipeline(project: Path, monkeypatch, *pipelines: str, env: str | None = None, **environment: str) -> None:
    """Run pipelines in this process (reusing its Spark session), as `kedro run` would."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    import mlflow

    bootstrap_project(project)
    # Each call stands for one `kedro run` command: never log into a run left open by
    # an earlier session of this test process.
    while mlflow.active_run():
        mlflow.end_run()
    with KedroSession.create(project_path=project, env=env) as session:
        session.run(pipeline_names=list(pipelines))


def load_dataset(project: Path, monkeypatch, name: str):
    """Load a catalog entry of a scratch project."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        return session.load_context().catalog.load(name)
