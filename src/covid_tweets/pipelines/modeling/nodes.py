"""Modeling: silver tweets -> a tuned, evaluated engagement classifier, its ONNX twin and a registry release.

The label comes from parameters; tweets are split once into a train and a test set
(stratified, by a seeded hash of the id). Every candidate is tuned by cross-validation
on the train set only; the test set decides between candidates and against a
majority-class baseline.

Every stage of the fitted pipeline has an ONNX converter: categories are indexed
(most frequent first), one-hot encoded, assembled with the numbers, and a slicer keeps
the numbers and the top categories. A rare or unseen category is therefore all zeros,
in Spark and in ONNX alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # reports are files: never ask for a display

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from mlflow.models import ModelSignature, infer_signature
from pyspark.ml import PipelineModel
from pyspark.ml.classification import (
    DecisionTreeClassifier,
    GBTClassifier,
    LogisticRegression,
    ProbabilisticClassifier,
    RandomForestClassifier,
)
from pyspark.ml.evaluation import BinaryClassificationEvaluator, Evaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import OneHotEncoder, StringIndexer, StringIndexerModel, VectorAssembler, VectorSlicer
from pyspark.ml.functions import vector_to_array
from pyspark.ml.param import Param
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from covid_tweets.datasets.mlflow_release import ModelRelease
from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from covid_tweets.onnx_model import MODEL_INPUTS, OnnxClassifier, to_onnx
from covid_tweets.spark import active_spark

logger = logging.getLogger(__name__)

LABEL = "label"
"""The Spark ML label column: 1.0 for the positive class, 0.0 for the negative one."""

FEATURES = "features"
_ASSEMBLED = "assembled_features"
_POSITIVE_SCORE = "positive_score"

CLASSIFIERS = {
    cls.__name__: cls for cls in (DecisionTreeClassifier, LogisticRegression, RandomForestClassifier, GBTClassifier)
}
"""The classifiers a candidate may use: those onnxmltools converts."""

_BINARY_METRICS = {"roc_auc": "areaUnderROC", "pr_auc": "areaUnderPR"}
_CLASS_METRICS = {
    "accuracy": "accuracy",
    "f1": "fMeasureByLabel",
    "precision": "precisionByLabel",
    "recall": "recallByLabel",
}
SELECTION_METRICS: tuple[str, ...] = (*_BINARY_METRICS, *_CLASS_METRICS)
"""Held-out metrics that may pick the best candidate and the registry champion; all are larger-is-better."""

CONFUSION_CELLS: dict[tuple[float, float], str] = {
    (0.0, 0.0): "true_negatives",
    (0.0, 1.0): "false_positives",
    (1.0, 0.0): "false_negatives",
    (1.0, 1.0): "true_positives",
}
"""The cells of the confusion matrix by (label, prediction)."""

Evaluations = Mapping[str, Mapping[str, float]]
"""Test-set metrics by candidate name."""

BEST = "best"
BASELINE = "majority_baseline"


def best_metric_key(metric: str) -> str:
    """Return the run metric under which the registry records, and compares, a release's held-out ``metric``."""
    return f"{BEST}.test.{metric}"


# ---- label and split ---------------------------------------------------------


def label_tweets(silver_tweets: DataFrame, label: Mapping[str, Any], min_rows_per_class: int) -> DataFrame:
    """Return the id, model inputs and 0/1 label of every silver tweet whose label source is known."""
    source = F.col(label["source_column"])
    threshold = label.get("threshold")
    positive = source > threshold if threshold is not None else source.cast("boolean")
    counted = silver_tweets.groupBy(positive.alias("positive")).count().collect()
    counts = {row["positive"]: row["count"] for row in counted}
    excluded = counts.pop(None, 0)
    logger.info(
        "label %r: %d tweets, %d left out because %r is null",
        label["name"],
        sum(counts.values()),
        excluded,
        label["source_column"],
    )
    check_classes(label["name"], counts, min_rows_per_class)
    return silver_tweets.where(source.isNotNull()).select(
        "id",
        *(_float32_rounded(name) for name in NUMERIC_FEATURES),
        *CATEGORICAL_FEATURES,
        positive.cast("double").alias(LABEL),
    )


