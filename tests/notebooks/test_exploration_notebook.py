"""The exploration notebook runs headless against a project the pipelines filled, so it cannot rot."""

import os

import nbformat
from nbclient import NotebookClient

from support import PROJECT_PATH


def test_the_notebook_runs_and_reads_every_stage(deployed_project):
    project, tweets, _, _ = deployed_project
    notebook = nbformat.read(PROJECT_PATH / "notebooks" / "exploration.ipynb", as_version=4)
    environment = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(project)}})
    client.execute(cwd=str(project), env={**environment, "SPARK_UI_ENABLED": "false"})

    printed = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    assert f"bronze: {len(tweets):,} tweets, quarantine: 0 messages" in printed
    assert "covid-tweets-engagement version 1" in printed
    images = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the EDA plot was not drawn"
