"""Publish a serving bundle as an Azure ML web service (ACI or AKS) with the v1 SDK, azureml-core.

Azure ML SDK v1 reached the end of its support on 2026-06-30: this publisher keeps the
original system's route (register, environment, entry script, ACI/AKS web service)
working while it still runs. The bundle is also an MLflow model, so the supported
route, an SDK v2 (azure-ai-ml) managed online endpoint, deploys the same folder
without ``score.py``. Keep the two SDKs in separate environments.

Settings (the deployment parameters, with credentials merged in):

- ``subscription_id``, ``resource_group``, ``workspace_name``: the workspace.
- ``tenant_id``, ``client_id``, ``client_secret``: a service principal; each falls back
  to ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``, ``AZURE_CLIENT_SECRET``.
- optional ``service_name``, ``compute_type`` (aci|aks), ``cpu_cores``, ``memory_gb``,
  ``auth_enabled``, ``aks_cluster_name``: override the bundle's ``deployment.json``.

Key authentication is always passed to the SDK explicitly, and is on unless a setting or
the bundle says ``auth_enabled: false`` (ACI would otherwise deploy an open service). The
service keys are never fetched here, so no log line or deployment record can hold them:
read them in Azure ML studio or with ``Webservice.get_keys()``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from azureml.core import Environment, Model, Workspace
from azureml.core.authentication import ServicePrincipalAuthentication
from azureml.core.compute import AksCompute
from azureml.core.model import InferenceConfig
from azureml.core.webservice import AciWebservice, AksWebservice

from covid_tweets.serving.bundle import DEPLOYMENT_FILE, DEPLOYMENT_KEYS, ENTRY_SCRIPT, normalised_deployment
from covid_tweets.serving.scorer import METADATA_FILE

logger = logging.getLogger(__name__)

WORKSPACE_SETTINGS: tuple[str, ...] = ("subscription_id", "resource_group", "workspace_name")
CREDENTIAL_ENVIRONMENT: dict[str, str] = {
    "tenant_id": "AZURE_TENANT_ID",
    "client_id": "AZURE_CLIENT_ID",
    "client_secret": "AZURE_CLIENT_SECRET",
}
"""Service principal settings and the environment variables they fall back to."""

INFERENCE_SERVER_REQUIREMENT = "azureml-inference-server-http==1.5.1"
"""The server that runs score.py; Azure ML needs it in the scoring environment."""

_DEPLOYMENT_OVERRIDES: frozenset[str] = DEPLOYMENT_KEYS - {"target"}
"""Settings that override the bundle's deployment.json."""


class AzureMLSettingsError(ValueError):
    """Settings or credentials needed to reach Azure ML are missing."""


def service_principal(settings: Mapping[str, Any]) -> dict[str, str]:
    """Return the service principal's tenant, client id and secret from settings or the environment."""
    return {
        name: str(settings.get(name) or os.environ.get(variable) or "")
        for name, variable in CREDENTIAL_ENVIRONMENT.items()
    }


def check_settings(settings: Mapping[str, Any]) -> None:
    """Raise :class:`AzureMLSettingsError` naming every missing setting (never printing a value)."""
    credentials = service_principal(settings)
    missing_credentials = [CREDENTIAL_ENVIRONMENT[name] for name, value in credentials.items() if not value]
    missing_workspace = [name for name in WORKSPACE_SETTINGS if not settings.get(name)]
    needs = []
    if missing_credentials:
        needs.append(f"{', '.join(missing_credentials)} (or conf/local/credentials.yml: azureml)")
    if missing_workspace:
        needs.append(f"{', '.join(missing_workspace)} in parameters_deployment.yml")
    if needs:
        raise AzureMLSettingsError(f"Azure ML target needs {' and '.join(needs)}")


