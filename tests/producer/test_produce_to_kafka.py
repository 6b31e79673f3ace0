"""`covid-tweets produce` into the real local broker: what arrives, exactly once, despite hostile input."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from covid_tweets import commands as cli
from covid_tweets.producer.csv_source import MAX_RECORD_CHARS

COVID_HEADER = (
    "user_name,user_location,user_description,user_created,user_followers,user_friends,"
    "user_favourites,user_verified,date,text,hashtags,source,is_retweet\n"
)
TEN_MB = 10 * 1024 * 1024


def record(user_name: str, text: str) -> str:
    """One COVID19-layout CSV record whose user name identifies it in the topic."""
    return f'{user_name},"Leeds, UK",c,,1,2,3,False,2020-07-25 12:27:21,"{text}",,web,False\n'


def produce_csv(kafka: dict, topic: str, source: Path, rejects: Path):
    """Run `covid-tweets produce` on a CSV into ``topic`` of the local broker."""
    arguments = ["produce", "--quiet", "--source", str(source), "--rejects", str(rejects)]
    arguments += ["--bootstrap-servers", kafka["bootstrap_servers"], "--topic", topic]
    return CliRunner().invoke(cli.main, arguments)


def user_names_in_topic(kafka: dict, topic: str) -> Counter:
    """How many times each user name was delivered: every message of the topic, read from the start."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka["bootstrap_servers"],
            "group.id": f"test-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        names: Counter = Counter()
        remaining = {p for p, end in ends.items() if end > 0}
        while remaining:
            message = consumer.poll(10)
            assert message is not None, f"partitions {sorted(remaining)} of {topic} stopped short of their end"
            assert message.error() is None, message.error()
            names[json.loads(message.value())["user_name"]] += 1
            if message.offset() + 1 >= ends[message.partition()]:
                remaining.discard(message.partition())
        return names
    finally:
        consumer.close()


def test_a_10_mb_field_is_rejected_and_the_records_around_it_arrive_once(kafka, topic, tmp_path):
    huge_text = "x" * TEN_MB
    source = tmp_path / "hostile.csv"
    source.write_text(
        COVID_HEADER + record("before", "hello") + record("huge", huge_text) + record("after", "bye"),
        encoding="utf-8",
    )
    rejects = tmp_path / "hostile.rejects.jsonl"

    result = produce_csv(kafka, topic, source, rejects)

    assert result.exit_code == 0, result.output  # like any malformed record: rejected, not a failure
    assert "sent 2 | delivered 2 | failed 0 | malformed 1" in result.output
    assert f"1 malformed records written to {rejects}" in result.output
    [reject] = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert reject["line"] == 3
    assert reject["reason"].startswith("text: 10,485,760 characters, more than the 10,000 a field may have")
    assert reject["raw"].startswith('huge,"Leeds, UK",c,') and len(reject["raw"]) == 1_000
    assert user_names_in_topic(kafka, topic) == Counter({"before": 1, "after": 1})


def test_a_record_past_the_reader_bound_exits_2_and_what_was_sent_stays_delivered(kafka, topic, tmp_path):
    source = tmp_path / "endless.csv"
    endless = "z\n" * (MAX_RECORD_CHARS // 2 + 1)  # one quoted field, line after line
    source.write_text(
        COVID_HEADER + record("first", "a") + record("second", "b") + record("endless", endless) + record("never", "c"),
        encoding="utf-8",
    )

    result = produce_csv(kafka, topic, source, tmp_path / "endless.rejects.jsonl")

    assert result.exit_code == 2
    assert "the record starting on line 4 is longer than 16,777,216 characters, so reading stopped there" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert user_names_in_topic(kafka, topic) == Counter({"first": 1, "second": 1})
