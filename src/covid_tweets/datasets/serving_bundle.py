"""The serving bundle: a self-contained folder (MLflow pyfunc model + Azure ML entry script)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


@dataclass(frozen=True)
class BundleContents:
    """What a bundle is made of: the ONNX model, where it came from, and how to deploy it."""

    model_onnx: bytes = field(repr=False)
    model_name: str
    model_version: str
    metrics: dict[str, float]
    deployment: dict[str, Any]


class ServingBundleDataset(AbstractDataset[BundleContents, str]):
    """Writes a bundle folder with ``serving.bundle.export_bundle``; loads the folder's path.

    Example catalog entry::

        serving_bundle:
          type: covid_tweets.datasets.ServingBundleDataset
          path: data/06_models/serving_bundle
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> str:
        """Return the bundle's absolute path (serve it with `covid-tweets serve`)."""
        if not (self._path / "MLmodel").is_file():
            raise DatasetError(f"no serving bundle in {self._path}: run `kedro run --pipeline deployment`")
        return str(self._path.resolve())

    def save(self, contents: BundleContents) -> None:
        from covid_tweets.serving.bundle import export_bundle

        export_bundle(
            contents.model_onnx,
            contents.model_name,
            contents.model_version,
            contents.metrics,
            self._path,
            contents.deployment,
        )

    def _exists(self) -> bool:
        return (self._path / "MLmodel").is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
