"""Tests of the Azure ML publisher against a recording fake of the azureml-core SDK.

No Azure account exists here, so the fake stands exactly at the SDK call: the classes
the publisher imports from azureml.core are replaced by recorders, and the tests check
what the publisher asked the SDK to do (and that it asks nothing without credentials).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from azure_sdk_fake import SCORING_URI, SERVICE_KEYS, FakeAzureSdk
from covid_tweets.config import load_config
from covid_tweets.datasets.azureml_service import AzureMLServiceDataset
from covid_tweets.serving.azureml_publish import (
    INFERENCE_SERVER_REQUIREMENT,
    AzureMLSettingsError,
    publish_to_azureml,
    service_name_for,
)

SECRET = "sp-secret-value-never-shown"
SETTINGS = {
    "subscription_id": "sub-123",
    "resource_group": "rg-tweets",
    "workspace_name": "ws-tweets",
    "tenant_id": "tenant-1",
    "client_id": "client-1",
    "client_secret": SECRET,
}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> FakeAzureSdk:
    """The recording fake, installed; no Azure credentials in the environment."""
    for variable in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(variable, raising=False)
    fake = FakeAzureSdk()
    fake.install(monkeypatch)
    return fake


def test_publishing_to_aci_registers_builds_deploys_and_waits(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    assert publish_to_azureml(bundle_dir, SETTINGS) == SCORING_URI

    [auth] = sdk.called("ServicePrincipalAuthentication")
    assert auth == {
        "tenant_id": "tenant-1",
        "service_principal_id": "client-1",
        "service_principal_password": SECRET,
    }
    [workspace_get] = sdk.called("Workspace.get")
    assert {key: workspace_get[key] for key in ("name", "subscription_id", "resource_group")} == {
        "name": "ws-tweets",
        "subscription_id": "sub-123",
        "resource_group": "rg-tweets",
    }
    [register] = sdk.called("Model.register")
    assert register["model_path"] == str(bundle_dir.resolve())
    assert register["model_name"] == "covid-tweets-engagement"
    assert register["tags"] == {
        "source_model": "covid-tweets-engagement",
        "source_version": "7",
        "metric_test_auc": "0.71",
        "metric_test_f1": "0.64",
    }
    [environment] = sdk.called("Environment.from_pip_requirements")
    assert environment == {
        "name": "covid-tweets-engagement-env",
        "file_path": str(bundle_dir.resolve() / "requirements.txt"),
    }
    assert sdk.called("CondaDependencies.set_python_version") == [{"version": "3.11"}]
    assert sdk.called("CondaDependencies.add_pip_package") == [{"package": INFERENCE_SERVER_REQUIREMENT}]
    [inference] = sdk.called("InferenceConfig")
    assert inference["entry_script"] == "score.py"
    assert inference["source_directory"] == str(bundle_dir.resolve())
    # From the bundle's deployment.json, written at export.
    assert sdk.called("AciWebservice.deploy_configuration") == [
        {"cpu_cores": 0.5, "memory_gb": 1.5, "auth_enabled": True}
    ]
    assert sdk.called("AksWebservice.deploy_configuration") == []
    [deploy] = sdk.called("Model.deploy")
    assert deploy["name"] == "covid-tweets-engagement"
    assert deploy["models"] == ["registered-model"]
    assert deploy["deployment_config"] == (
        "AciWebservice",
        {"cpu_cores": 0.5, "memory_gb": 1.5, "auth_enabled": True},
    )
    assert deploy["deployment_target"] is None
    assert deploy["overwrite"] is True
    assert sdk.called("Service.wait_for_deployment") == [{"show_output": False}]
    assert [name for name, _ in sdk.calls] == [
        "ServicePrincipalAuthentication",
        "Workspace.get",
        "Model.register",
        "Environment.from_pip_requirements",
        "CondaDependencies.set_python_version",
        "CondaDependencies.add_pip_package",
        "InferenceConfig",
        "AciWebservice.deploy_configuration",
        "Model.deploy",
        "Service.wait_for_deployment",
    ]


def test_aks_deploys_to_the_named_cluster_with_the_settings_resources(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    settings = {
        **SETTINGS,
        "compute_type": "aks",
        "aks_cluster_name": "scoring-aks",
        "cpu_cores": 2,
        "memory_gb": 4,
        "service_name": "tweets-prod",
    }
    assert publish_to_azureml(bundle_dir, settings) == SCORING_URI
    [cluster] = sdk.called("AksCompute")
    assert cluster["name"] == "scoring-aks"
    assert sdk.called("AksWebservice.deploy_configuration") == [
        {"cpu_cores": 2.0, "memory_gb": 4.0, "auth_enabled": True}
    ]
    assert sdk.called("AciWebservice.deploy_configuration") == []
    [deploy] = sdk.called("Model.deploy")
    assert deploy["name"] == "tweets-prod"
    assert deploy["deployment_target"].name == "scoring-aks"


def test_credentials_come_from_the_environment_when_settings_lack_them(
    sdk: FakeAzureSdk, bundle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", "env-tenant")
    monkeypatch.setenv("AZURE_CLIENT_ID", "env-client")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "env-secret")
    workspace_only = {name: SETTINGS[name] for name in ("subscription_id", "resource_group", "workspace_name")}
    publish_to_azureml(bundle_dir, workspace_only)
    assert sdk.called("ServicePrincipalAuthentication") == [
        {
            "tenant_id": "env-tenant",
            "service_principal_id": "env-client",
            "service_principal_password": "env-secret",
        }
    ]


def test_without_credentials_it_names_what_to_set_before_any_sdk_call(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    with pytest.raises(AzureMLSettingsError) as caught:
        publish_to_azureml(bundle_dir, {})
    assert str(caught.value) == (
        "Azure ML target needs AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET "
        "(or conf/local/credentials.yml: azureml) and subscription_id, resource_group, workspace_name "
        "in parameters_deployment.yml"
    )
    assert sdk.calls == []


def test_a_missing_secret_alone_is_named_and_no_value_is_shown(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    settings = {**SETTINGS, "client_secret": ""}
    with pytest.raises(AzureMLSettingsError) as caught:
        publish_to_azureml(bundle_dir, settings)
    assert (
        str(caught.value) == "Azure ML target needs AZURE_CLIENT_SECRET (or conf/local/credentials.yml: azureml)"
    )
    assert "client-1" not in str(caught.value) and "tenant-1" not in str(caught.value)
    assert sdk.calls == []


def test_an_unhealthy_service_raises_with_its_logs(
    bundle_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sdk = FakeAzureSdk(final_state="Unhealthy")
    sdk.install(monkeypatch)
    with caplog.at_level(logging.DEBUG), pytest.raises(RuntimeError) as caught:
        publish_to_azureml(bundle_dir, SETTINGS)
    assert str(caught.value).startswith(
        "Azure ML service covid-tweets-engagement is Unhealthy, not Healthy. Its logs:\n"
    )
    assert "no module named onnxruntime" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text


def test_a_given_workspace_needs_no_credentials(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    workspace = object()
    assert publish_to_azureml(bundle_dir, {}, workspace=workspace) == SCORING_URI
    assert sdk.called("Workspace.get") == [] and sdk.called("ServicePrincipalAuthentication") == []
    assert sdk.called("Model.register")[0]["workspace"] is workspace


def test_aks_without_a_cluster_is_refused_before_any_sdk_call(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    with pytest.raises(ValueError, match="needs aks_cluster_name"):
        publish_to_azureml(bundle_dir, {**SETTINGS, "compute_type": "aks"})
    assert sdk.calls == []


@pytest.mark.parametrize(
    ("model_name", "service_name"),
    [
        ("covid-tweets-engagement", "covid-tweets-engagement"),
        ("2 Best_Model!", "best-model"),
        ("x", "covid-tweets-scoring"),
    ],
)
def test_service_names_follow_azure_rules(model_name: str, service_name: str) -> None:
    assert service_name_for(model_name) == service_name


def test_bundle_deployment_file_is_what_the_publisher_reads(bundle_dir: Path) -> None:
    assert json.loads((bundle_dir / "deployment.json").read_text())["compute_type"] == "aci"


def azure_deployment_parameters() -> dict[str, Any]:
    """The deployment parameters of the project's azure configuration environment."""
    return load_config("parameters", "azure", PROJECT_ROOT)["deployment"]


