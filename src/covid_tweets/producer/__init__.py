"""Produce tweet messages to Kafka or Event Hubs from a CSV export or a synthetic stream."""

from covid_tweets.producer.csv_source import CsvTweetSource, InputFileError, read_csv_tweets
from covid_tweets.producer.records import TWEET_KEYS, Reject, SourceItem, Tweet
from covid_tweets.producer.run import ProduceSummary, RateLimiter, default_rejects_path, produce
from covid_tweets.producer.sinks import (
    BrokerUnavailable,
    DeliveryStats,
    EventHubSink,
    KafkaSink,
    MemorySink,
    Sink,
    event_hubs_connection_string,
    event_hubs_kafka_config,
    mask_connection_string,
)
from covid_tweets.producer.synthetic import generate_tweets

__all__ = [
    "TWEET_KEYS",
    "BrokerUnavailable",
    "CsvTweetSource",
    "DeliveryStats",
    "EventHubSink",
    "InputFileError",
    "KafkaSink",
    "MemorySink",
    "ProduceSummary",
    "RateLimiter",
    "Reject",
    "Sink",
    "SourceItem",
    "Tweet",
    "default_rejects_path",
    "event_hubs_connection_string",
    "event_hubs_kafka_config",
    "generate_tweets",
    "mask_connection_string",
    "produce",
    "read_csv_tweets",
]
