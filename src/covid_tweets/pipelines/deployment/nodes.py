"""Deployment: the registry's champion -> serving bundle, deployment record, batch predictions."""

from __future__ import annotations

from typing import Any, Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from covid_tweets.datasets.registered_model import ChampionModel
from covid_tweets.datasets.serving_bundle import BundleContents
from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from covid_tweets.serving.bundle import normalised_deployment

PREDICTION_SCHEMA = "id string, prediction int, probability double"


def prepare_serving_bundle(champion: ChampionModel, deployment: dict[str, Any]) -> BundleContents:
    """Describe the bundle of the champion: its ONNX model, metrics and deployment settings."""
    return BundleContents(
        model_onnx=champion.model_onnx,
        model_name=champion.name,
        model_version=champion.version,
        metrics=champion.metrics,
        deployment=deployment,
    )


def describe_deployment(
    serving_bundle: str, champion: ChampionModel, deployment: dict[str, Any], serving: dict[str, Any]
) -> dict[str, Any]:
    """The deployment record: which model, where its bundle is, and how to serve it."""
    settings = normalised_deployment(deployment)  # what the bundle holds, defaults included
    return {
        "target": settings["target"],
        "model_name": champion.name,
        "model_version": champion.version,
        "bundle": serving_bundle,
        "serve_command": f"covid-tweets serve --bundle {serving_bundle} --port {serving['port']}",
        "deployment": settings,
    }


def score_new_tweets(new_silver_tweets: DataFrame, champion: ChampionModel) -> DataFrame:
    """Predict engagement for the silver tweets not scored yet, with the champion's ONNX model."""
    model_onnx = champion.model_onnx
    columns = ["id", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]

    def predict(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        # Imported here: this runs in Spark's Python workers, one classifier per task.
        from covid_tweets.onnx_model import OnnxClassifier

        classifier = OnnxClassifier(model_onnx)
        for batch in batches:
            labels, probabilities = classifier.predict(batch)
            yield pd.DataFrame({"id": batch["id"], "prediction": labels.astype("int32"), "probability": probabilities})

    predictions = new_silver_tweets.select(*columns).mapInPandas(predict, PREDICTION_SCHEMA)
    return predictions.select(
        "*",
        F.lit(champion.name).alias("model_name"),
        F.lit(champion.version).alias("model_version"),
        F.current_timestamp().alias("scored_at"),
    )
