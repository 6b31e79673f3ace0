"""Each stage of the road, measured on the local platform with synthetic tweets."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from covid_tweets.config import kafka_settings, load_config
from covid_tweets.producer import KafkaSink, generate_tweets, produce
from covid_tweets.spark import get_or_create_spark_session


def _row(stage: str, measurement: str, value: float, unit: str, note: str = "") -> dict[str, Any]:
    return {"stage": stage, "measurement": measurement, "value": round(value, 3), "unit": unit, "note": note}


def median_seconds(action: Callable[[], Any], repeats: int) -> float:
    """The median wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class Bench:
    """Runs the stages in the data's order on one scratch project and one topic."""

    STAGES = ("producer", "ingestion", "enrichment", "training", "serving", "end_to_end")

    def __init__(self, project: Path, tweets: int, demo_tweets: int, repeats: int) -> None:
        self.project = project.resolve()
        self.tweets = tweets
        self.demo_tweets = demo_tweets
        self.repeats = repeats
        self.kafka = kafka_settings(project_path=self.project)
        self.topic = f"bench-{uuid.uuid4().hex[:8]}"
        self.rows: list[dict[str, Any]] = []

    def run(self, skip: set[str]) -> list[dict[str, Any]]:
        with self._scratch_project() as scratch:
            self.scratch = scratch
            self.spark = get_or_create_spark_session(load_config("spark", project_path=self.project), self.project)
            for stage in self.STAGES:
                if stage not in skip:
                    print(f"benchmark: {stage} ...", flush=True)
                    getattr(self, f"bench_{stage}")()
        return self.rows

    # ---- stages ---------------------------------------------------------------------
    def bench_producer(self) -> None:
        sink = KafkaSink(self.kafka["bootstrap_servers"], self.topic)
        summary = produce(generate_tweets(self.tweets, seed=2020), sink, progress=False)
        self.rows.append(_row("producer", f"synthetic tweets into Kafka ({summary.delivered:,})", summary.messages_per_second, "msg/s"))

    def bench_ingestion(self) -> None:
        seconds = self._run_pipeline("ingestion")
        rows = self._table_rows("data/02_intermediate/bronze_tweets")
        count_only = self._spark_count_topic()
        self.rows.append(_row("ingestion", f"Kafka -> bronze + quarantine ({rows:,} rows)", rows / seconds, "rows/s"))
        self.rows.append(
            _row("ingestion", "Spark reading the topic, counting only", rows / count_only, "rows/s",
                 f"parse + quarantine + Delta MERGE cost x{(rows / count_only) / (rows / seconds):.1f}")
        )

    def bench_enrichment(self) -> None:
        seconds = self._run_pipeline("feature_enrichment", node_names=["enrich_new_tweets"])
        rows = self._table_rows("data/04_feature/silver_tweets")
        texts = [row.text for row in self.spark.read.format("delta").load(str(self.scratch / "data/02_intermediate/bronze_tweets")).select("text").limit(20_000).collect()]
        single = len(texts) / median_seconds(lambda: _textblob_sentiments(texts), max(1, self.repeats // 2))
        cores = os.cpu_count() or 1
        rate = rows / seconds
        self.rows.append(_row("enrichment", f"bronze -> silver, Spark mapInPandas ({rows:,})", rate, "tweets/s",
                              f"{rate / (single * cores):.2f} of the {cores}-core TextBlob limit"))
        self.rows.append(_row("enrichment", "TextBlob(text).sentiment, one process", single, "tweets/s",
                              f"limit on this machine: {single * cores:,.0f}/s"))

    def bench_training(self) -> None:
        seconds = self._run_pipeline("modeling")
        rows = self._table_rows("data/04_feature/silver_tweets")
        candidates = load_config("parameters", project_path=self.scratch)["candidates"]
        fits = sum(_grid_points(spec) for spec in candidates.values())
        self.rows.append(_row("training", f"modeling pipeline, {len(candidates)} candidates ({rows:,} rows)", seconds, "s",
                              f"{fits} grid points x CV folds"))
        selection = json.loads((self.scratch / "data/08_reporting/model_selection.json").read_text())
        for name, candidate in selection["candidates"].items():
            self.rows.append(_row("training", f"tuning {name}", candidate["tuning_seconds"], "s",
                                  f"{_grid_points(candidates[name])} grid points x {self._folds()} folds"))

    def bench_serving(self) -> None:
        from benchmarks.serving import measure_http_server

        self._run_pipeline("deployment")
        bundle = self.scratch / "data/06_models/serving_bundle"
        for row in measure_http_server(bundle, self.repeats):
            self.rows.append(row)

    def bench_end_to_end(self) -> None:
        with self._scratch_project() as project:
            environment = {**os.environ, "TWEETS_TOPIC": f"bench-e2e-{uuid.uuid4().hex[:8]}"}
            bin_dir = Path(sys.executable).parent
            started = time.perf_counter()
            subprocess.run([str(bin_dir / "covid-tweets"), "produce", "--count", str(self.demo_tweets), "--quiet"],
                           cwd=project, env=environment, check=True)
            subprocess.run([str(bin_dir / "kedro"), "run"], cwd=project, env=environment, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds = time.perf_counter() - started
        self.rows.append(_row("end_to_end", f"make run's job: produce + kedro run ({self.demo_tweets:,} tweets)", seconds, "s"))

    # ---- helpers --------------------------------------------------------------------
    @contextmanager
    def _scratch_project(self) -> Iterator[Path]:
        """A project folder sharing conf, settings and caches, with data of its own."""
        with tempfile.TemporaryDirectory(prefix="covid-tweets-bench-") as folder:
            scratch = Path(folder)
            for name in ("conf", "pyproject.toml", ".telemetry", ".cache"):
                (scratch / name).symlink_to(self.project / name)
            (scratch / "src").mkdir()  # Kedro wants one; the package itself is installed
            for layer in (self.project / "data").iterdir():
                if layer.is_dir():
                    (scratch / "data" / layer.name).mkdir(parents=True)
            yield scratch

    def _run_pipeline(self, name: str, **options: Any) -> float:
        from kedro.framework.session import KedroSession
        from kedro.framework.startup import bootstrap_project

        previous = Path.cwd()
        os.environ["TWEETS_TOPIC"] = self.topic
        os.chdir(self.scratch)
        try:
            bootstrap_project(self.scratch)
            with KedroSession.create(project_path=self.scratch) as session:
                started = time.perf_counter()
                session.run(pipeline_names=[name], **options)
                return time.perf_counter() - started
        finally:
            os.chdir(previous)

    def _folds(self) -> int:
        return load_config("parameters", project_path=self.scratch)["tuning"]["folds"]

    def _table_rows(self, path: str) -> int:
        return self.spark.read.format("delta").load(str(self.scratch / path)).count()

    def _spark_count_topic(self) -> float:
        """Seconds for Spark to read the whole topic and only count it."""
        query = (
            self.spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", self.kafka["bootstrap_servers"])
            .option("subscribe", self.topic)
            .option("startingOffsets", "earliest")
            .load()
            .writeStream.format("noop")
            .trigger(availableNow=True)
        )
        started = time.perf_counter()
        query.start().awaitTermination()
        return time.perf_counter() - started


def _textblob_sentiments(texts: list[str]) -> None:
    from textblob import TextBlob

    for text in texts:
        TextBlob(text).sentiment


def _grid_points(spec: dict[str, Any]) -> int:
    points = 1
    for values in (spec.get("grid") or {}).values():
        points *= len(values)
    return points
