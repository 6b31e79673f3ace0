"""Project hooks: the Spark session is created once the Kedro context exists; MLflow database errors are explained."""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from typing import Any

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

from covid_tweets.errors import first_line
from covid_tweets.mlflow_database import (
    MlflowDatabaseError,
    already_explained,
    database_failure,
    database_message,
    explained_database_errors,
    prepare_sqlite_database,
)
from covid_tweets.spark import get_or_create_spark_session

logger = logging.getLogger(__name__)


class SparkHooks:
    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Start (or reuse) the Spark session described by conf/<env>/spark.yml."""
        get_or_create_spark_session(context.config_loader["spark"], context.project_path)


class MlflowDatabaseHooks:
    """Turns kedro-mlflow's failures on an unusable SQLite tracking database into errors naming it and the fix.

    They wrap the other hooks: the database is checked before kedro-mlflow opens it, and
    a locked database (MLflow waits 20 s for it, then fails) is reported as such, saying
    what was left undone, instead of as a raw SQL error.
    """

    def __init__(self) -> None:
        self._tracking_uri = ""
        self._run_id: str | None = None

    @hook_impl(wrapper=True)
    def after_context_created(self, context: KedroContext) -> Generator[None, Any, Any]:
        """Check the tracking database before kedro-mlflow opens it; explain its failure too."""
        self._tracking_uri = _configured_tracking_uri(context)
        not_started = "the Kedro run did not start: nothing was logged or registered"
        prepare_sqlite_database(self._tracking_uri, not_started)
        return (yield from self._explaining(not_started))

    @hook_impl(wrapper=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> Generator[None, Any, Any]:
        """Explain a failure of kedro-mlflow to start the run; note which run it started."""
        results = yield from self._explaining("the pipeline did not start: no model was registered")
        active = mlflow.active_run()  # the process's run stack: no database call
        self._run_id = active.info.run_id if active else None
        return results

    @hook_impl(wrapper=True)
    def after_pipeline_run(
        self, run_params: dict[str, Any], run_result: Any, pipeline: Any, catalog: Any
    ) -> Generator[None, Any, Any]:
        """Explain a failure of kedro-mlflow to close a finished run."""
        consequence = "the pipeline finished (its registry changes stand) but its MLflow run is still marked RUNNING"
        return (yield from self._explaining(consequence))

    @hook_impl(wrapper=True)
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Any, catalog: Any
    ) -> Generator[None, Any, Any]:
        """Report the pipeline's own error, explained, even when kedro-mlflow cannot close the failed run."""
        results = []
        try:
            results = yield
        except Exception as closing:
            closing_cause = database_failure(closing)
            if closing_cause is None:
                raise
            # Raising this would hide the pipeline's own error behind a second one about the same database.
            run = f"MlflowClient().set_terminated('{self._run_id}', 'FAILED')" if self._run_id else "mark it FAILED"
            consequence = f"the failed MLflow run {self._run_id} stays marked RUNNING (once the database is free, {run})"
            logger.warning(database_message(self._tracking_uri, closing_cause, consequence))
        cause = database_failure(error)
        if cause is not None and not already_explained(error):
            stopped = first_line(error, 200) or type(error).__name__
            consequence = f"the pipeline stopped ({stopped})"
            raise MlflowDatabaseError(database_message(self._tracking_uri, cause, consequence)) from error
        return results

    def _explaining(self, consequence: str) -> Generator[None, Any, Any]:
        """Run the wrapped hooks; re-raise a database failure of theirs as an error saying ``consequence``."""
        with explained_database_errors(self._tracking_uri, consequence):
            return (yield)


def _configured_tracking_uri(context: KedroContext) -> str:
    """The tracking URI kedro-mlflow is about to use (mlflow.yml, else MLFLOW_TRACKING_URI); empty if none."""
    if mlflow.active_run():  # kedro-mlflow then logs into that run's store and ignores mlflow.yml
        return mlflow.get_tracking_uri()
    try:
        server = context.config_loader["mlflow"].get("server") or {}
    except MissingConfigException:
        server = {}
    return server.get("mlflow_tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI", "")