def deploy_configurations(sdk: FakeAzureSdk) -> list[dict[str, Any]]:
    """What every deploy_configuration call (ACI or AKS) received."""
    return sdk.called("AciWebservice.deploy_configuration") + sdk.called("AksWebservice.deploy_configuration")


@pytest.mark.parametrize(
    ("compute", "sdk_call"),
    [({"compute_type": "aci"}, "AciWebservice"), ({"compute_type": "aks", "aks_cluster_name": "c"}, "AksWebservice")],
    ids=["aci", "aks"],
)
def test_the_azure_environment_deploys_with_auth_enabled(
    sdk: FakeAzureSdk, bundle_dir: Path, compute: dict[str, str], sdk_call: str
) -> None:
    parameters = azure_deployment_parameters()
    assert parameters["target"] == "azureml" and parameters["auth_enabled"] is True

    publish_to_azureml(bundle_dir, {**SETTINGS, **parameters, **compute})

    # AKS turns key auth on by itself, ACI does not: the publisher always says it.
    [configuration] = sdk.called(f"{sdk_call}.deploy_configuration")
    assert configuration["auth_enabled"] is True


def test_auth_stays_on_when_neither_the_settings_nor_the_bundle_mention_it(
    sdk: FakeAzureSdk, bundle_dir: Path, tmp_path: Path
) -> None:
    older_bundle = shutil.copytree(bundle_dir, tmp_path / "older_bundle")
    deployment_file = older_bundle / "deployment.json"
    deployment = json.loads(deployment_file.read_text())
    del deployment["auth_enabled"]
    deployment_file.write_text(json.dumps(deployment))

    publish_to_azureml(older_bundle, {**SETTINGS, "auth_enabled": None})

    assert [configuration["auth_enabled"] for configuration in deploy_configurations(sdk)] == [True]


