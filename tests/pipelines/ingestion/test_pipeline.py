"""The ingestion pipeline against the real broker and real Delta tables."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kedro.io import DatasetError

from covid_tweets.broker import BrokerUnavailableError
from covid_tweets.datasets import KafkaStreamDataset
from covid_tweets.schema import encode_message
from support import load_dataset, make_tweet, run_kedro, run_pipeline, send_messages

MALFORMED = [
    (b"bad-1", b"{not json"),
    (b"bad-2", b'{"text": "no id here", "schema_version": 1}'),
    (b"bad-3", encode_message(make_tweet(900, user_followers=0))[1].replace(b'"user_followers":0', b'"user_followers":"lots"')),
    (b"bad-4", b"\xc3\x28 invalid utf-8"),
]


def counts(project, monkeypatch):
    bronze = load_dataset(project, monkeypatch, "bronze_tweets@table")
    quarantine = load_dataset(project, monkeypatch, "quarantined_messages")
    return bronze.count(), bronze.select("id").distinct().count(), quarantine.count()


def test_valid_tweets_reach_bronze_and_malformed_ones_quarantine(kedro_project, kafka, topic, monkeypatch):
    send_messages(kafka, topic, [encode_message(make_tweet(n)) for n in range(200)] + MALFORMED)

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)

    bronze = load_dataset(kedro_project, monkeypatch, "bronze_tweets@table")
    assert bronze.count() == 200
    assert bronze.where("id = 't5'").first().text == "tweet 5, with a comma\nand a newline #covid"
    reasons = {
        bytes(row.kafka_key): row.reason
        for row in load_dataset(kedro_project, monkeypatch, "quarantined_messages").collect()
    }
    assert reasons == {
        b"bad-1": "message is not a JSON object",
        b"bad-2": "missing required field 'id'",
        b"bad-3": "user_followers: expected long, got 'lots'",
        b"bad-4": "message is not valid UTF-8",
    }
    partitions = {p.name for p in (kedro_project / "data/02_intermediate/bronze_tweets").iterdir() if p.name.startswith("tweet_date=")}
    assert "tweet_date=2020-07-01" in partitions


def test_ingesting_again_or_resending_the_same_tweets_adds_nothing(kedro_project, kafka, topic, monkeypatch):
    tweets = [encode_message(make_tweet(n)) for n in range(100)]
    send_messages(kafka, topic, tweets + MALFORMED[:1])
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert counts(kedro_project, monkeypatch) == (100, 100, 1)

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert counts(kedro_project, monkeypatch) == (100, 100, 1)

    send_messages(kafka, topic, tweets)
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert counts(kedro_project, monkeypatch) == (100, 100, 1)


@pytest.mark.slow
def test_a_run_killed_in_the_middle_resumes_without_loss_or_duplicates(kedro_project, kafka, topic, monkeypatch):
    # Small micro-batches so that the run is caught between two committed batches.
    catalog = yaml.safe_load((kedro_project / "conf" / "base" / "catalog.yml").read_text())
    source = catalog["tweet_messages"]
    source["options"]["maxOffsetsPerTrigger"] = 200
    (kedro_project / "conf" / "local" / "catalog.yml").write_text(yaml.safe_dump({"tweet_messages": source}))
    send_messages(kafka, topic, [encode_message(make_tweet(n)) for n in range(4000)] + MALFORMED)

    log = kedro_project / "killed-run.log"
    with log.open("w") as output:
        run = subprocess.Popen(
            [str(Path(os.sys.executable).with_name("kedro")), "run", "--pipeline", "ingestion"],
            cwd=kedro_project,
            env={**os.environ, "TWEETS_TOPIC": topic, "SPARK_UI_ENABLED": "false", "KEDRO_DISABLE_TELEMETRY": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        delta_log = kedro_project / "data/02_intermediate/bronze_tweets/_delta_log"
        deadline = time.monotonic() + 240
        while len(list(delta_log.glob("*.json"))) < 4 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run.poll() is None, "the run ended before it could be killed:\n" + log.read_text()[-3000:]
        os.killpg(run.pid, signal.SIGKILL)  # the JVM too: nothing gets to clean up
        run.wait(30)

    # Killed while bronze was being written: quarantine's query had not started yet.
    partial = load_dataset(kedro_project, monkeypatch, "bronze_tweets@table").count()
    assert 0 < partial < 4000

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert counts(kedro_project, monkeypatch) == (4000, 4000, len(MALFORMED))


def test_an_unreachable_broker_fails_fast_with_a_clear_message():
    dataset = KafkaStreamDataset(bootstrap_servers="127.0.0.1:1", topic="tweets", probe_timeout_s=3)
    started = time.monotonic()
    with pytest.raises(DatasetError, match=r"no Kafka broker answered at 127\.0\.0\.1:1 within 3s.*make up"):
        dataset.load()
    assert time.monotonic() - started < 30


def test_a_missing_topic_is_named(kafka):
    dataset = KafkaStreamDataset(bootstrap_servers=kafka["bootstrap_servers"], topic="no-such-topic-here")
    with pytest.raises(DatasetError, match="topic 'no-such-topic-here' does not exist"):
        dataset.load()
