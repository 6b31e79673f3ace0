"""The project's own Kedro datasets: Spark streaming I/O, models, the registry and deployment targets."""

from .azureml_service import AzureMLServiceDataset
from .binary_file import BinaryFileDataset
from .delta_stream_sink import DeltaStreamSinkDataset
from .delta_stream_source import DeltaStreamSourceDataset
from .kafka_stream import KafkaStreamDataset
from .mlflow_release import MlflowModelReleaseDataset
from .registered_model import RegisteredModelDataset
from .serving_bundle import ServingBundleDataset
from .spark_model import SparkPipelineModelDataset

__all__ = [
    "AzureMLServiceDataset",
    "BinaryFileDataset",
    "DeltaStreamSinkDataset",
    "DeltaStreamSourceDataset",
    "KafkaStreamDataset",
    "MlflowModelReleaseDataset",
    "RegisteredModelDataset",
    "ServingBundleDataset",
    "SparkPipelineModelDataset",
]
