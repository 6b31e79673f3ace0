"""Scoring requests: parse a JSON body, check every tweet against the message schema, build a frame.

A body is one tweet object, a list of tweet objects, or an envelope holding the list:
``{"tweets": [...]}`` (or ``{"data": [...]}``, the shape Azure ML clients often send).
Each tweet follows :data:`covid_tweets.schema.TWEET_FIELDS`, except that ``id`` and
``schema_version`` may be left out: a tweet to score need not be keyed.

Every rejection raises :class:`ValidationError` whose message names the tweet and the
field, e.g. ``tweets[0].user_followers: expected an integer``. This module imports no
web framework: the HTTP app, the Azure ML entry script and the MLflow model share it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from covid_tweets.schema import (
    EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP,
    PY_TIMESTAMP_FORMAT,
    SCHEMA_VERSION,
    TWEET_FIELDS,
    Field,
)

DEFAULT_MAX_BATCH = 1000
"""Most tweets one request may hold."""

DEFAULT_MAX_BODY_BYTES = 1_000_000
"""Largest request body accepted, in bytes (1 MB)."""

ENVELOPE_KEYS: tuple[str, ...] = ("tweets", "data")
"""Keys of an object that wraps the list of tweets instead of being a tweet."""

OPTIONAL_FOR_SCORING: frozenset[str] = frozenset({"id", "schema_version"})
"""Fields the message requires but a scoring request may leave out."""

SCORING_REQUIRED_FIELDS: tuple[str, ...] = tuple(
    field.name for field in TWEET_FIELDS if field.required and field.name not in OPTIONAL_FOR_SCORING
)
"""Fields every tweet to score must hold, not null."""

_FIELDS_BY_NAME: dict[str, Field] = {field.name: field for field in TWEET_FIELDS}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# The wire format exactly: strptime alone would also take "2020-7-1 1:2:3".
_TIMESTAMP_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)
_ENVELOPE_HINT = 'expected a tweet object, a list of tweet objects, or {"tweets": [...]}'


class ValidationError(ValueError):
    """A request that cannot be scored; ``status_code`` is the HTTP status to answer with."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _json_type_name(value: Any) -> str:
    """Return the JSON name of a parsed value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _is_encodable(text: str) -> bool:
    """Return whether a string is valid Unicode (JSON escapes can smuggle in lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _string(value: Any, where: str) -> str:
    """Return a valid string or raise naming the field."""
    if not isinstance(value, str):
        raise ValidationError(f"{where}: expected a string, got {_json_type_name(value)}")
    if not _is_encodable(value):
        raise ValidationError(f"{where}: the string holds an unpaired surrogate escape")
    return value


def _long(value: Any, where: str) -> int:
    """Return a 64-bit integer or raise naming the field (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where}: expected an integer, got {_json_type_name(value)}")
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValidationError(f"{where}: the integer is outside the 64-bit range")
    return value


def _boolean(value: Any, where: str) -> bool:
    """Return a boolean or raise naming the field."""
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: expected true or false, got {_json_type_name(value)}")
    return value


def _timestamp(value: Any, where: str) -> dt.datetime:
    """Return the datetime of a wire timestamp ("YYYY-MM-DD HH:MM:SS", UTC) or raise naming the field."""
    expected = f'expected a timestamp formatted "{PY_TIMESTAMP_FORMAT}"'
    if not isinstance(value, str):
        raise ValidationError(f"{where}: {expected}, got {_json_type_name(value)}")
    try:
        if not _TIMESTAMP_SHAPE.fullmatch(value):
            raise ValueError(value)
        timestamp = dt.datetime.strptime(value, PY_TIMESTAMP_FORMAT)
    except ValueError:
        raise ValidationError(f"{where}: {expected}, got {json.dumps(value[:40])}") from None
    if not EARLIEST_TIMESTAMP <= timestamp <= LATEST_TIMESTAMP:
        raise ValidationError(f"{where}: the timestamp is outside {EARLIEST_TIMESTAMP} .. {LATEST_TIMESTAMP}")
    return timestamp


def _string_array(value: Any, where: str) -> list[str]:
    """Return a list of strings or raise naming the field and the bad item."""
    if not isinstance(value, list):
        raise ValidationError(f"{where}: expected a list of strings, got {_json_type_name(value)}")
    for position, item in enumerate(value):
        _string(item, f"{where}[{position}]")
    return value


_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "string": _string,
    "long": _long,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "string_array": _string_array,
}


def validate_tweet(tweet: Any, index: int) -> dict[str, Any]:
    """Return the tweet at ``index`` with its values typed (timestamps as datetimes), or raise."""
    where = f"tweets[{index}]"
    if not isinstance(tweet, dict):
        raise ValidationError(f"{where}: expected a tweet object, got {_json_type_name(tweet)}")
    unknown = [name for name in tweet if name not in _FIELDS_BY_NAME]
    if unknown:
        names = ", ".join(json.dumps(name[:40]) for name in unknown[:5])
        raise ValidationError(f"{where}: unknown field{'s' if len(unknown) > 1 else ''} {names}")
    for name in SCORING_REQUIRED_FIELDS:
        if tweet.get(name) is None:
            problem = "is missing" if name not in tweet else "must not be null"
            raise ValidationError(f"{where}.{name}: {problem}")
    typed: dict[str, Any] = {}
    for name, value in tweet.items():
        typed[name] = None if value is None else _CHECKS[_FIELDS_BY_NAME[name].kind](value, f"{where}.{name}")
    version = typed.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        raise ValidationError(
            f"{where}.schema_version: version {version} is not supported (expected {SCHEMA_VERSION})"
        )
    return typed


def tweet_list(payload: Any, max_batch: int = DEFAULT_MAX_BATCH) -> list[Any]:
    """Return the tweets a parsed body holds (unchecked), or raise when its shape is wrong."""
    if isinstance(payload, dict):
        envelopes = [key for key in ENVELOPE_KEYS if key in payload]
        if not envelopes:
            return [payload]
        if len(payload) > 1:
            extra = ", ".join(json.dumps(key[:40]) for key in payload if key != envelopes[0])
            raise ValidationError(f'{_ENVELOPE_HINT}; "{envelopes[0]}" cannot come with {extra}')
        payload = payload[envelopes[0]]
        if not isinstance(payload, list):
            raise ValidationError(
                f'"{envelopes[0]}": expected a list of tweet objects, got {_json_type_name(payload)}'
            )
    if not isinstance(payload, list):
        raise ValidationError(f"{_ENVELOPE_HINT}, got {_json_type_name(payload)}")
    if not payload:
        raise ValidationError("no tweets to score: the list is empty")
    if len(payload) > max_batch:
        raise ValidationError(f"{len(payload)} tweets in one request, more than the limit of {max_batch}")
    return payload


def validate_payload(payload: Any, max_batch: int = DEFAULT_MAX_BATCH) -> list[dict[str, Any]]:
    """Return the typed tweets of a parsed JSON body, or raise at the first bad tweet."""
    return [validate_tweet(tweet, index) for index, tweet in enumerate(tweet_list(payload, max_batch))]


def _reject_constant(name: str) -> None:
    """Refuse NaN and Infinity, which Python's json accepts but JSON does not define."""
    raise ValueError(f"{name} is not a JSON value")


def parse_json(body: bytes | str, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """Return the JSON value of a request body, or raise (413 when it is too big)."""
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > max_body_bytes:
        raise ValidationError(f"request body is {size} bytes, more than the limit of {max_body_bytes}", 413)
    try:
        text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ValidationError("request body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ValidationError(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except ValueError as error:
        raise ValidationError(f"invalid JSON: {error}") from None
    except RecursionError:
        raise ValidationError("invalid JSON: nested too deeply") from None


def _objects(values: list[Any]) -> np.ndarray:
    """Return the values as a 1-d object array (numpy would make a list of equal lists 2-d)."""
    array = np.empty(len(values), dtype=object)
    for row, value in enumerate(values):
        array[row] = value
    return array


def _frame_column(values: list[Any], kind: str) -> Any:
    """Return one column, with nulls kept as nulls (pandas' nullable types, NaT), not NaN floats."""
    # Built straight from numpy: pd.Series(values, dtype=...) costs about a millisecond per
    # request in dtype inference, more than a single tweet's scoring.
    rows = len(values)
    if kind == "timestamp":
        return np.array(values, dtype="datetime64[ns]")
    if kind in ("long", "boolean"):
        missing = np.fromiter((value is None for value in values), dtype=bool, count=rows)
        if kind == "long":
            numbers = np.fromiter((0 if value is None else value for value in values), dtype=np.int64, count=rows)
            return pd.arrays.IntegerArray(numbers, missing)
        flags = np.fromiter((value is True for value in values), dtype=bool, count=rows)
        return pd.arrays.BooleanArray(flags, missing)
    return _objects(values)


def tweets_frame(tweets: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Return validated tweets as a frame with every schema column, typed as enrich_tweets reads them.

    Strings and hashtag lists are objects, timestamps ``datetime64[ns]`` (NaT when null),
    counts ``Int64`` and flags ``boolean`` (pandas' NA when null).
    """
    columns = {
        field.name: _frame_column([tweet.get(field.name) for tweet in tweets], field.kind)
        for field in TWEET_FIELDS
    }
    return pd.DataFrame(columns, copy=False)


def parse_request(
    body: bytes | str,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> pd.DataFrame:
    """Return the frame of tweets a raw JSON request body holds, or raise :class:`ValidationError`."""
    return tweets_frame(validate_payload(parse_json(body, max_body_bytes), max_batch))
