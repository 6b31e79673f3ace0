"""Where produced messages go: a Kafka topic, an Azure Event Hub, or memory (tests).

Every sink has the same two methods: ``send(key, value)`` hands over one message, and
``close()`` waits for outstanding deliveries and returns a :class:`DeliveryStats`.
Sending is asynchronous, so a message counts as delivered only once the service has
acknowledged it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol

from covid_tweets.broker import BrokerUnavailableError, KafkaConnection

MAX_KEPT_ERRORS = 5
"""How many distinct delivery errors a sink keeps for its summary."""


class BrokerUnavailable(BrokerUnavailableError):
    """The broker or Event Hub cannot be reached; nothing was sent."""


@dataclass(frozen=True)
class DeliveryStats:
    """What became of the messages a sink was given."""

    delivered: int
    failed: int
    errors: tuple[str, ...] = ()
    """The first few distinct failure reasons."""


class Sink(Protocol):
    """A destination for encoded tweet messages."""

    def send(self, key: bytes, value: bytes) -> None:
        """Queue one message; failures are counted, not raised."""

    def close(self) -> DeliveryStats:
        """Wait for outstanding deliveries, release the connection, and report."""


class _DeliveryCounter:
    """Delivered/failed counts and the first distinct errors; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0
        self._errors: list[str] = []

    def succeeded(self, count: int = 1) -> None:
        with self._lock:
            self.delivered += count

    def failed_with(self, error: str, count: int = 1) -> None:
        with self._lock:
            self.failed += count
            if len(self._errors) < MAX_KEPT_ERRORS and error not in self._errors:
                self._errors.append(error)

    def note(self, error: str) -> None:
        """Keep an error that did not fail a particular message."""
        self.failed_with(error, count=0)

    def stats(self) -> DeliveryStats:
        with self._lock:
            return DeliveryStats(self.delivered, self.failed, tuple(self._errors))


class MemorySink:
    """Keeps messages in a list: for tests and dry runs."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bytes]] = []

    def send(self, key: bytes, value: bytes) -> None:
        self.messages.append((key, value))

    def close(self) -> DeliveryStats:
        return DeliveryStats(delivered=len(self.messages), failed=0)


class KafkaSink:
    """Sends to a Kafka topic with an idempotent, compressing, batching producer.

    The constructor checks that the brokers answer within ``connect_timeout`` seconds
    and raises :class:`BrokerUnavailable` if not, so a down broker fails fast instead
    of queueing messages that can only time out. ``config`` adds or overrides
    librdkafka settings, e.g. :func:`event_hubs_kafka_config` for Event Hubs' endpoint;
    a setting librdkafka rejects raises :class:`ValueError`.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        config: Mapping[str, Any] | None = None,
        connect_timeout: float = 10.0,
        delivery_timeout: float = 30.0,
    ) -> None:
        from confluent_kafka import KafkaException, Producer

        self.topic = topic
        self.bootstrap_servers = bootstrap_servers
        self._counter = _DeliveryCounter()
        self._client_errors: list[str] = []
        self._delivery_timeout = delivery_timeout
        settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "client.id": "covid-tweets-producer",
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "zstd",
            "linger.ms": 20,
            "batch.size": 512 * 1024,
            # A message not acknowledged by then is reported as failed, never retried forever.
            "message.timeout.ms": int(delivery_timeout * 1000),
            "error_cb": self._on_client_error,
            # librdkafka logs through Python logging, so the CLI decides what is shown.
            "logger": logging.getLogger(f"{__name__}.librdkafka"),
        }
        settings.update(config or {})
        try:
            self._producer = Producer(settings)
        except KafkaException as exc:
            raise ValueError(f"invalid Kafka configuration: {exc.args[0].str()}") from None
        try:
            self._producer.list_topics(timeout=connect_timeout)
        except KafkaException as exc:
            self._producer.poll(0)  # serves error_cb, which only runs inside poll
            # The client's own error (e.g. "connection refused") says more than the timeout.
            cause = self._client_errors[0] if self._client_errors else exc.args[0].str()
            raise BrokerUnavailable(
                f"Kafka broker at {bootstrap_servers} unreachable within {connect_timeout:g} s: {cause}"
            ) from None

    def send(self, key: bytes, value: bytes) -> None:
        from confluent_kafka import KafkaException

        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, on_delivery=self._on_delivery)
                break
            except BufferError:
                # The local queue is full: serving delivery reports frees room in it.
                self._producer.poll(0.1)
            except KafkaException as exc:  # e.g. a message larger than the broker accepts
                self._counter.failed_with(exc.args[0].str())
                break
        self._producer.poll(0)

    def close(self) -> DeliveryStats:
        # Every queued message gets its report within message.timeout.ms; the margin
        # covers reports still on their way back.
        remaining = self._producer.flush(self._delivery_timeout + 5.0)
        if remaining:
            self._counter.failed_with("not acknowledged before the producer closed", count=remaining)
        return self._counter.stats()

    def _on_delivery(self, error: Any, message: Any) -> None:
        if error is None:
            self._counter.succeeded()
        else:
            self._counter.failed_with(error.str())

    def _on_client_error(self, error: Any) -> None:
        if len(self._client_errors) < MAX_KEPT_ERRORS:
            self._client_errors.append(error.str())


