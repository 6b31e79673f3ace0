"""The modeling pipeline end to end: real Spark, Delta, MLflow tracking and registry (SQLite)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient
from pyspark.sql import functions as F

from covid_tweets.datasets.mlflow_release import CurrentChampion, ModelRelease, decide_champion
from covid_tweets.features import enrich_tweets, enriched_spark_schema
from covid_tweets.onnx_model import OnnxClassifier
from covid_tweets.producer.csv_source import read_csv_tweets
from covid_tweets.producer.records import Reject
from covid_tweets.producer.synthetic import generate_tweets
from support import run_pipeline, shared_sample

REGISTERED_MODEL = "covid-tweets-engagement"
PLOTS = {"roc_curve.png", "precision_recall_curve.png", "confusion_matrix.png", "feature_importance.png"}


def enriched(tweets: Iterable[dict]) -> pd.DataFrame:
    """The silver rows of tweet dicts, without the enrichment timestamp."""
    return enrich_tweets(pd.DataFrame(list(tweets)))


def write_silver(spark, project: Path, silver: pd.DataFrame) -> None:
    """Write the rows as the Delta table the project's catalog reads as silver_tweets."""
    catalog = yaml.safe_load((project / "conf" / "base" / "catalog.yml").read_text())
    table = spark.createDataFrame(silver, enriched_spark_schema()).withColumn("enriched_at", F.current_timestamp())
    table.write.format("delta").mode("overwrite").save(str(project / catalog["silver_tweets@table"]["filepath"]))


def run_modeling(project: Path, monkeypatch) -> None:
    """Run the modeling pipeline in this process, as `kedro run --pipeline modeling` would."""
    run_pipeline(project, monkeypatch, "modeling")


def override_parameters(project: Path, parameters: dict) -> None:
    """Replace top-level modeling parameters for the scratch project's next runs."""
    (project / "conf" / "local" / "parameters_modeling.yml").write_text(yaml.safe_dump(parameters))


def registry(project: Path) -> MlflowClient:
    """A client of the scratch project's tracking database and registry."""
    return MlflowClient(tracking_uri=f"sqlite:///{project}/data/mlflow/mlflow.db")


def held_out_metrics(client: MlflowClient, version) -> dict[str, dict[str, float]]:
    """The test-set metrics a version's run logged: of its candidate, of the baseline, and class counts."""
    logged = client.get_run(version.run_id).data.metrics
    metrics = {"champion": {}, "baseline": {}, "data": {}}
    for key, value in logged.items():
        for who, prefix in (
            ("champion", f"modeling.{version.tags['candidate']}.test."),
            ("baseline", "modeling.majority_baseline.test."),
            ("data", "modeling.data.test."),
        ):
            if key.startswith(prefix):
                metrics[who][key.removeprefix(prefix)] = value
    return metrics


def sample_tweets(name: str) -> list[dict]:
    """The tweets of a real sample in ../shared/data (the test skips when it is not there)."""
    return [item for item in read_csv_tweets(shared_sample(name)) if not isinstance(item, Reject)]


# One candidate each, to keep this test about the registry quick; the vaccination test
# runs the default candidates and grids.
LINEAR = {"logistic_regression": {"classifier": "LogisticRegression", "params": {"regParam": 0.001}}}
STUMP = {"stump": {"classifier": "DecisionTreeClassifier", "grid": {"maxDepth": [1]}}}


@pytest.fixture(scope="module")
def synthetic_silver() -> pd.DataFrame:
    return enriched(generate_tweets(6000, seed=11))


