"""Stream tweets from CSV exports in the public "COVID19 Tweets" and "vaccination tweets" layouts.

Both are RFC 4180 files whose quoted fields hold commas and newlines, so records are
read with :mod:`csv` one at a time and never as whole lines or a whole file. Columns are
found by header name because the two layouts order them differently. Every record comes
out either as a tweet dict (keys :data:`~covid_tweets.producer.records.TWEET_KEYS`) or as
a :class:`~covid_tweets.producer.records.Reject` naming its line and the reason.

Hostile sizes are bounded twice. A field longer than :data:`MAX_FIELD_CHARS` rejects its
record, and the records around it are read as usual. A record longer than
:data:`MAX_RECORD_CHARS` stops the file with :class:`InputFileError`: reading on would
need it all in memory, and guessing where the next record starts could turn the rest
of a quoted field into records.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, TextIO

from covid_tweets.producer.records import TWEET_KEYS, Reject, SourceItem, Tweet
from covid_tweets.schema import PY_TIMESTAMP_FORMAT, TWEET_FIELDS

COVID19_COLUMNS: tuple[str, ...] = (
    "user_name",
    "user_location",
    "user_description",
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
)
"""The columns of the COVID19 Tweets layout, which every accepted file must have."""

VACCINATION_EXTRA_COLUMNS: tuple[str, ...] = ("id", "retweets", "favorites")
"""The vaccination layout adds these to the COVID19 columns (and orders them differently)."""

MAX_FIELD_CHARS = 10_000
"""Longest field a record may have; its record is rejected otherwise.

Tweets and profiles are a few hundred characters. At 10,000 characters a field takes at
most 60,000 bytes of JSON (a control character is escaped to six), so a message with
every text field full still fits the 1,000,000 bytes a Kafka producer sends by default
and the 1 MB event limit of Event Hubs' Standard tier.
"""

MAX_RECORD_CHARS = 16 * 1024 * 1024
"""Longest record the reader steps over to reach the next one; a longer one stops the file."""

_KEPT_RAW_CHARS = 1_000  # the rejects file keeps this much of an oversized record: enough to find it
_MAX_COUNT = 2**63 - 1  # the message's counts are Spark longs
_MAX_HASHTAGS_CHARS = 10_000  # bounds the work literal_eval may be asked to do
_COUNT = re.compile(r"[+-]?\d+(?:\.0*)?")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class InputFileError(ValueError):
    """The file cannot be read as a tweet CSV (empty, not text, wrong header, a record too long to skip)."""


class FieldError(ValueError):
    """A field's text cannot be converted to its message type."""


def read_csv_tweets(path: str | Path) -> Iterator[SourceItem]:
    """Yield a tweet dict or a :class:`Reject` for every record of the CSV at ``path``.

    Raises :class:`InputFileError` (a :class:`ValueError`) for a file that is empty, is
    not UTF-8 text, lacks a layout's columns, or holds a record longer than
    :data:`MAX_RECORD_CHARS`. Use :class:`CsvTweetSource` to have the header checked
    before anything else happens.
    """
    with CsvTweetSource(path) as source:
        yield from source


