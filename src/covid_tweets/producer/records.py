"""What a tweet source yields: tweets ready to encode, or records it had to reject."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Union

from covid_tweets.schema import FIELD_NAMES

TWEET_KEYS: tuple[str, ...] = tuple(name for name in FIELD_NAMES if name != "schema_version")
"""The keys of a tweet dict; :func:`covid_tweets.schema.encode_message` adds the version."""

Tweet = dict[str, Any]


@dataclass(frozen=True)
class Reject:
    """A source record that cannot become a tweet, and why."""

    line: int
    """Line of the input where the record starts (1-based, the header is line 1)."""
    reason: str
    raw: str | None = None
    """The record's text as it appeared in the input, without its line terminator."""

    def to_json_dict(self) -> dict[str, Any]:
        """The reject as written to a rejects file."""
        return asdict(self)


SourceItem = Union[Tweet, Reject]
