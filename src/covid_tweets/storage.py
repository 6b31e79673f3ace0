"""Where a dataset lives: a local path, or remote storage (dbfs:/, abfss://, s3://) named by a URI."""

from __future__ import annotations

from pathlib import Path


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