def _float32_rounded(name: str) -> Column:
    """The numeric (or boolean) column as a double holding its float32 value."""
    # ONNX scores float32 inputs: a tree threshold learnt between two doubles that
    # round to the same float32 would send that tweet the other way at serving time.
    return F.col(name).cast("float").cast("double").alias(name)


def check_classes(label_name: str, class_counts: Mapping[bool, int], min_rows_per_class: int) -> None:
    """Raise a ValueError naming the label and its class counts when it cannot train a classifier."""
    counts = ", ".join(f"{value}: {class_counts[value]}" for value in sorted(class_counts))
    advice = "choose another label in parameters_modeling.yml"
    if not class_counts:
        raise ValueError(f"label {label_name!r} has no tweets with a known value; {advice}")
    if len(class_counts) == 1:
        raise ValueError(f"label {label_name!r} has one class ({counts}); {advice}")
    if min(class_counts.values()) < min_rows_per_class:
        raise ValueError(
            f"label {label_name!r} has fewer than {min_rows_per_class} tweets in a class ({counts}); "
            f"{advice} or lower min_rows_per_class"
        )


def split_train_test(labelled_tweets: DataFrame, split: Mapping[str, Any]) -> tuple[DataFrame, DataFrame]:
    """Split labelled tweets into train and test sets, the same share of each class, by a seeded hash of the id."""
    # A hash of the id, unlike rand(), gives the same split whatever the partitioning.
    draw = F.xxhash64(F.lit(split["seed"]), F.col("id"))
    # Spark ranks each class in a single task: exact even for small classes, and fine for
    # millions of tweets.
    rank_in_class = F.percent_rank().over(Window.partitionBy(LABEL).orderBy(draw, "id"))
    in_test = labelled_tweets.withColumn("_in_test", rank_in_class < split["test_fraction"])
    return in_test.where(~F.col("_in_test")).drop("_in_test"), in_test.where("_in_test").drop("_in_test")


def count_classes(tweets: DataFrame) -> dict[str, int]:
    """Return how many tweets are negative and positive."""
    counts = {row[LABEL]: row["count"] for row in tweets.groupBy(LABEL).count().collect()}
    return {"negative": counts.get(0.0, 0), "positive": counts.get(1.0, 0)}


# ---- features and tuning -----------------------------------------------------


def fit_feature_encoder(train_tweets: DataFrame, max_categories: Mapping[str, int]) -> PipelineModel:
    """Fit on the train set the stages that turn model inputs into the ``features`` vector."""
    indexed = [f"{name}_index" for name in CATEGORICAL_FEATURES]
    encoded = [f"{name}_onehot" for name in CATEGORICAL_FEATURES]
    indexer = StringIndexer(
        inputCols=list(CATEGORICAL_FEATURES),
        outputCols=indexed,
        handleInvalid="keep",
        stringOrderType="frequencyDesc",
    ).fit(train_tweets)
    # handleInvalid="keep" with dropLast=True is the combination whose ONNX conversion
    # matches Spark; the slicer below drops the slot of unseen categories anyway.
    one_hot = OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep", dropLast=True).fit(
        indexer.transform(train_tweets)
    )
    assembler = VectorAssembler(inputCols=[*NUMERIC_FEATURES, *encoded], outputCol=_ASSEMBLED)
    slicer = VectorSlicer(
        inputCol=_ASSEMBLED, outputCol=FEATURES, indices=_kept_slots(indexer.labelsArray, max_categories)
    )
    return PipelineModel(stages=[indexer, one_hot, assembler, slicer])


def _kept_slots(labels_per_category: Sequence[Sequence[str]], max_categories: Mapping[str, int]) -> list[int]:
    """Positions in the assembled vector of the numbers and of each feature's most frequent categories."""
    slots = list(range(len(NUMERIC_FEATURES)))
    start = len(NUMERIC_FEATURES)
    for name, labels in zip(CATEGORICAL_FEATURES, labels_per_category):
        kept = min(len(labels), max_categories.get(name, len(labels)))
        slots.extend(range(start, start + kept))
        start += len(labels) + 1  # one slot per train category, plus one for unseen ones
    return slots


def feature_names(model: PipelineModel) -> list[str]:
    """Return the name of each element of the ``features`` vector, e.g. ``location=india``."""
    indexer = next(stage for stage in model.stages if isinstance(stage, StringIndexerModel))
    slicer = next(stage for stage in model.stages if isinstance(stage, VectorSlicer))
    assembled = list(NUMERIC_FEATURES)
    for name, labels in zip(CATEGORICAL_FEATURES, indexer.labelsArray):
        assembled.extend(f"{name}={label}" for label in labels)
        assembled.append(f"{name}=<unseen>")
    return [assembled[slot] for slot in slicer.getIndices()]


