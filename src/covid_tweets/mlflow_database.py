"""MLflow's SQLite tracking database: one explanation of its failures, and a safe first use.

The release dataset, the registry reader and the project hooks all report a locked or
unusable database through these functions, so that every MLflow step names the file,
what was left undone and the fix in the same words.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kedro.io import DatasetError
from mlflow import MlflowClient

from covid_tweets.writer_lock import exclusive_writer

class MlflowDatabaseError(DatasetError):
    """MLflow's SQLite database cannot be used: locked by another process, or not openable or writable."""


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking or registry URI; None for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then each error it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_failure(error: BaseException) -> sqlite3.OperationalError | None:
    """The SQLite error behind a failed MLflow call, if the database is what failed."""
    # The driver's own error, under MLflow's and SQLAlchemy's wrappers (whose text repeats the SQL).
    return next((cause for cause in exception_chain(error) if isinstance(cause, sqlite3.OperationalError)), None)


def already_explained(error: BaseException) -> bool:
    """Whether the error already is, or wraps, one that explains the database failure."""
    return any(isinstance(cause, MlflowDatabaseError) for cause in exception_chain(error))


@contextmanager
def explained_database_errors(uri: str, consequence: str | Callable[[], str]) -> Iterator[None]:
    """Re-raise a SQLite failure of the block as an MlflowDatabaseError saying ``consequence`` and the fix.

    Other errors, and failures already explained, pass through unchanged. A callable
    ``consequence`` is asked at failure time, when it knows what the block got done.
    """
    try:
        yield
    except Exception as error:
        cause = database_failure(error)
        if cause is None or already_explained(error):
            raise
        said = consequence() if callable(consequence) else consequence
        raise MlflowDatabaseError(database_message(uri, cause, said)) from error


def database_message(uri: str, cause: BaseException, consequence: str) -> str:
    """A sentence naming the database, what is wrong with it, what that left undone, and the fix."""
    where = sqlite_path(uri) or uri
    if "locked" in str(cause):  # "database is locked", "database table is locked"
        problem = f"the MLflow database at {where} is locked by another process ({cause})"
        fix = (
            "let that process finish or stop it (another `kedro run`, `mlflow ui`, a notebook or a sqlite3 "
            "shell holding a transaction), then run again"
        )
    else:
        problem = f"the MLflow database at {where} cannot be opened or written ({cause})"
        fix = _unusable_fix()
    return f"{problem}: {consequence}; {fix}"


def check_sqlite_database(uri: str) -> None:
    """Raise unless the database of a ``sqlite:///`` URI exists or can be created, and can be written."""
    # MLflow would retry opening an unusable file for about 100 s before failing; this fails at once.
    path = sqlite_path(uri)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # as MLflow itself would
    except OSError as error:
        raise MlflowDatabaseError(
            f"the MLflow database at {path} cannot be created: its folder cannot be made ({error}); "
            + _unusable_fix()
        ) from error
    problem = None
    if path.exists() and not path.is_file():
        problem = "it is not a file"
    elif not os.access(path.parent, os.W_OK | os.X_OK):
        problem = f"its folder {path.parent} is not writable (SQLite writes its journal there)"
    elif path.exists() and not os.access(path, os.R_OK | os.W_OK):
        problem = "the file is not readable and writable"
    if problem is not None:
        raise MlflowDatabaseError(f"the MLflow database at {path} cannot be used: {problem}; " + _unusable_fix())


def _unusable_fix() -> str:
    """What to do about a database file that cannot be opened or written."""
    return (
        "make the file and its folder writable, or set MLFLOW_TRACKING_URI to sqlite:///<a writable path> "
        "(unset, the project uses data/mlflow/mlflow.db)"
    )


def prepare_sqlite_database(uri: str, consequence: str) -> None:
    """Check a ``sqlite:///`` database can be used and create MLflow's tables in it, one process at a time."""
    check_sqlite_database(uri)
    path = sqlite_path(uri)
    if path is None:
        return
    # Two runs starting together on a new project would both run MLflow's schema
    # migrations on the new file, and one would fail half-way ("duplicate column").
    with exclusive_writer(f"{path}.lock", f"the MLflow database {path}", timeout_s=300):
        with explained_database_errors(uri, consequence):
            MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