def test_the_champion_is_registered_and_a_worse_model_does_not_take_its_alias(
    spark, kedro_project, monkeypatch, synthetic_silver, tmp_path
):
    write_silver(spark, kedro_project, synthetic_silver)
    override_parameters(kedro_project, {"candidates": LINEAR})
    started = time.monotonic()
    run_modeling(kedro_project, monkeypatch)
    print(f"modeling on {len(synthetic_silver)} synthetic tweets: {time.monotonic() - started:.0f} s")

    client = registry(kedro_project)
    champion = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    metrics = held_out_metrics(client, champion)
    print(f"synthetic tweets, champion {champion.tags['candidate']}: {metrics}")
    assert metrics["champion"]["roc_auc"] >= 0.75
    assert client.get_run(champion.run_id).data.metrics["best.test.roc_auc"] == metrics["champion"]["roc_auc"]
    assert metrics["champion"]["accuracy"] > metrics["baseline"]["accuracy"]
    assert champion.tags["champion_decision"].startswith("promoted: no champion yet")
    assert champion.tags["label"] == "engaged"
    artifacts = {artifact.path for artifact in client.list_artifacts(champion.run_id)}
    assert {"model", "model.onnx", "model_selection.json", *PLOTS} <= artifacts
    assert {path.name for path in (kedro_project / "data" / "06_models").iterdir()} >= {"model.onnx", "best_model"}
    selection = json.loads((kedro_project / "data" / "08_reporting" / "model_selection.json").read_text())
    assert set(selection["candidates"]) == set(LINEAR)
    assert all(candidate["tuning_seconds"] > 0 for candidate in selection["candidates"].values())

    # The ONNX artifact is the model deployment serves: it scores enriched tweets directly.
    onnx_path = mlflow.artifacts.download_artifacts(
        run_id=champion.run_id, artifact_path="model.onnx", dst_path=str(tmp_path), tracking_uri=client.tracking_uri
    )
    labels, probabilities = OnnxClassifier(Path(onnx_path).read_bytes()).predict(synthetic_silver.head(50))
    assert set(labels) <= {0, 1} and ((probabilities >= 0) & (probabilities <= 1)).all()

    override_parameters(kedro_project, {"candidates": STUMP})
    run_modeling(kedro_project, monkeypatch)

    versions = client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    assert len(versions) == 2
    assert client.get_model_version_by_alias(REGISTERED_MODEL, "champion").version == champion.version
    worse = next(version for version in versions if version.version != champion.version)
    reason = worse.tags["champion_decision"]
    assert reason.startswith(f"kept version {champion.version}: best.test.roc_auc ")
    assert "does not beat" in reason
    assert client.get_run(worse.run_id).data.tags["champion_decision"] == reason


def test_on_the_vaccination_sample_the_champion_beats_the_majority_baseline(spark, kedro_project, monkeypatch):
    silver = enriched(sample_tweets("vaccination_tweets_sample.csv"))
    write_silver(spark, kedro_project, silver)

    run_modeling(kedro_project, monkeypatch)

    client = registry(kedro_project)
    champion = client.get_model_version_by_alias(REGISTERED_MODEL, "champion")
    metrics = held_out_metrics(client, champion)
    print(f"vaccination sample, champion {champion.tags['candidate']}: {metrics}")
    positive_rate = metrics["data"]["positive"] / (metrics["data"]["positive"] + metrics["data"]["negative"])
    assert metrics["champion"]["roc_auc"] > metrics["baseline"]["roc_auc"] + 0.1
    assert metrics["champion"]["pr_auc"] > positive_rate + 0.1
    assert metrics["champion"]["accuracy"] > metrics["baseline"]["accuracy"]


def test_the_original_label_on_the_covid19_sample_stops_the_run_naming_its_single_class(
    spark, kedro_project, monkeypatch
):
    silver = enriched(sample_tweets("covid19_tweets_sample.csv"))
    write_silver(spark, kedro_project, silver)
    override_parameters(kedro_project, {"label": {"name": "is_retweet", "source_column": "is_retweet"}})

    with pytest.raises(ValueError) as raised:
        run_modeling(kedro_project, monkeypatch)

    assert str(raised.value) == (
        f"label 'is_retweet' has one class (False: {len(silver)}); choose another label in parameters_modeling.yml"
    )


# ---- the champion decision on its own ----------------------------------------


def release(value: float, label: str = "engaged") -> ModelRelease:
    return ModelRelease(
        model=None,
        registered_model_name=REGISTERED_MODEL,
        metric_key="best.test.roc_auc",
        metric_value=value,
        signature=None,
        input_example=pd.DataFrame(),
        tags={"label": label},
    )


@pytest.mark.parametrize(
    ("champion", "promote", "reason"),
    [
        (None, True, "promoted: no champion yet (best.test.roc_auc 0.8000)"),
        (CurrentChampion("3", 0.75, "engaged"), True, "promoted: best.test.roc_auc 0.8000 beats 0.7500 of version 3"),
        (
            CurrentChampion("3", 0.8, "engaged"),
            False,
            "kept version 3: best.test.roc_auc 0.8000 does not beat 0.8000 of version 3",
        ),
        (
            CurrentChampion("3", 0.5, "is_retweet"),
            False,
            "kept version 3: it predicts 'is_retweet', this version 'engaged'; "
            "register models of another label under another name",
        ),
        (
            CurrentChampion("3", None, "engaged"),
            False,
            "kept version 3: its run has no best.test.roc_auc to compare with",
        ),
    ],
)
def test_the_alias_moves_only_to_a_strictly_better_model_of_the_same_label(champion, promote, reason):
    decision = decide_champion(release(0.8), champion)
    assert (decision.promote, decision.reason) == (promote, reason)