def tune_candidates(
    train_tweets: DataFrame,
    feature_encoder: PipelineModel,
    candidates: Mapping[str, Mapping[str, Any]],
    tuning: Mapping[str, Any],
    selection_metric: str,
) -> tuple[dict[str, PipelineModel], dict[str, dict[str, Any]]]:
    """Cross-validate each candidate's grid on the train set; return the refitted pipelines and what tuning chose."""
    evaluator = metric_evaluator(selection_metric)
    # Encoded once for every fold and grid point. The ML attributes of the vector are
    # dropped so that trees split one-hot slots by a threshold, as ONNX does: onnxmltools
    # reads a Spark categorical split as a threshold on its first category.
    features = F.col(FEATURES).alias(FEATURES, metadata={})
    train = feature_encoder.transform(train_tweets).select(features, LABEL).cache()
    models: dict[str, PipelineModel] = {}
    summaries: dict[str, dict[str, Any]] = {}
    try:
        for name, spec in candidates.items():
            started = time.perf_counter()
            classifier = candidate_classifier(spec)
            grid = _param_grid(classifier, spec.get("grid") or {})
            search = CrossValidator(
                estimator=classifier,
                estimatorParamMaps=grid,
                evaluator=evaluator,
                numFolds=tuning["folds"],
                parallelism=tuning["parallelism"],
                seed=tuning["seed"],
            ).fit(train)
            best = search.bestModel
            models[name] = PipelineModel(stages=[*feature_encoder.stages, best])
            chosen = {param.name: best.getOrDefault(param.name) for param in grid[0]}
            cv_metric = float(max(search.avgMetrics))
            summaries[name] = {
                "classifier": spec["classifier"],
                f"cv_{selection_metric}": cv_metric,
                "chosen": chosen,
                # What tuning this candidate costs: the report's reader weighs it against the gain.
                "tuning_seconds": round(time.perf_counter() - started, 2),
            }
            logger.info("candidate %r: cross-validated %s %.4f with %s", name, selection_metric, cv_metric, chosen)
    finally:
        train.unpersist()
    return models, summaries


def metric_evaluator(metric: str) -> Evaluator:
    """Return the Spark evaluator of a selection metric (positive class for per-class ones)."""
    if metric in _BINARY_METRICS:
        return BinaryClassificationEvaluator(
            labelCol=LABEL, rawPredictionCol="probability", metricName=_BINARY_METRICS[metric]
        )
    if metric in _CLASS_METRICS:
        return MulticlassClassificationEvaluator(labelCol=LABEL, metricName=_CLASS_METRICS[metric], metricLabel=1.0)
    raise ValueError(f"unknown selection_metric {metric!r}; choose one of {list(SELECTION_METRICS)}")


def candidate_classifier(spec: Mapping[str, Any]) -> ProbabilisticClassifier:
    """Return the unfitted classifier a candidate's parameters describe."""
    name = spec["classifier"]
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose one of {sorted(CLASSIFIERS)}")
    return CLASSIFIERS[name](labelCol=LABEL, featuresCol=FEATURES, **(spec.get("params") or {}))


def _param_grid(classifier: ProbabilisticClassifier, grid: Mapping[str, Sequence[Any]]) -> list[dict[Param, Any]]:
    """Return every combination of the grid's values (one empty combination for no grid)."""
    builder = ParamGridBuilder()
    for param_name, values in grid.items():
        builder.addGrid(classifier.getParam(param_name), list(values))
    return builder.build()


# ---- evaluation --------------------------------------------------------------


def evaluate_candidates(
    candidate_models: Mapping[str, PipelineModel], test_tweets: DataFrame
) -> dict[str, dict[str, float]]:
    """Return each candidate's test-set metrics and confusion counts (positive class)."""
    evaluations = {}
    for name, model in candidate_models.items():
        predictions = model.transform(test_tweets).select(LABEL, "prediction", "probability").cache()
        try:
            rows = predictions.groupBy(LABEL, "prediction").count().collect()
            confusion = confusion_counts({(row[LABEL], row["prediction"]): row["count"] for row in rows})
            areas = {metric: metric_evaluator(metric).evaluate(predictions) for metric in _BINARY_METRICS}
        finally:
            predictions.unpersist()
        evaluations[name] = {**areas, **classification_metrics(confusion)}
    return evaluations


