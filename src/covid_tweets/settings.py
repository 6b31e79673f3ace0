"""Kedro project settings: hooks, configuration loading and where conf lives."""

from pathlib import Path

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from covid_tweets.hooks import MlflowDatabaseHooks, SparkHooks
from covid_tweets.log_redaction import hide_credentials_in_hook_tracing


def _absolute_path(path: str) -> str:
    """Anchor a project-relative path (relative to where kedro runs, like the catalog's)."""
    return Path(path).resolve().as_posix()


# With the kedro logger at DEBUG, hook tracing would print every resolved secret.
hide_credentials_in_hook_tracing()

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
