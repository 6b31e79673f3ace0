# The project's commands. `make run` and `make test` each set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_TWEETS ?= 20000
BENCH_TWEETS ?= 200000
# pytest-xdist workers: two keep both cores busy while tests wait on a broker, a JVM or a lock.
TEST_WORKERS ?= 2

# The broker `make up` starts, and the address every stage and test then uses.
export KAFKA_PORT ?= 9092
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)

export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: help setup up down status run test bench viz serve lock clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is needed, found {sys.version.split()[0]}"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[local,dev]"
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the pinned dependencies

up:  ## start the local Kafka broker (idempotent)
	platform/kafka.sh up

down:  ## stop the local Kafka broker
	platform/kafka.sh down

status:  ## is the local broker running?
	platform/kafka.sh status

run: setup up  ## set up, stream the demo tweets and run every pipeline
	$(BIN)/covid-tweets produce --source synthetic --count $(DEMO_TWEETS) --quiet
	$(BIN)/kedro run

test: setup up  ## set up and run the whole test suite against the real platform
	@command -v kcat >/dev/null || (apt-get update -qq && apt-get install -y -qq kcat >/dev/null)
	SPARK_UI_ENABLED=false $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

bench: setup up  ## measure every stage and write data/08_reporting/benchmarks.json
	$(BIN)/python -m benchmarks --tweets $(BENCH_TWEETS)

viz:  ## build the pipeline visualisation as a static site in build/
	$(BIN)/kedro viz build

lock: setup  ## re-pin requirements.lock from the installed environment
	(head -n 2 requirements.lock; $(BIN)/pip freeze --exclude-editable) > requirements.lock.new && mv requirements.lock.new requirements.lock

clean: down  ## remove the broker's data and everything the pipelines wrote
	rm -rf .platform/kafka/data data/0*/[!.]* data/mlflow/[!.]* build