def confusion_counts(counts: Mapping[tuple[float, float], int]) -> dict[str, int]:
    """Return the confusion cells from tweet counts per (label, prediction)."""
    return {cell: int(counts.get(key, 0)) for key, cell in CONFUSION_CELLS.items()}


def classification_metrics(confusion: Mapping[str, int]) -> dict[str, float]:
    """Return accuracy, and precision, recall and F1 of the positive class, with the confusion cells."""
    tp, fp, fn = confusion["true_positives"], confusion["false_positives"], confusion["false_negatives"]
    total = sum(confusion[cell] for cell in CONFUSION_CELLS.values())
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return {
        "accuracy": _ratio(tp + confusion["true_negatives"], total),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * precision * recall, precision + recall),
        **{cell: float(confusion[cell]) for cell in CONFUSION_CELLS.values()},
    }


def _ratio(numerator: float, denominator: float) -> float:
    """Return the ratio, 0 when the denominator is 0 (no positive predictions, say)."""
    return float(numerator / denominator) if denominator else 0.0


def evaluate_majority_baseline(
    train_class_counts: Mapping[str, int], test_class_counts: Mapping[str, int]
) -> dict[str, float]:
    """Return the test-set metrics of always predicting the train set's majority class."""
    predicts_positive = train_class_counts["positive"] > train_class_counts["negative"]
    negatives, positives = test_class_counts["negative"], test_class_counts["positive"]
    confusion = {
        "true_negatives": 0 if predicts_positive else negatives,
        "false_positives": negatives if predicts_positive else 0,
        "false_negatives": 0 if predicts_positive else positives,
        "true_positives": positives if predicts_positive else 0,
    }
    # One score for every tweet: ROC AUC 0.5, and the PR curve is flat at the positive rate.
    areas = {"roc_auc": 0.5, "pr_auc": _ratio(positives, negatives + positives)}
    return {**areas, **classification_metrics(confusion)}


def select_best_candidate(
    candidate_models: Mapping[str, PipelineModel],
    candidate_evaluations: Evaluations,
    selection_metric: str,
) -> tuple[str, PipelineModel]:
    """Return the name and pipeline of the candidate with the best held-out selection metric."""
    held_out = {name: evaluation[selection_metric] for name, evaluation in candidate_evaluations.items()}
    # Sorted names make a tie go to the same candidate every run.
    name = max(sorted(held_out), key=held_out.__getitem__)
    logger.info("best candidate: %r (test %s %.4f)", name, selection_metric, held_out[name])
    return name, candidate_models[name]


def collect_metrics(
    candidate_evaluations: Evaluations,
    baseline_evaluation: Mapping[str, float],
    tuning_summaries: Mapping[str, Mapping[str, Any]],
    best_candidate: str,
    train_class_counts: Mapping[str, int],
    test_class_counts: Mapping[str, int],
) -> dict[str, dict[str, float]]:
    """Return the metrics of the candidates, the baseline and the split, as kedro-mlflow logs them.

    Keys read ``<candidate>.test.<metric>``, ``<candidate>.cv_<metric>``,
    ``majority_baseline.test.<metric>`` and ``data.<split>.<class>``.
    """
    values: dict[str, float] = {}
    for name, evaluation in candidate_evaluations.items():
        values.update({f"{name}.test.{metric}": value for metric, value in evaluation.items()})
        cross_validated = {key: value for key, value in tuning_summaries[name].items() if key.startswith("cv_")}
        values.update({f"{name}.{key}": value for key, value in cross_validated.items()})
    values.update({f"{BASELINE}.test.{metric}": value for metric, value in baseline_evaluation.items()})
    for split, counts in (("train", train_class_counts), ("test", test_class_counts)):
        values.update({f"data.{split}.{cls}": counts[cls] for cls in ("negative", "positive")})
    return {key: {"value": float(value), "step": 0} for key, value in values.items()}


