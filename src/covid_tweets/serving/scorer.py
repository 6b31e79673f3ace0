"""Score validated tweets: the shared features, then the exported ONNX model.

Nothing here touches Spark: features come from :func:`covid_tweets.features.enrich_tweets`
(the code training ran through ``mapInPandas``) and the model runs in onnxruntime.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, enrich_tweets
from covid_tweets.onnx_model import OnnxClassifier

MODEL_FILE = Path("artifacts") / "model.onnx"
"""Where the ONNX model sits inside a bundle (MLflow's folder for pyfunc artifacts)."""

METADATA_FILE = "metadata.json"
"""The bundle's description: model name, version, metrics, feature columns."""

FEATURE_COLUMNS: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
"""The enriched columns the model reads."""

_WARM_UP_TWEET: dict[str, Any] = {"id": "warm-up", "text": "Stay safe and wash your hands #covid19"}


class TweetScorer:
    """Turn a frame of validated tweets into one prediction per tweet."""

    def __init__(self, model_bytes: bytes, model_name: str, model_version: str) -> None:
        self.model_name = model_name
        self.model_version = str(model_version)
        self._classifier = OnnxClassifier(model_bytes)

    @classmethod
    def from_bundle(cls, bundle_dir: str | Path) -> TweetScorer:
        """Load the scorer of an exported serving bundle."""
        bundle = Path(bundle_dir)
        metadata = json.loads((bundle / METADATA_FILE).read_text(encoding="utf-8"))
        return cls((bundle / MODEL_FILE).read_bytes(), metadata["model_name"], metadata["model_version"])

    def score(self, tweets: pd.DataFrame) -> list[dict[str, Any]]:
        """Return, per tweet and in order, its id, predicted label, positive-class probability and sentiment."""
        features = enrich_tweets(tweets)
        labels, probabilities = self._classifier.predict(features.loc[:, list(FEATURE_COLUMNS)])
        ids = [None if _is_missing(value) else value for value in tweets["id"]]
        return [
            {
                "id": tweet_id,
                "prediction": int(label),
                "probability": float(probability),
                "polarity": float(polarity),
                "subjectivity": float(subjectivity),
                "model_name": self.model_name,
                "model_version": self.model_version,
            }
            for tweet_id, label, probability, polarity, subjectivity in zip(
                ids, labels, probabilities, features["polarity"], features["subjectivity"], strict=True
            )
        ]

    def warm_up(self) -> None:
        """Score one tweet so the first request does not pay for loading the sentiment lexicon."""
        self.score(pd.DataFrame([_WARM_UP_TWEET]))


def _is_missing(value: Any) -> bool:
    """Return whether an id cell is null (None, NaN or pandas' NA)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
