"""Spark sessions on a fresh clone: one process at a time fetches the jars; later starts only read them."""

import subprocess
import sys
import threading

import pytest

from covid_tweets.spark import fetching_jars_alone

FETCH = """
import sys, time
from covid_tweets.spark import fetching_jars_alone
settings = {"spark.jars.packages": "io.delta:delta-spark_4.2_2.13:4.4.0", "spark.jars.ivy": sys.argv[1]}
with fetching_jars_alone(settings):
    print("fetching", flush=True)
    time.sleep(float(sys.argv[2]))
print("fetched", flush=True)
"""


def settings(ivy) -> dict:
    return {"spark.jars.packages": "io.delta:delta-spark_4.2_2.13:4.4.0", "spark.jars.ivy": str(ivy)}


def start_fetching(ivy, seconds: float) -> subprocess.Popen:
    """Another process starting Spark on the same Ivy cache, returned once it is fetching."""
    other = subprocess.Popen([sys.executable, "-c", FETCH, str(ivy), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline().strip() == "fetching"
    return other


def test_a_start_on_an_empty_cache_waits_for_the_process_fetching_the_jars(tmp_path, caplog):
    ivy = tmp_path / "ivy"
    other = start_fetching(ivy, 2)
    with fetching_jars_alone(settings(ivy)):
        assert other.stdout.readline().strip() == "fetched", "both processes fetched into the cache at once"
    other.wait()
    assert f"the Ivy jar cache {ivy}: another run is writing it" in caplog.text


def test_once_the_jars_are_fetched_starts_no_longer_wait(tmp_path):
    ivy = tmp_path / "ivy"
    with fetching_jars_alone(settings(ivy)):
        pass
    holder = hold_cache_lock(ivy)  # a lock nobody should need any more
    entered = threading.Event()

    def start() -> None:
        with fetching_jars_alone(settings(ivy)):
            entered.set()

    starting = threading.Thread(target=start)
    starting.start()
    try:
        assert entered.wait(10), "a start on a filled cache waited for the lock"
    finally:
        holder.kill()
        holder.wait()
        starting.join()


def hold_cache_lock(ivy) -> subprocess.Popen:
    """Another process holding the cache's lock file for a minute, returned once it holds it."""
    hold = (
        "import sys, time\n"
        "from covid_tweets.writer_lock import exclusive_writer\n"
        "with exclusive_writer(sys.argv[1], 'jars', timeout_s=5):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, f"{ivy}.lock"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_failed_start_does_not_mark_the_cache_as_filled(tmp_path):
    ivy = tmp_path / "ivy"
    with pytest.raises(RuntimeError, match="spark-submit failed"):
        with fetching_jars_alone(settings(ivy)):
            raise RuntimeError("spark-submit failed")
    assert not list(ivy.glob(".fetched-*"))