def registered_model_name(model_name: str) -> str:
    """Return the model name as Azure ML's registry accepts it (letters, digits, '-', '_', '.')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model_name).strip("-.")[:255] or "covid-tweets"


def service_name_for(model_name: str) -> str:
    """Return a valid Azure ML service name (3-32 lower-case letters, digits, dashes) for a model."""
    name = re.sub(r"[^a-z0-9-]+", "-", model_name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:32].rstrip("-")
    return name if len(name) >= 3 else "covid-tweets-scoring"


def connect(settings: Mapping[str, Any]) -> Workspace:
    """Return the workspace, authenticated as the service principal."""
    credentials = service_principal(settings)
    auth = ServicePrincipalAuthentication(
        tenant_id=credentials["tenant_id"],
        service_principal_id=credentials["client_id"],
        service_principal_password=credentials["client_secret"],
    )
    return Workspace.get(
        name=settings["workspace_name"],
        auth=auth,
        subscription_id=settings["subscription_id"],
        resource_group=settings["resource_group"],
    )


def _tags(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Return the registry tags of a bundle: its source model, version and metrics (tags are strings)."""
    tags = {"source_model": str(metadata["model_name"]), "source_version": str(metadata["model_version"])}
    tags.update({f"metric_{name}": str(value) for name, value in metadata.get("metrics", {}).items()})
    return tags


def publish_to_azureml(
    bundle_dir: str | Path, settings: Mapping[str, Any], workspace: Workspace | None = None
) -> str:
    """Register the bundle, deploy it as an ACI or AKS web service, and return its scoring URI."""
    bundle = Path(bundle_dir).resolve()
    if workspace is None:
        check_settings(settings)
    metadata = json.loads((bundle / METADATA_FILE).read_text(encoding="utf-8"))
    bundle_deployment = json.loads((bundle / DEPLOYMENT_FILE).read_text(encoding="utf-8"))
    overrides = {name: settings[name] for name in _DEPLOYMENT_OVERRIDES if settings.get(name) is not None}
    deployment = normalised_deployment({**bundle_deployment, **overrides})
    service_name = deployment.get("service_name") or service_name_for(metadata["model_name"])

    if workspace is None:
        workspace = connect(settings)
    model = Model.register(
        workspace,
        model_path=str(bundle),
        model_name=registered_model_name(metadata["model_name"]),
        tags=_tags(metadata),
        description=f"covid-tweets serving bundle of {metadata['model_name']} version {metadata['model_version']}",
    )
    environment = Environment.from_pip_requirements(f"{service_name}-env", str(bundle / "requirements.txt"))
    environment.python.conda_dependencies.set_python_version(metadata.get("python_version", "3.11"))
    environment.python.conda_dependencies.add_pip_package(INFERENCE_SERVER_REQUIREMENT)
    inference_config = InferenceConfig(
        entry_script=ENTRY_SCRIPT, source_directory=str(bundle), environment=environment
    )

    target = None  # ACI needs no compute target; AKS deploys to the named cluster
    if deployment["compute_type"] == "aks":
        target = AksCompute(workspace, deployment["aks_cluster_name"])
        webservice = AksWebservice
    else:
        webservice = AciWebservice
    config = webservice.deploy_configuration(
        cpu_cores=deployment["cpu_cores"],
        memory_gb=deployment["memory_gb"],
        auth_enabled=deployment["auth_enabled"],
    )
    logger.info(
        "deploying %s to Azure ML %s as %s", metadata["model_name"], deployment["compute_type"], service_name
    )
    service = Model.deploy(
        workspace,
        service_name,
        [model],
        inference_config=inference_config,
        deployment_config=config,
        deployment_target=target,
        overwrite=True,
    )
    service.wait_for_deployment(show_output=False)
    if service.state != "Healthy":
        logs = service.get_logs()
        raise RuntimeError(f"Azure ML service {service_name} is {service.state}, not Healthy. Its logs:\n{logs}")
    logger.info("Azure ML service %s is healthy at %s", service_name, service.scoring_uri)
    return service.scoring_uri
