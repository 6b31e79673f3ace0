"""Ingestion: the Kafka topic -> bronze tweets + quarantined messages (Delta)."""

from kedro.pipeline import Node, Pipeline

from .nodes import split_messages


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                split_messages,
                inputs=["tweet_messages", "params:accepted_schema_versions"],
                outputs=["bronze_tweets@table", "quarantined_messages"],
                name="split_messages",
            ),
        ]
    )
