"""Tests of the per-tweet features: each piece, the batch, real samples and Spark."""

from __future__ import annotations

import ast
import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from textblob import TextBlob

from covid_tweets import schema
from covid_tweets.features import (
    CATEGORICAL_FEATURES,
    ENRICHED_COLUMNS,
    MISSING_ACCOUNT_AGE,
    NUMERIC_FEATURES,
    SOURCE_CATEGORIES,
    UNKNOWN,
    clean_text,
    enrich_tweets,
    enriched_spark_schema,
    has_url,
    mention_count,
    normalise_location,
    source_category,
    text_hashtags,
    tweet_hashtags,
)

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def tweet(**fields: Any) -> dict[str, Any]:
    """Return a bronze row with every field null but those given."""
    row = dict.fromkeys(schema.FIELD_NAMES)
    row.update(schema_version=schema.SCHEMA_VERSION, **fields)
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Return the pandas batch of some bronze rows."""
    return pd.DataFrame(list(rows), columns=list(schema.FIELD_NAMES))


def enrich_one(**fields: Any) -> pd.Series:
    """Return the enriched row of one tweet."""
    return enrich_tweets(frame(tweet(id="1", **fields))).iloc[0]


# --- text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Salt &amp; pepper &lt;3", "Salt & pepper <3"),
        ("Read this https://t.co/AbC123 now http://x.org/a?b=c www.who.int", "Read this now"),
        ("@WHO @cdc_gov thank you @a1", "thank you"),
        ("Stay safe #COVID19 #StayHome!", "Stay safe COVID19 StayHome!"),
        ("  many\n\tspaces   here ", "many spaces here"),
        ("mail me@example.com about C# and #1", "mail me@example.com about C# and #1"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_clean_text(text: object, expected: str) -> None:
    assert clean_text(text) == expected


def test_mentions_and_urls_are_counted_outside_urls() -> None:
    text = "@a @b_2 see https://medium.com/@someone/post and me@example.com"
    assert mention_count(text) == 2
    assert has_url(text)
    assert not has_url("no link here")
    assert mention_count(None) == 0
    assert not has_url(None)


def test_hashtags_come_from_the_field_else_from_the_text() -> None:
    text = "#Vaccine news #COVID19 https://t.co/x#frag"
    assert text_hashtags(text) == ["vaccine", "covid19"]
    assert tweet_hashtags(["PfizerBioNTech", "Covid_19"], text) == ["pfizerbiontech", "covid_19"]
    assert tweet_hashtags(np.array(["A", "b"], dtype=object), text) == ["a", "b"]
    assert tweet_hashtags([], text) == ["vaccine", "covid19"]
    assert tweet_hashtags(None, text) == ["vaccine", "covid19"]
    assert tweet_hashtags(float("nan"), None) == []


# --- categories ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Twitter for iPhone", "iphone"),
        ("Twitter for iPad", "ipad"),
        ("Twitter for Android", "android"),
        ("TweetCaster for Android", "android"),
        ("Twitter Web App", "web"),
        ("Twitter Web Client", "web"),
        ("TweetDeck", "professional"),
        ("Hootsuite Inc.", "professional"),
        ("Buffer", "professional"),
        ("Sprout Social", "professional"),
        ("SocialFlow", "professional"),
        ("Instagram", "other"),
        ("IFTTT", "other"),
        ("", UNKNOWN),
        ("   ", UNKNOWN),
        (None, UNKNOWN),
        (float("nan"), UNKNOWN),
    ],
)
def test_source_category(source: object, expected: str) -> None:
    assert source_category(source) == expected
    assert expected in SOURCE_CATEGORIES


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("New York, NY", "new york, ny"),
        ("📍 London , England 🇬🇧", "london, england"),
        ("Lagos🇳🇬Nigeria", "lagos nigeria"),
        ("Washington, D.C.", "washington, dc"),
        ("La Crescenta-Montrose, CA", "la crescenta montrose, ca"),
        ("Vancouver, BC - Canada", "vancouver, bc canada"),
        ("  Stuck in the Middle ", "stuck in the middle"),
        ("New York\nNY", "new york ny"),
        ("Dubai\u200d 🏳️\u200d🌈 #1️⃣", "dubai 1"),
        ("ＴＯＫＹＯ，Japan", "tokyo, japan"),
        ("Новоро́ссия", "новоро\u0301ссия"),
        ("Türkiye", "türkiye"),
        (",,Paris,, France,", "paris, france"),
        ("🌍🌎🌏", UNKNOWN),
        ("", UNKNOWN),
        (None, UNKNOWN),
        (float("nan"), UNKNOWN),
    ],
)
def test_normalise_location(location: object, expected: str) -> None:
    assert normalise_location(location) == expected


# --- the batch -----------------------------------------------------------------------


def test_a_full_tweet() -> None:
    row = enrich_one(
        text="Great news &amp; hope @WHO #Vaccine https://t.co/x",
        hashtags=None,
        user_location="New York, NY",
        user_created=pd.Timestamp("2020-01-01 00:00:00"),
        date=pd.Timestamp("2020-01-11 12:00:00"),
        user_followers=99,
        user_friends=9,
        user_favourites=0,
        user_verified=True,
        source="Twitter for Android",
        is_retweet=False,
        retweets=4,
        favorites=7,
    )
    blob = TextBlob("Great news & hope Vaccine").sentiment
    assert row["clean_text"] == "Great news & hope Vaccine"
    assert (row["polarity"], row["subjectivity"]) == (blob.polarity, blob.subjectivity)
    assert row["polarity"] > 0
    assert row["positive_sentiment"] == row["polarity"]
    assert row["negative_sentiment"] == 0.0
    assert row["hashtags"] == ["vaccine"]
    assert row["hashtag_count"] == 1
    assert row["mention_count"] == 1
    assert row["has_url"]
    assert row["text_length"] == len("Great news &amp; hope @WHO #Vaccine https://t.co/x")
    assert row["account_age_days"] == 10.5
    assert row["log_followers"] == math.log1p(99)
    assert row["log_friends"] == math.log1p(9)
    assert row["log_favourites"] == 0.0
    assert row["follower_friend_ratio"] == 9.9
    assert row["user_verified"]
    assert row["source_category"] == "android"
    assert row["location"] == "new york, ny"
    assert row["tweet_date"] == dt.date(2020, 1, 11)
    assert row["date"] == pd.Timestamp("2020-01-11 12:00:00")
    assert (row["retweets"], row["favorites"], row["is_retweet"]) == (4, 7, False)


def test_negative_sentiment_mirrors_polarity() -> None:
    row = enrich_one(text="This is terrible and sad")
    assert row["polarity"] < 0
    assert row["negative_sentiment"] == -row["polarity"]
    assert row["positive_sentiment"] == 0.0


def test_missing_values_become_explicit_values() -> None:
    row = enrich_one(text=None)
    assert row["clean_text"] == ""
    assert (row["polarity"], row["subjectivity"]) == (0.0, 0.0)
    assert (row["positive_sentiment"], row["negative_sentiment"]) == (0.0, 0.0)
    assert row["hashtags"] == []
    assert (row["hashtag_count"], row["mention_count"], row["text_length"]) == (0, 0, 0)
    assert not row["has_url"]
    assert row["account_age_days"] == MISSING_ACCOUNT_AGE
    assert (row["log_followers"], row["log_friends"], row["log_favourites"]) == (0.0, 0.0, 0.0)
    assert row["follower_friend_ratio"] == 0.0
    assert row["user_verified"] is np.False_
    assert (row["source_category"], row["location"]) == (UNKNOWN, UNKNOWN)
    assert row["tweet_date"] is None
    assert row["date"] is pd.NaT
    # Labels are the modeling pipeline's choice: null stays null.
    assert row["retweets"] is pd.NA and row["favorites"] is pd.NA and row["is_retweet"] is pd.NA


def test_account_age_needs_both_dates_and_negative_counts_count_as_zero() -> None:
    created_only = enrich_one(text="x", user_created=pd.Timestamp("2020-01-01"))
    dated_only = enrich_one(text="x", date=pd.Timestamp("2020-01-01"))
    assert created_only["account_age_days"] == dated_only["account_age_days"] == MISSING_ACCOUNT_AGE
    negative = enrich_one(text="x", user_followers=-5, user_friends=-3)
    assert (negative["log_followers"], negative["follower_friend_ratio"]) == (0.0, 0.0)


def test_no_row_is_dropped_and_order_and_index_are_kept() -> None:
    texts = ["good", None, "", "bad #x", "@a https://t.co/b"]
    tweets = frame(*(tweet(id=str(n), text=text) for n, text in enumerate(texts)))
    tweets.index = [10, 3, 7, 1, 5]
    enriched = enrich_tweets(tweets)
    assert list(enriched.columns) == list(ENRICHED_COLUMNS)
    assert list(enriched.index) == [10, 3, 7, 1, 5]
    assert enriched["id"].tolist() == ["0", "1", "2", "3", "4"]
    assert enriched["text_length"].tolist() == [4, 0, 0, 6, 17]


def test_optional_columns_may_be_absent_but_not_id_or_text() -> None:
    enriched = enrich_tweets(pd.DataFrame({"id": ["1"], "text": ["ok #fine"]}))
    assert enriched.loc[0, "hashtags"] == ["fine"]
    assert enriched.loc[0, "location"] == UNKNOWN
    with pytest.raises(KeyError, match="text"):
        enrich_tweets(pd.DataFrame({"id": ["1"]}))


def test_an_empty_batch_keeps_the_column_types() -> None:
    empty = enrich_tweets(frame())
    assert list(empty.columns) == list(ENRICHED_COLUMNS)
    assert empty["clean_text"].dtype == object and empty["hashtags"].dtype == object
    assert empty["hashtag_count"].dtype == np.int64 and empty["has_url"].dtype == bool


def test_feature_lists_name_enriched_columns() -> None:
    assert set(NUMERIC_FEATURES) | set(CATEGORICAL_FEATURES) <= set(ENRICHED_COLUMNS)
    assert not set(NUMERIC_FEATURES) & set(CATEGORICAL_FEATURES)


# --- sentiment is TextBlob's -------------------------------------------------------------


VARIED_TEXTS = [
    "I love this, it is wonderful!",
    "This is the worst, most awful day.",
    "Not bad at all",
    "very very good",
    "The vaccine arrived today.",
    "Stay home 😷🙏 stay safe ❤️",
    "Новости о коронавирусе",
    "कोरोना वायरस से बचाव",
    "新型コロナウイルス",
    "لقاح كورونا",
    "WOW!!! Amazing :) :(",
    "",
    "   ",
]


@pytest.mark.parametrize("text", VARIED_TEXTS)
def test_sentiment_is_textblobs(text: str) -> None:
    row = enrich_one(text=text)
    assert (row["polarity"], row["subjectivity"]) == tuple(TextBlob(clean_text(text)).sentiment)


def read_sample(name: str) -> pd.DataFrame:
    """Return a real tweet sample as a bronze-like batch, or skip when it is absent."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    # The covid file's last record is cut in the middle: skip what does not parse.
    sample = pd.read_csv(path, on_bad_lines="skip", engine="python")
    if "id" not in sample.columns:
        sample.insert(0, "id", [f"row-{n}" for n in range(len(sample))])
    sample["id"] = sample["id"].astype(str)
    sample["hashtags"] = [ast.literal_eval(tags) if isinstance(tags, str) else None for tags in sample["hashtags"]]
    for column in schema.TIMESTAMP_FIELDS:
        sample[column] = pd.to_datetime(sample[column], format=schema.PY_TIMESTAMP_FORMAT, errors="coerce")
    return sample