class CsvTweetSource:
    """An open tweet CSV whose header has been checked; iterate it once for its records."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # utf-8-sig reads plain UTF-8 too, and drops the BOM spreadsheet tools write.
        self._file: TextIO = open(self.path, newline="", encoding="utf-8-sig")
        try:
            self._lines = _RecordingLines(self._file, MAX_RECORD_CHARS)
            self._reader = csv.reader(self._lines)
            self._columns = self._read_header()
            self._names = list(self._columns)  # in column order: the header has no duplicates
        except BaseException:
            self._file.close()
            raise
        self._ids = _ContentIds()

    @property
    def name(self) -> str:
        """The file's name without its extension, e.g. for naming its rejects file."""
        return self.path.stem

    @property
    def layout(self) -> str:
        """``"vaccination"`` when the file has ids and engagement counts, else ``"covid19"``."""
        has_extras = all(name in self._columns for name in VACCINATION_EXTRA_COLUMNS)
        return "vaccination" if has_extras else "covid19"

    def __iter__(self) -> Iterator[SourceItem]:
        return self._records()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> CsvTweetSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read_header(self) -> dict[str, int]:
        try:
            header = self._next_row(start_line=1)
        except csv.Error as exc:
            raise InputFileError(f"{self.path}: unreadable CSV header: {exc}") from None
        if not header:
            raise InputFileError(f"{self.path}: no header (the file is empty or starts with a blank line)")
        names = [name.strip().lower() for name in header]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InputFileError(f"{self.path}: duplicate columns {duplicates}")
        missing = [name for name in COVID19_COLUMNS if name not in names]
        if missing:
            raise InputFileError(
                f"{self.path}: not a COVID19 Tweets or vaccination tweets CSV, "
                f"missing columns {missing}"
            )
        self._lines.take()
        return {name: position for position, name in enumerate(names)}

    def _next_row(self, start_line: int) -> list[str] | None:
        """The next parsed record, or None at the end of the file."""
        # csv's own field limit (131,072 by default) is process-wide; the record bound
        # replaces it while this file is read, and other readers keep theirs.
        previous_limit = csv.field_size_limit(MAX_RECORD_CHARS + 1)
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError:
            raise InputFileError(
                f"{self.path}: not UTF-8 text (undecodable bytes near line {start_line})"
            ) from None
        except _RecordTooLong:
            raise InputFileError(
                f"{self.path}: the record starting on line {start_line} is longer than "
                f"{MAX_RECORD_CHARS:,} characters, so reading stopped there (where the next record "
                "starts cannot be known); remove or shorten that record"
            ) from None
        finally:
            csv.field_size_limit(previous_limit)

    def _records(self) -> Iterator[SourceItem]:
        while True:
            start_line = self._reader.line_num + 1
            try:
                row = self._next_row(start_line)
            except csv.Error as exc:
                yield Reject(start_line, f"malformed CSV: {exc}", _without_terminator(self._lines.take()))
                continue
            if row is None:
                return
            raw = _without_terminator(self._lines.take())
            if not row:
                continue  # a blank line is not a record
            oversized = self._oversized_fields(row)
            if oversized:
                yield _oversized_reject(start_line, oversized, raw)
            elif self._lines.exhausted:
                # The reader returned a record only because input ran out inside a quoted
                # field: a complete record ends at its line terminator, before EOF is seen.
                yield Reject(start_line, "record truncated at end of file", raw)
            elif len(row) != len(self._columns):
                yield Reject(start_line, f"expected {len(self._columns)} fields, got {len(row)}", raw)
            else:
                yield self._to_tweet(row, start_line, raw)

    def _oversized_fields(self, row: list[str]) -> str:
        """A reject reason naming each field longer than MAX_FIELD_CHARS, or "" if none is."""
        reasons = [
            f"{self._column_name(position)}: {len(value):,} characters, more than the "
            f"{MAX_FIELD_CHARS:,} a field may have"
            for position, value in enumerate(row)
            if len(value) > MAX_FIELD_CHARS
        ]
        return "; ".join(reasons)

    def _column_name(self, position: int) -> str:
        """The header's name of a column, or its number when the record has more fields than the header."""
        return self._names[position] if position < len(self._names) else f"field {position + 1}"

    def _to_tweet(self, row: list[str], line: int, raw: str) -> SourceItem:
        tweet: Tweet = dict.fromkeys(TWEET_KEYS)
        errors: list[str] = []
        for field in _CONVERTED_FIELDS:
            position = self._columns.get(field.name)
            if position is None:
                continue
            try:
                value = _CONVERTERS[field.kind](row[position])
            except FieldError as exc:
                errors.append(f"{field.name}: {exc}")
                continue
            if field.required and _is_blank(value):
                errors.append(f"{field.name}: missing")
            tweet[field.name] = value
        if "id" in self._columns:
            tweet["id"] = row[self._columns["id"]].strip() or None
            if tweet["id"] is None:
                errors.append("id: missing")
        if errors:
            return Reject(line, "; ".join(errors), raw)
        if tweet["id"] is None:
            tweet["id"] = self._ids.next_id(row)
        return tweet


class _RecordTooLong(Exception):
    """The current record is longer than the reader's bound."""


