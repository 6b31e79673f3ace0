"""The deployment record states the settings the bundle is served with, defaults included."""

import pytest

from covid_tweets.datasets.registered_model import ChampionModel
from covid_tweets.pipelines.deployment.nodes import describe_deployment

CHAMPION = ChampionModel(name="covid-tweets-engagement", version="3", run_id="r1", metrics={}, model_onnx=b"")


def test_the_record_says_auth_is_on_when_the_parameters_leave_it_out():
    record = describe_deployment("data/06_models/serving_bundle", CHAMPION, {"target": "azureml"}, {"port": 8000})

    assert record["deployment"]["auth_enabled"] is True
    assert record["target"] == "azureml"
    assert record["model_version"] == "3"
    assert record["serve_command"] == "covid-tweets serve --bundle data/06_models/serving_bundle --port 8000"


def test_a_setting_the_bundle_would_refuse_is_refused_in_the_record_too():
    with pytest.raises(ValueError, match=r"unknown deployment settings \['primary_key'\]"):
        describe_deployment("bundle", CHAMPION, {"primary_key": "secret"}, {"port": 8000})
