"""The tweet message: one JSON object per Kafka message, keyed by tweet id.

This module is the single definition of the message. The producer builds messages
with :func:`encode_message`, ingestion parses them with :data:`MESSAGE_SCHEMA`, the
bronze table stores :data:`BRONZE_SCHEMA`, and the server validates requests against
:data:`TWEET_FIELDS`. Change a field here and every stage follows.
"""

from __future__ import annotations

import json
import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

SCHEMA_VERSION = 1
"""Written into every message; ingestion quarantines versions it does not know."""

TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
"""Spark pattern of `date` and `user_created` on the wire (UTC), as in the public data."""

PY_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The same pattern for Python's datetime."""

# Timestamps outside this range are refused at every entry (ingestion, serving): pandas'
# nanosecond timestamps end in 1677 and 2262, and an account age over ~292 years
# overflows them, so a hostile date must never reach the feature code.
EARLIEST_TIMESTAMP = dt.datetime(1900, 1, 1)
LATEST_TIMESTAMP = dt.datetime(2100, 12, 31, 23, 59, 59)


@dataclass(frozen=True)
class Field:
    """One field of the message: its wire type and whether a tweet needs it."""

    name: str
    kind: str  # "string", "long", "boolean", "timestamp" (a string on the wire), "string_array"
    required: bool = False


TWEET_FIELDS: tuple[Field, ...] = (
    # Tweet ids exceed JavaScript's safe integers, so they travel as strings.
    Field("id", "string", required=True),
    Field("user_name", "string"),
    Field("user_location", "string"),
    Field("user_description", "string"),
    Field("user_created", "timestamp"),
    Field("user_followers", "long"),
    Field("user_friends", "long"),
    Field("user_favourites", "long"),
    Field("user_verified", "boolean"),
    Field("date", "timestamp"),
    Field("text", "string", required=True),
    Field("hashtags", "string_array"),
    Field("source", "string"),
    Field("is_retweet", "boolean"),
    # Engagement counts: present in the vaccination layout and the synthetic stream,
    # null for sources that do not have them (the COVID19 Tweets layout).
    Field("retweets", "long"),
    Field("favorites", "long"),
    Field("schema_version", "long", required=True),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in TWEET_FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in TWEET_FIELDS if f.required)
TIMESTAMP_FIELDS: tuple[str, ...] = tuple(f.name for f in TWEET_FIELDS if f.kind == "timestamp")
COUNT_FIELDS: tuple[str, ...] = (
    "user_followers",
    "user_friends",
    "user_favourites",
    "retweets",
    "favorites",
)

KAFKA_METADATA_COLUMNS: tuple[str, ...] = ("kafka_topic", "kafka_partition", "kafka_offset")
"""Where a row came from; bronze and quarantine both carry them."""


def encode_message(tweet: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Return the Kafka (key, value) of a tweet: its id, and the UTF-8 JSON message.

    Fields missing from ``tweet`` are sent as null; unknown keys are an error, so a
    producer cannot silently invent fields that ingestion would ignore.
    """
    unknown = set(tweet) - set(FIELD_NAMES)
    if unknown:
        raise ValueError(f"unknown tweet fields: {sorted(unknown)}")
    message = {name: tweet.get(name) for name in FIELD_NAMES}
    message["schema_version"] = SCHEMA_VERSION
    if message["id"] in (None, ""):
        raise ValueError("a tweet needs an id to be keyed")
    value = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return str(message["id"]).encode("utf-8"), value.encode("utf-8")


def _spark_type(kind: str, *, wire: bool):
    from pyspark.sql import types as T

    return {
        "string": T.StringType(),
        "long": T.LongType(),
        "boolean": T.BooleanType(),
        "timestamp": T.StringType() if wire else T.TimestampType(),
        "string_array": T.ArrayType(T.StringType()),
    }[kind]


def message_schema():
    """Spark schema of the JSON message as it travels (timestamps are strings)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, _spark_type(f.kind, wire=True)) for f in TWEET_FIELDS])


def message_text_schema():
    """The message with every field read as raw JSON text: used to name what failed to parse."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, T.StringType()) for f in TWEET_FIELDS])


def tweet_schema():
    """Spark schema of a parsed tweet (timestamps typed), the columns bronze stores."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(f.name, _spark_type(f.kind, wire=False)) for f in TWEET_FIELDS])
