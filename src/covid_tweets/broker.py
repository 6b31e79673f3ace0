"""Kafka connection settings and the reachability probe, shared by producer and ingestion.

Spark's Kafka source and librdkafka spell the same settings differently; both are
derived here from one description so the local broker, Event Hubs' Kafka endpoint
and a secured cluster are configured once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

PROBE_TIMEOUT_S = 10.0


class BrokerUnavailableError(RuntimeError):
    """No Kafka broker answered at the configured address within the time allowed."""


@dataclass(frozen=True)
class KafkaConnection:
    """Where the broker is and how to log in to it.

    ``password`` is a secret (for Event Hubs the namespace's connection string); it is
    kept out of ``repr`` so that it never reaches a log line or an error message.
    """

    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # Databricks shades the Kafka client: its login module is "kafkashaded.org.apache...".
    login_module_prefix: str = ""

    @classmethod
    def from_config(cls, bootstrap_servers: str, credentials: Mapping[str, Any] | None = None, **security: Any) -> "KafkaConnection":
        """Build a connection from catalog/globals settings and an optional credentials entry.

        Credentials hold either ``connection_string`` (Event Hubs: user ``$ConnectionString``)
        or ``username`` and ``password``.
        """
        credentials = dict(credentials or {})
        if credentials.get("connection_string"):
            credentials = {"username": "$ConnectionString", "password": credentials["connection_string"]}
        return cls(
            bootstrap_servers=bootstrap_servers,
            username=credentials.get("username") or None,
            password=credentials.get("password") or None,
            **security,
        )

    def librdkafka_config(self) -> dict[str, str]:
        """Settings for confluent-kafka clients."""
        config = {"bootstrap.servers": self.bootstrap_servers, "security.protocol": self.security_protocol}
        if self.sasl_mechanism:
            config.update(
                {"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.username or "", "sasl.password": self.password or ""}
            )
        return config

    def spark_options(self) -> dict[str, str]:
        """Settings for Spark's Kafka source (``kafka.``-prefixed consumer properties)."""
        options = {"kafka.bootstrap.servers": self.bootstrap_servers, "kafka.security.protocol": self.security_protocol}
        if self.sasl_mechanism:
            module = f"{self.login_module_prefix}org.apache.kafka.common.security.plain.PlainLoginModule"
            options.update(
                {
                    "kafka.sasl.mechanism": self.sasl_mechanism,
                    "kafka.sasl.jaas.config": f'{module} required username="{self.username}" password="{self.password}";',
                }
            )
        return options


def ensure_reachable(connection: KafkaConnection, timeout_s: float = PROBE_TIMEOUT_S) -> set[str]:
    """Return the broker's topics; raise BrokerUnavailableError unless it answers in time.

    Spark's Kafka source and librdkafka both retry an absent broker for ever; asking
    first turns a silent hang into a clear, bounded failure.
    """
    from confluent_kafka.admin import AdminClient

    config = connection.librdkafka_config()
    config["socket.connection.setup.timeout.ms"] = str(int(timeout_s * 1000))
    try:
        metadata = AdminClient(config).list_topics(timeout=timeout_s)
    except Exception as error:  # noqa: BLE001 - every failure here means "not reachable"
        raise BrokerUnavailableError(
            f"no Kafka broker answered at {connection.bootstrap_servers} within {timeout_s:g}s "
            f"({type(error).__name__}). Start the local one with `make up`, or check the "
            "bootstrap servers and credentials of this configuration environment."
        ) from None
    return set(metadata.topics)
