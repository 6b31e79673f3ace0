"""One writer at a time: an OS file lock that a second run waits on.

Its main use is a streaming sink's lock beside its checkpoint: two runs that drain
the same source into the same table would race on the checkpoint's offset log and
on the table; the second one waits here instead, then finds the offsets the first
committed and writes only what is left. The MLflow database's creation and the
first fetch of Spark's jars use it too. The lock is an OS file lock, so a run that
is killed releases it: there is never a stale lock to clean up by hand.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from kedro.io import DatasetError

from covid_tweets.storage import is_uri

logger = logging.getLogger(__name__)

_POLL_INTERVAL_S = 0.5


@contextmanager
def exclusive_writer(lock_path: str, writer: str, timeout_s: float) -> Iterator[None]:
    """Hold ``lock_path`` while the body runs, waiting up to ``timeout_s`` for another holder.

    Raises a DatasetError naming the holder when the wait runs out. A URI (dbfs:/,
    abfss://) or a file system without locks is not guarded: a warning says so, and
    a scheduler (Databricks' ``max_concurrent_runs: 1``) must keep runs apart there.
    """
    if is_uri(lock_path):
        yield
        return
    path = Path(lock_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        if not _acquire(handle, path, writer, timeout_s):
            yield
            return
        try:
            handle.truncate(0)
            handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle, path: Path, writer: str, timeout_s: float) -> bool:
    """Take the lock, waiting for another run; False when this file system cannot lock."""
    deadline = time.monotonic() + timeout_s
    waiting = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if waiting:
                logger.info("%s: the other run finished; writing now", writer)
            return True
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                logger.warning("%s: cannot lock %s (%s); concurrent runs are not guarded", writer, path, error)
                return False
        holder = _holder(path)
        if time.monotonic() >= deadline:
            raise DatasetError(
                f"{writer}: another run is writing it ({holder}) and did not finish within {timeout_s:g}s; "
                f"wait for that run to end, or stop it (lock file: {path})"
            )
        if not waiting:
            logger.warning("%s: another run is writing it (%s); waiting up to %gs", writer, holder, timeout_s)
            waiting = True
        time.sleep(_POLL_INTERVAL_S)


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it."""
    try:
        return path.read_text().strip() or "holder unknown"
    except OSError:
        return "holder unknown"
