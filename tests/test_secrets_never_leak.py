"""Connection strings and keys never reach logs, errors, MLflow or the exported bundle.

Distinctive fake credentials go where a user puts real ones: the environment and a
scratch project's credentials.yml (conf/azure for the azure runs, conf/local for the
producer). The project then runs with them (`kedro run` in a subprocess, an Azure ML
publication in this process, the producer's command line), with Kedro logging at DEBUG,
and everything those runs leave behind is scanned for them.

Azure ML alone is faked, because there is no account: the azureml-core classes the
publisher imported are replaced by the recorders of tests/azure_sdk_fake.py.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from azure_sdk_fake import FakeAzureSdk
from support import PROJECT_PATH, make_scratch_project, run_kedro, run_pipeline

RUN = uuid.uuid4().hex[:12]
EVENT_HUBS_KEY_IN_ENVIRONMENT = f"FAKE-SECRET-ENV-{RUN}"
EVENT_HUBS_KEY_IN_FILE = f"FAKE-SECRET-FILE-{RUN}"
CLIENT_SECRET = f"FAKE-CLIENT-SECRET-{RUN}"
SECRETS = (EVENT_HUBS_KEY_IN_ENVIRONMENT, EVENT_HUBS_KEY_IN_FILE, CLIENT_SECRET)
SCORING_URI = "http://fake-service.westeurope.azurecontainer.io/score"
SERVICE_KEYS = (f"FAKE-SERVICE-KEY-1-{RUN}", f"FAKE-SERVICE-KEY-2-{RUN}")


def connection_string(key: str) -> str:
    """An Event Hubs connection string whose namespace is a closed local port."""
    return f"Endpoint=sb://127.0.0.1:1/;SharedAccessKeyName=send;SharedAccessKey={key};EntityPath=tweets"


FAKE_ENVIRONMENT = {
    "EVENTHUB_CONNECTION_STRING": connection_string(EVENT_HUBS_KEY_IN_ENVIRONMENT),
    "AZURE_TENANT_ID": "fake-tenant",
    "AZURE_CLIENT_ID": "fake-client",
    "AZURE_CLIENT_SECRET": CLIENT_SECRET,
    "AZURE_SUBSCRIPTION_ID": "fake-subscription",
    "AZURE_RESOURCE_GROUP": "fake-resource-group",
    "AZUREML_WORKSPACE_NAME": "fake-workspace",
}
FILE_CREDENTIALS = {"event_hubs": {"connection_string": connection_string(EVENT_HUBS_KEY_IN_FILE)}}
DEBUG_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}},
    "loggers": {"kedro": {"level": "DEBUG"}, "covid_tweets": {"level": "DEBUG"}},
    "root": {"level": "INFO", "handlers": ["console"]},
}
"""A logging.yml as someone chasing a problem would write it: Kedro's DEBUG lines, unwrapped."""


def leaks(text: str | bytes) -> list[str]:
    """The fake secrets (and service keys) that appear in ``text``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [secret for secret in (*SECRETS, *SERVICE_KEYS) if secret.encode("utf-8") in data]


@contextmanager
def captured_logs(*loggers: str) -> Iterator[io.StringIO]:
    """Every log record of this process, with ``loggers`` lowered to DEBUG, as text."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in loggers}
    root.addHandler(handler)
    for name in loggers:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield text
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@dataclass(frozen=True)
class RunsWithFakeCredentials:
    """What the project's runs with fake credentials produced."""

    project: Path
    ingestion: subprocess.CompletedProcess
    publication_logs: str
    azure: FakeAzureSdk


@pytest.fixture(scope="module")
def runs(deployed_project, tmp_path_factory) -> Iterator[RunsWithFakeCredentials]:
    """The deployed scratch project, run with fake credentials in the environment and credentials.yml.

    `kedro run --pipeline ingestion --env azure` (a subprocess) hands the Event Hubs
    connection string of conf/azure/credentials.yml to the Kafka source, whose namespace
    cannot be resolved here, so the run fails. The azure deployment run (in this process)
    hands the service principal of the environment to the publisher, which publishes to
    the fake.
    """
    project = deployed_project[0]
    logging_file = tmp_path_factory.mktemp("logging") / "logging.yml"
    logging_file.write_text(yaml.safe_dump(DEBUG_LOGGING), encoding="utf-8")
    credentials_file = project / "conf/azure/credentials.yml"
    credentials_file.write_text(yaml.safe_dump(FILE_CREDENTIALS), encoding="utf-8")
    # COLUMNS: rich prints tracebacks at the terminal's width, and a wrapped secret would hide.
    subprocess_environment = {**FAKE_ENVIRONMENT, "KEDRO_LOGGING_CONFIG": str(logging_file), "COLUMNS": "1000"}
    try:
        ingestion = run_kedro(project, "run", "--pipeline", "ingestion", "--env", "azure", env=subprocess_environment)
        azure = FakeAzureSdk(scoring_uri=SCORING_URI, service_keys=SERVICE_KEYS)
        with pytest.MonkeyPatch.context() as monkeypatch:
            azure.install(monkeypatch)
            with captured_logs("covid_tweets", "kedro", "kedro_mlflow", "azure") as logs:
                run_pipeline(project, monkeypatch, "deployment", env="azure", **FAKE_ENVIRONMENT)
        yield RunsWithFakeCredentials(project, ingestion, logs.getvalue(), azure)
    finally:
        credentials_file.unlink()  # later tests get the project back without them


