"""Saving a deployment record here publishes its bundle to Azure ML (azureml-core).

Used by the ``azure`` configuration environment in place of the local JSON record,
so ``kedro run --pipeline deployment --env azure`` registers the model, builds the
scoring environment, deploys the web service and records its scoring URI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class AzureMLServiceDataset(AbstractDataset[dict, dict]):
    """Publishes the record's bundle as an Azure ML web service; keeps the record as JSON.

    Example catalog entry (conf/azure/catalog.yml)::

        deployment_record:
          type: covid_tweets.datasets.AzureMLServiceDataset
          filepath: data/08_reporting/deployment.json
          workspace: {subscription_id: ..., resource_group: ..., workspace_name: ...}
          credentials: azureml   # tenant_id, client_id, client_secret
    """

    def __init__(
        self,
        *,
        filepath: str,
        workspace: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._workspace = dict(workspace or {})
        self._credentials = dict(credentials or {})
        self.metadata = metadata

    def save(self, record: dict) -> None:
        from covid_tweets.serving.azureml_publish import publish_to_azureml

        settings = {**self._workspace, **self._credentials, **record["deployment"]}
        scoring_uri = publish_to_azureml(record["bundle"], settings)
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        self._filepath.write_text(json.dumps({**record, "scoring_uri": scoring_uri}, indent=2))

    def load(self) -> dict:
        if not self._filepath.is_file():
            raise DatasetError(f"no deployment recorded in {self._filepath} yet")
        return json.loads(self._filepath.read_text())

    def _describe(self) -> dict[str, Any]:
        # Workspace ids are not secrets, but the credentials are: never describe them.
        return {"filepath": str(self._filepath), "workspace": self._workspace}
