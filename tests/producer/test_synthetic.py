"""The synthetic stream: deterministic, realistic in shape, and carrying the planted signal."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

import pytest
from textblob import TextBlob

from covid_tweets.producer.records import TWEET_KEYS
from covid_tweets.producer.synthetic import STREAM_SPAN, STREAM_START, generate_tweets
from covid_tweets.schema import PY_TIMESTAMP_FORMAT, encode_message

COUNT = 100_000


@pytest.fixture(scope="module")
def tweets() -> list[dict]:
    return list(generate_tweets(COUNT, seed=42))


def fraction(tweets: list[dict], predicate) -> float:
    return sum(1 for t in tweets if predicate(t)) / len(tweets)


def engaged(tweets: list[dict]) -> float:
    return fraction(tweets, lambda t: t["retweets"] > 0)


def test_same_seed_gives_the_same_stream():
    assert list(generate_tweets(500, seed=7)) == list(generate_tweets(500, seed=7))


def test_different_seeds_give_different_streams():
    first, second = list(generate_tweets(200, seed=1)), list(generate_tweets(200, seed=2))

    assert [t["text"] for t in first] != [t["text"] for t in second]
    assert not {t["id"] for t in first} & {t["id"] for t in second}


def test_count_is_respected_and_must_not_be_negative():
    assert list(generate_tweets(0)) == []
    with pytest.raises(ValueError):
        list(generate_tweets(-1))


def test_hundred_thousand_tweets_with_unique_ids_that_all_encode(tweets):
    assert len(tweets) == COUNT
    assert len({t["id"] for t in tweets}) == COUNT
    assert tweets[0]["id"] == "s42-0"
    assert all(tuple(t) == TWEET_KEYS for t in tweets)
    for tweet in tweets:
        encode_message(tweet)


def test_missing_values_occur_at_realistic_rates(tweets):
    assert fraction(tweets, lambda t: t["user_location"] is None) == pytest.approx(0.20, abs=0.05)
    assert fraction(tweets, lambda t: t["hashtags"] == []) == pytest.approx(0.30, abs=0.05)
    assert fraction(tweets, lambda t: t["user_verified"]) == pytest.approx(0.10, abs=0.04)
    assert not any(t["is_retweet"] for t in tweets)


def test_free_text_has_commas_newlines_and_emoji(tweets):
    assert fraction(tweets, lambda t: "\n" in t["text"]) > 0.05
    assert fraction(tweets, lambda t: "," in t["text"]) > 0.1
    assert fraction(tweets, lambda t: any(ord(c) > 0x2000 for c in t["text"])) > 0.1
    assert fraction(tweets, lambda t: "," in (t["user_location"] or "")) > 0.1
    assert fraction(tweets, lambda t: "\n" in (t["user_description"] or "")) > 0.01
    assert all(t["text"].strip() for t in tweets)


def test_counts_are_skewed_and_non_negative(tweets):
    followers = sorted(t["user_followers"] for t in tweets)
    median, top = followers[len(followers) // 2], followers[int(len(followers) * 0.99)]

    assert all(t[key] >= 0 for t in tweets for key in ("user_followers", "user_friends", "user_favourites"))
    assert 20 < median < 2_000
    assert top > 50 * median


def test_several_sources(tweets):
    sources = {t["source"] for t in tweets}

    expected = {"Twitter for iPhone", "Twitter for Android", "Twitter Web App", "TweetDeck", "Hootsuite Inc."}
    assert expected <= sources
    assert len(sources) >= 7


def test_dates_are_formatted_within_the_stream_window_and_after_account_creation(tweets):
    for tweet in islice(tweets, 0, None, 97):
        date = datetime.strptime(tweet["date"], PY_TIMESTAMP_FORMAT)
        created = datetime.strptime(tweet["user_created"], PY_TIMESTAMP_FORMAT)
        assert STREAM_START <= date <= STREAM_START + STREAM_SPAN
        assert created < date


def test_engagement_rate_and_its_planted_drivers(tweets):
    big = [t for t in tweets if t["user_followers"] >= 1_000]
    small = [t for t in tweets if t["user_followers"] < 50]

    assert 0.2 <= engaged(tweets) <= 0.5
    assert engaged(big) > engaged(small) + 0.4
    assert all(t["favorites"] >= t["retweets"] for t in tweets)


def test_tone_of_the_text_drives_engagement_as_textblob_sees_it(tweets):
    sample = [t for t in islice(tweets, 3_000) if t["user_followers"] < 1_000]
    polarity = {t["id"]: TextBlob(t["text"]).sentiment.polarity for t in sample}
    outspoken = [t for t in sample if polarity[t["id"]] >= 0.5 or polarity[t["id"]] <= -0.9]
    muted = [t for t in sample if -0.6 <= polarity[t["id"]] <= 0.0]

    assert engaged(outspoken) > engaged(muted) + 0.1
    assert fraction(sample, lambda t: polarity[t["id"]] != 0) > 0.5
