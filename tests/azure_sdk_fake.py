"""A recording fake of the azureml-core SDK, the one boundary the tests may fake.

No Azure account exists where the tests run. The fake stands exactly at the SDK call:
the classes the publisher module imported from azureml.core are replaced by recorders,
and a test checks what the publisher asked the SDK to do.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from covid_tweets.serving import azureml_publish

SCORING_URI = "http://tweets.westeurope.azurecontainer.io/score"
SERVICE_KEYS = ("primary-service-key-never-recorded", "secondary-service-key-never-recorded")


class FakeAzureSdk:
    """Records every call the publisher makes to the fake SDK classes, in order."""

    def __init__(
        self,
        final_state: str = "Healthy",
        scoring_uri: str = SCORING_URI,
        service_keys: tuple[str, str] = SERVICE_KEYS,
    ) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.final_state = final_state
        self.scoring_uri = scoring_uri
        self.service_keys = service_keys

    def record(self, call: str, /, **arguments: Any) -> None:
        """Note one SDK call."""
        self.calls.append((call, arguments))

    def called(self, name: str) -> list[dict[str, Any]]:
        """The arguments of every call of one SDK function."""
        return [arguments for called_name, arguments in self.calls if called_name == name]

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Replace the SDK names the publisher module imported."""
        sdk = self

        class ServicePrincipalAuthentication:
            def __init__(self, **arguments: Any) -> None:
                sdk.record("ServicePrincipalAuthentication", **arguments)

        class Workspace:
            @staticmethod
            def get(**arguments: Any) -> Workspace:
                sdk.record("Workspace.get", **arguments)
                return Workspace()

        class Service:
            state = "Transitioning"
            scoring_uri = sdk.scoring_uri

            def wait_for_deployment(self, **arguments: Any) -> None:
                sdk.record("Service.wait_for_deployment", **arguments)
                self.state = sdk.final_state

            def get_logs(self) -> str:
                return "container log: init() failed: no module named onnxruntime"

            def get_keys(self) -> tuple[str, str]:
                sdk.record("Service.get_keys")
                return sdk.service_keys

        class Model:
            @staticmethod
            def register(workspace: Any, **arguments: Any) -> str:
                sdk.record("Model.register", workspace=workspace, **arguments)
                return "registered-model"

            @staticmethod
            def deploy(workspace: Any, name: str, models: list, **arguments: Any) -> Service:
                sdk.record("Model.deploy", workspace=workspace, name=name, models=models, **arguments)
                return Service()

        class CondaDependencies:
            def set_python_version(self, version: str) -> None:
                sdk.record("CondaDependencies.set_python_version", version=version)

            def add_pip_package(self, package: str) -> None:
                sdk.record("CondaDependencies.add_pip_package", package=package)

        class Environment:
            def __init__(self) -> None:
                self.python = SimpleNamespace(conda_dependencies=CondaDependencies())

            @staticmethod
            def from_pip_requirements(name: str, file_path: str) -> Environment:
                sdk.record("Environment.from_pip_requirements", name=name, file_path=file_path)
                return Environment()

        class InferenceConfig:
            def __init__(self, **arguments: Any) -> None:
                sdk.record("InferenceConfig", **arguments)

        def webservice(kind: str) -> type:
            class Webservice:
                @staticmethod
                def deploy_configuration(**arguments: Any) -> tuple[str, dict]:
                    sdk.record(f"{kind}.deploy_configuration", **arguments)
                    return (kind, arguments)

            return Webservice

        class AksCompute:
            def __init__(self, workspace: Any, name: str) -> None:
                sdk.record("AksCompute", workspace=workspace, name=name)
                self.name = name

        for name, fake in {
            "ServicePrincipalAuthentication": ServicePrincipalAuthentication,
            "Workspace": Workspace,
            "Model": Model,
            "Environment": Environment,
            "InferenceConfig": InferenceConfig,
            "AciWebservice": webservice("AciWebservice"),
            "AksWebservice": webservice("AksWebservice"),
            "AksCompute": AksCompute,
        }.items():
            monkeypatch.setattr(azureml_publish, name, fake)
