"""Packaging for Databricks: the wheel installs on its own, and the job runs every stage in order."""

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from covid_tweets.pipeline_registry import STAGES
from support import PROJECT_PATH


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built as `kedro package` builds it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(PROJECT_PATH)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("covid_tweets-*.whl")
    return built


def test_the_wheel_installs_in_a_fresh_environment_and_runs_its_entry_point(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # The wheel itself is installed for real; its dependencies (hundreds of MB, among
    # them Spark) are borrowed from this environment instead of downloaded again.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    installed = subprocess.run(
        [str(python), "-c", "import covid_tweets, pathlib; print(pathlib.Path(covid_tweets.__file__).parent)"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.strip()
    assert installed.startswith(str(venv)), "the test must import the installed wheel, not the source tree"

    listed = subprocess.run(
        [str(python), "-c", "from covid_tweets.pipeline_registry import register_pipelines; print(sorted(register_pipelines()))"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout
    for stage in [*STAGES, "__default__"]:
        assert f"'{stage}'" in listed

    runner = subprocess.run([str(venv / "bin" / "covid-tweets-kedro"), "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert runner.returncode == 0, runner.stderr
    assert "--pipeline" in runner.stdout and "--env" in runner.stdout


def test_the_job_runs_every_pipeline_in_order_from_the_wheel():
    bundle = yaml.safe_load((PROJECT_PATH / "databricks.yml").read_text())
    job = bundle["resources"]["jobs"]["covid_tweets"]
    tasks = job["tasks"]

    assert job["max_concurrent_runs"] == 1  # cloud storage: the scheduler keeps runs apart
    assert [task["task_key"] for task in tasks] == list(STAGES)
    for previous, task in zip(tasks, tasks[1:]):
        assert task["depends_on"] == [{"task_key": previous["task_key"]}]
    for task in tasks:
        wheel_task = task["python_wheel_task"]
        assert wheel_task["package_name"] == "covid_tweets"
        assert wheel_task["entry_point"] == "covid-tweets-kedro"
        parameters = wheel_task["parameters"]
        assert parameters[parameters.index("--pipeline") + 1] == task["task_key"]
        assert parameters[parameters.index("--env") + 1] == "databricks"
        assert task["libraries"] == [{"whl": "./dist/*.whl"}]
    assert bundle["artifacts"]["covid_tweets_wheel"]["build"] == "kedro package"
    assert (PROJECT_PATH / "conf" / "databricks" / "catalog.yml").is_file()
