"""The one place a Spark session is built: Kedro's hook, the CLI and tests all call it."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

from pyspark.sql import SparkSession

from covid_tweets.storage import is_uri
from covid_tweets.writer_lock import exclusive_writer

# Settings that name a folder; a relative value is anchored at the project so that
# the Ivy cache and the warehouse stay inside it whatever the working directory.
_PATH_SETTINGS = ("spark.jars.ivy", "spark.sql.warehouse.dir")


def spark_settings(conf: Mapping[str, Any], project_path: Path | None = None) -> dict[str, str]:
    """Return spark.yml's settings as strings, with folder settings made absolute."""
    settings = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in conf.items()}
    if project_path is not None:
        for key in _PATH_SETTINGS:
            if key in settings and not Path(settings[key]).is_absolute():
                settings[key] = str((Path(project_path) / settings[key]).resolve())
    return settings


def get_or_create_spark_session(conf: Mapping[str, Any], project_path: Path | None = None) -> SparkSession:
    """Return the active Spark session, or build one from spark.yml's settings.

    An existing session (Databricks, a notebook, a test fixture) is reused as it is:
    its jars and extensions were set by whoever started it.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # Python workers (mapInPandas) must import this project: run them on this interpreter.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = spark_settings(conf, project_path)
    builder = SparkSession.builder.appName(settings.pop("spark.app.name", "covid-tweets"))
    if "spark.master" in settings:
        builder = builder.master(settings.pop("spark.master"))
    for key, value in settings.items():
        builder = builder.config(key, value)
    with fetching_jars_alone(settings):
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


@contextmanager
def fetching_jars_alone(settings: Mapping[str, str]) -> Iterator[None]:
    """Let one process at a time fetch spark.jars.packages into an empty Ivy cache.

    Two runs starting together on a fresh clone would download the same jars into
    the same folder at once and leave broken files; once the cache holds them,
    starts only read it and need no lock.
    """
    packages, ivy = settings.get("spark.jars.packages"), settings.get("spark.jars.ivy")
    if not packages or not ivy or is_uri(ivy):
        yield
        return
    fetched = Path(ivy) / f".fetched-{hashlib.sha256(packages.encode()).hexdigest()[:16]}"
    if fetched.exists():
        yield
        return
    with exclusive_writer(f"{ivy}.lock", f"the Ivy jar cache {ivy}", timeout_s=900):
        yield
        fetched.parent.mkdir(parents=True, exist_ok=True)
        fetched.touch()


def active_spark() -> SparkSession:
    """The session of this process: the one the hook built, or a plain local one."""
    return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
