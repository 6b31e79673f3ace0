"""Ingestion: raw Kafka messages -> typed tweets (bronze) and quarantined messages.

Every message ends in exactly one of the two outputs; a quarantined one keeps its
raw bytes, where it came from and the first reason it was refused.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from covid_tweets.schema import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    REQUIRED_FIELDS,
    TIMESTAMP_FORMAT,
    TIMESTAMP_FIELDS,
    TWEET_FIELDS,
    message_schema,
    message_text_schema,
)

_CORRUPT = "_corrupt_record"
_REASON_SAMPLE_CHARS = 80


def split_messages(messages: DataFrame, accepted_schema_versions: list[int]) -> tuple[DataFrame, DataFrame]:
    """Split raw Kafka messages into bronze tweets and quarantined messages with a reason."""
    checked = _parse(messages).withColumn("reason", _rejection_reason(accepted_schema_versions))
    return _bronze_rows(checked.where(F.col("reason").isNull())), _quarantine_rows(checked.where(F.col("reason").isNotNull()))


def _parse(messages: DataFrame) -> DataFrame:
    """Decode each message twice: typed by the message schema, and every field as raw text.

    A field that has raw text but no typed value had the wrong type; that
    comparison is what lets a reason name the field.
    """
    text_schema = message_text_schema().add(_CORRUPT, "string")
    json_text = F.col("value").cast("string")
    return messages.select(
        "key",
        "value",
        F.col("topic").alias("kafka_topic"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.is_valid_utf8("value").alias("_valid_utf8"),
        F.from_json(json_text, message_schema()).alias("typed"),
        F.from_json(json_text, text_schema, {"columnNameOfCorruptRecord": _CORRUPT}).alias("raw"),
    )


def _rejection_reason(accepted_schema_versions: list[int]) -> Column:
    """The first rule a message breaks, as a sentence; null when it is a valid tweet."""
    version = F.col("typed.schema_version")
    checks: list[tuple[Column, Column]] = [
        (F.col("value").isNull() | (F.length("value") == 0), F.lit("empty message")),
        (~F.col("_valid_utf8"), F.lit("message is not valid UTF-8")),
        (F.col(f"raw.{_CORRUPT}").isNotNull(), F.lit("message is not a JSON object")),
    ]
    for field in TWEET_FIELDS:
        raw, typed = F.col(f"raw.{field.name}"), F.col(f"typed.{field.name}")
        checks.append(
            (raw.isNotNull() & typed.isNull(), F.concat(F.lit(f"{field.name}: expected {field.kind}, got "), _sample(raw)))
        )
    for name in REQUIRED_FIELDS:
        typed = F.col(f"typed.{name}")
        blank = F.trim(typed) == "" if name in ("id", "text") else F.lit(False)
        checks.append((typed.isNull() | blank, F.lit(f"missing required field '{name}'")))
    checks.append(
        (
            ~version.isin(accepted_schema_versions),
            F.concat(F.lit("unsupported schema_version "), version.cast("string"), F.lit(f" (accepted: {accepted_schema_versions})")),
        )
    )
    for name in TIMESTAMP_FIELDS:
        value = F.col(f"typed.{name}")
        timestamp = _to_timestamp(value)
        checks.append(
            (
                value.isNotNull() & timestamp.isNull(),
                F.concat(F.lit(f"{name}: expected a timestamp like {TIMESTAMP_FORMAT}, got "), _sample(value)),
            )
        )
        checks.append(
            (
                (timestamp < F.lit(EARLIEST_TIMESTAMP)) | (timestamp > F.lit(LATEST_TIMESTAMP)),
                F.concat(F.lit(f"{name}: outside {EARLIEST_TIMESTAMP} .. {LATEST_TIMESTAMP}, got "), _sample(value)),
            )
        )
    # The first failing check wins: a CASE expression stops at the first true condition.
    return reduce(lambda case, check: case.when(*check), checks[1:], F.when(*checks[0]))


def _sample(column: Column) -> Column:
    return F.concat(F.lit("'"), F.substring(column, 1, _REASON_SAMPLE_CHARS), F.lit("'"))


def _to_timestamp(column: Column) -> Column:
    return F.try_to_timestamp(column, F.lit(TIMESTAMP_FORMAT))


def _bronze_rows(valid: DataFrame) -> DataFrame:
    """Typed tweet columns, the tweet's day to partition by, and where the row came from."""
    tweet_columns = [
        _to_timestamp(F.col(f"typed.{f.name}")).alias(f.name) if f.name in TIMESTAMP_FIELDS else F.col(f"typed.{f.name}").alias(f.name)
        for f in TWEET_FIELDS
    ]
    return valid.select(
        *tweet_columns,
        F.to_date(_to_timestamp(F.col("typed.date"))).alias("tweet_date"),
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
        F.current_timestamp().alias("ingested_at"),
    )


def _quarantine_rows(rejected: DataFrame) -> DataFrame:
    """The message exactly as it arrived, where it came from, and why it was refused."""
    return rejected.select(
        F.col("key").alias("kafka_key"),
        F.col("value").alias("kafka_value"),
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "kafka_timestamp",
        "reason",
        F.current_timestamp().alias("quarantined_at"),
    )