def summarise_selection(
    candidate_evaluations: Evaluations,
    baseline_evaluation: Mapping[str, float],
    tuning_summaries: Mapping[str, Mapping[str, Any]],
    best_candidate: str,
    selection_metric: str,
) -> dict[str, Any]:
    """Return a readable report of the selection: what each candidate chose, scored, and who won."""
    return {
        "selection_metric": selection_metric,
        "best_candidate": best_candidate,
        "candidates": {
            name: {**tuning_summaries[name], "test": dict(evaluation)}
            for name, evaluation in candidate_evaluations.items()
        },
        BASELINE: {"test": dict(baseline_evaluation)},
    }


# ---- plots -------------------------------------------------------------------


def count_scores(best_model: PipelineModel, test_tweets: DataFrame) -> pd.DataFrame:
    """Return how many test tweets of each class got each positive-class score (to 3 decimals)."""
    # Rounding bounds what reaches the driver to 2,002 rows whatever the test set's size.
    score = F.round(vector_to_array("probability")[1], 3).alias(_POSITIVE_SCORE)
    counts = best_model.transform(test_tweets).groupBy(score, LABEL).count()
    return counts.toPandas()


def curve_points(score_counts: pd.DataFrame) -> pd.DataFrame:
    """Return the ROC and precision-recall points of every score threshold, highest threshold first."""
    by_score = score_counts.pivot_table(
        index=_POSITIVE_SCORE, columns=LABEL, values="count", aggfunc="sum", fill_value=0
    ).reindex(columns=[0.0, 1.0], fill_value=0)
    by_score = by_score.sort_index(ascending=False)
    true_positives = by_score[1.0].cumsum().to_numpy(dtype=float)
    false_positives = by_score[0.0].cumsum().to_numpy(dtype=float)
    positives, negatives = true_positives[-1], false_positives[-1]
    return pd.DataFrame(
        {
            "threshold": by_score.index.to_numpy(),
            "false_positive_rate": false_positives / max(negatives, 1.0),
            "recall": true_positives / max(positives, 1.0),
            "precision": true_positives / np.maximum(true_positives + false_positives, 1.0),
        }
    )


