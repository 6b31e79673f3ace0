"""feature_enrichment survives a crash: silver stays readable and the next run completes it."""

import os
import signal

import pytest
import yaml

from covid_tweets.producer import generate_tweets
from covid_tweets.schema import encode_message
from support import delta_commits, load_dataset, run_pipeline, send_messages, start_kedro, wait_for

SILVER = "data/04_feature/silver_tweets"


@pytest.mark.slow
def test_a_run_killed_while_writing_silver_resumes_without_loss_or_duplicates(kedro_project, kafka, topic, monkeypatch):
    send_messages(kafka, topic, [encode_message(t) for t in generate_tweets(1500, seed=5)])
    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)
    bronze_ids = {row.id for row in load_dataset(kedro_project, monkeypatch, "bronze_tweets@table").select("id").collect()}

    # One bronze file per micro-batch, so that the run is caught between two silver commits.
    local_catalog = kedro_project / "conf" / "local" / "catalog.yml"
    catalog = yaml.safe_load((kedro_project / "conf" / "base" / "catalog.yml").read_text())
    source = catalog["bronze_tweets@stream"]
    source["options"]["maxFilesPerTrigger"] = 1
    local_catalog.write_text(yaml.safe_dump({"bronze_tweets@stream": source}))

    log = kedro_project / "killed-enrichment.log"
    run = start_kedro(kedro_project, "run", "--pipeline", "feature_enrichment", log=log, env={"TWEETS_TOPIC": topic})
    # Version 0 creates the table; each later version is one micro-batch.
    wait_for(lambda: delta_commits(kedro_project / SILVER) >= 4, run, log, "three silver micro-batches")
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(30)

    partial = load_dataset(kedro_project, monkeypatch, "silver_tweets@table")
    assert 0 < partial.count() < len(bronze_ids)
    assert partial.select("id").distinct().count() == partial.count()

    local_catalog.unlink()  # the next run reads at its usual pace from where the killed one stopped
    run_pipeline(kedro_project, monkeypatch, "feature_enrichment", TWEETS_TOPIC=topic)
    silver = load_dataset(kedro_project, monkeypatch, "silver_tweets@table")
    assert silver.count() == len(bronze_ids)
    assert {row.id for row in silver.select("id").collect()} == bronze_ids
