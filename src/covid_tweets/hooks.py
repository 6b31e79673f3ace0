"""Project hooks: the Spark session is created once the Kedro context exists."""

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

from covid_tweets.spark import get_or_create_spark_session


class SparkHooks:
    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Start (or reuse) the Spark session described by conf/<env>/spark.yml."""
        get_or_create_spark_session(context.config_loader["spark"], context.project_path)