def test_only_an_explicit_false_turns_auth_off(sdk: FakeAzureSdk, bundle_dir: Path) -> None:
    publish_to_azureml(bundle_dir, {**SETTINGS, "auth_enabled": False})

    assert [configuration["auth_enabled"] for configuration in deploy_configurations(sdk)] == [False]


@pytest.mark.parametrize("setting", ["false", "no", 0], ids=["string-false", "string-no", "zero"])
def test_a_value_that_only_looks_false_is_refused_before_any_sdk_call(
    sdk: FakeAzureSdk, bundle_dir: Path, setting: Any
) -> None:
    with pytest.raises(ValueError, match="deployment auth_enabled must be true or false"):
        publish_to_azureml(bundle_dir, {**SETTINGS, "auth_enabled": setting})
    assert sdk.calls == []


def test_the_deployment_record_says_auth_is_required_and_holds_no_key_or_secret(
    sdk: FakeAzureSdk, bundle_dir: Path, tmp_path: Path
) -> None:
    record_file = tmp_path / "deployment.json"
    dataset = AzureMLServiceDataset(
        filepath=str(record_file),
        workspace={name: SETTINGS[name] for name in ("subscription_id", "resource_group", "workspace_name")},
        credentials={name: SETTINGS[name] for name in ("tenant_id", "client_id", "client_secret")},
    )
    record = {"target": "azureml", "model_name": "covid-tweets-engagement", "model_version": "7"}

    dataset.save({**record, "bundle": str(bundle_dir), "deployment": azure_deployment_parameters()})

    written = record_file.read_text()
    assert json.loads(written)["deployment"]["auth_enabled"] is True
    assert json.loads(written)["scoring_uri"] == SCORING_URI
    assert sdk.called("Service.get_keys") == []  # the keys are never fetched, so never recorded
    for secret in (*SERVICE_KEYS, SECRET):
        assert secret not in written
    assert SECRET not in str(dataset)
