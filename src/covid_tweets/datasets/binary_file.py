"""Bytes in a file, such as a serialised ONNX model."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import fsspec
from kedro.io import AbstractDataset
from kedro.io.core import get_filepath_str, get_protocol_and_path


class BinaryFileDataset(AbstractDataset[bytes, bytes]):
    """Saves and loads a file's bytes, locally or on any fsspec file system.

    Example catalog entry (wrapped so that saving also logs the file in the MLflow run)::

        best_model_onnx:
          type: kedro_mlflow.io.artifacts.MlflowArtifactDataset
          dataset:
            type: covid_tweets.datasets.BinaryFileDataset
            filepath: data/06_models/model.onnx
    """

    def __init__(
        self,
        *,
        filepath: str,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._filepath = PurePosixPath(path)
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self.metadata = metadata

    def load(self) -> bytes:
        with self._fs.open(get_filepath_str(self._filepath, self._protocol), "rb") as file:
            return file.read()

    def save(self, data: bytes) -> None:
        path = get_filepath_str(self._filepath, self._protocol)
        self._fs.makedirs(str(PurePosixPath(path).parent), exist_ok=True)
        with self._fs.open(path, "wb") as file:
            file.write(data)

    def _exists(self) -> bool:
        return self._fs.exists(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "protocol": self._protocol}