class _RecordingLines:
    """Feeds lines to :func:`csv.reader` and keeps the ones the current record used.

    ``exhausted`` turns true once the file has no more lines. A record longer than
    ``max_record_chars`` raises :class:`_RecordTooLong`; lines are read with that bound,
    so even a file that is one endless line is never held in memory whole.
    """

    def __init__(self, file: TextIO, max_record_chars: int) -> None:
        self._file = file
        self._max_record_chars = max_record_chars
        self._used: list[str] = []
        self._used_chars = 0
        self.exhausted = False

    def __iter__(self) -> _RecordingLines:
        return self

    def __next__(self) -> str:
        line = self._file.readline(self._max_record_chars - self._used_chars + 1)
        if not line:
            self.exhausted = True
            raise StopIteration
        self._used_chars += len(line)
        if self._used_chars > self._max_record_chars:
            raise _RecordTooLong
        self._used.append(line)
        return line

    def take(self) -> str:
        """The text read since the last call."""
        text = "".join(self._used)
        self._used.clear()
        self._used_chars = 0
        return text


class _ContentIds:
    """Deterministic ids for records that have none: a hash of their fields.

    Repeats of identical content get the occurrence number hashed in too, so ids stay
    unique, and producing the same file again gives the same ids.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next_id(self, fields: list[str]) -> str:
        content = "\x1f".join(fields)
        base = _short_hash(content)
        occurrence = self._seen.get(base, 0)
        self._seen[base] = occurrence + 1
        if occurrence == 0:
            return "c" + base
        return "c" + _short_hash(f"{content}\x1f{occurrence}")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _oversized_reject(line: int, reason: str, raw: str) -> Reject:
    """The reject of a record with an oversized field; its raw text is cut so the rejects file stays small."""
    if len(raw) > _KEPT_RAW_CHARS:
        reason += f" (raw holds the first {_KEPT_RAW_CHARS:,} of the record's {len(raw):,} characters)"
    return Reject(line, reason, raw[:_KEPT_RAW_CHARS])


def _without_terminator(raw: str) -> str:
    for terminator in ("\r\n", "\n", "\r"):
        if raw.endswith(terminator):
            return raw[: -len(terminator)]
    return raw


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shorten(value: str, limit: int = 80) -> str:
    """The value quoted for a reject reason, cut so one bad field cannot flood the rejects file."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _to_string(value: str) -> str | None:
    return value if value != "" else None


def _to_count(value: str) -> int | None:
    text = value.strip()
    if text == "":
        return None
    if not _COUNT.fullmatch(text):
        raise FieldError(f"not a number {_shorten(value)}")
    count = int(text.split(".")[0])
    if count < 0:
        raise FieldError(f"negative count {_shorten(value)}")
    if count > _MAX_COUNT:
        raise FieldError(f"count out of range {_shorten(value)}")
    return count


def _to_boolean(value: str) -> bool | None:
    text = value.strip().lower()
    if text == "":
        return None
    if text not in ("true", "false"):
        raise FieldError(f"not a boolean {_shorten(value)}")
    return text == "true"


def _to_timestamp(value: str) -> str | None:
    if value.strip() == "":
        return None
    if not _TIMESTAMP.fullmatch(value):
        raise FieldError(f"not a timestamp {_shorten(value)}")
    try:
        datetime.strptime(value, PY_TIMESTAMP_FORMAT)
    except ValueError:
        raise FieldError(f"not a timestamp {_shorten(value)}") from None
    return value


def _to_hashtags(value: str) -> list[str]:
    text = value.strip()
    if text == "":
        return []
    parsed: Any = None
    if text.startswith("[") and len(text) <= _MAX_HASHTAGS_CHARS:
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            parsed = None
    if not isinstance(parsed, list) or not all(isinstance(tag, str) for tag in parsed):
        raise FieldError(f"not a list of strings {_shorten(value)}")
    return parsed


# The id is taken as it is or derived from the content; every other field is converted.
_CONVERTED_FIELDS = tuple(field for field in TWEET_FIELDS if field.name in TWEET_KEYS and field.name != "id")

_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": _to_string,
    "long": _to_count,
    "boolean": _to_boolean,
    "timestamp": _to_timestamp,
    "string_array": _to_hashtags,
}
