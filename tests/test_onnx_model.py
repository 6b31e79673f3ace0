"""The ONNX twin of the Spark model: every candidate converts and predicts what Spark predicts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pyspark.ml import PipelineModel
from pyspark.ml.functions import vector_to_array

from covid_tweets.features import UNKNOWN, enrich_tweets, enriched_spark_schema
from covid_tweets.onnx_model import MODEL_INPUTS, OnnxClassifier, to_onnx
from covid_tweets.pipelines.modeling.nodes import (
    OnnxParityError,
    check_onnx_parity,
    fit_feature_encoder,
    label_tweets,
    split_train_test,
    tune_candidates,
)
from covid_tweets.producer.synthetic import generate_tweets

# One grid point each: these tests are about conversion, not tuning.
CANDIDATES = {
    "decision_tree": {"classifier": "DecisionTreeClassifier", "params": {"maxDepth": 6, "seed": 1}},
    "logistic_regression": {"classifier": "LogisticRegression", "params": {"maxIter": 50, "regParam": 0.001}},
    "random_forest": {"classifier": "RandomForestClassifier", "params": {"numTrees": 10, "maxDepth": 6, "seed": 1}},
    "gradient_boosting": {"classifier": "GBTClassifier", "params": {"maxIter": 5, "maxDepth": 3, "seed": 1}},
}


@pytest.fixture(scope="module")
def fitted(spark) -> tuple[dict[str, PipelineModel], pd.DataFrame, object]:
    """Candidates fitted on synthetic tweets, 500 held-out rows as pandas, and those rows in Spark."""
    enriched = enrich_tweets(pd.DataFrame(list(generate_tweets(3000, seed=3))))
    labelled = label_tweets(
        spark.createDataFrame(enriched, enriched_spark_schema()),
        {"name": "engaged", "source_column": "retweets", "threshold": 0},
        min_rows_per_class=30,
    )
    train, test = split_train_test(labelled, {"test_fraction": 0.2, "seed": 1})
    encoder = fit_feature_encoder(train, {"location": 10})
    models, _ = tune_candidates(train, encoder, CANDIDATES, {"folds": 2, "parallelism": 2, "seed": 1}, "roc_auc")
    rows = test.orderBy("id").limit(500).toPandas()
    # Categories training never saw must be scored alike: as "none of the known ones".
    rows.loc[rows.index[:10], "location"] = "atlantis"
    rows.loc[rows.index[5:15], "source_category"] = "carrier pigeon"
    return models, rows, spark.createDataFrame(rows)


def spark_predictions(model: PipelineModel, rows) -> tuple[np.ndarray, np.ndarray]:
    scored = model.transform(rows).select("prediction", vector_to_array("probability")[1].alias("positive")).toPandas()
    return scored["prediction"].to_numpy(), scored["positive"].to_numpy()


@pytest.mark.parametrize("candidate", CANDIDATES)
def test_the_onnx_model_predicts_what_spark_predicts(spark, fitted, candidate):
    models, rows, spark_rows = fitted
    onnx_bytes = to_onnx(models[candidate], spark)

    labels, probabilities = OnnxClassifier(onnx_bytes).predict(rows)

    spark_labels, spark_probabilities = spark_predictions(models[candidate], spark_rows)
    assert len(rows) == 500
    np.testing.assert_array_equal(labels, spark_labels)
    np.testing.assert_allclose(probabilities, spark_probabilities, rtol=0, atol=1e-5)
    assert len(set(labels)) == 2, "a model predicting one class would prove little"


def test_the_parity_check_stops_the_run_when_onnx_and_spark_disagree(spark, fitted):
    models, _, spark_rows = fitted
    tree = to_onnx(models["decision_tree"], spark)
    parity = {"max_rows": 500, "probability_tolerance": 1e-5}

    assert check_onnx_parity(tree, models["decision_tree"], spark_rows, parity)[0] == tree
    with pytest.raises(OnnxParityError, match=r"disagrees with Spark on the test set: \d+ of 500 labels differ"):
        check_onnx_parity(tree, models["logistic_regression"], spark_rows, parity)


@pytest.fixture(scope="module")
def classifier(spark, fitted) -> OnnxClassifier:
    models, _, _ = fitted
    return OnnxClassifier(to_onnx(models["logistic_regression"], spark))


def test_it_scores_the_frames_enrich_tweets_returns(classifier):
    enriched = enrich_tweets(pd.DataFrame(list(generate_tweets(20, seed=99))))

    labels, probabilities = classifier.predict(enriched)

    assert labels.dtype == np.int64 and set(labels) <= {0, 1}
    assert probabilities.shape == (20,) and ((probabilities > 0) & (probabilities < 1)).all()


def test_a_missing_category_scores_as_unknown(classifier, fitted):
    _, rows, _ = fitted
    known = rows.head(3).assign(location=UNKNOWN, source_category=UNKNOWN)
    missing = known.assign(location=None, source_category=np.nan)

    np.testing.assert_array_equal(classifier.predict(missing)[1], classifier.predict(known)[1])


def test_missing_columns_or_values_are_refused_by_name(classifier, fitted):
    _, rows, _ = fitted

    with pytest.raises(KeyError, match="location"):
        classifier.predict(rows.drop(columns="location"))
    with pytest.raises(ValueError, match="log_followers"):
        classifier.predict(rows.head(2).assign(log_followers=[1.0, None]))


def test_the_model_takes_exactly_the_enriched_feature_columns(classifier):
    assert [graph_input.name for graph_input in classifier._session.get_inputs()] == list(MODEL_INPUTS)


def test_serving_imports_the_classifier_without_spark():
    code = "import sys, covid_tweets.onnx_model; assert not [m for m in sys.modules if m.startswith('pyspark')]"

    subprocess.run([sys.executable, "-c", code], check=True)
