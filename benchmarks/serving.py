"""Latency and throughput of the real HTTP server, measured with a real HTTP client."""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from covid_tweets.producer import generate_tweets


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not answer /health in {deadline_s:.0f} s")


def measure_http_server(bundle: Path, repeats: int, single_requests: int = 500, batches: int = 30) -> list[dict[str, Any]]:
    """Single-tweet latency percentiles and batch-of-100 throughput through `covid-tweets serve`."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("covid-tweets")), "serve", "--bundle", str(bundle), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_healthy(url, server)
        tweets = list(generate_tweets(single_requests + 100 * batches, seed=99))
        with requests.Session() as client:
            for tweet in tweets[:50]:  # warm-up: first calls pay for lazy imports
                client.post(f"{url}/score", json=tweet).raise_for_status()
            latencies = []
            for tweet in tweets[:single_requests]:
                started = time.perf_counter()
                client.post(f"{url}/score", json=tweet).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
            batch_seconds = []
            for index in range(batches):
                batch = tweets[single_requests + 100 * index : single_requests + 100 * (index + 1)]
                started = time.perf_counter()
                client.post(f"{url}/score", json={"tweets": batch}).raise_for_status()
                batch_seconds.append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(30)
    cut = statistics.quantiles(latencies, n=100)
    rows = [
        {"stage": "serving", "measurement": f"single tweet over HTTP, p{p} ({single_requests} requests)", "value": round(cut[p - 1], 3), "unit": "ms", "note": ""}
        for p in (50, 95, 99)
    ]
    rows.append({
        "stage": "serving", "measurement": "batches of 100 tweets over HTTP", "value": round(100 / statistics.median(batch_seconds), 1),
        "unit": "tweets/s", "note": f"median of {batches} requests",
    })
    return rows
