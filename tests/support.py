"""Helpers the tests share: paths, sample tweets, sending raw messages, running pipelines."""

from __future__ import annotations

import os
import signal
import subprocess
import time
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


def _kedro_command(*args: str, env: dict | None) -> tuple[list[str], dict]:
    """The `kedro` command of this venv and the environment a user's shell would give it."""
    environment = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    # Wide columns: Kedro's rich console would otherwise wrap the messages tests look for.
    environment.update({"KEDRO_DISABLE_TELEMETRY": "1", "SPARK_UI_ENABLED": "false", "COLUMNS": "400"})
    environment.update(env or {})
    return [str(Path(os.sys.executable).with_name("kedro")), *args], environment


def run_kedro(project: Path, *args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the `kedro` command in a project folder, as a user would, and capture its output."""
    command, environment = _kedro_command(*args, env=env)
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=timeout)


def start_kedro(project: Path, *args: str, log: Path, env: dict | None = None) -> subprocess.Popen:
    """Start the `kedro` command in the background, in its own process group, output to ``log``.

    Killing the group (``os.killpg``) kills its Spark JVM too, as a crash would.
    """
    command, environment = _kedro_command(*args, env=env)
    with log.open("w") as output:
        return subprocess.Popen(
            command, cwd=project, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_for(condition, run: subprocess.Popen, log: Path, what: str, timeout_s: float = 240) -> None:
    """Poll ``condition`` until it holds; fail with the run's log if the run ends or time runs out first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if run.poll() is not None:
            pytest.fail(f"the run ended (exit {run.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            os.killpg(run.pid, signal.SIGKILL)
            pytest.fail(f"no {what} within {timeout_s:g}s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def delta_commits(table: Path) -> int:
    """How many versions a Delta table has committed (0 before it exists)."""
    return len(list((table / "_delta_log").glob("*.json")))


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


def malformed_messages() -> list[tuple[bytes, bytes]]:
    """One message for each way a message can be refused, keyed bad-1..bad-4."""
    from covid_tweets.schema import encode_message

    wrong_type = encode_message(make_tweet(900, user_followers=0))[1].replace(b'"user_followers":0', b'"user_followers":"lots"')
    return [
        (b"bad-1", b"{not json"),
        (b"bad-2", b'{"text": "no id here", "schema_version": 1}'),
        (b"bad-3", wrong_type),
        (b"bad-4", b"\xc3\x28 invalid utf-8"),
    ]


def kafka_rows(spark, values: list[bytes | None]):
    """A batch DataFrame shaped like Spark's Kafka source: one record per value, at offsets 0, 1, ..."""
    import datetime as dt

    when = dt.datetime(2020, 7, 25, 12, 0, 0)
    rows = [(b"k", value, "tweets", 0, offset, when) for offset, value in enumerate(values)]
    return spark.createDataFrame(rows, "key binary, value binary, topic string, partition int, offset long, timestamp timestamp")


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


def ingested_counts(project: Path, monkeypatch) -> tuple[int, int, int]:
    """Bronze rows, distinct bronze ids and quarantined messages of a scratch project."""
    bronze = load_dataset(project, monkeypatch, "bronze_tweets@table")
    quarantine = load_dataset(project, monkeypatch, "quarantined_messages")
    return bronze.count(), bronze.select("id").distinct().count(), quarantine.count()


def load_dataset(project: Path, monkeypatch, name: str):
    """Load a catalog entry of a scratch project."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        return session.load_context().catalog.load(name)
