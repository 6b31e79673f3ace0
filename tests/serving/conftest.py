"""Fixtures of the serving tests: a tiny real ONNX classifier, its scorer, an exported bundle.

The production model is converted from Spark (:func:`covid_tweets.onnx_model.to_onnx`);
these tests need no JVM, so they build a small graph with the same interface by hand:
one ``[N, 1]`` input per model feature, outputs ``prediction`` and ``probability``.
It is a logistic regression on polarity, followers and the source category, so that
predictions differ between tweets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from covid_tweets.onnx_model import LABEL_OUTPUT, PROBABILITY_OUTPUT
from covid_tweets.serving.bundle import export_bundle
from covid_tweets.serving.scorer import TweetScorer
from support import make_tweet as message_tweet

MODEL_NAME = "covid-tweets-engagement"
MODEL_VERSION = "7"
METRICS = {"test_auc": 0.71, "test_f1": 0.64}
DEPLOYMENT = {"target": "azureml", "compute_type": "aci", "cpu_cores": 0.5, "memory_gb": 1.5, "auth_enabled": True}

# Logit = 3 * polarity + 0.2 * log_followers - 1 + a bonus per source category.
_WEIGHTS = {"polarity": 3.0, "log_followers": 0.2}
_BIAS = -1.0
_SOURCE_BONUS = {"professional": 1.5, "iphone": 0.5, "android": -0.5}


def build_tiny_onnx_model() -> bytes:
    """Return a serialised logistic-regression graph taking every model feature as a named input."""
    inputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 1]) for name in NUMERIC_FEATURES]
    inputs += [helper.make_tensor_value_info(name, TensorProto.STRING, [None, 1]) for name in CATEGORICAL_FEATURES]
    weights = np.array([[_WEIGHTS.get(name, 0.0)] for name in NUMERIC_FEATURES], dtype=np.float32)
    nodes = [
        helper.make_node("Concat", list(NUMERIC_FEATURES), ["numbers"], axis=1),
        helper.make_node("MatMul", ["numbers", "weights"], ["weighted"]),
        helper.make_node(
            "LabelEncoder",
            ["source_category"],
            ["source_bonus"],
            domain="ai.onnx.ml",
            keys_strings=list(_SOURCE_BONUS),
            values_floats=list(_SOURCE_BONUS.values()),
            default_float=0.0,
        ),
        helper.make_node("Sum", ["weighted", "source_bonus", "bias"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["positive"]),
        helper.make_node("Sub", ["one", "positive"], ["negative"]),
        helper.make_node("Concat", ["negative", "positive"], [PROBABILITY_OUTPUT], axis=1),
        helper.make_node("ArgMax", [PROBABILITY_OUTPUT], [LABEL_OUTPUT], axis=1, keepdims=0),
    ]
    constants = [
        helper.make_tensor("weights", TensorProto.FLOAT, weights.shape, weights.ravel()),
        helper.make_tensor("bias", TensorProto.FLOAT, [1], [_BIAS]),
        helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
    ]
    outputs = [
        helper.make_tensor_value_info(LABEL_OUTPUT, TensorProto.INT64, [None]),
        helper.make_tensor_value_info(PROBABILITY_OUTPUT, TensorProto.FLOAT, [None, 2]),
    ]
    graph = helper.make_graph(nodes, "tiny_engagement", inputs, outputs, constants)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 2)], ir_version=8
    )
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _tweet(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid scoring request tweet (every field) whose values, sentiment and source vary with ``n``."""
    varied = {
        "text": ["I love this, great news!", "awful, terrible day #covid", "stay home"][n % 3] + f" {n}",
        "source": ["Twitter for iPhone", "Hootsuite Inc.", "Twitter for Android"][n % 3],
    }
    return message_tweet(n, **{**varied, **overrides})


@pytest.fixture(scope="session")
def make_tweet() -> Callable[..., dict[str, Any]]:
    """Build a valid tweet from a number and field overrides: ``make_tweet(3, text="hi")``."""
    return _tweet


@pytest.fixture(scope="session")
def onnx_model_bytes() -> bytes:
    """The tiny classifier's bytes."""
    return build_tiny_onnx_model()


@pytest.fixture(scope="session")
def scorer(onnx_model_bytes: bytes) -> TweetScorer:
    """A warmed-up scorer of the tiny classifier."""
    tweet_scorer = TweetScorer(onnx_model_bytes, MODEL_NAME, MODEL_VERSION)
    tweet_scorer.warm_up()
    return tweet_scorer


@pytest.fixture(scope="session")
def bundle_dir(onnx_model_bytes: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A serving bundle of the tiny classifier, exported once per session."""
    target = tmp_path_factory.mktemp("models") / "serving_bundle"
    return export_bundle(onnx_model_bytes, MODEL_NAME, MODEL_VERSION, METRICS, target, DEPLOYMENT)
