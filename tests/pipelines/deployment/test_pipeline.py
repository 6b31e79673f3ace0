"""Deployment on a real registry: the bundle serves what the batch pipeline predicts."""

import json

import pytest
import yaml
from kedro.io import DatasetError

from covid_tweets.producer import generate_tweets
from covid_tweets.schema import encode_message
from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import tweets_frame, validate_payload
from support import load_dataset, run_pipeline, send_messages

# One quick candidate: this module tests deployment, not tuning.
QUICK_MODELING = {
    "candidates": {
        "logistic_regression": {"classifier": "LogisticRegression", "params": {"maxIter": 50}, "grid": {"regParam": [0.01]}}
    },
    "tuning": {"folds": 2, "parallelism": 2, "seed": 7},
}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, kafka, spark):
    """A scratch project that ran every pipeline on 3,000 synthetic tweets."""
    from support import PROJECT_PATH, make_scratch_project

    project = make_scratch_project(tmp_path_factory.mktemp("deployed"), PROJECT_PATH)
    (project / "conf/local/parameters_modeling.yml").write_text(yaml.safe_dump(QUICK_MODELING))
    tweets = list(generate_tweets(3000, seed=11))
    topic = f"deploy-{project.parent.name}"
    send_messages(kafka, topic, [encode_message(t) for t in tweets])
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_pipeline(project, monkeypatch, "__default__", TWEETS_TOPIC=topic)
        yield project, tweets, topic, monkeypatch


def test_the_bundle_serves_the_predictions_the_batch_pipeline_wrote(deployed):
    project, tweets, _, monkeypatch = deployed
    batch = {
        row.id: (row.prediction, row.probability, row.model_version)
        for row in load_dataset(project, monkeypatch, "tweet_predictions").collect()
    }
    assert len(batch) == len(tweets)

    record = json.loads((project / "data/08_reporting/deployment.json").read_text())
    scorer = TweetScorer.from_bundle(record["bundle"])
    served = scorer.score(tweets_frame(validate_payload(tweets, max_batch=len(tweets))))

    assert {answer["model_version"] for answer in served} == {record["model_version"]}
    for answer in served:
        prediction, probability, version = batch[answer["id"]]
        assert answer["prediction"] == prediction
        assert answer["probability"] == pytest.approx(probability, abs=1e-6)
        assert version == record["model_version"]


def test_batch_scoring_is_incremental(deployed):
    project, tweets, topic, monkeypatch = deployed
    run_pipeline(project, monkeypatch, "deployment", TWEETS_TOPIC=topic)
    assert load_dataset(project, monkeypatch, "tweet_predictions").count() == len(tweets)


def test_the_azure_target_without_credentials_says_what_to_set(deployed):
    project, _, topic, monkeypatch = deployed
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(DatasetError, match="Azure ML target needs AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"):
        run_pipeline(project, monkeypatch, "deployment", env="azure", TWEETS_TOPIC=topic)
