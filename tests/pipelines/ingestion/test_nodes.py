"""split_messages on hand-made Kafka records: every message lands in exactly one output."""

import datetime as dt
import json

import pytest

from covid_tweets.pipelines.ingestion.nodes import split_messages
from covid_tweets.schema import encode_message
from support import kafka_rows, make_tweet


def json_bytes(document) -> bytes:
    return json.dumps(document).encode()


def split(spark, values):
    bronze, quarantine = split_messages(kafka_rows(spark, values), accepted_schema_versions=[1])
    return bronze.collect(), {row.kafka_offset: row.reason for row in quarantine.collect()}


def test_a_valid_message_becomes_a_typed_bronze_row(spark):
    tweet = make_tweet(7, hashtags=["covid", "vaccine"])
    bronze, quarantined = split(spark, [encode_message(tweet)[1]])

    assert quarantined == {}
    (row,) = bronze
    assert row.id == "t7"
    assert row.text == "tweet 7, with a comma\nand a newline #covid"
    assert row.user_description == "line one,\nline two 🙂"
    assert row.user_followers == 70
    assert row.hashtags == ["covid", "vaccine"]
    assert row.date == dt.datetime(2020, 7, 8, 12, 0, 0)
    assert row.user_created == dt.datetime(2019, 1, 2, 3, 4, 5)
    assert row.tweet_date == dt.date(2020, 7, 8)
    assert (row.kafka_topic, row.kafka_partition, row.kafka_offset) == ("tweets", 0, 0)
    assert row.favorites is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json at all", "message is not a JSON object"),
        (b"[1, 2, 3]", "message is not a JSON object"),
        (b"\xff\xfe{\"id\": 1}", "message is not valid UTF-8"),
        (b"", "empty message"),
        (None, "empty message"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "id": None}), "missing required field 'id'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "text": "  "}), "missing required field 'text'"),
        (json_bytes({k: v for k, v in make_tweet(1).items() if k != "text"} | {"schema_version": 1}), "missing required field 'text'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "user_followers": "many"}), "user_followers: expected long, got 'many'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "user_friends": "12"}), "user_friends: expected long, got '12'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "user_verified": "yes"}), "user_verified: expected boolean, got 'yes'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "hashtags": "covid"}), "hashtags: expected string_array, got 'covid'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "date": "yesterday"}), "date: expected a timestamp like yyyy-MM-dd HH:mm:ss, got 'yesterday'"),
        (json_bytes({**make_tweet(1), "schema_version": 1, "user_created": "0001-01-01 00:00:00"}), "user_created: outside 1900-01-01 00:00:00 .. 2100-12-31 23:59:59, got '0001-01-01 00:00:00'"),
        (json_bytes({**make_tweet(1), "schema_version": 2}), "unsupported schema_version 2 (accepted: [1])"),
        (json_bytes(make_tweet(1)), "missing required field 'schema_version'"),
    ],
)
def test_a_malformed_message_is_quarantined_with_its_reason(spark, value, reason):
    valid = encode_message(make_tweet(2))[1]
    bronze, quarantined = split(spark, [valid, value])

    assert [row.id for row in bronze] == ["t2"]
    assert quarantined == {1: reason}


def test_quarantine_keeps_the_raw_bytes_and_where_they_came_from(spark):
    raw = b"\x00\x01 binary \xff"
    _, quarantine = split_messages(kafka_rows(spark, [raw]), accepted_schema_versions=[1])
    (row,) = quarantine.collect()
    assert bytes(row.kafka_value) == raw
    assert (row.kafka_topic, row.kafka_partition, row.kafka_offset) == ("tweets", 0, 0)
    assert row.quarantined_at is not None
