"""A Delta table read as a stream of the rows appended since the last run (read-only).

Paired with the table's writer by Kedro transcoding (``bronze_tweets@table`` and
``bronze_tweets@stream`` are one table): the reader that drains this stream keeps
its place in its own sink's checkpoint, so each run sees only new rows.
"""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError
from pyspark.sql import DataFrame

from covid_tweets.spark import active_spark
from covid_tweets.storage import local_path_or_uri


class DeltaStreamSourceDataset(AbstractDataset[None, DataFrame]):
    """Streams the rows a Delta table gained, for an incremental downstream pipeline.

    Example catalog entry::

        bronze_tweets@stream:
          type: covid_tweets.datasets.DeltaStreamSourceDataset
          filepath: data/02_intermediate/bronze_tweets
          options: {maxFilesPerTrigger: 200}
    """

    def __init__(self, *, filepath: str, options: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = local_path_or_uri(filepath)
        self._options = {key: str(value) for key, value in (options or {}).items()}
        self.metadata = metadata

    def load(self) -> DataFrame:
        """Return the table as an unbounded DataFrame of appended rows."""
        return active_spark().readStream.format("delta").options(**self._options).load(self._filepath)

    def save(self, data: None) -> None:
        raise DatasetError("DeltaStreamSourceDataset is read-only: write the table through its sink dataset")

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "options": self._options}
