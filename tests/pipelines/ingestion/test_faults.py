"""Ingestion survives faults: a killed run, a broker that goes away, two runs at once.

Each test drives real `kedro run` processes (their own Spark JVM) against a real
broker, then checks the invariant a user relies on: every produced message is in
bronze or quarantine exactly once, and the tables and checkpoints stay usable.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import AdminClient, NewTopic

from covid_tweets.schema import encode_message
from support import (
    PROJECT_PATH,
    delta_commits,
    ingested_counts,
    load_dataset,
    make_tweet,
    malformed_messages,
    run_pipeline,
    send_messages,
    start_kedro,
    wait_for,
)

pytestmark = pytest.mark.slow

TWEETS = 2000
MALFORMED = malformed_messages()
BRONZE = "data/02_intermediate/bronze_tweets"


def stream_in_small_batches(project: Path, messages_per_batch: int = 200, **options) -> None:
    """Read the topic a few hundred messages per micro-batch, so that a run is many commits long."""
    catalog = yaml.safe_load((project / "conf" / "base" / "catalog.yml").read_text())
    source = catalog["tweet_messages"]
    source["options"].update({"maxOffsetsPerTrigger": messages_per_batch, **options})
    (project / "conf" / "local" / "catalog.yml").write_text(yaml.safe_dump({"tweet_messages": source}))


def stream_at_usual_pace(project: Path) -> None:
    """Back to the catalog's own batch size: the next run reads on from where the last one stopped."""
    (project / "conf" / "local" / "catalog.yml").unlink()


def produce_tweets_and_malformed(kafka: dict, topic: str) -> None:
    send_messages(kafka, topic, [encode_message(make_tweet(n)) for n in range(TWEETS)] + MALFORMED)


def test_a_run_killed_in_the_middle_resumes_without_loss_or_duplicates(kedro_project, kafka, topic, monkeypatch):
    stream_in_small_batches(kedro_project)
    produce_tweets_and_malformed(kafka, topic)

    log = kedro_project / "killed-run.log"
    run = start_kedro(kedro_project, "run", "--pipeline", "ingestion", log=log, env={"TWEETS_TOPIC": topic})
    wait_for(lambda: delta_commits(kedro_project / BRONZE) >= 4, run, log, "four bronze commits")
    os.killpg(run.pid, signal.SIGKILL)  # the JVM too: nothing gets to clean up
    run.wait(30)

    # Killed while bronze was being written: quarantine's query had not started yet.
    partial = load_dataset(kedro_project, monkeypatch, "bronze_tweets@table").count()
    assert 0 < partial < TWEETS

    stream_at_usual_pace(kedro_project)
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert ingested_counts(kedro_project, monkeypatch) == (TWEETS, TWEETS, len(MALFORMED))


class PrivateBroker:
    """A broker of its own (platform/kafka.sh with its own home and port) that a test may stop."""

    def __init__(self, home: Path) -> None:
        home.mkdir()
        # The jars the project's broker already fetched: no second download.
        (home / "libs").symlink_to(PROJECT_PATH / ".platform" / "kafka" / "libs")
        self.port, controller_port = free_port(), free_port()
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self._env = {**os.environ, "KAFKA_HOME": str(home), "KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(controller_port)}

    def _script(self, command: str) -> None:
        result = subprocess.run(
            [str(PROJECT_PATH / "platform" / "kafka.sh"), command], env=self._env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"kafka.sh {command} failed:\n{result.stdout}\n{result.stderr}"

    def up(self) -> None:
        self._script("up")

    def down(self) -> None:
        self._script("down")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_broker(tmp_path: Path):
    broker = PrivateBroker(tmp_path / "kafka")
    broker.up()
    yield broker
    broker.down()


def test_a_broker_that_stops_mid_run_and_comes_back_loses_and_repeats_nothing(kedro_project, private_broker, monkeypatch):
    kafka = {"bootstrap_servers": private_broker.bootstrap_servers}
    topic = f"outage-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka["bootstrap_servers"]})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(30)
    # Clients that wait 5 s for a broker, once (not 3 x 60 s), so that the outage fails the run soon.
    timeouts = {
        "kafkaConsumer.pollTimeoutMs": 5000,
        "kafka.default.api.timeout.ms": 5000,
        "kafka.request.timeout.ms": 5000,
        "fetchOffset.numRetries": 1,
    }
    stream_in_small_batches(kedro_project, **timeouts)
    produce_tweets_and_malformed(kafka, topic)
    environment = {"TWEETS_TOPIC": topic, "KAFKA_BOOTSTRAP_SERVERS": kafka["bootstrap_servers"]}

    log = kedro_project / "outage-run.log"
    run = start_kedro(kedro_project, "run", "--pipeline", "ingestion", log=log, env=environment)
    wait_for(lambda: delta_commits(kedro_project / BRONZE) >= 3, run, log, "three bronze commits")
    private_broker.down()
    try:
        run.wait(240)
    finally:
        private_broker.up()
    output = " ".join(log.read_text().split())
    assert run.returncode != 0, "the run should fail while its broker is gone:\n" + output[-3000:]
    assert "bronze_tweets: the streaming query stopped" in output, output[-3000:]
    assert "the next run resumes after them" in output

    # What the failed run committed is readable, and the next run completes it exactly once.
    assert 0 < load_dataset(kedro_project, monkeypatch, "bronze_tweets@table").count() < TWEETS
    stream_at_usual_pace(kedro_project)
    run_pipeline(kedro_project, monkeypatch, "ingestion", **environment)
    assert ingested_counts(kedro_project, monkeypatch) == (TWEETS, TWEETS, len(MALFORMED))


def test_two_runs_at_once_finish_with_every_message_once(kedro_project, kafka, topic, monkeypatch):
    stream_in_small_batches(kedro_project, messages_per_batch=500)  # a few batches: long enough to overlap
    produce_tweets_and_malformed(kafka, topic)

    logs = [kedro_project / f"concurrent-run-{n}.log" for n in (1, 2)]
    runs = [start_kedro(kedro_project, "run", "--pipeline", "ingestion", log=log, env={"TWEETS_TOPIC": topic}) for log in logs]
    for run in runs:
        run.wait(480)
    outputs = [log.read_text() for log in logs]

    assert [run.returncode for run in runs] == [0, 0], "\n\n".join(output[-3000:] for output in outputs)
    # They overlapped, and the second one waited for the first instead of racing it.
    assert sum("another run is writing it" in output for output in outputs) >= 1, outputs
    assert ingested_counts(kedro_project, monkeypatch) == (TWEETS, TWEETS, len(MALFORMED))
    # The checkpoints are intact: one more run reads on from them and adds nothing.
    send_messages(kafka, topic, [encode_message(make_tweet(TWEETS))])
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert ingested_counts(kedro_project, monkeypatch) == (TWEETS + 1, TWEETS + 1, len(MALFORMED))
