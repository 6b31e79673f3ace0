"""A seeded stream of made-up tweets with a planted, learnable engagement signal.

The tweets look like the public COVID-19 data (emoji, commas and newlines in free text,
missing locations, skewed follower counts, several posting apps) but every word comes
from :mod:`covid_tweets.producer.vocabulary`. Whether a tweet is retweeted depends on
what a model can see: the author's followers, verification, hashtags, a link, the tone
of the text and the posting app, so the modeling stage has something real to learn.
"""

from __future__ import annotations

import itertools
import math
import random
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from covid_tweets.producer import vocabulary as vocab
from covid_tweets.producer.records import Tweet
from covid_tweets.schema import PY_TIMESTAMP_FORMAT

STREAM_START = datetime(2020, 12, 14)
STREAM_SPAN = timedelta(weeks=6)
"""Tweets are dated across these weeks, in roughly increasing order like a live stream."""

_EARLIEST_ACCOUNT = datetime(2007, 3, 1)
_MAX_USERS = 50_000
_URL_ALPHABET = string.ascii_letters + string.digits

TONES: tuple[str, ...] = ("positive", "neutral", "mild_negative", "strong_negative")
_TONE_WORDS = {
    "positive": vocab.POSITIVE_WORDS,
    "mild_negative": vocab.MILD_NEGATIVE_WORDS,
    "strong_negative": vocab.STRONG_NEGATIVE_WORDS,
}
_TONE_FRAMES = {
    "positive": vocab.POSITIVE_FRAMES,
    "neutral": vocab.NEUTRAL_FRAMES,
    "mild_negative": vocab.NEGATIVE_FRAMES,
    "strong_negative": vocab.NEGATIVE_FRAMES,
}
_TONE_EMOJI = {
    "positive": vocab.POSITIVE_EMOJI,
    "neutral": vocab.NEUTRAL_EMOJI,
    "mild_negative": vocab.NEGATIVE_EMOJI,
    "strong_negative": vocab.NEGATIVE_EMOJI,
}

# The planted signal: log-odds that a tweet is retweeted at least once. Upbeat and
# outraged tweets travel; grumbling and plain notices do not.
_BASE_LOG_ODDS = -6.6
_LOG_FOLLOWERS_WEIGHT = 0.85
_VERIFIED_WEIGHT = 1.0
_HASHTAG_WEIGHT = 0.35  # per hashtag, up to _MAX_COUNTED_HASHTAGS
_MAX_COUNTED_HASHTAGS = 4
_URL_WEIGHT = 0.7
_TONE_WEIGHT = {"positive": 1.0, "neutral": -0.4, "mild_negative": -0.8, "strong_negative": 1.4}
_SOURCE_WEIGHT = {"mobile": 0.3, "web": 0.0, "publisher": 0.5, "automated": -1.5}


