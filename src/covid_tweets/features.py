"""Per-tweet features and sentiment over a pandas batch: the one implementation.

Spark applies :func:`enrich_tweets` to bronze with ``mapInPandas`` (see
:func:`enrich_spark`); the HTTP server calls it directly on a frame built from JSON
requests. Training and serving therefore compute features with the same code.

Nothing here imports pyspark at module import time, so the server can use this
module without a JVM; the Spark helpers import it when they are called.

Missing values become explicit values a model can use: ``account_age_days`` is
``-1.0`` when a timestamp is missing, ``location`` and ``source_category`` are
``"unknown"``, missing counts count as 0 and a missing ``user_verified`` as False.
Only the pass-through labels (``retweets``, ``favorites``, ``is_retweet``) stay null,
because choosing a label is the modeling pipeline's decision.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql.types import StructType

UNKNOWN = "unknown"
"""The category of a missing or empty location or source."""

MISSING_ACCOUNT_AGE = -1.0
"""``account_age_days`` when the tweet date or the account creation date is missing."""

SOURCE_CATEGORIES: tuple[str, ...] = ("professional", "iphone", "ipad", "android", "web", "other", UNKNOWN)
"""Every value :func:`source_category` returns."""

# Checked in order, first match wins: a scheduling tool is "professional" even when
# its client name mentions a device.
_SOURCE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "professional",
        (
            "tweetdeck",
            "hootsuite",
            "buffer",
            "sprout social",
            "socialflow",
            "sprinklr",
            "khoros",
            "zoho social",
            "socialpilot",
            "sendible",
            "echobox",
            "falcon social",
            "socialbakers",
            "dynamic signal",
            "agorapulse",
            "oktopost",
            "socialnewsdesk",
            "publer",
            "dlvr.it",
            "twitter media studio",
            "twitter for advertisers",
        ),
    ),
    ("iphone", ("iphone",)),
    ("ipad", ("ipad",)),
    ("android", ("android",)),
    ("web", ("twitter web", "mobile web")),
)

INPUT_COLUMNS: tuple[str, ...] = (
    "id",
    "user_location",
    "user_created",
    "user_followers",
    "user_friends",
    "user_favourites",
    "user_verified",
    "date",
    "text",
    "hashtags",
    "source",
    "is_retweet",
    "retweets",
    "favorites",
)
"""The tweet fields :func:`enrich_tweets` reads; only ``id`` and ``text`` must be present."""

_REQUIRED_INPUT_COLUMNS: tuple[str, ...] = ("id", "text")

ENRICHED_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "string"),
    ("clean_text", "string"),
    ("polarity", "double"),
    ("subjectivity", "double"),
    ("positive_sentiment", "double"),
    ("negative_sentiment", "double"),
    ("hashtags", "string_array"),
    ("hashtag_count", "long"),
    ("mention_count", "long"),
    ("has_url", "boolean"),
    ("text_length", "long"),
    ("account_age_days", "double"),
    ("log_followers", "double"),
    ("log_friends", "double"),
    ("log_favourites", "double"),
    ("follower_friend_ratio", "double"),
    ("user_verified", "boolean"),
    ("source_category", "string"),
    ("location", "string"),
    ("tweet_date", "date"),
    ("date", "timestamp"),
    ("retweets", "long"),
    ("favorites", "long"),
    ("is_retweet", "boolean"),
)
"""Name and type of every column :func:`enrich_tweets` returns, in order."""

ENRICHED_COLUMNS: tuple[str, ...] = tuple(name for name, _ in ENRICHED_FIELDS)

NUMERIC_FEATURES: tuple[str, ...] = (
    "polarity",
    "subjectivity",
    "positive_sentiment",
    "negative_sentiment",
    "hashtag_count",
    "mention_count",
    "has_url",
    "text_length",
    "account_age_days",
    "log_followers",
    "log_friends",
    "log_favourites",
    "follower_friend_ratio",
    "user_verified",
)
"""Model inputs that are numbers or booleans (Spark's VectorAssembler takes both)."""

CATEGORICAL_FEATURES: tuple[str, ...] = ("source_category", "location")
"""Model inputs that are categories, to be indexed or encoded by the model."""

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Twitter handles are ASCII; the look-behind keeps e-mail addresses out.
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]+")
# A hashtag needs at least one character that is not a digit ("#1" is not a tag).
_HASHTAG = re.compile(r"(?<!\w)#(\w*[^\W\d]\w*)")
_WHITESPACE = re.compile(r"\s+")
_COMMAS = re.compile(r"\s*(?:,\s*)+")

