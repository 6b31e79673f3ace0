"""A Delta table written by a streaming query that drains its source and returns.

Saving a streaming DataFrame runs one query with ``trigger(availableNow=True)``,
waits for it, and upserts each micro-batch with a MERGE on the table's keys. The
query's checkpoint records which source offsets are committed; the MERGE makes a
replayed micro-batch (after a crash between write and commit) a no-op. Together
they give exactly-once rows whatever is interrupted. A second run saving to the
same sink at the same time waits for the first (a lock file beside the checkpoint),
then writes only what is left. Loading returns the table as an ordinary batch
DataFrame for the next pipeline.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from delta.tables import DeltaTable
from kedro.io import AbstractDataset, DatasetError
from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from covid_tweets.errors import first_line
from covid_tweets.spark import active_spark
from covid_tweets.storage import local_path_or_uri
from covid_tweets.writer_lock import exclusive_writer


class DeltaStreamSinkDataset(AbstractDataset[DataFrame, DataFrame]):
    """Upserts a streaming DataFrame into a Delta table; loads the table as a batch DataFrame.

    Example catalog entry::

        bronze_tweets:
          type: covid_tweets.datasets.DeltaStreamSinkDataset
          filepath: data/02_intermediate/bronze_tweets
          checkpoint: data/02_intermediate/_checkpoints/bronze_tweets
          keys: [id]
          keep_first_by: [kafka_partition, kafka_offset]
          partition_by: [tweet_date]
    """

    def __init__(
        self,
        *,
        filepath: str,
        checkpoint: str,
        keys: list[str],
        partition_by: list[str] | None = None,
        keep_first_by: list[str] | None = None,
        query_name: str | None = None,
        wait_for_other_run_s: float = 900,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not keys:
            raise DatasetError("DeltaStreamSinkDataset needs the key columns that identify a row")
        self._filepath = local_path_or_uri(filepath)
        self._checkpoint = local_path_or_uri(checkpoint)
        self._keys = list(keys)
        self._partition_by = list(partition_by or [])
        self._keep_first_by = list(keep_first_by or [])
        self._query_name = query_name or PurePosixPath(filepath).name
        self._wait_for_other_run_s = wait_for_other_run_s
        self.metadata = metadata

    def load(self) -> DataFrame:
        """Return the table's current rows."""
        if not self._exists():
            raise DatasetError(f"Delta table {self._filepath} does not exist yet: run the pipeline that writes it")
        return active_spark().read.format("delta").load(self._filepath)

    def save(self, data: DataFrame) -> None:
        """Drain ``data`` (a streaming DataFrame) into the table, then return."""
        if not data.isStreaming:
            raise DatasetError(f"{self._query_name}: expected a streaming DataFrame to save")
        with exclusive_writer(f"{self._checkpoint}.lock", self._query_name, self._wait_for_other_run_s):
            self._create_table_if_missing(data)
            query = (
                data.writeStream.foreachBatch(self._upsert)
                .option("checkpointLocation", self._checkpoint)
                .queryName(self._query_name)
                .trigger(availableNow=True)
                .start()
            )
            try:
                query.awaitTermination()
            except StreamingQueryException as error:
                raise DatasetError(
                    f"{self._query_name}: the streaming query stopped ({first_line(error, 400)}). "
                    f"The micro-batches it committed are in {self._filepath}; "
                    f"the next run resumes after them from {self._checkpoint}"
                ) from error

    def _upsert(self, batch: DataFrame, batch_id: int) -> None:
        """Insert the batch's rows whose keys the table does not hold yet."""
        # MERGE reads its source more than once: read the micro-batch (Kafka, parsing) once.
        batch = self._first_per_key(batch).persist()
        try:
            # An empty micro-batch (a first run on an empty topic, a batch of valid tweets
            # seen by the quarantine) would still cost a MERGE's jobs: seconds for nothing.
            if batch.isEmpty():
                return
            # Null-safe equality: a key column that is null still matches itself.
            condition = " AND ".join(f"target.`{key}` <=> source.`{key}`" for key in self._keys)
            (
                DeltaTable.forPath(batch.sparkSession, self._filepath)
                .alias("target")
                .merge(batch.alias("source"), condition)
                .whenNotMatchedInsertAll()
                .execute()
            )
        finally:
            batch.unpersist()

    def _create_table_if_missing(self, data: DataFrame) -> None:
        """Create the table up front, so that readers find it even when the source was empty."""
        (
            DeltaTable.createIfNotExists(data.sparkSession)
            .location(self._filepath)
            .addColumns(data.schema)
            .partitionedBy(*self._partition_by)
            .execute()
        )

    def _first_per_key(self, batch: DataFrame) -> DataFrame:
        """One row per key (MERGE inserts every unmatched source row, duplicates too)."""
        if not self._keep_first_by:
            return batch.dropDuplicates(self._keys)
        rank = Window.partitionBy(*self._keys).orderBy(*self._keep_first_by)
        return batch.withColumn("_rank", F.row_number().over(rank)).where("_rank = 1").drop("_rank")

    def _exists(self) -> bool:
        return DeltaTable.isDeltaTable(active_spark(), self._filepath)

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "checkpoint": self._checkpoint,
            "keys": self._keys,
            "partition_by": self._partition_by,
        }
