"""Tests of the scorer: shared features + ONNX model, one prediction per tweet, fast, no Spark."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textblob import TextBlob

from covid_tweets import schema
from covid_tweets.features import clean_text, enrich_tweets
from covid_tweets.onnx_model import OnnxClassifier
from covid_tweets.serving.scorer import FEATURE_COLUMNS, TweetScorer
from covid_tweets.schema import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from covid_tweets.serving.validation import (
    parse_request,
    tweets_frame,
    validate_payload,
)

TweetFactory = Callable[..., dict[str, Any]]


def frame_of(*tweets: dict[str, Any]) -> pd.DataFrame:
    """The validated frame of some tweets, as the server builds it."""
    return tweets_frame(validate_payload(list(tweets)))


def test_each_tweet_gets_one_prediction_in_order(scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    tweets = [make_tweet(n) for n in range(6)]
    predictions = scorer.score(frame_of(*tweets))
    assert [p["id"] for p in predictions] == [t["id"] for t in tweets]
    for prediction in predictions:
        assert set(prediction) == {
            "id",
            "prediction",
            "probability",
            "polarity",
            "subjectivity",
            "model_name",
            "model_version",
        }
        assert type(prediction["prediction"]) is int and prediction["prediction"] in (0, 1)
        assert type(prediction["probability"]) is float and 0.0 <= prediction["probability"] <= 1.0
        assert prediction["prediction"] == int(prediction["probability"] > 0.5)
        assert (prediction["model_name"], prediction["model_version"]) == (scorer.model_name, scorer.model_version)
    # The tiny model leans on sentiment, so both classes appear.
    assert {p["prediction"] for p in predictions} == {0, 1}
    json.dumps(predictions, allow_nan=False)


def test_predictions_are_the_onnx_model_on_the_shared_features(
    scorer: TweetScorer, onnx_model_bytes: bytes, make_tweet: TweetFactory
) -> None:
    frame = frame_of(*(make_tweet(n) for n in range(9)))
    labels, probabilities = OnnxClassifier(onnx_model_bytes).predict(enrich_tweets(frame)[list(FEATURE_COLUMNS)])
    predictions = scorer.score(frame)
    assert [p["prediction"] for p in predictions] == labels.tolist()
    np.testing.assert_allclose([p["probability"] for p in predictions], probabilities)


def test_sentiment_is_textblobs_on_the_cleaned_text(scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    tweet = make_tweet(0, text="@who I love this, great news! https://t.co/x #covid")
    [prediction] = scorer.score(frame_of(tweet))
    expected = TextBlob(clean_text(tweet["text"])).sentiment
    assert (prediction["polarity"], prediction["subjectivity"]) == pytest.approx(tuple(expected))


def test_a_tweet_with_only_text_is_scored_and_has_no_id(scorer: TweetScorer) -> None:
    [prediction] = scorer.score(parse_request(b'{"text": "just text"}'))
    assert prediction["id"] is None
    assert prediction["prediction"] in (0, 1)


def test_from_bundle_loads_the_same_model(bundle_dir: Path, scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    loaded = TweetScorer.from_bundle(bundle_dir)
    frame = frame_of(*(make_tweet(n) for n in range(4)))
    assert loaded.score(frame) == scorer.score(frame)
    assert (loaded.model_name, loaded.model_version) == (scorer.model_name, scorer.model_version)


def test_a_single_tweet_scores_in_a_few_milliseconds(scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    body = json.dumps(make_tweet(1)).encode("utf-8")
    durations = []
    for _ in range(200):
        started = time.perf_counter()
        scorer.score(parse_request(body))
        durations.append(time.perf_counter() - started)
    # About 3.5 ms here; the bound leaves room for a busy machine, not for a Spark job (~200 ms).
    assert statistics.median(durations) < 0.025


def test_serving_imports_neither_spark_nor_mlflow() -> None:
    code = (
        "import sys\n"
        "import covid_tweets.serving.app, covid_tweets.serving.azureml_entry\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'pyspark', 'py4j', 'mlflow'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


# Any value validation accepts, per field kind, at the edges of its range included.
valid_values = {
    "string": st.text(max_size=60),
    "long": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "boolean": st.booleans(),
    "timestamp": st.datetimes(min_value=EARLIEST_TIMESTAMP, max_value=LATEST_TIMESTAMP).map(
        lambda moment: moment.strftime(schema.PY_TIMESTAMP_FORMAT)
    ),
    "string_array": st.lists(st.text(max_size=12), max_size=4),
}
valid_tweets = st.fixed_dictionaries(
    {"text": st.text(max_size=120)},
    optional={
        field.name: st.none() | valid_values[field.kind]
        for field in schema.TWEET_FIELDS
        if field.name not in ("text", "schema_version")
    },
)


@settings(max_examples=200, deadline=None)
@given(tweets=st.lists(valid_tweets, min_size=1, max_size=5))
def test_every_valid_request_is_scored(scorer: TweetScorer, tweets: list[dict[str, Any]]) -> None:
    predictions = scorer.score(frame_of(*tweets))
    assert [p["id"] for p in predictions] == [t.get("id") for t in tweets]
    assert all(0.0 <= p["probability"] <= 1.0 for p in predictions)
    json.dumps(predictions, allow_nan=False)
