"""A Kafka topic as a Spark streaming DataFrame (read-only).

kedro-datasets' SparkStreamingDataset always sets a schema, which Spark's Kafka
source rejects; this dataset reads the topic as Kafka's own columns (key, value,
topic, partition, offset, timestamp) and leaves parsing to a node.
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError
from pyspark.sql import DataFrame

from covid_tweets.broker import PROBE_TIMEOUT_S, KafkaConnection, ensure_reachable
from covid_tweets.spark import active_spark


class KafkaStreamDataset(AbstractDataset[None, DataFrame]):
    """Reads a Kafka topic (or Event Hubs' Kafka endpoint) with Spark Structured Streaming.

    Example catalog entry::

        tweet_messages:
          type: covid_tweets.datasets.KafkaStreamDataset
          bootstrap_servers: 127.0.0.1:9092
          topic: tweets
          options: {startingOffsets: earliest, maxOffsetsPerTrigger: 50000}
          # Event Hubs: security_protocol: SASL_SSL, sasl_mechanism: PLAIN,
          # credentials: event_hubs   (a connection_string)
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topic: str,
        options: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        security_protocol: str = "PLAINTEXT",
        sasl_mechanism: str | None = None,
        login_module_prefix: str = "",
        probe_timeout_s: float = PROBE_TIMEOUT_S,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._topic = topic
        self._options = {key: str(value) for key, value in (options or {}).items()}
        self._connection = KafkaConnection.from_config(
            bootstrap_servers,
            credentials,
            security_protocol=security_protocol,
            sasl_mechanism=sasl_mechanism,
            login_module_prefix=login_module_prefix,
        )
        self._probe_timeout_s = probe_timeout_s
        self.metadata = metadata

    def load(self) -> DataFrame:
        """Return the topic as an unbounded DataFrame, after checking the broker and topic exist."""
        topics = ensure_reachable(self._connection, self._probe_timeout_s)
        if self._topic not in topics:
            raise DatasetError(
                f"topic '{self._topic}' does not exist on {self._connection.bootstrap_servers}: "
                "produce tweets to it first (`covid-tweets produce --topic ...`)"
            )
        return (
            active_spark()
            .readStream.format("kafka")
            .options(**self._connection.spark_options())
            .option("subscribe", self._topic)
            .options(**self._options)
            .load()
        )

    def save(self, data: None) -> None:
        raise DatasetError("KafkaStreamDataset is read-only: produce tweets with `covid-tweets produce`")

    def _describe(self) -> dict[str, Any]:
        # No credentials here: Kedro prints this in logs and kedro-viz shows it.
        return {
            "bootstrap_servers": self._connection.bootstrap_servers,
            "topic": self._topic,
            "options": self._options,
            "security_protocol": self._connection.security_protocol,
        }
