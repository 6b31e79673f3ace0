"""The Kafka source as configured for each environment: local, Event Hubs, Databricks."""

from kedro.io import DataCatalog

from covid_tweets.config import load_config
from support import PROJECT_PATH

SECRET = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=s3cr3t-value="


def catalog_for(env: str, monkeypatch) -> DataCatalog:
    monkeypatch.setenv("EVENTHUB_NAMESPACE", "my-namespace")
    monkeypatch.setenv("EVENTHUB_CONNECTION_STRING", SECRET)
    return DataCatalog.from_config(
        load_config("catalog", env, PROJECT_PATH), credentials=load_config("credentials", env, PROJECT_PATH)
    )


def test_azure_reads_event_hubs_through_its_kafka_endpoint(monkeypatch):
    dataset = catalog_for("azure", monkeypatch).get("tweet_messages")
    options = dataset._connection.spark_options()

    assert options["kafka.bootstrap.servers"] == "my-namespace.servicebus.windows.net:9093"
    assert options["kafka.security.protocol"] == "SASL_SSL"
    assert options["kafka.sasl.mechanism"] == "PLAIN"
    assert options["kafka.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="$ConnectionString" password="{SECRET}";'
    )


def test_databricks_uses_the_shaded_login_module(monkeypatch):
    dataset = catalog_for("databricks", monkeypatch).get("tweet_messages")
    jaas = dataset._connection.spark_options()["kafka.sasl.jaas.config"]
    assert jaas.startswith("kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule required")


def test_the_connection_string_never_shows_in_descriptions(monkeypatch):
    dataset = catalog_for("azure", monkeypatch).get("tweet_messages")
    assert "s3cr3t" not in str(dataset)
    assert "s3cr3t" not in repr(dataset._connection)


def test_local_needs_no_credentials():
    catalog = DataCatalog.from_config(load_config("catalog", None, PROJECT_PATH))
    options = catalog.get("tweet_messages")._connection.spark_options()
    assert options["kafka.security.protocol"] == "PLAINTEXT"
    assert not any("sasl" in key for key in options)
