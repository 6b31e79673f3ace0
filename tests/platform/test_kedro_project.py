"""The Kedro project itself: pipelines registered, runs tracked in the MLflow database."""

import json
import sqlite3

from support import run_kedro

STAGES = ["ingestion", "feature_enrichment", "modeling", "deployment"]


def test_registry_lists_the_four_stages_and_the_default(kedro_project):
    result = run_kedro(kedro_project, "registry", "list")
    assert result.returncode == 0, result.stderr
    for name in [*STAGES, "__default__"]:
        assert f"- {name}" in result.stdout


def test_telemetry_is_off_for_every_clone(kedro_project):
    assert (kedro_project / ".telemetry").read_text().strip() == "consent: false"


def test_a_run_is_recorded_in_the_mlflow_database(kedro_project, topic):
    result = run_kedro(kedro_project, "run", "--pipeline", "ingestion", env={"TWEETS_TOPIC": topic})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    database = kedro_project / "data" / "mlflow" / "mlflow.db"
    with sqlite3.connect(database) as connection:
        runs = connection.execute(
            "SELECT runs.name, runs.status FROM runs JOIN experiments USING (experiment_id) "
            "WHERE experiments.name = 'covid-tweets'"
        ).fetchall()
    assert runs == [("ingestion", "FINISHED")]


def test_viz_builds_a_static_site_offline_with_every_pipeline(kedro_project):
    result = run_kedro(kedro_project, "viz", "build")
    assert result.returncode == 0, result.stderr[-3000:]

    site = json.loads((kedro_project / "build" / "api" / "main").read_text())
    assert [pipeline["id"] for pipeline in site["pipelines"]] == [*STAGES, "__default__"]
    assert "heap" not in (kedro_project / "build" / "index.html").read_text()  # no analytics injected
