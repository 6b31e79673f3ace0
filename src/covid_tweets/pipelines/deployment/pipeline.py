"""Deployment: the champion -> serving bundle + deployment record; silver -> predictions."""

from kedro.pipeline import Node, Pipeline

from .nodes import describe_deployment, prepare_serving_bundle, score_new_tweets


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(prepare_serving_bundle, ["champion_model@serving", "params:deployment"], "serving_bundle", name="prepare_serving_bundle"),
            Node(
                describe_deployment,
                ["serving_bundle", "champion_model@serving", "params:deployment", "params:serving"],
                "deployment_record",
                name="describe_deployment",
            ),
            Node(score_new_tweets, ["silver_tweets@stream", "champion_model@serving"], "tweet_predictions", name="score_new_tweets"),
        ]
    )
