"""The engagement model as ONNX: converted from the fitted Spark pipeline, scored without Spark.

Modeling calls :func:`to_onnx` on its best model and checks that the ONNX graph predicts
what Spark predicts; the HTTP server loads the bytes into :class:`OnnxClassifier` and
scores the frames :func:`covid_tweets.features.enrich_tweets` returns. The graph takes
one ``[N, 1]`` input per model feature (:data:`MODEL_INPUTS`): float32 for the numbers
and booleans, strings for the categories. Modeling fits on numbers already rounded to
float32, so the float32 graph takes the same tree branches as Spark.

pyspark and onnxmltools are imported only inside :func:`to_onnx`, so the server can
import this module without a JVM.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime
import pandas as pd

from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, UNKNOWN

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import SparkSession

MODEL_INPUTS: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
"""The columns a model is fitted on and scored with, in the order of the ONNX inputs."""

# The graph's outputs, named after the Spark columns they stand for.
LABEL_OUTPUT = "prediction"
PROBABILITY_OUTPUT = "probability"


def to_onnx(model: PipelineModel, spark: SparkSession) -> bytes:
    """Return the serialised ONNX graph of a fitted Spark pipeline over :data:`MODEL_INPUTS`."""
    from onnxmltools import convert_sparkml
    from onnxmltools.convert.common.data_types import FloatTensorType, StringTensorType

    initial_types = [(name, FloatTensorType([None, 1])) for name in NUMERIC_FEATURES] + [
        (name, StringTensorType([None, 1])) for name in CATEGORICAL_FEATURES
    ]
    # The tree converters save every tree under tempfile's folder and never delete it; the
    # logistic regression converter prints its coefficients.
    with tempfile.TemporaryDirectory(prefix="onnx-conversion-") as scratch, _tempfile_folder(scratch):
        with contextlib.redirect_stdout(io.StringIO()):
            onnx_model = convert_sparkml(model, "covid_tweets_engagement", initial_types, spark_session=spark)
    return onnx_model.SerializeToString()


@contextlib.contextmanager
def _tempfile_folder(folder: str) -> Iterator[None]:
    """Make ``folder`` the default folder of :mod:`tempfile` for the duration."""
    previous = tempfile.tempdir
    tempfile.tempdir = folder
    try:
        yield
    finally:
        tempfile.tempdir = previous


class OnnxClassifier:
    """A binary classifier converted by :func:`to_onnx`, scored with onnxruntime."""

    def __init__(self, model_bytes: bytes) -> None:
        self._session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])

    def predict(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Return each row's predicted class (1 = positive) and probability of the positive class.

        ``features`` needs the :data:`MODEL_INPUTS` columns, as ``enrich_tweets`` returns
        them; other columns are ignored. A missing category counts as ``"unknown"``.
        """
        labels, probabilities = self._session.run([LABEL_OUTPUT, PROBABILITY_OUTPUT], _onnx_inputs(features))
        return np.asarray(labels, dtype=np.int64), np.asarray(probabilities, dtype=np.float64)[:, 1]


def _onnx_inputs(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return the graph's inputs: one ``[N, 1]`` array per model feature."""
    _require_columns(features, MODEL_INPUTS)
    numbers = features[list(NUMERIC_FEATURES)].astype("Float32")  # nullable: booleans and counts too
    missing = [name for name in NUMERIC_FEATURES if numbers[name].isna().any()]
    if missing:
        raise ValueError(f"model features have missing values in {missing}")
    inputs = {name: numbers[[name]].to_numpy(dtype=np.float32) for name in NUMERIC_FEATURES}
    for name in CATEGORICAL_FEATURES:
        categories = features[name].where(features[name].notna(), UNKNOWN).astype(str)
        inputs[name] = categories.to_numpy(dtype=object).reshape(-1, 1)
    return inputs


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise a KeyError naming the columns ``frame`` lacks."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise KeyError(f"model features lack the columns {missing}")
