"""Modeling nodes on small hand-made tweets: labels, the split, the encoding and the metrics."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame

from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, enrich_tweets, enriched_spark_schema
from covid_tweets.pipelines.modeling.nodes import (
    LABEL,
    classification_metrics,
    count_classes,
    curve_points,
    evaluate_majority_baseline,
    feature_names,
    fit_feature_encoder,
    label_tweets,
    select_best_candidate,
    split_train_test,
)

ENGAGED = {"name": "engaged", "source_column": "retweets", "threshold": 0}
IS_RETWEET = {"name": "is_retweet", "source_column": "is_retweet"}


def silver(spark, rows: list[dict]) -> DataFrame:
    """Silver rows of tweets given by a few fields; the others are missing."""
    tweets = pd.DataFrame([{"id": f"t{n}", "text": "Vaccines arrive #covid", **row} for n, row in enumerate(rows)])
    return spark.createDataFrame(enrich_tweets(tweets), enriched_spark_schema())


def labels_by_id(labelled: DataFrame) -> dict[str, float]:
    return {row.id: row[LABEL] for row in labelled.collect()}


def test_engaged_means_more_retweets_than_the_threshold_and_unknown_counts_are_left_out_with_a_log(spark, caplog):
    tweets = silver(spark, [{"retweets": count} for count in (0, 1, 5, None, 0, 2)])

    with caplog.at_level(logging.INFO, logger="covid_tweets.pipelines.modeling.nodes"):
        labelled = label_tweets(tweets, ENGAGED, min_rows_per_class=1)

    assert labels_by_id(labelled) == {"t0": 0.0, "t1": 1.0, "t2": 1.0, "t4": 0.0, "t5": 1.0}
    assert "label 'engaged': 5 tweets, 1 left out because 'retweets' is null" in caplog.messages
    assert labelled.columns == ["id", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES, LABEL]
    assert {labelled.schema[name].dataType.typeName() for name in NUMERIC_FEATURES} == {"double"}


def test_a_threshold_moves_the_boundary(spark):
    tweets = silver(spark, [{"retweets": count} for count in (0, 1, 2, 3)])

    labelled = label_tweets(tweets, {**ENGAGED, "threshold": 1}, min_rows_per_class=1)

    assert labels_by_id(labelled) == {"t0": 0.0, "t1": 0.0, "t2": 1.0, "t3": 1.0}


def test_the_original_is_retweet_label_can_be_chosen(spark):
    tweets = silver(spark, [{"is_retweet": value} for value in (True, False, None, True)])

    assert labels_by_id(label_tweets(tweets, IS_RETWEET, min_rows_per_class=1)) == {"t0": 1.0, "t1": 0.0, "t3": 1.0}


def test_booleans_become_numbers_rounded_as_onnx_sees_them(spark):
    tweets = silver(spark, [{"retweets": 0, "user_verified": True, "user_followers": 10}, {"retweets": 1}])

    first = label_tweets(tweets, ENGAGED, min_rows_per_class=1).where("id = 't0'").first()

    assert first.user_verified == 1.0
    assert first.log_followers == float(np.float32(np.log1p(10)))


@pytest.mark.parametrize(
    ("label", "rows", "message"),
    [
        (
            IS_RETWEET,
            [{"is_retweet": False}] * 7,
            "label 'is_retweet' has one class (False: 7); choose another label in parameters_modeling.yml",
        ),
        (
            ENGAGED,
            [{"retweets": 0}] * 5 + [{"retweets": 3}] * 2,
            "label 'engaged' has fewer than 3 tweets in a class (False: 5, True: 2); "
            "choose another label in parameters_modeling.yml or lower min_rows_per_class",
        ),
        (
            ENGAGED,
            [{"retweets": None}] * 4,
            "label 'engaged' has no tweets with a known value; choose another label in parameters_modeling.yml",
        ),
    ],
)
def test_a_label_that_cannot_train_a_classifier_stops_with_its_class_counts(spark, label, rows, message):
    with pytest.raises(ValueError) as raised:
        label_tweets(silver(spark, rows), label, min_rows_per_class=3)

    assert str(raised.value) == message


@pytest.fixture(scope="module")
def labelled(spark) -> DataFrame:
    """300 labelled tweets, one in four positive, spread over several partitions."""
    rows = [(f"tweet-{n}", float(n % 4 == 0)) for n in range(300)]
    return spark.createDataFrame(rows, ["id", LABEL]).repartition(3)


def ids(tweets: DataFrame) -> set[str]:
    return {row.id for row in tweets.select("id").collect()}


def test_the_split_is_stratified_disjoint_and_the_same_on_every_run(labelled):
    split = {"test_fraction": 0.2, "seed": 5}
    train, test = split_train_test(labelled, split)
    again_train, again_test = split_train_test(labelled.repartition(7), split)

    assert ids(test) == ids(again_test) and ids(train) == ids(again_train)
    assert not ids(train) & ids(test)
    assert ids(train) | ids(test) == ids(labelled)
    # 20% of each class: 45 of the 225 negatives, 15 of the 75 positives.
    assert count_classes(test) == {"negative": 45, "positive": 15}
    assert count_classes(train) == {"negative": 180, "positive": 60}


def test_another_seed_draws_another_test_set(labelled):
    _, test = split_train_test(labelled, {"test_fraction": 0.2, "seed": 5})
    _, other_test = split_train_test(labelled, {"test_fraction": 0.2, "seed": 6})

    assert ids(test) != ids(other_test)


def test_the_majority_baseline_predicts_the_train_majority_for_every_tweet():
    metrics = evaluate_majority_baseline({"negative": 70, "positive": 30}, {"negative": 14, "positive": 6})

    assert metrics == {
        "roc_auc": 0.5,
        "pr_auc": 0.3,
        "accuracy": 0.7,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "true_negatives": 14.0,
        "false_positives": 0.0,
        "false_negatives": 6.0,
        "true_positives": 0.0,
    }


def test_a_positive_majority_baseline_recalls_every_positive():
    metrics = evaluate_majority_baseline({"negative": 30, "positive": 70}, {"negative": 4, "positive": 6})

    assert (metrics["accuracy"], metrics["precision"], metrics["recall"]) == (0.6, 0.6, 1.0)
    assert metrics["f1"] == pytest.approx(0.75)


def test_classification_metrics_are_those_of_the_positive_class():
    confusion = {"true_negatives": 50, "false_positives": 10, "false_negatives": 20, "true_positives": 20}

    metrics = classification_metrics(confusion)

    assert metrics["accuracy"] == 0.7
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == 0.5
    assert metrics["f1"] == pytest.approx(4 / 7)


def located(spark, places: list[str]) -> DataFrame:
    """Labelled tweets sent from the given user locations, alternately negative and positive."""
    rows = [{"user_location": place, "retweets": n % 2} for n, place in enumerate(places)]
    return label_tweets(silver(spark, rows), ENGAGED, min_rows_per_class=1)


def test_only_the_most_frequent_train_locations_get_a_feature(spark):
    train = located(spark, ["Paris"] * 5 + ["Lagos"] * 4 + ["Lima"] * 3 + ["Oslo"])

    encoder = fit_feature_encoder(train, {"location": 2})

    names = feature_names(encoder)
    assert [name for name in names if name.startswith("location=")] == ["location=paris", "location=lagos"]
    assert names[: len(NUMERIC_FEATURES)] == list(NUMERIC_FEATURES)
    slots = [names.index("location=paris"), names.index("location=lagos")]
    scored = encoder.transform(located(spark, ["Paris", "Lima", "Atlantis"]))
    vectors = scored.select("id", vector_to_array("features").alias("values")).collect()
    location_values = {row.id: [row["values"][slot] for slot in slots] for row in vectors}
    # A rare train location and one never seen are encoded alike: no location feature set.
    assert location_values == {"t0": [1.0, 0.0], "t1": [0.0, 0.0], "t2": [0.0, 0.0]}


def test_curve_points_run_from_the_highest_score_to_every_tweet_predicted_positive():
    counts = pd.DataFrame(
        {"positive_score": [0.9, 0.9, 0.4, 0.1], LABEL: [1.0, 0.0, 1.0, 0.0], "count": [3, 1, 1, 5]}
    )

    points = curve_points(counts)

    assert points["threshold"].tolist() == [0.9, 0.4, 0.1]
    assert points["recall"].tolist() == [0.75, 1.0, 1.0]
    assert points["false_positive_rate"].tolist() == pytest.approx([1 / 6, 1 / 6, 1.0])
    assert points["precision"].tolist() == pytest.approx([0.75, 0.8, 0.4])


def test_the_best_candidate_has_the_highest_selection_metric_and_ties_go_to_the_first_name():
    models = {"forest": "forest model", "linear": "linear model", "tree": "tree model"}
    evaluations = {"tree": {"roc_auc": 0.8}, "linear": {"roc_auc": 0.9}, "forest": {"roc_auc": 0.9}}

    assert select_best_candidate(models, evaluations, "roc_auc") == ("forest", "forest model")
