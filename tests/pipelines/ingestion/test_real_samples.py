"""The real public samples, streamed by the producer and ingested: every field arrives intact.

Skipped when ../shared/data is absent.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from covid_tweets.producer.csv_source import read_csv_tweets
from covid_tweets.producer.records import Reject
from covid_tweets.schema import PY_TIMESTAMP_FORMAT, TIMESTAMP_FIELDS
from support import load_dataset, run_pipeline, shared_sample


def produce_csv(project: Path, path: Path, topic: str, kafka: dict) -> Path:
    """Stream a CSV with the project's command, as a user would; return its rejects file."""
    rejects = project / "rejects.jsonl"
    subprocess.run(
        [str(Path(os.sys.executable).with_name("covid-tweets")), "produce", "--source", str(path), "--topic", topic,
         "--bootstrap-servers", kafka["bootstrap_servers"], "--rejects", str(rejects), "--quiet"],
        cwd=project, check=True, timeout=300,
    )
    return rejects


def as_message_value(name: str, value):
    """A bronze value written back the way the message carries it."""
    if name in TIMESTAMP_FIELDS and value is not None:
        return value.strftime(PY_TIMESTAMP_FORMAT)
    return value


@pytest.mark.parametrize(
    ("sample", "tweets", "rejects"),
    [("covid19_tweets_sample.csv", 9031, ["record truncated at end of file"]), ("vaccination_tweets_sample.csv", 3813, [])],
)
def test_every_real_tweet_lands_in_bronze_intact(sample, tweets, rejects, kedro_project, kafka, topic, monkeypatch):
    path = shared_sample(sample)
    rejects_file = produce_csv(kedro_project, path, topic, kafka)

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)

    expected = {item["id"]: item for item in read_csv_tweets(path) if not isinstance(item, Reject)}
    bronze = {row.id: row.asDict() for row in load_dataset(kedro_project, monkeypatch, "bronze_tweets@table").collect()}
    assert len(bronze) == len(expected) == tweets
    assert load_dataset(kedro_project, monkeypatch, "quarantined_messages").count() == 0
    for tweet_id, source in expected.items():
        landed = bronze[tweet_id]
        assert {name: as_message_value(name, landed[name]) for name in source} == source, tweet_id
    reasons = [json.loads(line)["reason"] for line in rejects_file.read_text().splitlines()]
    assert reasons == rejects
