"""Sinks without a broker: secret masking, and failing fast when nothing listens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from covid_tweets.producer.sinks import (
    BrokerUnavailable,
    DeliveryStats,
    EventHubSink,
    KafkaSink,
    MemorySink,
    event_hubs_connection_string,
    event_hubs_kafka_config,
    mask_connection_string,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET = "c2VjcmV0LWtleS1kby1ub3Qtc2hvdw=="
CONNECTION_STRING = (
    "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=RootManageSharedAccessKey;"
    f"SharedAccessKey={SECRET};EntityPath=tweets"
)
UNREACHABLE = "127.0.0.1:1"  # a closed port: connections are refused at once


def test_masking_hides_the_key_of_any_connection_string():
    text = f"could not connect with {CONNECTION_STRING!r}"

    masked = mask_connection_string(text)

    assert SECRET not in masked
    assert "SharedAccessKey=***" in masked
    assert "sb://127.0.0.1/" in masked


def test_masking_hides_a_known_key_even_on_its_own():
    assert mask_connection_string(f"bad signature for {SECRET}", CONNECTION_STRING) == "bad signature for ***"


def test_masking_hides_shared_access_signatures():
    sas = "SharedAccessSignature sr=sb%3a%2f%2fx&sig=zzz&se=1700000000&skn=send"

    masked = mask_connection_string(f"Endpoint=sb://x/;SharedAccessSignature={sas}")

    assert "sig=zzz" not in masked


def test_event_hub_sink_with_a_malformed_connection_string_fails_without_echoing_it():
    with pytest.raises(BrokerUnavailable, match="malformed") as failure:
        EventHubSink(f"nonsense;SharedAccessKey={SECRET}", "tweets")

    assert SECRET not in str(failure.value)


def test_event_hub_sink_fails_fast_and_masked_when_the_namespace_is_unreachable():
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="Event Hub 'tweets' in 127.0.0.1 unreachable") as failure:
        EventHubSink(CONNECTION_STRING, retries=0)

    assert time.monotonic() - started < 20
    assert SECRET not in str(failure.value)


def test_kafka_sink_raises_a_clear_error_within_the_connect_timeout():
    started = time.monotonic()
    expected = rf"Kafka broker at {UNREACHABLE} unreachable within 2 s"
    with pytest.raises(BrokerUnavailable, match=expected) as failure:
        KafkaSink(UNREACHABLE, "tweets", connect_timeout=2)

    assert time.monotonic() - started < 10
    assert "Connection refused" in str(failure.value)


def test_event_hubs_kafka_config_authenticates_with_the_connection_string():
    config = event_hubs_kafka_config(CONNECTION_STRING)

    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "PLAIN"
    assert config["sasl.username"] == "$ConnectionString"
    assert config["sasl.password"] == CONNECTION_STRING


def test_connection_string_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("EVENTHUB_CONNECTION_STRING", CONNECTION_STRING)

    assert event_hubs_connection_string(project_path=PROJECT_ROOT) == CONNECTION_STRING


def test_missing_connection_string_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("EVENTHUB_CONNECTION_STRING", raising=False)
    if (PROJECT_ROOT / "conf" / "local" / "credentials.yml").exists():
        pytest.skip("conf/local/credentials.yml may hold a connection string")

    with pytest.raises(BrokerUnavailable, match="EVENTHUB_CONNECTION_STRING"):
        event_hubs_connection_string(project_path=PROJECT_ROOT)


def test_memory_sink_keeps_messages_in_order():
    sink = MemorySink()
    sink.send(b"1", b"one")
    sink.send(b"2", b"two")

    assert sink.close() == DeliveryStats(delivered=2, failed=0)
    assert sink.messages == [(b"1", b"one"), (b"2", b"two")]
