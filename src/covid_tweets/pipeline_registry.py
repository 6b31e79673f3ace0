"""The project's pipelines: each stage on its own, and all of them in order."""

from kedro.pipeline import Pipeline

from covid_tweets.pipelines import deployment, feature_enrichment, ingestion, modeling

STAGES = ("ingestion", "feature_enrichment", "modeling", "deployment")


def register_pipelines() -> dict[str, Pipeline]:
    """Map each pipeline name to a Pipeline; ``__default__`` runs every stage."""
    pipelines = {
        "ingestion": ingestion.create_pipeline(),
        "feature_enrichment": feature_enrichment.create_pipeline(),
        "modeling": modeling.create_pipeline(),
        "deployment": deployment.create_pipeline(),
    }
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