def event_hubs_kafka_config(connection_string: str) -> dict[str, Any]:
    """librdkafka settings for an Event Hubs namespace's Kafka endpoint (port 9093).

    Idempotence and compression are switched off because not every Event Hubs tier
    accepts them; add them back in ``config`` where the namespace supports them.
    """
    connection = KafkaConnection.from_config(
        "", {"connection_string": connection_string}, security_protocol="SASL_SSL", sasl_mechanism="PLAIN"
    )
    login = {key: value for key, value in connection.librdkafka_config().items() if key != "bootstrap.servers"}
    return {**login, "enable.idempotence": False, "compression.type": "none"}


class EventHubSink:
    """Sends to an Azure Event Hub with the Event Hubs SDK, keyed by tweet id.

    The client runs in buffered mode: it groups events by the partition their key
    hashes to and sends full batches in the background, so unique keys still travel
    in large batches and events with one key always land on one partition.
    """

    def __init__(
        self,
        connection_string: str,
        eventhub_name: str | None = None,
        *,
        linger: float = 0.5,
        retries: int = 3,
        close_timeout: float = 60.0,
    ) -> None:
        from azure.eventhub import EventHubProducerClient, parse_connection_string

        self._connection_string = connection_string
        self._counter = _DeliveryCounter()
        self._close_timeout = close_timeout
        self._sent = 0
        try:
            properties = parse_connection_string(connection_string)
        except ValueError:
            raise BrokerUnavailable("the Event Hubs connection string is malformed") from None
        # A connection string scoped to one hub names it; an explicit name would have to match.
        self.eventhub_name = properties.eventhub_name or eventhub_name
        where = f"Event Hub {self.eventhub_name!r} in {properties.fully_qualified_namespace}"
        try:
            self._client = EventHubProducerClient.from_connection_string(
                connection_string,
                eventhub_name=self.eventhub_name,
                buffered_mode=True,
                max_wait_time=linger,
                on_success=self._on_success,
                on_error=self._on_error,
                retry_total=retries,
            )
            self._client.get_partition_ids()  # fails fast when the hub is unreachable
        except Exception as exc:  # the SDK raises many types; all mean "cannot send"
            raise BrokerUnavailable(f"{where} unreachable: {self._describe(exc)}") from None

    def send(self, key: bytes, value: bytes) -> None:
        from azure.eventhub import EventData

        self._sent += 1
        try:
            self._client.send_event(EventData(value), partition_key=key.decode("utf-8"))
        except Exception as exc:  # enqueue failed (buffer full past its timeout, closed client)
            self._counter.failed_with(self._describe(exc))

    def close(self) -> DeliveryStats:
        try:
            self._client.close(flush=True, timeout=self._close_timeout)
        except Exception as exc:  # the SDK raises when the flush runs out of time
            self._counter.note(f"closing the producer: {self._describe(exc)}")
        stats = self._counter.stats()
        # A flush that times out drops what is left in the buffer without a callback.
        unreported = self._sent - stats.delivered - stats.failed
        if unreported > 0:
            self._counter.failed_with("not sent before the producer closed", count=unreported)
        return self._counter.stats()

    def _on_success(self, events: list[Any], partition_id: str | None) -> None:
        self._counter.succeeded(len(events))

    def _on_error(self, events: list[Any], partition_id: str | None, error: Exception) -> None:
        self._counter.failed_with(self._describe(error), count=len(events))

    def _describe(self, error: BaseException) -> str:
        """One masked line: SDK messages can span lines and quote the connection string."""
        first_line = (str(error).strip().splitlines() or [""])[0]
        return mask_connection_string(f"{type(error).__name__}: {first_line}", self._connection_string)


# A SAS token ("SharedAccessSignature sr=...&sig=...") contains spaces, so a value runs
# to the next separator, quote or line end.
_SECRET_SETTING = re.compile(r"(SharedAccessKey|SharedAccessSignature)=[^;'\"\r\n]*", re.IGNORECASE)


def mask_connection_string(text: str, connection_string: str | None = None) -> str:
    """``text`` with Event Hubs secrets hidden: the key in any connection string, and
    ``connection_string``'s secrets wherever they appear on their own."""
    secrets = []
    if connection_string:
        secrets = [match.group(0).split("=", 1)[1] for match in _SECRET_SETTING.finditer(connection_string)]
    masked = _SECRET_SETTING.sub(lambda match: f"{match.group(1)}=***", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, "***")
    return masked


def event_hubs_connection_string(env: str | None = None, project_path: Path | None = None) -> str:
    """The Event Hubs connection string: ``EVENTHUB_CONNECTION_STRING``, else credentials.yml."""
    from_environment = os.environ.get("EVENTHUB_CONNECTION_STRING", "").strip()
    if from_environment:
        return from_environment
    from covid_tweets.config import load_config

    credentials = load_config("credentials", env, project_path)
    configured = str((credentials.get("event_hubs") or {}).get("connection_string") or "").strip()
    if not configured:
        raise BrokerUnavailable(
            "no Event Hubs connection string: set EVENTHUB_CONNECTION_STRING or "
            "event_hubs.connection_string in conf/local/credentials.yml"
        )
    return configured
