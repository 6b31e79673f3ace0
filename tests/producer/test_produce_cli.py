"""`covid-tweets produce`: exit codes and messages, without a broker."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from covid_tweets import commands as cli
from covid_tweets.producer.sinks import DeliveryStats, MemorySink

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "127.0.0.1:1"
COVID_HEADER = (
    "user_name,user_location,user_description,user_created,user_followers,user_friends,"
    "user_favourites,user_verified,date,text,hashtags,source,is_retweet\n"
)
GOOD_RECORD = 'a,"Leeds, UK",c,,1,2,3,False,2020-07-25 12:27:21,"hello, world",,web,False\n'
BAD_RECORD = "a,b,c,,abc,2,3,False,2020-07-25 12:27:21,text,,web,False\n"


def run(*args: str):
    return CliRunner().invoke(cli.main, ["produce", "--quiet", *args])


@pytest.fixture
def memory_sink(monkeypatch) -> MemorySink:
    """Replace the broker with a list, so the run itself can be checked."""
    sink = MemorySink()
    monkeypatch.setattr(cli, "_open_sink", lambda *args, **kwargs: sink)
    return sink


def test_missing_file_exits_2(tmp_path):
    result = run("--source", str(tmp_path / "absent.csv"))

    assert result.exit_code == 2
    assert "absent.csv: no such file" in result.output
    assert "Traceback" not in result.output


def test_directory_exits_2(tmp_path):
    result = run("--source", str(tmp_path))

    assert result.exit_code == 2
    assert "is a directory" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no header"),
        (b"user_name,text\nx,y\n", "missing columns"),
        (random.Random(1).randbytes(2048), "not UTF-8 text"),
    ],
    ids=["empty", "wrong-header", "binary"],
)
def test_unusable_input_file_exits_2_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "input.csv"
    path.write_bytes(content)

    result = run("--source", str(path), "--bootstrap-servers", UNREACHABLE, "--topic", "t")

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unreachable_broker_exits_1_with_one_clear_line():
    result = run("--count", "5", "--bootstrap-servers", UNREACHABLE, "--topic", "t", "--connect-timeout", "1")

    assert result.exit_code == 1
    assert f"Kafka broker at {UNREACHABLE} unreachable within 1 s" in result.output
    assert "Traceback" not in result.output


def test_broker_address_defaults_to_the_project_configuration(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", UNREACHABLE)

    result = run("--count", "1", "--connect-timeout", "1")

    assert result.exit_code == 1
    assert UNREACHABLE in result.output


def test_outside_the_project_the_configuration_error_is_explained(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    result = run("--count", "1")

    assert result.exit_code == 1
    assert "run from the project root" in result.output


def test_malformed_kafka_option_is_a_usage_error():
    result = run("-X", "linger.ms")

    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_unknown_kafka_setting_is_a_usage_error():
    result = run("-X", "no.such.setting=1", "--bootstrap-servers", UNREACHABLE, "--topic", "t")

    assert result.exit_code == 2
    assert 'invalid Kafka configuration: No such configuration property: "no.such.setting"' in result.output


def test_synthetic_run_prints_the_summary(memory_sink):
    result = run("--count", "25", "--seed", "5")

    assert result.exit_code == 0, result.output
    assert "sent 25 | delivered 25 | failed 0 | malformed 0" in result.output
    assert memory_sink.messages[0][0] == b"s5-0"


def test_csv_run_succeeds_despite_malformed_records_and_writes_them(memory_sink, tmp_path):
    source = tmp_path / "sample.csv"
    source.write_text(COVID_HEADER + GOOD_RECORD + BAD_RECORD + GOOD_RECORD, encoding="utf-8")
    rejects = tmp_path / "out" / "rejects.jsonl"

    result = run("--source", str(source), "--rejects", str(rejects))

    assert result.exit_code == 0, result.output
    assert "sent 2 | delivered 2 | failed 0 | malformed 1" in result.output
    assert json.loads(rejects.read_text(encoding="utf-8"))["reason"] == "user_followers: not a number 'abc'"


def test_csv_limit_caps_the_records_sent(memory_sink, tmp_path):
    source = tmp_path / "sample.csv"
    source.write_text(COVID_HEADER + GOOD_RECORD * 5, encoding="utf-8")

    result = run("--source", str(source), "--limit", "3", "--rejects", str(tmp_path / "r.jsonl"))

    assert result.exit_code == 0
    assert len(memory_sink.messages) == 3


def test_failed_deliveries_exit_1_with_the_errors(monkeypatch):
    class TimingOutSink(MemorySink):
        def close(self) -> DeliveryStats:
            return DeliveryStats(delivered=0, failed=len(self.messages), errors=("Local: Message timed out",))

    monkeypatch.setattr(cli, "_open_sink", lambda *args, **kwargs: TimingOutSink())

    result = run("--count", "4")

    assert result.exit_code == 1
    assert "delivery error: Local: Message timed out" in result.output
    assert "4 of 4 messages were not delivered" in result.output