def test_the_runs_really_loaded_the_fake_credentials(runs: RunsWithFakeCredentials) -> None:
    assert runs.azure.called("ServicePrincipalAuthentication") == [
        {"tenant_id": "fake-tenant", "service_principal_id": "fake-client", "service_principal_password": CLIENT_SECRET}
    ]
    assert runs.ingestion.returncode == 1
    output = runs.ingestion.stdout + runs.ingestion.stderr
    assert "no Kafka broker answered at your-namespace.servicebus.windows.net:9093" in output
    assert "after_catalog_created [hook]" in output  # Kedro traced its hooks, credentials included


def test_kedro_run_output_and_error_hold_no_secret(runs: RunsWithFakeCredentials) -> None:
    assert leaks(runs.ingestion.stdout) == []
    assert leaks(runs.ingestion.stderr) == []


def test_the_publication_logs_hold_no_secret(runs: RunsWithFakeCredentials) -> None:
    assert "Azure ML service covid-tweets-engagement is healthy" in runs.publication_logs
    assert "after_catalog_created [hook]" in runs.publication_logs
    assert leaks(runs.publication_logs) == []


def test_mlflow_params_tags_and_registry_hold_no_secret(runs: RunsWithFakeCredentials) -> None:
    client = MlflowClient(tracking_uri=f"sqlite:///{runs.project / 'data/mlflow/mlflow.db'}")
    recorded: list[str] = []
    run_environments: list[str] = []
    for experiment in client.search_experiments(view_type=ViewType.ALL):
        recorded += [f"{name}={value}" for name, value in experiment.tags.items()]
        for run in client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL, max_results=10_000):
            recorded += [f"{name}={value}" for name, value in {**run.data.params, **run.data.tags}.items()]
            run_environments.append(run.data.tags.get("env", ""))
    for model in client.search_registered_models():
        recorded += [f"{name}={value}" for name, value in model.tags.items()] + [model.description or ""]
        for version in client.search_model_versions(f"name = '{model.name}'"):
            recorded += [f"{name}={value}" for name, value in version.tags.items()] + [version.description or ""]

    assert run_environments.count("azure") >= 2  # the two runs with fake credentials were tracked
    assert leaks("\n".join(recorded)) == []


def written_files(project: Path) -> list[Path]:
    """Every file the runs may have written: data/ (bundle, record, tables, MLflow store), logs."""
    unwritten = {"conf", ".cache"}  # the credentials file itself, and the shared Ivy cache
    return [
        Path(folder) / name
        for folder, _, names in os.walk(project)
        if not unwritten & set(Path(folder).relative_to(project).parts[:1])
        for name in names
    ]


def test_data_files_the_bundle_and_the_deployment_record_hold_no_secret(runs: RunsWithFakeCredentials) -> None:
    written = written_files(runs.project)
    record = runs.project / "data/08_reporting/deployment.json"

    assert record in written and SCORING_URI in record.read_text()
    assert runs.project / "data/06_models/serving_bundle/deployment.json" in written
    found = {str(path.relative_to(runs.project)): leaks(path.read_bytes()) for path in written}
    assert {path: secrets for path, secrets in found.items() if secrets} == {}


@pytest.mark.parametrize(
    ("sink", "credentials_in", "message"),
    [
        ("eventhubs", "environment", "Event Hub 'tweets' in 127.0.0.1:1 unreachable: ConnectError"),
        ("eventhubs-kafka", "credentials.yml", "Kafka broker at 127.0.0.1:1 unreachable within 2 s"),
    ],
)
def test_the_producer_fails_clearly_without_showing_the_key(
    tmp_path: Path, sink: str, credentials_in: str, message: str
) -> None:
    project = make_scratch_project(tmp_path, PROJECT_PATH)
    environment = {name: value for name, value in os.environ.items() if name != "EVENTHUB_CONNECTION_STRING"}
    if credentials_in == "environment":
        environment["EVENTHUB_CONNECTION_STRING"] = connection_string(EVENT_HUBS_KEY_IN_ENVIRONMENT)
    else:
        (project / "conf/local/credentials.yml").write_text(yaml.safe_dump(FILE_CREDENTIALS), encoding="utf-8")
    command = [str(Path(sys.executable).with_name("covid-tweets")), "produce", "--sink", sink, "--count", "3"]
    command += ["--topic", "tweets", "--bootstrap-servers", "127.0.0.1:1", "--connect-timeout", "2"]
    command += ["--quiet", "--verbose"]  # --verbose: the clients' own log lines are checked too

    result = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert f"Error: {message}" in result.stderr
    assert leaks(result.stdout) == [] and leaks(result.stderr) == []
