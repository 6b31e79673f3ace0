"""Tests of the Azure ML entry script (the bundle's score.py): in process, alone, and under azmlinfsrv."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

import covid_tweets
from covid_tweets.serving.azureml_publish import INFERENCE_SERVER_REQUIREMENT
from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import tweets_frame, validate_payload
from covid_tweets.writer_lock import exclusive_writer

TweetFactory = Callable[..., dict[str, Any]]
PROJECT_PATH = Path(covid_tweets.__file__).resolve().parents[2]
SCORING_VENV = PROJECT_PATH / ".cache" / "azmlinfsrv-venv"


def load_entry_script(bundle: Path) -> ModuleType:
    """Import the bundle's score.py as a fresh module, as the inference server does."""
    spec = importlib.util.spec_from_file_location(f"score_{uuid.uuid4().hex}", bundle / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_predictions(scorer: TweetScorer, tweets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the scorer predicts for the tweets, in the test process."""
    return scorer.score(tweets_frame(validate_payload(tweets)))


@pytest.fixture
def entry(bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The bundle's score.py after init(), with AZUREML_MODEL_DIR at the bundle."""
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(bundle_dir))
    script = load_entry_script(bundle_dir)
    script.init()
    return script


def test_run_scores_a_json_request(entry: ModuleType, scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    tweets = [make_tweet(n) for n in range(3)]
    answer = entry.run(json.dumps({"data": tweets}))
    assert answer == {"predictions": expected_predictions(scorer, tweets)}
    json.dumps(answer, allow_nan=False)


@pytest.mark.parametrize(
    ("raw", "error", "status"),
    [
        ('{"id": "1"}', "tweets[0].text: is missing", 400),
        (
            '[{"text": "a", "user_followers": "many"}]',
            "tweets[0].user_followers: expected an integer, got string",
            400,
        ),
        ("not json", "invalid JSON: Expecting value (line 1, column 1)", 400),
        ("[]", "no tweets to score: the list is empty", 400),
        (" " * 1_000_001, "request body is 1000001 bytes, more than the limit of 1000000", 413),
    ],
    ids=["missing text", "wrong type", "invalid json", "empty list", "too large"],
)
def test_bad_requests_get_an_error_status_not_a_success(
    entry: ModuleType, raw: str, error: str, status: int
) -> None:
    # Outside the inference server AMLResponse cannot be imported: the status travels in the body.
    assert entry.AMLResponse is None
    assert entry.run(raw) == {"error": error, "status_code": status}


def test_run_before_init_says_the_model_is_not_loaded(bundle_dir: Path) -> None:
    script = load_entry_script(bundle_dir)
    assert script.run('{"text": "hi"}') == {
        "error": "the model is not loaded: init() has not run",
        "status_code": 503,
    }


def test_init_finds_the_bundle_one_level_down_as_azure_ml_mounts_it(
    bundle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Model.register(model_path=<bundle folder>) puts it at AZUREML_MODEL_DIR/<folder name>.
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(bundle_dir.parent))
    script = load_entry_script(bundle_dir)
    script.init()
    assert script.run('{"text": "hi"}')["predictions"][0]["model_version"] == "7"


def test_init_falls_back_to_the_scripts_folder(bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZUREML_MODEL_DIR", raising=False)
    script = load_entry_script(bundle_dir)
    script.init()
    assert len(script.run('[{"text": "a"}, {"text": "b"}]')["predictions"]) == 2


def test_init_names_what_it_could_not_find(
    bundle_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    script = load_entry_script(bundle_dir)
    with pytest.raises(FileNotFoundError, match="expected one serving bundle"):
        script.init()


# Loads score.py the way the inference server does, in an interpreter where the
# project's editable install is taken off the path: only the bundle's code is there.
STANDALONE_SCRIPT = """
import importlib.util, json, sys
from pathlib import Path
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(sys.argv[2])]
spec = importlib.util.spec_from_file_location("score", Path(sys.argv[1]) / "score.py")
score = importlib.util.module_from_spec(spec)
spec.loader.exec_module(score)
score.init()
import covid_tweets
print(json.dumps({
    "package": covid_tweets.__file__,
    "good": score.run(sys.stdin.read()),
    "bad": score.run('{"text": 1}'),
}))
"""


def test_score_py_runs_from_the_bundle_alone(
    bundle_dir: Path, scorer: TweetScorer, make_tweet: TweetFactory, tmp_path: Path
) -> None:
    tweets = [make_tweet(5), make_tweet(6)]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    environment["AZUREML_MODEL_DIR"] = str(bundle_dir)
    result = subprocess.run(
        [sys.executable, "-c", STANDALONE_SCRIPT, str(bundle_dir), str(PROJECT_PATH / "src")],
        input=json.dumps(tweets),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(output["package"]).resolve().is_relative_to(bundle_dir.resolve())
    assert output["good"] == {"predictions": expected_predictions(scorer, tweets)}
    assert output["bad"] == {"error": "tweets[0].text: expected a string, got number", "status_code": 400}


@pytest.fixture(scope="session")
def scoring_venv(bundle_dir: Path) -> Path:
    """A virtual environment from the bundle's requirements plus Azure ML's inference server.

    Built once under .cache/ and reused while the requirements stay the same. It is kept
    apart from .venv: the server pins opentelemetry and pydantic versions that clash there.
    """
    requirements = (bundle_dir / "requirements.txt").read_text().split() + [INFERENCE_SERVER_REQUIREMENT]
    fingerprint = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    stamp = SCORING_VENV / ".requirements-sha256"
    # Another test process building it at the same time would break both builds.
    with exclusive_writer(f"{SCORING_VENV}.lock", "the azmlinfsrv environment", timeout_s=1800):
        if stamp.is_file() and stamp.read_text() == fingerprint and (SCORING_VENV / "bin" / "azmlinfsrv").is_file():
            return SCORING_VENV
        shutil.rmtree(SCORING_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(SCORING_VENV)], check=True, timeout=300)
        try:
            subprocess.run(
                [str(SCORING_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            shutil.rmtree(SCORING_VENV, ignore_errors=True)
            pytest.skip(f"cannot install the azmlinfsrv environment (needs PyPI): {str(error.stderr)[-500:]}")
        stamp.write_text(fingerprint)
    return SCORING_VENV


@pytest.fixture(scope="session")
def azmlinfsrv_url(
    scoring_venv: Path, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Azure ML's real inference server running the bundle's score.py on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path_factory.mktemp("azmlinfsrv") / "server.log"
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "AZUREML_"))
    }
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                str(scoring_venv / "bin" / "azmlinfsrv"),
                "--entry_script",
                str(bundle_dir / "score.py"),
                "--model_dir",
                str(bundle_dir),
                "--port",
                str(port),
            ],
            cwd=tmp_path_factory.mktemp("azmlinfsrv-cwd"),
            env=environment,
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, log_path.read_text()[-3000:]
                try:
                    if requests.get(f"{url}/", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_azmlinfsrv_liveness(azmlinfsrv_url: str) -> None:
    answer = requests.get(f"{azmlinfsrv_url}/", timeout=10)
    assert (answer.status_code, answer.text) == (200, "Healthy")


def test_azmlinfsrv_scores_with_the_bundles_score_py(
    azmlinfsrv_url: str, scorer: TweetScorer, make_tweet: TweetFactory
) -> None:
    tweets = [make_tweet(n) for n in range(4)]
    answer = requests.post(f"{azmlinfsrv_url}/score", json={"tweets": tweets}, timeout=60)
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    assert [p["id"] for p in predictions] == [t["id"] for t in tweets]
    for got, expected in zip(predictions, expected_predictions(scorer, tweets), strict=True):
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b'[{"text": "a", "user_followers": "many"}]',
            "tweets[0].user_followers: expected an integer, got string",
        ),
        (b'{"id": "1"}', "tweets[0].text: is missing"),
        (b"{not json", "invalid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ],
)
def test_azmlinfsrv_answers_bad_requests_with_400(azmlinfsrv_url: str, body: bytes, error: str) -> None:
    answer = requests.post(
        f"{azmlinfsrv_url}/score", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    assert (answer.status_code, answer.json()) == (400, {"error": error})