class _Weighted:
    """A fixed weighted choice, with cumulative weights computed once."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self._population = list(weights)
        self._cum_weights = list(itertools.accumulate(weights.values()))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self._population, cum_weights=self._cum_weights)[0]


_TONE_CHOICE = _Weighted(dict(zip(TONES, (0.32, 0.30, 0.20, 0.18))))
_SOURCE_KIND_CHOICE = _Weighted(vocab.SOURCE_KIND_WEIGHTS)
_SOURCE_CHOICE = {kind: _Weighted(dict(sources)) for kind, sources in vocab.SOURCES_BY_KIND.items()}


@dataclass(frozen=True)
class _User:
    name: str
    location: str | None
    description: str | None
    created: datetime
    followers: int
    friends: int
    favourites: int
    verified: bool
    source_kind: str
    source: str


def generate_tweets(count: int, seed: int = 42) -> Iterator[Tweet]:
    """Yield ``count`` synthetic tweet dicts, identical for the same ``seed``.

    Ids are ``"s{seed}-{n}"``, so streams with different seeds never collide.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = random.Random(seed)
    users = _UserPool(rng, size=min(_MAX_USERS, max(100, count // 4)))
    span = STREAM_SPAN.total_seconds()
    seconds_per_tweet = span / max(count, 1)
    for n in range(count):
        user = users.pick()
        # Small jitter keeps event times roughly, not strictly, ordered.
        offset = min(span, max(0.0, n * seconds_per_tweet + rng.uniform(-120.0, 120.0)))
        date = STREAM_START + timedelta(seconds=int(offset))
        yield _tweet(rng, f"s{seed}-{n}", user, date)


class _UserPool:
    """Authors drawn with a skew, so a few accounts post much of the stream.

    Users are made on first pick from the generator's own random stream, which keeps
    the whole stream a function of the seed alone.
    """

    def __init__(self, rng: random.Random, size: int) -> None:
        self._rng = rng
        self._size = size
        self._users: dict[int, _User] = {}

    def pick(self) -> _User:
        index = int(self._size * self._rng.random() ** 1.5)
        user = self._users.get(index)
        if user is None:
            user = self._users[index] = _new_user(self._rng)
        return user


def _new_user(rng: random.Random) -> _User:
    verified = rng.random() < 0.10
    source_kind = _SOURCE_KIND_CHOICE.pick(rng)
    source = _SOURCE_CHOICE[source_kind].pick(rng)
    # Log-normal counts: most accounts are small, a few are huge.
    log_followers = rng.gauss(4.8, 1.9) + (3.5 if verified else 0.0)
    followers = _capped_count(math.exp(log_followers) - 1)
    friends = _capped_count(math.exp(rng.gauss(5.8, 1.3)) - 1)
    favourites = _capped_count(math.exp(rng.gauss(7.0, 2.2)) - 1)
    account_age = (STREAM_START - timedelta(days=1) - _EARLIEST_ACCOUNT).total_seconds()
    created = _EARLIEST_ACCOUNT + timedelta(seconds=int(account_age * rng.random() ** 0.8))
    return _User(
        name=_user_name(rng),
        location=None if rng.random() < 0.20 else rng.choice(vocab.PLACES),
        description=None if rng.random() < 0.10 else _description(rng),
        created=created,
        followers=followers,
        friends=friends,
        favourites=favourites,
        verified=verified,
        source_kind=source_kind,
        source=source,
    )


def _tweet(rng: random.Random, tweet_id: str, user: _User, date: datetime) -> Tweet:
    automated = user.source_kind == "automated"
    tone = "neutral" if automated else _TONE_CHOICE.pick(rng)
    hashtags = _hashtags(rng)
    has_url = rng.random() < (0.9 if automated else 0.45)
    text = _text(rng, tone, automated, hashtags, has_url)
    retweets, favorites = _engagement(rng, user, tone, len(hashtags), has_url)
    return {
        "id": tweet_id,
        "user_name": user.name,
        "user_location": user.location,
        "user_description": user.description,
        "user_created": user.created.strftime(PY_TIMESTAMP_FORMAT),
        "user_followers": user.followers,
        "user_friends": user.friends,
        "user_favourites": user.favourites,
        "user_verified": user.verified,
        "date": date.strftime(PY_TIMESTAMP_FORMAT),
        "text": text,
        "hashtags": hashtags,
        "source": user.source,
        "is_retweet": False,
        "retweets": retweets,
        "favorites": favorites,
    }


def _text(rng: random.Random, tone: str, automated: bool, hashtags: list[str], has_url: bool) -> str:
    if automated:
        parts = [_statistic(rng)]
    else:
        sentences = [_sentence(rng, tone) for _ in range(1 if rng.random() < 0.6 else 2)]
        parts = [_join_sentences(rng, sentences)]
    if not automated and rng.random() < 0.4:
        parts.append("".join(rng.choice(_TONE_EMOJI[tone]) for _ in range(rng.randint(1, 2))))
    if hashtags:
        parts.append(" ".join(f"#{tag}" for tag in hashtags))
    if rng.random() < 0.2:
        parts.insert(0, rng.choice(vocab.MENTIONS))
    if has_url:
        parts.append("https://t.co/" + "".join(rng.choices(_URL_ALPHABET, k=10)))
    return " ".join(parts)


def _sentence(rng: random.Random, tone: str) -> str:
    frame = rng.choice(_TONE_FRAMES[tone])
    words = _TONE_WORDS.get(tone)
    sentence = frame.format(
        word=rng.choice(words) if words else "",
        topic=rng.choice(vocab.TOPICS),
        people=rng.choice(vocab.PEOPLE),
        event=rng.choice(vocab.EVENTS),
        place=rng.choice(vocab.SHORT_PLACES),
    )
    return sentence[0].upper() + sentence[1:]


def _statistic(rng: random.Random) -> str:
    cases = int(math.exp(rng.gauss(7.0, 1.5)))
    return rng.choice(vocab.STATISTIC_FRAMES).format(
        place=rng.choice(vocab.SHORT_PLACES),
        cases=cases,
        deaths=int(cases * rng.uniform(0.005, 0.03)),
    )


def _join_sentences(rng: random.Random, sentences: list[str]) -> str:
    separator = rng.choice((". ", "!\n", ".\n\n", ", "))
    if separator == ", ":
        sentences = [sentences[0]] + [s[0].lower() + s[1:] for s in sentences[1:]]
    return separator.join(sentences) + rng.choice((".", "!", "", "..."))


def _hashtags(rng: random.Random) -> list[str]:
    if rng.random() < 0.30:
        return []
    count = 1
    while count < 6 and rng.random() < 0.45:
        count += 1
    return rng.sample(vocab.HASHTAGS, count)


def _engagement(
    rng: random.Random, user: _User, tone: str, hashtag_count: int, has_url: bool
) -> tuple[int, int]:
    """Retweet and favourite counts, drawn from the planted model."""
    log_followers = math.log1p(user.followers)
    log_odds = (
        _BASE_LOG_ODDS
        + _LOG_FOLLOWERS_WEIGHT * log_followers
        + _VERIFIED_WEIGHT * user.verified
        + _HASHTAG_WEIGHT * min(hashtag_count, _MAX_COUNTED_HASHTAGS)
        + _URL_WEIGHT * has_url
        + _TONE_WEIGHT[tone]
        + _SOURCE_WEIGHT[user.source_kind]
    )
    p_retweeted = 1.0 / (1.0 + math.exp(-log_odds))
    if rng.random() >= p_retweeted:
        # Some tweets are liked without being shared, more often the likelier ones.
        favorites = rng.randint(1, 3) if rng.random() < 0.5 * p_retweeted else 0
        return 0, favorites
    # Bigger audiences share more: the count's scale grows with followers.
    retweets = 1 + int(math.exp(rng.gauss(0.35 * log_followers - 1.5, 1.0)))
    favorites = retweets + int(retweets * math.exp(rng.gauss(0.8, 0.7)))
    return retweets, favorites


def _user_name(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.6:
        name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
    elif style < 0.85:
        name = f"{rng.choice(vocab.HANDLE_WORDS)}_{rng.choice(vocab.HANDLE_WORDS)}{rng.randint(1, 999)}"
    else:
        name = rng.choice(vocab.FIRST_NAMES)
    if rng.random() < 0.15:
        name += " " + rng.choice(vocab.NAME_EMOJI)
    return name


def _description(rng: random.Random) -> str:
    phrases = rng.sample(vocab.DESCRIPTION_PHRASES, rng.randint(1, 3))
    separator = rng.choice((", ", " | ", ". ", "\n"))
    return separator.join(phrases)


def _capped_count(value: float) -> int:
    return min(max(int(value), 0), 200_000_000)
