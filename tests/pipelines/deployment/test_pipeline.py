"""Deployment on a real registry: the bundle serves what the batch pipeline predicts."""

import json

import pytest
from kedro.io import DatasetError

from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import tweets_frame, validate_payload
from support import load_dataset, run_pipeline

def test_the_bundle_serves_the_predictions_the_batch_pipeline_wrote(deployed_project):
    project, tweets, _, monkeypatch = deployed_project
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


def test_batch_scoring_is_incremental(deployed_project):
    project, tweets, topic, monkeypatch = deployed_project
    run_pipeline(project, monkeypatch, "deployment", TWEETS_TOPIC=topic)
    assert load_dataset(project, monkeypatch, "tweet_predictions").count() == len(tweets)


def test_the_azure_target_without_credentials_says_what_to_set(deployed_project):
    project, _, topic, monkeypatch = deployed_project
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(DatasetError, match="Azure ML target needs AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"):
        run_pipeline(project, monkeypatch, "deployment", env="azure", TWEETS_TOPIC=topic)
