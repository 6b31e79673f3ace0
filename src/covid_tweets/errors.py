"""How the project quotes an underlying error in its own messages."""

from __future__ import annotations


def first_line(error: BaseException, limit: int) -> str:
    """The error's first line, which names the cause ("" if it has no text).

    A JVM stack trace or a chained traceback follows that line; the log keeps them.
    """
    lines = str(error).strip().splitlines()
    return lines[0][:limit] if lines else ""
