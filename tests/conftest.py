"""Fixtures shared by the suite: the real local broker, one Spark session, a scratch project.

The broker is the one `make test` starts (platform/kafka.sh); Spark is built from
conf/base/spark.yml exactly as a Kedro run builds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from covid_tweets.config import kafka_settings, load_config
from covid_tweets.spark import get_or_create_spark_session

PROJECT_PATH = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_PATH.parent / "shared" / "data"


def shared_sample(name: str) -> Path:
    """Path of a real sample in ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"real sample {path} is not here")
    return path


@pytest.fixture(scope="session")
def kafka() -> dict:
    """The broker's settings; fails fast, naming the fix, when it is not running."""
    settings = kafka_settings(project_path=PROJECT_PATH)
    admin = AdminClient({"bootstrap.servers": settings["bootstrap_servers"]})
    try:
        admin.list_topics(timeout=10)
    except Exception as error:  # noqa: BLE001 - any failure means the same fix
        pytest.fail(f"no Kafka broker at {settings['bootstrap_servers']} ({error}); run `make up`")
    return settings


@pytest.fixture
def topic(kafka: dict) -> str:
    """A fresh two-partition topic, deleted after the test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": kafka["bootstrap_servers"]})
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name].result(30)
    yield name
    admin.delete_topics([name])[name].result(30)


@pytest.fixture(scope="session")
def spark():
    """The Spark session a Kedro run in this process would use (Delta and Kafka jars)."""
    session = get_or_create_spark_session(load_config("spark", project_path=PROJECT_PATH), PROJECT_PATH)
    yield session
    session.stop()


@pytest.fixture
def kedro_project(tmp_path: Path, kafka: dict) -> Path:
    """A scratch copy of the project (conf, data layout) whose runs touch nothing of ours.

    Its MLflow database and data folder are its own; the Ivy cache is shared so that
    Spark does not resolve its jars again.
    """
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_PATH / "pyproject.toml", project)
    shutil.copy(PROJECT_PATH / ".telemetry", project)
    shutil.copytree(PROJECT_PATH / "conf", project / "conf", ignore=shutil.ignore_patterns("credentials.yml"))
    shutil.copytree(PROJECT_PATH / "data", project / "data", ignore=lambda d, names: [n for n in names if n != ".gitkeep" and not (Path(d) / n).is_dir()])
    (project / "src").mkdir()
    (project / ".cache").mkdir()
    (project / ".cache" / "ivy").symlink_to(PROJECT_PATH / ".cache" / "ivy")
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


def run_pipeline(project: Path, monkeypatch, *pipelines: str, **environment: str) -> None:
    """Run pipelines in this process (reusing its Spark session), as `kedro run` would."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        session.run(pipeline_names=list(pipelines))


def load_dataset(project: Path, monkeypatch, name: str):
    """Load a catalog entry of a scratch project."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        return session.load_context().catalog.load(name)
