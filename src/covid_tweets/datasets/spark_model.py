"""A fitted Spark ML pipeline in a folder, in MLlib's own persistence format."""

from __future__ import annotations

from typing import Any

import fsspec
from kedro.io import AbstractDataset
from pyspark.ml import PipelineModel

from covid_tweets.storage import local_path_or_uri


class SparkPipelineModelDataset(AbstractDataset[PipelineModel, PipelineModel]):
    """Saves a fitted ``PipelineModel`` (replacing the folder) and loads it back.

    Example catalog entry::

        best_model:
          type: covid_tweets.datasets.SparkPipelineModelDataset
          filepath: data/06_models/best_model
    """

    def __init__(self, *, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = local_path_or_uri(filepath)
        self.metadata = metadata

    def load(self) -> PipelineModel:
        return PipelineModel.load(self._filepath)

    def save(self, data: PipelineModel) -> None:
        data.write().overwrite().save(self._filepath)

    def _exists(self) -> bool:
        # A folder without MLlib's metadata file is not a model.
        file_system, path = fsspec.core.url_to_fs(self._filepath)
        return file_system.exists(f"{path}/metadata")

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}
