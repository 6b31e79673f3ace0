"""The sink's writer lock: a second writer waits, then refuses with the holder named; a killed holder frees it."""

import os
import signal
import subprocess
import sys
import time

import pytest
from kedro.io import DatasetError

from covid_tweets.writer_lock import exclusive_writer

HOLD = """
import sys, time
from covid_tweets.writer_lock import exclusive_writer
with exclusive_writer(sys.argv[1], "bronze_tweets", timeout_s=5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


def hold_lock(path, seconds: float) -> subprocess.Popen:
    """Another process that holds the lock for ``seconds``, started once it holds it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_writer_is_refused_with_the_holder_named_when_the_wait_runs_out(tmp_path):
    lock = tmp_path / "_checkpoints" / "bronze_tweets.lock"
    holder = hold_lock(lock, 60)
    try:
        started = time.monotonic()
        with pytest.raises(DatasetError, match=rf"bronze_tweets: another run is writing it \(pid {holder.pid} on .*\) and did not finish within 1s"):
            with exclusive_writer(str(lock), "bronze_tweets", timeout_s=1):
                pytest.fail("the lock was taken twice")
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()


def test_a_second_writer_waits_for_the_first_to_finish(tmp_path, caplog):
    lock = tmp_path / "bronze_tweets.lock"
    holder = hold_lock(lock, 2)
    with exclusive_writer(str(lock), "bronze_tweets", timeout_s=60):
        assert holder.stdout.readline().strip() == "released", "the lock was taken while the first writer held it"
    holder.wait()
    assert "another run is writing it" in caplog.text


def test_a_killed_writer_leaves_no_stale_lock(tmp_path):
    lock = tmp_path / "bronze_tweets.lock"
    holder = hold_lock(lock, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with exclusive_writer(str(lock), "bronze_tweets", timeout_s=0):
        assert f"pid {os.getpid()} " in lock.read_text()
