"""The ingestion pipeline against the real broker and real Delta tables."""

import time

import pytest
from kedro.io import DatasetError

from covid_tweets.datasets import KafkaStreamDataset
from covid_tweets.schema import encode_message
from support import ingested_counts, load_dataset, make_tweet, malformed_messages, run_pipeline, send_messages

MALFORMED = malformed_messages()


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
    assert ingested_counts(kedro_project, monkeypatch) == (100, 100, 1)

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert ingested_counts(kedro_project, monkeypatch) == (100, 100, 1)

    send_messages(kafka, topic, tweets)
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    assert ingested_counts(kedro_project, monkeypatch) == (100, 100, 1)


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