# Characters that join the letters around them ("d.c.", "coeur d'alene"), so they are
# deleted; other punctuation and symbols separate words, so they become spaces.
_JOINING_PUNCTUATION = frozenset(".'\u2018\u2019\u02bc")
# Invisible characters (controls, joiners, keycap marks, code points unknown to this
# Python's Unicode tables such as newer emoji) and emoji variation selectors.
_DELETED_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Me"})
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))


def _as_text(value: object) -> str:
    """Return ``value`` if it is a string, else the empty string (null text)."""
    return value if isinstance(value, str) else ""


def _without_urls(text: str) -> str:
    """Return the HTML-unescaped text with its URLs replaced by spaces."""
    return _URL.sub(" ", html.unescape(text))


def clean_text(text: object) -> str:
    """Return the tweet text for sentiment: no entities, URLs, mentions or '#' marks."""
    words = _HASHTAG.sub(r"\1", _MENTION.sub(" ", _without_urls(_as_text(text))))
    return _WHITESPACE.sub(" ", words).strip()


def has_url(text: object) -> bool:
    """Return whether the tweet text holds a URL."""
    return _URL.search(_as_text(text)) is not None


def mention_count(text: object) -> int:
    """Return how many @handles the tweet text mentions."""
    return len(_MENTION.findall(_without_urls(_as_text(text))))


def text_hashtags(text: object) -> list[str]:
    """Return the lower-cased #tags written in the tweet text, in order."""
    return [tag.lower() for tag in _HASHTAG.findall(_without_urls(_as_text(text)))]


def tweet_hashtags(hashtags: object, text: object) -> list[str]:
    """Return the tweet's lower-cased hashtags: its hashtags field, else the tags in its text."""
    if isinstance(hashtags, (list, tuple, np.ndarray)):
        tags = [tag.lower() for tag in hashtags if isinstance(tag, str) and tag]
        if tags:
            return tags
    return text_hashtags(text)


@lru_cache(maxsize=4096)
def _source_category(source: str) -> str:
    """Return the category of a non-empty lower-cased source name."""
    for category, markers in _SOURCE_RULES:
        if any(marker in source for marker in markers):
            return category
    return "other"


def source_category(source: object) -> str:
    """Return the kind of client a tweet was sent from, one of :data:`SOURCE_CATEGORIES`."""
    if not isinstance(source, str) or not source.strip():
        return UNKNOWN
    return _source_category(source.lower())


def _location_character(character: str) -> str:
    """Return what a character of a lower-cased location becomes: itself, a space or nothing."""
    if character == ",":
        return character
    if character.isspace():
        return " "
    category = unicodedata.category(character)
    if character in _JOINING_PUNCTUATION or category in _DELETED_CATEGORIES:
        return ""
    if any(ord(character) in selectors for selectors in _VARIATION_SELECTORS):
        return ""
    if category[0] in "PS":
        return " "
    return character


@lru_cache(maxsize=65536)
def _normalise_location(location: str) -> str:
    """Return the normal form of a location string (``UNKNOWN`` when nothing is left)."""
    folded = unicodedata.normalize("NFKC", location).lower()
    words = " ".join("".join(map(_location_character, folded)).split())
    return _COMMAS.sub(", ", words).strip(" ,") or UNKNOWN


def normalise_location(location: object) -> str:
    """Return the user location in lower case without emoji, symbols or punctuation but commas."""
    if not isinstance(location, str):
        return UNKNOWN
    return _normalise_location(location)


@cache
def _sentiment_scorer() -> Callable[[str], tuple[float, float]]:
    """Return TextBlob's default sentiment function: text -> (polarity, subjectivity)."""
    # TextBlob(t).sentiment is PatternAnalyzer().analyze(t), which returns
    # Sentiment(*textblob.en.sentiment(t)) but first builds a new namedtuple class on
    # every call: that costs more than the scoring, so call the scorer itself.
    from textblob.en import sentiment

    return sentiment


