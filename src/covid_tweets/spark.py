"""The one place a Spark session is built: Kedro's hook, the CLI and tests all call it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

from pyspark.sql import SparkSession

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
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def is_uri(path: str) -> bool:
    """Whether ``path`` names remote storage (dbfs:/, abfss://, s3://) rather than a local file."""
    return ":/" in path


def local_path_or_uri(path: str) -> str:
    """Make a local path absolute; leave a URI (dbfs:/, abfss://, s3://) as it is.

    Spark resolves relative paths against the JVM's working directory, which need
    not be the Python process's (a notebook or test may chdir): anchor them here.
    """
    if is_uri(path):
        return path
    return Path(path).resolve().as_posix()


def active_spark() -> SparkSession:
    """The session of this process: the one the hook built, or a plain local one."""
    return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
