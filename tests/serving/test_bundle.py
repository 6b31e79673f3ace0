"""Tests of the serving bundle: its files, and that it runs as an MLflow model without the project."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import requests

import covid_tweets
from covid_tweets.serving.bundle import (
    BUNDLED_MODULES,
    MODEL_CODE_FILE,
    export_bundle,
    model_signature,
    normalised_deployment,
)
from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import tweets_frame, validate_payload

TweetFactory = Callable[..., dict[str, Any]]
PROJECT_SOURCE = Path(covid_tweets.__file__).resolve().parents[1]


def bundle_python_environment(bundle: Path) -> dict[str, str]:
    """Environment of a process that sees the bundle's code but not this project's settings."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "MLFLOW_", "AZUREML_"))
    }
    environment["PYTHONPATH"] = str(bundle / "code")
    # As in an activated virtual environment: mlflow starts `uvicorn` from the PATH.
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    return environment


# Run in a fresh interpreter. The virtual environment has the project installed in
# editable mode (a .pth entry for its src/ folder): drop that entry so that only the
# bundle's own copy of the code can be imported, and prove it before loading.
PYFUNC_SCRIPT = """
import importlib.util, json, sys
from pathlib import Path
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(sys.argv[2])]
bundle = Path(sys.argv[1])
code = (bundle / "code").resolve()
spec = importlib.util.find_spec("covid_tweets")
assert spec is not None and Path(spec.origin).resolve().is_relative_to(code), spec
import mlflow.pyfunc, pandas as pd
model = mlflow.pyfunc.load_model(str(bundle))
import covid_tweets.serving.scorer as scorer
tweets = json.loads(sys.stdin.read())
predictions = model.predict(pd.DataFrame(tweets))
try:
    model.predict(pd.DataFrame([{"text": "fine"}, {"text": 5}]))
    rejection = None
except Exception as error:
    rejection = f"{type(error).__name__}: {error}"
print(json.dumps({
    "module": scorer.__file__,
    "predictions": predictions.to_dict("records"),
    "rejection": rejection,
}))
"""


def test_bundle_holds_model_code_scripts_and_descriptions(bundle_dir: Path) -> None:
    expected = {
        "MLmodel",
        MODEL_CODE_FILE,
        "artifacts/model.onnx",
        "requirements.txt",
        "conda.yaml",
        "python_env.yaml",
        "input_example.json",
        "serving_input_example.json",
        "score.py",
        "deployment.json",
        "metadata.json",
        "README.md",
        *(f"code/covid_tweets/{module}" for module in BUNDLED_MODULES),
        "code/covid_tweets/__init__.py",
    }
    present = {path.relative_to(bundle_dir).as_posix() for path in bundle_dir.rglob("*") if path.is_file()}
    assert expected <= present
    assert not [name for name in present if name.endswith(".pkl")], "the model is saved as code, not pickled"
    assert (bundle_dir / "score.py").read_text() == (
        PROJECT_SOURCE / "covid_tweets/serving/azureml_entry.py"
    ).read_text()


def test_requirements_pin_the_installed_versions(bundle_dir: Path) -> None:
    requirements = (bundle_dir / "requirements.txt").read_text().split()
    names = ["numpy", "pandas", "onnxruntime", "textblob", "mlflow-skinny"]
    assert requirements == [f"{name}=={metadata.version(name)}" for name in names]
    assert "pyspark" not in (bundle_dir / "conda.yaml").read_text()


def test_descriptions_name_the_model_metrics_and_deployment(bundle_dir: Path) -> None:
    description = json.loads((bundle_dir / "metadata.json").read_text())
    assert description["model_name"] == "covid-tweets-engagement"
    assert description["model_version"] == "7"
    assert description["metrics"] == {"test_auc": 0.71, "test_f1": 0.64}
    assert description["numeric_features"][0] == "polarity"
    assert description["categorical_features"] == ["source_category", "location"]
    assert description["created_at"].endswith("+00:00")
    assert json.loads((bundle_dir / "deployment.json").read_text()) == {
        "target": "azureml",
        "compute_type": "aci",
        "cpu_cores": 0.5,
        "memory_gb": 1.5,
        "auth_enabled": True,
    }


