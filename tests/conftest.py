"""Fixtures shared by the suite: the real local broker, one Spark session, a scratch project.

The broker is the one `make test` starts (platform/kafka.sh); Spark is built from
conf/base/spark.yml exactly as a Kedro run builds it. Plain helpers live in support.py.
`make test` runs the suite on two pytest-xdist workers, each with its own Spark
session and scratch folders; a test file, and the tests sharing the deployed project,
run on one worker.
"""

from __future__ import annotations

import sys
import uuid

import yaml
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from covid_tweets.config import kafka_settings, load_config
from covid_tweets.spark import get_or_create_spark_session
from support import PROJECT_PATH, make_scratch_project, run_pipeline, send_messages

# pytest-xdist workers run under a `__main__` module without a file; pyspark takes that
# for its own doctest runner and exits (sys.exit(0)) when Spark Connect's extras are absent.
_main = sys.modules["__main__"]
if _main.__spec__ is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each test file to one xdist worker, and every test using ``deployed_project`` to one.

    A file's module fixtures (trained models, a built environment) and the deployed
    project are then made once, by one worker, never by both at the same time.
    """
    for item in items:
        uses_deployed_project = "deployed_project" in getattr(item, "fixturenames", ())
        group = "deployed_project" if uses_deployed_project else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


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
def kedro_project(tmp_path: Path, kafka: dict, spark) -> Path:
    """A scratch copy of the project (conf, data layout) whose runs touch nothing of ours.

    Its MLflow database and data folder are its own; the Ivy cache is shared so that
    Spark does not resolve its jars again. Runs in this process reuse the ``spark``
    session (which has filled that cache by then).
    """
    return make_scratch_project(tmp_path, PROJECT_PATH)


# One quick candidate: the modules using this project test what comes after tuning.
QUICK_MODELING = {
    "candidates": {
        "logistic_regression": {"classifier": "LogisticRegression", "params": {"maxIter": 50}, "grid": {"regParam": [0.01]}}
    },
    "tuning": {"folds": 2, "parallelism": 2, "seed": 7},
}


@pytest.fixture(scope="session")
def deployed_project(tmp_path_factory, kafka, spark):
    """A scratch project that ran every pipeline (`kedro run`) on 3,000 synthetic tweets.

    Yields (project, tweets, topic, monkeypatch); shared by the deployment and notebook tests.
    """
    from covid_tweets.producer import generate_tweets
    from covid_tweets.schema import encode_message

    project = make_scratch_project(tmp_path_factory.mktemp("deployed"), PROJECT_PATH)
    (project / "conf/local/parameters_modeling.yml").write_text(yaml.safe_dump(QUICK_MODELING))
    tweets = list(generate_tweets(3000, seed=11))
    topic = f"deploy-{uuid.uuid4().hex[:8]}"
    send_messages(kafka, topic, [encode_message(t) for t in tweets])
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_pipeline(project, monkeypatch, "__default__", TWEETS_TOPIC=topic)
        monkeypatch.chdir(PROJECT_PATH)  # later tests start where pytest started
        yield project, tweets, topic, monkeypatch
