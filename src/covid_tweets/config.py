"""Read the project's Kedro configuration outside a Kedro run (CLI, benchmarks, tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.framework.project import configure_project, settings


def load_config(key: str, env: str | None = None, project_path: Path | None = None) -> dict[str, Any]:
    """Return one configuration group ("globals", "parameters", "credentials", ...) for ``env``."""
    configure_project(__package__)
    project_path = Path(project_path or Path.cwd())
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(project_path / settings.CONF_SOURCE),
        env=env,
        **settings.CONFIG_LOADER_ARGS,
    )
    return loader[key]


def kafka_settings(env: str | None = None, project_path: Path | None = None) -> dict[str, Any]:
    """Return the broker address and topic every stage uses (conf/<env>/globals.yml)."""
    return dict(load_config("globals", env, project_path)["kafka"])