def _sentiments(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return the polarity and subjectivity arrays of a list of texts."""
    score = _sentiment_scorer()
    polarity = np.empty(len(texts), dtype=np.float64)
    subjectivity = np.empty(len(texts), dtype=np.float64)
    for row, text in enumerate(texts):
        polarity[row], subjectivity[row] = score(text)
    return polarity, subjectivity


def _column(tweets: pd.DataFrame, name: str) -> pd.Series:
    """Return a column of the batch, or an all-null column when the field is absent."""
    if name in tweets.columns:
        return tweets[name]
    return pd.Series(None, index=tweets.index, dtype=object)


def _objects(values: Iterable[object], index: pd.Index) -> pd.Series:
    """Return the values as an object column (strings or lists), also when there are none."""
    return pd.Series(list(values), index=index, dtype=object)


def _timestamps(values: pd.Series) -> pd.Series:
    """Return the values as zone-less timestamps (aware ones converted to UTC), NaT if missing."""
    return pd.to_datetime(values, errors="coerce", utc=True).dt.tz_localize(None)


def _counts(values: pd.Series) -> np.ndarray:
    """Return the counts as floats with missing or negative counts as 0."""
    return pd.to_numeric(values, errors="coerce").fillna(0).clip(lower=0).to_numpy(dtype=np.float64)


def _flags(values: pd.Series) -> np.ndarray:
    """Return the booleans with missing values as False."""
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _account_age_days(created: pd.Series, date: pd.Series) -> np.ndarray:
    """Return the account's age in days when it tweeted, ``MISSING_ACCOUNT_AGE`` if unknown."""
    # Clipped at 0 so that a negative value always means "unknown".
    age = (date - created).dt.total_seconds() / 86_400.0
    return age.clip(lower=0.0).fillna(MISSING_ACCOUNT_AGE).to_numpy(dtype=np.float64)


def enrich_tweets(tweets: pd.DataFrame) -> pd.DataFrame:
    """Return the sentiment and features of each tweet: one row per tweet, same order and index.

    ``tweets`` holds the bronze columns (:data:`INPUT_COLUMNS`; absent optional ones
    count as null). The result has :data:`ENRICHED_COLUMNS` with the types of
    :func:`enriched_spark_schema`.
    """
    missing = [name for name in _REQUIRED_INPUT_COLUMNS if name not in tweets.columns]
    if missing:
        raise KeyError(f"tweets lack the required columns {missing}")
    rows = len(tweets)
    texts = [_as_text(text) for text in tweets["text"]]
    cleaned = [clean_text(text) for text in texts]
    polarity, subjectivity = _sentiments(cleaned)
    hashtags = [tweet_hashtags(tags, text) for tags, text in zip(_column(tweets, "hashtags"), texts)]
    followers = _counts(_column(tweets, "user_followers"))
    friends = _counts(_column(tweets, "user_friends"))
    created = _timestamps(_column(tweets, "user_created"))
    date = _timestamps(_column(tweets, "date"))
    return pd.DataFrame(
        {
            "id": tweets["id"].to_numpy(),
            "clean_text": _objects(cleaned, tweets.index),
            "polarity": polarity,
            "subjectivity": subjectivity,
            "positive_sentiment": np.where(polarity > 0.0, polarity, 0.0),
            "negative_sentiment": np.where(polarity < 0.0, -polarity, 0.0),
            "hashtags": _objects(hashtags, tweets.index),
            "hashtag_count": np.fromiter(map(len, hashtags), dtype=np.int64, count=rows),
            "mention_count": np.fromiter(map(mention_count, texts), dtype=np.int64, count=rows),
            "has_url": np.fromiter(map(has_url, texts), dtype=bool, count=rows),
            "text_length": np.fromiter(map(len, texts), dtype=np.int64, count=rows),
            "account_age_days": _account_age_days(created, date),
            "log_followers": np.log1p(followers),
            "log_friends": np.log1p(friends),
            "log_favourites": np.log1p(_counts(_column(tweets, "user_favourites"))),
            "follower_friend_ratio": followers / (friends + 1.0),
            "user_verified": _flags(_column(tweets, "user_verified")),
            "source_category": _objects(map(source_category, _column(tweets, "source")), tweets.index),
            "location": _objects(map(normalise_location, _column(tweets, "user_location")), tweets.index),
            "tweet_date": np.where(date.notna(), date.dt.date, None),
            "date": date.to_numpy(),
            "retweets": pd.to_numeric(_column(tweets, "retweets"), errors="coerce").astype("Int64").array,
            "favorites": pd.to_numeric(_column(tweets, "favorites"), errors="coerce").astype("Int64").array,
            "is_retweet": _column(tweets, "is_retweet").astype("boolean").array,
        },
        index=tweets.index,
    )


def enriched_spark_schema() -> StructType:
    """Return the Spark schema of :func:`enrich_tweets`' result."""
    from pyspark.sql import types as T

    spark_types = {
        "string": T.StringType(),
        "double": T.DoubleType(),
        "long": T.LongType(),
        "boolean": T.BooleanType(),
        "string_array": T.ArrayType(T.StringType()),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }
    return T.StructType([T.StructField(name, spark_types[kind]) for name, kind in ENRICHED_FIELDS])


def _enrich_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Enrich each Arrow batch Spark hands over."""
    for batch in batches:
        yield enrich_tweets(batch)


def enrich_spark(tweets: SparkDataFrame) -> SparkDataFrame:
    """Return the enriched tweets of a Spark DataFrame of bronze tweets (lazily)."""
    # Only the fields enrichment reads cross into Python: descriptions and names are long.
    present = [name for name in INPUT_COLUMNS if name in tweets.columns]
    return tweets.select(*present).mapInPandas(_enrich_batches, schema=enriched_spark_schema())
