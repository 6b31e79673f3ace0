"""The project's own Kedro datasets: Spark streaming I/O that kedro-datasets does not cover."""

from .delta_stream_sink import DeltaStreamSinkDataset
from .delta_stream_source import DeltaStreamSourceDataset
from .kafka_stream import KafkaStreamDataset

__all__ = ["DeltaStreamSinkDataset", "DeltaStreamSourceDataset", "KafkaStreamDataset"]
