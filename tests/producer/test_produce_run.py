"""Driving a source into a sink: limits, rejects file, summary and pacing."""

from __future__ import annotations

import json

import pytest

from covid_tweets.producer.records import Reject
from covid_tweets.producer.run import ProduceSummary, RateLimiter, default_rejects_path, produce
from covid_tweets.producer.sinks import DeliveryStats, MemorySink
from covid_tweets.producer.synthetic import generate_tweets
from covid_tweets.schema import SCHEMA_VERSION


class FailingSink(MemorySink):
    """Accepts messages and then reports every one as failed."""

    def close(self) -> DeliveryStats:
        return DeliveryStats(delivered=0, failed=len(self.messages), errors=("Broker: timed out",))


def mixed_records():
    tweets = generate_tweets(4, seed=3)
    yield next(tweets)
    yield Reject(3, "user_followers: not a number 'abc'", "a,b,abc")
    yield from tweets
    yield Reject(9, "record truncated at end of file", 'x,"y')


def test_sends_every_tweet_keyed_by_id_and_writes_rejects(tmp_path):
    sink, rejects_path = MemorySink(), tmp_path / "rejects" / "sample.rejects.jsonl"

    summary = produce(mixed_records(), sink, rejects_path=rejects_path, progress=False)

    assert (summary.sent, summary.delivered, summary.failed, summary.malformed) == (4, 4, 0, 2)
    assert [key for key, _ in sink.messages] == [b"s3-0", b"s3-1", b"s3-2", b"s3-3"]
    assert json.loads(sink.messages[0][1])["schema_version"] == SCHEMA_VERSION
    assert [json.loads(line) for line in rejects_path.read_text(encoding="utf-8").splitlines()] == [
        {"line": 3, "reason": "user_followers: not a number 'abc'", "raw": "a,b,abc"},
        {"line": 9, "reason": "record truncated at end of file", "raw": 'x,"y'},
    ]


def test_limit_caps_the_tweets_sent():
    sink = MemorySink()

    summary = produce(mixed_records(), sink, limit=2, progress=False)

    assert summary.sent == 2 and summary.malformed == 1
    assert produce(generate_tweets(5), MemorySink(), limit=0, progress=False).sent == 0


def test_failed_deliveries_are_reported():
    summary = produce(generate_tweets(3), FailingSink(), progress=False)

    assert (summary.sent, summary.delivered, summary.failed) == (3, 0, 3)
    assert summary.errors == ("Broker: timed out",)


def test_summary_reads_as_one_line():
    summary = ProduceSummary(sent=10_000, delivered=10_000, failed=0, malformed=1, elapsed_seconds=2.0)

    assert summary.messages_per_second == 5_000
    assert summary.describe() == (
        "sent 10,000 | delivered 10,000 | failed 0 | malformed 1 | 2.0 s | 5,000 msg/s"
    )


def test_default_rejects_path_is_in_the_raw_layer():
    assert default_rejects_path("covid19_tweets_sample").as_posix() == (
        "data/01_raw/rejects/covid19_tweets_sample.rejects.jsonl"
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds


@pytest.mark.timeout(10)
@pytest.mark.parametrize("rate", [2.0, 50.0, 1_000.0, 20_000.0])
def test_rate_limiter_keeps_the_average_rate(rate):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    messages = int(rate * 3)

    for _ in range(messages):
        limiter.acquire()

    # The first message goes at once; each later one waits its turn.
    assert clock.now == pytest.approx((messages - 1) / rate, rel=0.02)


@pytest.mark.timeout(10)
def test_rate_limiter_sleeps_per_burst_not_per_message_at_high_rates():
    clock = FakeClock()
    limiter = RateLimiter(10_000, clock=clock, sleep=clock.sleep)

    for _ in range(10_000):
        limiter.acquire()

    assert clock.sleeps <= 200


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(0)