def test_the_bundle_runs_as_an_mlflow_model_without_the_project(
    bundle_dir: Path, scorer: TweetScorer, make_tweet: TweetFactory, tmp_path: Path
) -> None:
    tweets = [make_tweet(0), make_tweet(1, user_followers=None, hashtags=None, date=None)]
    result = subprocess.run(
        [sys.executable, "-c", PYFUNC_SCRIPT, str(bundle_dir), str(PROJECT_SOURCE)],
        input=json.dumps(tweets),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=bundle_python_environment(bundle_dir),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(output["module"]).resolve().is_relative_to(bundle_dir.resolve())
    assert output["predictions"] == scorer.score(tweets_frame(validate_payload(tweets)))
    assert output["rejection"].startswith("MlflowException: tweets[1].text: expected a string, got number")


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mlflow_models_serve_takes_the_bundle_as_it_is(
    bundle_dir: Path, scorer: TweetScorer, make_tweet: TweetFactory, tmp_path: Path
) -> None:
    port = _free_port()
    mlflow_command = Path(sys.executable).with_name("mlflow")
    server = subprocess.Popen(
        [str(mlflow_command), "models", "serve", "-m", str(bundle_dir), "--env-manager", "local", "-p", str(port)],
        cwd=tmp_path,
        env=bundle_python_environment(bundle_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "mlflow models serve did not start in 2 minutes"
            time.sleep(0.5)
        example = json.loads((bundle_dir / "serving_input_example.json").read_text())
        answer = requests.post(f"{url}/invocations", json=example, timeout=30)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["predictions"]) == 2
        tweets = [make_tweet(2), make_tweet(3)]
        answer = requests.post(f"{url}/invocations", json={"dataframe_records": tweets}, timeout=30)
        assert answer.json()["predictions"] == scorer.score(tweets_frame(validate_payload(tweets)))
        bad = requests.post(
            f"{url}/invocations", json={"dataframe_records": [{"text": "x", "date": "soon"}]}, timeout=30
        )
        assert bad.status_code == 400
        assert "tweets[0].date: expected a timestamp" in bad.json()["message"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_exporting_again_replaces_the_bundle(onnx_model_bytes: bytes, tmp_path: Path) -> None:
    target = tmp_path / "serving_bundle"
    export_bundle(onnx_model_bytes, "first", 1, {}, target, {})
    (target / "stale.txt").write_text("left over")
    assert export_bundle(onnx_model_bytes, "second", 2, {"auc": 0.5}, target, {}) == target.resolve()
    assert json.loads((target / "metadata.json").read_text())["model_name"] == "second"
    assert not (target / "stale.txt").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["serving_bundle"]


def test_a_failed_export_keeps_the_previous_bundle(onnx_model_bytes: bytes, tmp_path: Path) -> None:
    target = tmp_path / "serving_bundle"
    export_bundle(onnx_model_bytes, "kept", 1, {}, target, {})
    with pytest.raises(TypeError):
        export_bundle(onnx_model_bytes, "broken", 2, {"auc": object()}, target, {})
    assert json.loads((target / "metadata.json").read_text())["model_name"] == "kept"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["serving_bundle"]


def test_a_model_that_cannot_score_is_not_exported(onnx_model_bytes: bytes, tmp_path: Path) -> None:
    target = tmp_path / "serving_bundle"
    export_bundle(onnx_model_bytes, "kept", 1, {}, target, {})
    with pytest.raises(Exception, match="INVALID_PROTOBUF|Failed to load"):
        export_bundle(b"not an onnx model", "broken", 2, {}, target, {})
    assert json.loads((target / "metadata.json").read_text())["model_name"] == "kept"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"client_secret": "s3cret"}, "unknown deployment settings ['client_secret']"),
        ({"compute_type": "vm"}, "deployment compute_type must be one of ['aci', 'aks'], not 'vm'"),
        ({"cpu_cores": 0}, "deployment cpu_cores must be a positive number, not 0"),
        ({"memory_gb": "2"}, "deployment memory_gb must be a positive number, not '2'"),
        ({"auth_enabled": "yes"}, "deployment auth_enabled must be true or false, not 'yes'"),
        ({"compute_type": "aks"}, "deployment compute_type 'aks' needs aks_cluster_name (the AKS compute target)"),
    ],
)
def test_bad_deployment_settings_are_refused_before_writing(config: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalised_deployment(config)
    assert str(caught.value).startswith(message)


def test_aks_settings_are_kept() -> None:
    settings = normalised_deployment({"compute_type": "aks", "aks_cluster_name": "scoring-aks", "cpu_cores": 2})
    assert settings == {
        "target": "local",
        "compute_type": "aks",
        "cpu_cores": 2.0,
        "memory_gb": 2.0,
        "auth_enabled": True,
        "aks_cluster_name": "scoring-aks",
    }


def test_signature_requires_only_the_text() -> None:
    inputs = model_signature().inputs
    assert inputs.required_input_names() == ["text"]
    assert len(inputs.input_names()) == 17
