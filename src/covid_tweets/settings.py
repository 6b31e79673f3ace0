"""Kedro project settings: hooks, configuration loading and where conf lives."""

import logging
import re
from pathlib import Path

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from covid_tweets.hooks import MlflowDatabaseHooks, SparkHooks


def _absolute_path(path: str) -> str:
    """Anchor a project-relative path (relative to where kedro runs, like the catalog's)."""
    return Path(path).resolve().as_posix()


class _HideTracedCredentials(logging.Filter):
    """Blanks the credentials in Kedro's hook tracing, which logs every hook argument at DEBUG."""

    _CREDENTIALS = re.compile(r"^( *)conf_creds:.*(?:\n\1  +\S.*)*", re.MULTILINE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "conf_creds:" in message:
            record.msg, record.args = self._CREDENTIALS.sub(r"\1conf_creds: <hidden>", message), ()
        return True


# With the kedro logger at DEBUG, after_catalog_created would print every resolved secret.
logging.getLogger("kedro.framework.hooks.manager").addFilter(_HideTracedCredentials())

HOOKS = (SparkHooks(), MlflowDatabaseHooks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "spark": ["spark*", "spark*/**"],
        "globals": ["globals*", "globals*/**"],
        "mlflow": ["mlflow*", "mlflow*/**"],
    },
    "custom_resolvers": {
        # Environment variables may override the embedded defaults everywhere
        # (broker address, tracking URI): the same code runs locally, in CI and on Azure.
        "oc.env": oc.env,
        "abs_path": _absolute_path,
    },
}
