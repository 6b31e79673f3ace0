"""The benchmark table for people and the throughput chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print one line per measurement: stage, what, value, unit, and the comparison."""
    print(f"{'stage':<12} {'measurement':<44} {'value':>14}  {'unit':<10} note")
    for row in rows:
        print(f"{row['stage']:<12} {row['measurement']:<44} {row['value']:>14,.2f}  {row['unit']:<10} {row.get('note', '')}")


def plot_throughput(rows: list[dict[str, Any]], path: Path) -> None:
    """A horizontal bar per throughput figure (items per second, log scale)."""
    rates = [row for row in rows if row["unit"].endswith("/s")]
    if not rates:
        return
    figure, axis = plt.subplots(figsize=(10, 0.5 * len(rates) + 1.5))
    labels = [f"{row['stage']}: {row['measurement']}" for row in rates][::-1]
    axis.barh(labels, [row["value"] for row in rates][::-1], color="#4c72b0")
    axis.set_xscale("log")
    axis.set_xlabel("items per second (log scale)")
    axis.set_title("Throughput per stage")
    for y, row in enumerate(rates[::-1]):
        axis.text(row["value"], y, f" {row['value']:,.0f} {row['unit']}", va="center", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