@pytest.mark.parametrize("name", ["covid19_tweets_sample.csv", "vaccination_tweets_sample.csv"])
def test_sentiment_on_real_samples_is_textblobs(name: str) -> None:
    sample = read_sample(name)
    enriched = enrich_tweets(sample)
    assert len(enriched) == len(sample) > 1000
    expected = [tuple(TextBlob(clean_text(text)).sentiment) for text in sample["text"]]
    assert list(zip(enriched["polarity"], enriched["subjectivity"])) == expected
    assert enriched["location"].ne("").all() and enriched["source_category"].isin(SOURCE_CATEGORIES).all()


def test_the_server_can_import_features_without_spark() -> None:
    probe = "import sys, covid_tweets.features; print('pyspark' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- Spark runs the same function -------------------------------------------------


def python_values(enriched: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of a pandas result as the Python values Spark's collect gives."""

    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return value
        if value is None or pd.isna(value):
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime()
        return value.item() if isinstance(value, np.generic) else value

    return [{name: plain(value) for name, value in row.items()} for row in enriched.to_dict("records")]


def test_spark_and_pandas_give_the_same_rows(spark) -> None:
    from covid_tweets.features import enrich_spark

    # Noon timestamps keep the tweet date the same in any local zone of the driver.
    rows = [
        tweet(
            id="1",
            user_name="a",
            user_location="📍 New York , NY",
            user_description="d",
            user_created=dt.datetime(2019, 5, 1, 12, 0),
            user_followers=120,
            user_friends=30,
            user_favourites=5,
            user_verified=True,
            date=dt.datetime(2020, 7, 25, 12, 27, 21),
            text="Love it &amp; hate it @x #COVID19 https://t.co/q",
            hashtags=["COVID19", "Vaccine"],
            source="Twitter for iPhone",
            is_retweet=False,
            retweets=2,
            favorites=0,
        ),
        tweet(id="2", text="Terrible news #StayHome", hashtags=[], source="TweetDeck", user_verified=False),
        tweet(id="3", text="", user_location="", source=""),
        tweet(id="4", text="Новости 😷 #ковид", date=dt.datetime(2020, 12, 1, 12, 0), is_retweet=True, retweets=0),
    ]
    tweets = spark.createDataFrame([tuple(row.values()) for row in rows], schema.tweet_schema())
    enriched = enrich_spark(tweets)
    assert enriched.schema == enriched_spark_schema()
    collected = sorted((row.asDict(recursive=True) for row in enriched.collect()), key=lambda row: row["id"])
    assert collected == python_values(enrich_tweets(frame(*rows)))

