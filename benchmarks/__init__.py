"""The benchmark command: `make bench` or `python -m benchmarks --tweets N`."""
