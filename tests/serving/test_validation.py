"""Tests of request validation: body shapes, every kind of bad field, limits, and the typed frame."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covid_tweets import schema
from covid_tweets.features import enrich_tweets
from covid_tweets.serving.validation import (
    ValidationError,
    parse_json,
    parse_request,
    validate_payload,
)


def tweet(**fields: Any) -> dict[str, Any]:
    """A complete valid tweet, with some fields replaced."""
    base = {
        "id": "1",
        "user_name": "ann",
        "user_location": "Paris, France",
        "user_description": "hello",
        "user_created": "2019-01-02 03:04:05",
        "user_followers": 10,
        "user_friends": 2,
        "user_favourites": 0,
        "user_verified": False,
        "date": "2020-07-25 12:00:00",
        "text": "Stay safe #covid",
        "hashtags": ["covid"],
        "source": "Twitter for iPhone",
        "is_retweet": False,
        "retweets": 1,
        "favorites": None,
        "schema_version": 1,
    }
    base.update(fields)
    return base


def body(value: Any) -> bytes:
    """The JSON request body of a value."""
    return json.dumps(value).encode("utf-8")


def rejection(value: Any, **limits: int) -> ValidationError:
    """The error a request body (a JSON value, or raw bytes) is rejected with."""
    raw = value if isinstance(value, bytes) else body(value)
    with pytest.raises(ValidationError) as caught:
        parse_request(raw, **limits)
    return caught.value


@pytest.mark.parametrize(
    "payload",
    [tweet(), [tweet()], {"tweets": [tweet()]}, {"data": [tweet()]}],
    ids=["object", "list", "tweets envelope", "data envelope"],
)
def test_every_body_shape_gives_the_same_frame(payload: Any) -> None:
    frame = parse_request(body(payload))
    assert len(frame) == 1
    assert frame.loc[0, "text"] == "Stay safe #covid"


def test_frame_has_every_schema_column_typed_as_enrichment_reads_it() -> None:
    frame = parse_request(body([tweet(), {"text": "only text"}]))
    assert list(frame.columns) == list(schema.FIELD_NAMES)
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["user_created"].dtype == "datetime64[ns]"
    assert frame.loc[0, "date"] == pd.Timestamp("2020-07-25 12:00:00")
    assert pd.isna(frame.loc[1, "date"])
    assert frame["user_followers"].dtype == "Int64"
    assert frame.loc[0, "user_followers"] == 10 and frame.loc[1, "user_followers"] is pd.NA
    assert frame["user_verified"].dtype == "boolean"
    assert frame.loc[0, "hashtags"] == ["covid"] and frame.loc[1, "hashtags"] is None
    assert frame.loc[1, "id"] is None
    enriched = enrich_tweets(frame)
    assert enriched.loc[0, "log_followers"] > 0 and enriched.loc[1, "account_age_days"] == -1.0


def test_id_and_schema_version_are_optional_and_only_text_is_required() -> None:
    frame = parse_request(b'{"text": "hi"}')
    assert frame.loc[0, "text"] == "hi" and frame.loc[0, "id"] is None


def test_timestamps_at_the_edges_of_the_accepted_range_are_kept_exactly() -> None:
    frame = parse_request(body([tweet(user_created="1900-01-01 00:00:00", date="2100-12-31 23:59:59")]))
    assert frame.loc[0, "user_created"] == pd.Timestamp("1900-01-01 00:00:00")
    assert frame.loc[0, "date"] == pd.Timestamp("2100-12-31 23:59:59")
    assert enrich_tweets(frame).loc[0, "account_age_days"] > 73_000


def test_extreme_64_bit_counts_are_kept_exactly() -> None:
    frame = parse_request(body(tweet(user_followers=2**63 - 1, user_friends=-(2**63))))
    assert frame.loc[0, "user_followers"] == 2**63 - 1
    assert frame.loc[0, "user_friends"] == -(2**63)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"id": "1"}, "tweets[0].text: is missing"),
        ([tweet(), tweet(text=None)], "tweets[1].text: must not be null"),
        ([tweet(user_followers="many")], "tweets[0].user_followers: expected an integer, got string"),
        ([tweet(user_followers=True)], "tweets[0].user_followers: expected an integer, got boolean"),
        ([tweet(user_friends=2.5)], "tweets[0].user_friends: expected an integer, got number"),
        ([tweet(retweets=2**63)], "tweets[0].retweets: the integer is outside the 64-bit range"),
        ([tweet(user_verified=1)], "tweets[0].user_verified: expected true or false, got number"),
        ([tweet(text=5)], "tweets[0].text: expected a string, got number"),
        ([tweet(id=123)], "tweets[0].id: expected a string, got number"),
        ([tweet(hashtags="covid")], "tweets[0].hashtags: expected a list of strings, got string"),
        ([tweet(hashtags=["covid", 3])], "tweets[0].hashtags[1]: expected a string, got number"),
        ([tweet(hashtags=[None])], "tweets[0].hashtags[0]: expected a string, got null"),
        (
            [tweet(date="2020/07/25 12:00")],
            'tweets[0].date: expected a timestamp formatted "%Y-%m-%d %H:%M:%S", got "2020/07/25 12:00"',
        ),
        (
            [tweet(date="2020-7-5 1:2:3")],
            'tweets[0].date: expected a timestamp formatted "%Y-%m-%d %H:%M:%S", got "2020-7-5 1:2:3"',
        ),
        (
            [tweet(user_created="2020-02-30 00:00:00")],
            'tweets[0].user_created: expected a timestamp formatted "%Y-%m-%d %H:%M:%S", got "2020-02-30 00:00:00"',
        ),
        (
            [tweet(date=20200725)],
            'tweets[0].date: expected a timestamp formatted "%Y-%m-%d %H:%M:%S", got number',
        ),
        (
            [tweet(date="9999-12-31 23:59:59")],
            "tweets[0].date: the timestamp is outside 1900-01-01 00:00:00 .. 2100-12-31 23:59:59",
        ),
        (
            [tweet(user_created="0001-01-01 00:00:00")],
            "tweets[0].user_created: the timestamp is outside 1900-01-01 00:00:00 .. 2100-12-31 23:59:59",
        ),
        ([tweet(colour="red")], 'tweets[0]: unknown field "colour"'),
        ([tweet(colour="red", size=2)], 'tweets[0]: unknown fields "colour", "size"'),
        ([tweet(schema_version=2)], "tweets[0].schema_version: version 2 is not supported (expected 1)"),
        ([tweet(), "text"], "tweets[1]: expected a tweet object, got string"),
        ([tweet(), [tweet()]], "tweets[1]: expected a tweet object, got array"),
        ([], "no tweets to score: the list is empty"),
        ({"tweets": []}, "no tweets to score: the list is empty"),
        ({"tweets": tweet()}, '"tweets": expected a list of tweet objects, got object'),
        (
            {"tweets": [tweet()], "extra": 1},
            'expected a tweet object, a list of tweet objects, or {"tweets": [...]}; "tweets" cannot come with "extra"',
        ),
        ("hello", 'expected a tweet object, a list of tweet objects, or {"tweets": [...]}, got string'),
        (None, 'expected a tweet object, a list of tweet objects, or {"tweets": [...]}, got null'),
    ],
)
def test_bad_requests_are_rejected_naming_the_tweet_and_field(payload: Any, message: str) -> None:
    error = rejection(payload)
    assert (error.message, error.status_code) == (message, 400)


def test_the_first_bad_tweet_is_named_by_its_position() -> None:
    payload = [tweet(id=str(n)) for n in range(5)] + [tweet(user_followers="many")]
    assert rejection(payload).message == "tweets[5].user_followers: expected an integer, got string"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "invalid JSON: Expecting value (line 1, column 1)"),
        (b'{"text": "hi"', "invalid JSON: Expecting ',' delimiter (line 1, column 14)"),
        (b'{"text": NaN}', "invalid JSON: NaN is not a JSON value"),
        (b"[1, Infinity]", "invalid JSON: Infinity is not a JSON value"),
        (b'{"text": "caf\xe9"}', "request body is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
        (b'{"text": "\\ud800"}', "tweets[0].text: the string holds an unpaired surrogate escape"),
    ],
    ids=["empty", "truncated", "nan", "infinity", "latin-1", "deep nesting", "lone surrogate"],
)
def test_bodies_that_are_not_valid_json_are_rejected(raw: bytes, message: str) -> None:
    error = rejection(raw)
    assert (error.message, error.status_code) == (message, 400)


def test_batch_limit_is_configurable() -> None:
    assert len(parse_request(body([tweet()] * 3), max_batch=3)) == 3
    error = rejection([tweet()] * 4, max_batch=3)
    assert (error.message, error.status_code) == ("4 tweets in one request, more than the limit of 3", 400)


def test_default_batch_limit_is_a_thousand() -> None:
    assert len(parse_request(body([{"text": "x"}] * 1000))) == 1000
    assert rejection([{"text": "x"}] * 1001).message == "1001 tweets in one request, more than the limit of 1000"


def test_too_large_bodies_are_refused_with_413_before_parsing() -> None:
    raw = body([tweet(text="x" * 2000)])
    error = rejection(raw, max_body_bytes=len(raw) - 1)
    assert error.status_code == 413
    assert error.message == f"request body is {len(raw)} bytes, more than the limit of {len(raw) - 1}"
    assert len(parse_request(raw, max_body_bytes=len(raw))) == 1


def test_default_body_limit_is_one_megabyte() -> None:
    raw = b" " * (1_000_000 - 13) + b'{"text": "x"}'
    assert len(parse_request(raw)) == 1
    assert rejection(b" " + raw).status_code == 413


def test_string_bodies_are_accepted_as_azure_ml_passes_them() -> None:
    assert parse_request('{"text": "café"}').loc[0, "text"] == "café"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    payload=json_values | st.lists(st.dictionaries(st.sampled_from(schema.FIELD_NAMES), json_values), max_size=3)
)
def test_any_json_value_is_either_a_frame_or_a_validation_error(payload: Any) -> None:
    try:
        tweets = validate_payload(payload)
    except ValidationError as error:
        assert error.status_code == 400 and error.message
    else:
        assert all(isinstance(tweet["text"], str) for tweet in tweets)


def test_parse_json_reads_what_json_dumps_writes() -> None:
    assert parse_json(body({"tweets": [tweet()]})) == {"tweets": [tweet()]}
