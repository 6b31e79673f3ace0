"""Drive a tweet source into a sink: pacing, limits, the rejects file and a run summary."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from covid_tweets.producer.records import Reject, SourceItem
from covid_tweets.producer.sinks import Sink
from covid_tweets.schema import encode_message

REJECTS_DIR = Path("data/01_raw/rejects")


def default_rejects_path(source_name: str) -> Path:
    """Where the rejects of a source named ``source_name`` go unless told otherwise."""
    return REJECTS_DIR / f"{source_name}.rejects.jsonl"


@dataclass(frozen=True)
class ProduceSummary:
    """What a produce run did."""

    sent: int
    """Tweets handed to the sink."""
    delivered: int
    """Tweets the broker acknowledged."""
    failed: int
    """Tweets the sink could not deliver."""
    malformed: int
    """Source records rejected (see the rejects file)."""
    elapsed_seconds: float
    errors: tuple[str, ...] = ()
    """The first few distinct delivery errors."""
    interrupted: bool = False
    """True when the run was stopped early (Ctrl-C) and what was queued was flushed."""

    @property
    def messages_per_second(self) -> float:
        """Tweets sent per second of the run, including the final flush."""
        return self.sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def describe(self) -> str:
        """One line for people."""
        line = (
            f"sent {self.sent:,} | delivered {self.delivered:,} | failed {self.failed:,} | "
            f"malformed {self.malformed:,} | {self.elapsed_seconds:.1f} s | "
            f"{self.messages_per_second:,.0f} msg/s"
        )
        return line + (" | interrupted" if self.interrupted else "")


class RateLimiter:
    """Token bucket: on average ``rate`` acquisitions per second, in short bursts.

    The bucket holds about 20 ms of tokens, so at high rates the caller sleeps once per
    burst rather than once per message, and it never saves up more than that burst.
    Waits end with the bucket half full, so a sleep that overshoots loses no tokens.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst_seconds: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        self._rate = rate
        self._capacity = max(1.0, rate * burst_seconds)
        self._clock = clock
        self._sleep = sleep
        self._tokens = 1.0
        self._updated = clock()

    def acquire(self) -> None:
        """Take one token, sleeping until there is one."""
        while True:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            # The tolerance absorbs rounding in the refill, which could otherwise leave the
            # bucket a hair short of a token and ask for sleeps too short to matter.
            if self._tokens >= 1.0 - 1e-9:
                self._tokens = max(0.0, self._tokens - 1.0)
                return
            target = max(1.0, self._capacity / 2)
            self._sleep((target - self._tokens) / self._rate)


def produce(
    records: Iterable[SourceItem],
    sink: Sink,
    *,
    limit: int | None = None,
    rate: float = 0.0,
    rejects_path: str | Path | None = None,
    progress: bool | None = None,
    total: int | None = None,
) -> ProduceSummary:
    """Send every tweet of ``records`` to ``sink`` and close it; write rejects as JSON lines.

    ``limit`` caps the tweets sent (None = all); ``rate`` caps messages per second
    (0 = as fast as possible). Rejects go to ``rejects_path`` as ``{line, reason, raw}``
    objects (the file is replaced; None = count them only). ``progress`` shows a bar on
    stderr: None = only when stderr is a terminal. Ctrl-C stops reading, flushes what was
    sent, and returns a summary marked interrupted.
    """
    limiter = RateLimiter(rate) if rate > 0 else None
    sent = malformed = 0
    interrupted = False
    started = time.monotonic()
    with ExitStack() as stack:
        rejects = stack.enter_context(_open_rejects(rejects_path)) if rejects_path is not None else None
        bar = stack.enter_context(
            tqdm(
                total=_expected_messages(total, limit),
                unit="msg",
                disable=None if progress is None else not progress,
                dynamic_ncols=True,
                leave=False,
            )
        )
        try:
            for item in records if limit != 0 else ():
                if isinstance(item, Reject):
                    malformed += 1
                    if rejects is not None:
                        rejects.write(json.dumps(item.to_json_dict(), ensure_ascii=False) + "\n")
                    bar.set_postfix(malformed=malformed, refresh=False)
                    continue
                key, value = encode_message(item)
                if limiter is not None:
                    limiter.acquire()
                sink.send(key, value)
                sent += 1
                bar.update()
                if sent == limit:
                    break
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stats = sink.close()
    return ProduceSummary(
        sent=sent,
        delivered=stats.delivered,
        failed=stats.failed,
        malformed=malformed,
        elapsed_seconds=time.monotonic() - started,
        errors=stats.errors,
        interrupted=interrupted,
    )


def _expected_messages(total: int | None, limit: int | None) -> int | None:
    known = [bound for bound in (total, limit) if bound is not None]
    return min(known) if known else None


def _open_rejects(path: str | Path) -> IO[str]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")