def plot_roc_curve(score_counts: pd.DataFrame, candidate_evaluations: Evaluations, best_candidate: str) -> Figure:
    """Plot the best candidate's test-set ROC curve against chance."""
    points = curve_points(score_counts)
    auc = candidate_evaluations[best_candidate]["roc_auc"]
    figure = Figure(figsize=(6, 6), layout="constrained")
    axes = figure.subplots()
    axes.plot(
        [0.0, *points["false_positive_rate"]], [0.0, *points["recall"]], label=f"{best_candidate} (AUC {auc:.3f})"
    )
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(title="ROC curve (test set)", xlabel="false positive rate", ylabel="true positive rate")
    axes.set(xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return figure


def plot_precision_recall_curve(
    score_counts: pd.DataFrame, candidate_evaluations: Evaluations, best_candidate: str
) -> Figure:
    """Plot the best candidate's test-set precision-recall curve against the positive rate."""
    points = curve_points(score_counts)
    positive_rate = points["precision"].iloc[-1]  # predicting every tweet positive
    auc = candidate_evaluations[best_candidate]["pr_auc"]
    figure = Figure(figsize=(6, 6), layout="constrained")
    axes = figure.subplots()
    axes.plot(points["recall"], points["precision"], label=f"{best_candidate} (PR AUC {auc:.3f})")
    axes.axhline(positive_rate, linestyle="--", color="grey", label=f"positive rate {positive_rate:.3f}")
    axes.set(title="Precision-recall curve (test set)", xlabel="recall", ylabel="precision")
    axes.set(xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="upper right")
    return figure


def plot_confusion_matrix(
    candidate_evaluations: Evaluations, best_candidate: str, label: Mapping[str, Any]
) -> Figure:
    """Plot the best candidate's test-set confusion matrix with counts."""
    evaluation = candidate_evaluations[best_candidate]
    cells = np.zeros((2, 2))
    for (actual, predicted), cell in CONFUSION_CELLS.items():
        cells[int(actual), int(predicted)] = evaluation[cell]
    figure = Figure(figsize=(5.5, 4.5), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(cells, cmap="Blues")
    figure.colorbar(image, ax=axes)
    for (row, column), count in np.ndenumerate(cells):
        dark = count > cells.max() / 2
        axes.text(column, row, f"{int(count)}", ha="center", va="center", color="white" if dark else "black")
    classes = [f"not {label['name']}", label["name"]]
    axes.set(xticks=[0, 1], yticks=[0, 1], xticklabels=classes, yticklabels=classes)
    axes.set(xlabel="predicted", ylabel="actual")
    axes.set_title(f"Confusion matrix of {best_candidate} (test set)")
    return figure


def feature_importances(model: PipelineModel) -> pd.Series:
    """Return the classifier's weight of each feature: tree importances, or |coefficient| of a linear model."""
    classifier = model.stages[-1]
    if hasattr(classifier, "featureImportances"):
        weights = classifier.featureImportances.toArray()
    else:
        weights = np.abs(classifier.coefficients.toArray())
    return pd.Series(weights, index=feature_names(model)).sort_values(ascending=False)


def plot_feature_importance(best_model: PipelineModel, best_candidate: str, top_n: int) -> Figure:
    """Plot the best candidate's ``top_n`` most important features."""
    importances = feature_importances(best_model)
    importances = importances[importances > 0].head(top_n)[::-1]
    figure = Figure(figsize=(8, 0.3 * len(importances) + 1.5), layout="constrained")
    axes = figure.subplots()
    axes.barh(importances.index, importances.to_numpy(), color="#4c72b0")
    is_linear = not hasattr(best_model.stages[-1], "featureImportances")
    axes.set(title=f"Feature importance of {best_candidate}", xlabel="|coefficient|" if is_linear else "importance")
    return figure


# ---- ONNX and release --------------------------------------------------------


class OnnxParityError(RuntimeError):
    """The ONNX model does not predict what the Spark model predicts."""


def convert_to_onnx(best_model: PipelineModel) -> bytes:
    """Return the best model as a serialised ONNX graph."""
    return to_onnx(best_model, active_spark())


def check_onnx_parity(
    onnx_model: bytes, best_model: PipelineModel, test_tweets: DataFrame, parity: Mapping[str, Any]
) -> tuple[bytes, dict[str, float]]:
    """Return the ONNX model and how closely it matched Spark on the test set; raise if it does not match."""
    rows = test_tweets.orderBy("id").limit(parity["max_rows"])
    scored = best_model.transform(rows).select(
        *MODEL_INPUTS, "prediction", vector_to_array("probability")[1].alias(_POSITIVE_SCORE)
    ).toPandas()
    labels, probabilities = OnnxClassifier(onnx_model).predict(scored)
    different_labels = int((labels != scored["prediction"].to_numpy()).sum())
    largest_difference = float(np.abs(probabilities - scored[_POSITIVE_SCORE].to_numpy()).max(initial=0.0))
    tolerance = parity["probability_tolerance"]
    if different_labels or largest_difference > tolerance:
        raise OnnxParityError(
            f"the ONNX model disagrees with Spark on the test set: {different_labels} of {len(scored)} labels "
            f"differ and probabilities differ by up to {largest_difference:.2e} (tolerance {tolerance:.0e})"
        )
    logger.info("ONNX matches Spark on %d test tweets (probabilities within %.1e)", len(scored), largest_difference)
    return onnx_model, {"rows": float(len(scored)), "max_probability_difference": largest_difference}


def package_release(
    best_model: PipelineModel,
    best_candidate: str,
    candidate_evaluations: Evaluations,
    test_tweets: DataFrame,
    onnx_parity: Mapping[str, float],
    label: Mapping[str, Any],
    selection_metric: str,
    registered_model_name: str,
) -> ModelRelease:
    """Return the best model with what registering it needs: signature, input example and held-out metric."""
    rows = test_tweets.orderBy("id").limit(5)
    example = best_model.transform(rows).select(*MODEL_INPUTS, "prediction").toPandas()
    signature: ModelSignature = infer_signature(example[list(MODEL_INPUTS)], example[["prediction"]])
    return ModelRelease(
        model=best_model,
        registered_model_name=registered_model_name,
        metric_key=best_metric_key(selection_metric),
        metric_value=float(candidate_evaluations[best_candidate][selection_metric]),
        signature=signature,
        input_example=example[list(MODEL_INPUTS)],
        tags={
            "candidate": best_candidate,
            "classifier": type(best_model.stages[-1]).__name__,
            "label": label["name"],
            "selection_metric": selection_metric,
            "onnx_max_probability_difference": f"{onnx_parity['max_probability_difference']:.3e}",
        },
    )
