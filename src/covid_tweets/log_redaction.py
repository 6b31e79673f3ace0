"""Keeps resolved credentials out of Kedro's DEBUG logs.

Kedro's hook manager traces every hook call with its arguments at DEBUG, and
``after_catalog_created`` receives ``conf_creds``: every secret, resolved. The filter
replaces that argument with ``<hidden>`` before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

HOOK_TRACING_LOGGER = "kedro.framework.hooks.manager"


class HideTracedCredentials(logging.Filter):
    """Blanks the ``conf_creds`` argument (and its indented lines) in a traced hook call."""

    _CREDENTIALS = re.compile(r"^( *)conf_creds:.*(?:\n\1  +\S.*)*", re.MULTILINE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "conf_creds:" in message:
            record.msg, record.args = self._CREDENTIALS.sub(r"\1conf_creds: <hidden>", message), ()
        return True


def hide_credentials_in_hook_tracing() -> None:
    """Install the filter on Kedro's hook tracing logger (once)."""
    tracing = logging.getLogger(HOOK_TRACING_LOGGER)
    if not any(isinstance(existing, HideTracedCredentials) for existing in tracing.filters):
        tracing.addFilter(HideTracedCredentials())
