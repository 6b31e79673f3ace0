"""Measure every stage on the local platform and write data/08_reporting/benchmarks.json.

Run from the project root with the broker up (`make bench` does both). Nothing here
asserts a speed: a slow machine gets slow figures, never a failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from importlib.metadata import version
from pathlib import Path

from benchmarks.report import plot_throughput, print_table
from benchmarks.stages import Bench

REPORT = Path("data/08_reporting/benchmarks.json")
CHART = Path("data/08_reporting/benchmarks.png")
VERSIONS = ("pyspark", "delta-spark", "kedro", "mlflow", "textblob", "confluent-kafka", "onnxruntime")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tweets", type=int, default=200_000, help="synthetic tweets streamed through the stages")
    parser.add_argument("--demo-tweets", type=int, default=20_000, help="tweets of the end-to-end run (make run's size)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each short measurement (the median is kept)")
    parser.add_argument("--skip", nargs="*", default=[], help="stages to leave out", choices=Bench.STAGES)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("SPARK_UI_ENABLED", "false")

    bench = Bench(project=Path.cwd(), tweets=args.tweets, demo_tweets=args.demo_tweets, repeats=args.repeats)
    rows = bench.run(skip=set(args.skip))
    report = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "versions": {name: version(name) for name in VERSIONS},
        "tweets": args.tweets,
        "results": rows,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    plot_throughput(rows, CHART)
    print_table(rows)
    print(f"\nwritten: {REPORT} and {CHART}")


if __name__ == "__main__":
    main()
