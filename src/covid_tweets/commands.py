"""The ``covid-tweets`` command line. Run it from the project root: settings come from ./conf."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

SYNTHETIC = "synthetic"
DEFAULT_SYNTHETIC_COUNT = 10_000
EXIT_DELIVERY_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class BadInputError(click.ClickException):
    """The input file cannot be used; exits with 2, like other usage errors."""

    exit_code = EXIT_BAD_INPUT


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tools of the covid-tweets project. Run them from the project root."""


@main.command()
@click.option(
    "--source",
    default=SYNTHETIC,
    show_default=True,
    help="'synthetic' for generated tweets, or the path of a COVID19 / vaccination tweets CSV.",
)
@click.option(
    "--count",
    "--limit",
    "count",
    type=click.IntRange(min=0),
    default=None,
    help=f"Synthetic: tweets to generate [default: {DEFAULT_SYNTHETIC_COUNT:,}]. "
    "CSV: most tweets to send [default: all].",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Messages per second; 0 sends as fast as possible.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the synthetic stream.")
@click.option("--topic", default=None, help="Kafka topic or Event Hub [default: kafka.topic in conf].")
@click.option(
    "--bootstrap-servers",
    default=None,
    help="Kafka brokers, host:port[,host:port] [default: kafka.bootstrap_servers in conf].",
)
@click.option(
    "--sink",
    type=click.Choice(["kafka", "eventhubs", "eventhubs-kafka"]),
    default="kafka",
    show_default=True,
    help="kafka: a Kafka broker. eventhubs: Event Hubs' SDK. eventhubs-kafka: Event Hubs' Kafka "
    "endpoint (--bootstrap-servers NAMESPACE.servicebus.windows.net:9093). Event Hubs read "
    "EVENTHUB_CONNECTION_STRING or credentials.yml.",
)
@click.option("--env", default=None, help="Kedro configuration environment [default: local].")
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON-lines file for malformed records [default: data/01_raw/rejects/<csv name>.rejects.jsonl].",
)
@click.option(
    "-X",
    "--kafka-option",
    "kafka_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra librdkafka setting, repeatable (e.g. -X linger.ms=50).",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds to wait for the broker before giving up.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--verbose", is_flag=True, help="Show the Kafka / Event Hubs clients' own log messages.")
def produce(
    source: str,
    count: int | None,
    rate: float,
    seed: int,
    topic: str | None,
    bootstrap_servers: str | None,
    sink: str,
    env: str | None,
    rejects_path: Path | None,
    kafka_options: tuple[str, ...],
    connect_timeout: float,
    quiet: bool,
    verbose: bool,
) -> None:
    """Send tweets to the tweets topic, from a CSV export or a synthetic stream.

    Exits 0 when every tweet was delivered (malformed records only go to the rejects
    file), 1 when the broker is unreachable or a delivery failed, 2 for an unusable input
    file.
    """
    from covid_tweets.producer import (
        BrokerUnavailable,
        CsvTweetSource,
        InputFileError,
        default_rejects_path,
        generate_tweets,
    )
    from covid_tweets.producer import produce as produce_messages

    extra_kafka_config = _parse_kafka_options(kafka_options)
    with ExitStack() as stack:
        records: Iterable[Any]
        if source == SYNTHETIC:
            total = DEFAULT_SYNTHETIC_COUNT if count is None else count
            records, limit = generate_tweets(total, seed), None
        else:
            try:
                csv_source = stack.enter_context(CsvTweetSource(source))
            except (InputFileError, OSError) as exc:
                raise BadInputError(_describe_input_error(source, exc)) from None
            records, total, limit = csv_source, None, count
            rejects_path = rejects_path or default_rejects_path(csv_source.name)

        try:
            destination = _open_sink(
                sink, topic, bootstrap_servers, env, extra_kafka_config, connect_timeout, verbose
            )
        except BrokerUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        except ValueError as exc:  # a Kafka setting librdkafka rejects
            raise click.UsageError(str(exc)) from None

        try:
            summary = produce_messages(
                records,
                destination,
                limit=limit,
                rate=rate,
                rejects_path=rejects_path,
                progress=False if quiet else None,
                total=total,
            )
        except (InputFileError, OSError) as exc:
            raise BadInputError(_describe_input_error(source, exc)) from None

    click.echo(summary.describe())
    if summary.malformed and rejects_path is not None:
        click.echo(f"{summary.malformed:,} malformed records written to {rejects_path}")
    if summary.failed:
        for error in summary.errors:
            click.echo(f"delivery error: {error}", err=True)
        click.echo(f"Error: {summary.failed:,} of {summary.sent:,} messages were not delivered", err=True)
        raise SystemExit(EXIT_DELIVERY_FAILED)
    if summary.interrupted:
        raise SystemExit(EXIT_INTERRUPTED)


def _open_sink(
    kind: str,
    topic: str | None,
    bootstrap_servers: str | None,
    env: str | None,
    extra_kafka_config: dict[str, str],
    connect_timeout: float,
    verbose: bool,
) -> Any:
    """The sink ``kind`` names, with defaults from the project's configuration."""
    from covid_tweets.producer import (
        EventHubSink,
        KafkaSink,
        event_hubs_connection_string,
        event_hubs_kafka_config,
    )

    if topic is None or (bootstrap_servers is None and kind != "eventhubs"):
        settings = _kafka_settings(env)
        topic = topic or settings["topic"]
        bootstrap_servers = bootstrap_servers or settings["bootstrap_servers"]
    connection_string = None
    if kind in ("eventhubs", "eventhubs-kafka"):
        with _quiet_kedro():
            connection_string = event_hubs_connection_string(env)
    # Reading Kedro's configuration replaces the logging set-up; the clients log from here on.
    _configure_logging(verbose)
    if kind == "eventhubs":
        return EventHubSink(str(connection_string), topic)
    config: dict[str, Any] = {}
    if connection_string is not None:
        config.update(event_hubs_kafka_config(connection_string))
    config.update(extra_kafka_config)
    return KafkaSink(str(bootstrap_servers), str(topic), config=config, connect_timeout=connect_timeout)


def _kafka_settings(env: str | None) -> dict[str, Any]:
    try:
        with _quiet_kedro():
            from covid_tweets.config import kafka_settings

            return kafka_settings(env)
    except Exception as exc:  # any failure here means the configuration cannot be read
        raise click.ClickException(
            f"cannot read the Kafka settings from ./conf (run from the project root, "
            f"or pass --topic and --bootstrap-servers): {exc}"
        ) from None


def _parse_kafka_options(options: tuple[str, ...]) -> dict[str, str]:
    config = {}
    for option in options:
        key, separator, value = option.partition("=")
        if not separator or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {option!r}", param_hint="-X/--kafka-option")
        config[key.strip()] = value
    return config


def _describe_input_error(source: str, error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return f"{source}: no such file (use --source synthetic or a CSV path)"
    if isinstance(error, IsADirectoryError):
        return f"{source}: is a directory, not a CSV file"
    if isinstance(error, OSError):
        return f"{source}: cannot read: {error.strerror or error}"
    return str(error)


@contextmanager
def _quiet_kedro() -> Iterator[None]:
    """Read Kedro configuration without its start-up chatter.

    Kedro announces its logging set-up at INFO and its config loader warns about
    deprecated calls; neither means anything to someone producing tweets.
    """
    logging.disable(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(logging.NOTSET)


def _configure_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # Kedro sets the package's own level when it configures the project.
    logging.getLogger("covid_tweets").setLevel(level)
    if not verbose:
        # The clients log every failed reconnect; the summary and errors say what matters.
        logging.getLogger("covid_tweets.producer.sinks.librdkafka").setLevel(logging.CRITICAL)
        logging.getLogger("azure").setLevel(logging.ERROR)


DEFAULT_BUNDLE = Path("data/06_models/serving_bundle")
BEARER_TOKEN_VARIABLE = "COVID_TWEETS_API_TOKEN"


@main.command()
@click.option(
    "--bundle",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BUNDLE,
    show_default=True,
    help="The serving bundle `kedro run --pipeline deployment` exported.",
)
@click.option("--host", default=None, help="Address to listen on [default: serving.host in conf].")
@click.option("--port", type=int, default=None, help="Port [default: serving.port in conf].")
@click.option("--env", default=None, help="Kedro configuration environment [default: local].")
@click.option(
    "--require-token",
    is_flag=True,
    help=f"Require `Authorization: Bearer <token>`; the token is read from ${BEARER_TOKEN_VARIABLE}.",
)
def serve(bundle: Path, host: str | None, port: int | None, env: str | None, require_token: bool) -> None:
    """Serve the champion's bundle over HTTP: GET /health, POST /score."""
    import os

    if not (bundle / "MLmodel").is_file():
        raise BadInputError(f"{bundle}: no serving bundle here; run `kedro run --pipeline deployment` first")
    token = os.environ.get(BEARER_TOKEN_VARIABLE) if require_token else None
    if require_token and not token:
        raise click.ClickException(f"--require-token needs the token in ${BEARER_TOKEN_VARIABLE}")
    try:
        with _quiet_kedro():
            from covid_tweets.config import load_config

            settings = load_config("parameters", env)["serving"]
    except Exception as exc:  # noqa: BLE001 - any failure means the same fix
        raise click.ClickException(f"cannot read serving settings from ./conf: {exc}") from None
    from covid_tweets.serving.app import serve as serve_bundle

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
    serve_bundle(
        bundle,
        host or settings["host"],
        port or settings["port"],
        max_body_bytes=settings["max_body_bytes"],
        max_batch=settings["max_batch"],
        bearer_token=token,
    )
