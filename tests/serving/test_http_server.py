"""Tests of the HTTP server over real sockets: answers, limits, auth, failures, and fuzzing."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st

from covid_tweets import schema
from covid_tweets.serving.app import INTERNAL_ERROR_MESSAGE, create_app
from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import tweets_frame, validate_payload

TweetFactory = Callable[..., dict[str, Any]]
LIMIT = 1_000_000
TOKEN = "test-token-5f2c"


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen | None = None, seconds: float = 60) -> None:
    """Poll GET /health until it answers 200, or fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not become healthy in {seconds} s")


@pytest.fixture(scope="module")
def server_url(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server, started as `serve(bundle)` in its own process, on a free local port."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    code = "import sys\nfrom covid_tweets.serving.app import serve\nserve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))\n"
    server = subprocess.Popen([sys.executable, "-c", code, str(bundle_dir), str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@contextmanager
def app_server(app: Any) -> Iterator[str]:
    """Serve an app with uvicorn in a background thread; yield its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        _wait_until_healthy(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def post(
    url: str, data: bytes | str, content_type: str | None = "application/json", **headers: str
) -> requests.Response:
    """POST a raw body to the scoring endpoint."""
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(f"{url}/score", data=data, headers=headers, timeout=60)


def expected_predictions(scorer: TweetScorer, tweets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the scorer predicts for the tweets, in the test process."""
    return scorer.score(tweets_frame(validate_payload(tweets)))


def test_health_names_the_model(server_url: str) -> None:
    answer = requests.get(f"{server_url}/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "model_name": "covid-tweets-engagement", "model_version": "7"}


def test_a_single_tweet_object_is_scored(server_url: str, scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    tweet = make_tweet(1)
    answer = post(server_url, json.dumps(tweet))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"predictions": expected_predictions(scorer, [tweet])}


def test_a_batch_of_100_is_scored_in_order(server_url: str, scorer: TweetScorer, make_tweet: TweetFactory) -> None:
    tweets = [make_tweet(n) for n in range(100)]
    answer = post(server_url, json.dumps({"tweets": tweets}))
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    assert [p["id"] for p in predictions] == [t["id"] for t in tweets]
    assert predictions == expected_predictions(scorer, tweets)


@pytest.mark.parametrize("path", ["/score", "/invocations"])
def test_both_paths_take_lists_and_envelopes(server_url: str, path: str, make_tweet: TweetFactory) -> None:
    for body in ([make_tweet(1), make_tweet(2)], {"data": [make_tweet(1), make_tweet(2)]}):
        answer = requests.post(f"{server_url}{path}", json=body, timeout=30)
        assert answer.status_code == 200
        assert [p["id"] for p in answer.json()["predictions"]] == ["t1", "t2"]


def test_json_content_type_may_carry_a_charset(server_url: str) -> None:
    answer = post(server_url, '{"text": "café ☕"}'.encode(), "application/json; charset=utf-8")
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"id": "1", "user_followers": 3}, "tweets[0].text: is missing"),
        (
            [{"text": "ok"}, {"text": "ok", "user_followers": "many"}],
            "tweets[1].user_followers: expected an integer, got string",
        ),
        ([{"text": "ok", "user_verified": "yes"}], "tweets[0].user_verified: expected true or false, got string"),
        (
            [{"text": "ok", "date": "yesterday"}],
            'tweets[0].date: expected a timestamp formatted "%Y-%m-%d %H:%M:%S", got "yesterday"',
        ),
        ([{"text": "ok", "hashtags": "covid"}], "tweets[0].hashtags: expected a list of strings, got string"),
        ([{"text": "ok", "likes": 3}], 'tweets[0]: unknown field "likes"'),
        ([], "no tweets to score: the list is empty"),
        ({"tweets": []}, "no tweets to score: the list is empty"),
        ([{"text": "x"}] * 1001, "1001 tweets in one request, more than the limit of 1000"),
        (42, 'expected a tweet object, a list of tweet objects, or {"tweets": [...]}, got number'),
    ],
    ids=[
        "missing text",
        "wrong type",
        "bad flag",
        "bad timestamp",
        "bad hashtags",
        "unknown field",
        "empty list",
        "empty envelope",
        "too many tweets",
        "not an object",
    ],
)
def test_bad_requests_get_400_naming_the_problem(server_url: str, body: Any, message: str) -> None:
    answer = post(server_url, json.dumps(body))
    assert (answer.status_code, answer.json()) == (400, {"error": message})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "invalid JSON: Expecting value (line 1, column 1)"),
        (b'{"text": "unterminated', "invalid JSON: Unterminated string starting at (line 1, column 10)"),
        (b"\xff\xfe{}", "request body is not UTF-8 text"),
        (b"[" * 50_000, "invalid JSON: nested too deeply"),
    ],
    ids=["empty", "truncated", "not utf-8", "deep nesting"],
)
def test_bodies_that_are_not_json_get_400(server_url: str, raw: bytes, message: str) -> None:
    answer = post(server_url, raw)
    assert (answer.status_code, answer.json()) == (400, {"error": message})


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp", None]
)
def test_other_content_types_get_415(server_url: str, content_type: str | None) -> None:
    answer = post(server_url, '{"text": "hi"}', content_type)
    assert (answer.status_code, answer.json()) == (415, {"error": "Content-Type must be application/json"})


def test_a_body_over_the_limit_gets_413_from_its_declared_length(server_url: str) -> None:
    body = json.dumps([{"text": "x" * 1000}] * 1000)
    answer = post(server_url, body)
    assert (answer.status_code, answer.json()) == (
        413,
        {"error": f"request body is {len(body)} bytes, more than the limit of {LIMIT}"},
    )


def test_a_chunked_body_over_the_limit_gets_413_from_its_actual_size(server_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'[{"text": "'
        for _ in range(120):
            yield b"x" * 10_000

    answer = requests.post(
        f"{server_url}/score", data=chunks(), headers={"Content-Type": "application/json"}, timeout=60
    )
    assert answer.status_code == 413
    assert answer.json()["error"].endswith(f"bytes, more than the limit of {LIMIT}")


def test_a_body_at_the_limit_is_accepted(server_url: str) -> None:
    body = b'{"text": "fits"}'
    answer = post(server_url, body + b" " * (LIMIT - len(body)))
    assert answer.status_code == 200


def test_unknown_paths_and_methods_answer_in_the_same_shape(server_url: str) -> None:
    assert requests.get(f"{server_url}/score", timeout=10).json() == {"error": "Method Not Allowed"}
    missing = requests.get(f"{server_url}/nothing", timeout=10)
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})


def test_a_configured_bearer_token_is_required_for_scoring(scorer: TweetScorer) -> None:
    with app_server(create_app(scorer, bearer_token=TOKEN)) as url:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
        ):
            answer = post(url, '{"text": "hi"}', **headers)
            assert (answer.status_code, answer.json()) == (401, {"error": "missing or wrong bearer token"})
            assert answer.headers["www-authenticate"] == "Bearer"
        assert post(url, '{"text": "hi"}', Authorization=f"Bearer {TOKEN}").status_code == 200
        assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_configured_limits_apply(scorer: TweetScorer) -> None:
    with app_server(create_app(scorer, max_body_bytes=200, max_batch=2)) as url:
        assert post(url, json.dumps([{"text": "a"}] * 3)).json() == {
            "error": "3 tweets in one request, more than the limit of 2"
        }
        body = json.dumps([{"text": "a" * 300}])
        too_big = post(url, body)
        assert (too_big.status_code, too_big.json()) == (
            413,
            {"error": f"request body is {len(body)} bytes, more than the limit of 200"},
        )


class ExplodingScorer:
    """A scorer whose model fails, to see what a client gets when the unexpected happens."""

    model_name = "exploding"
    model_version = "0"

    def score(self, tweets: pd.DataFrame) -> list[dict[str, Any]]:
        raise RuntimeError("secret internal detail")


def test_an_unexpected_failure_gets_a_generic_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="covid_tweets.serving.app"),
        app_server(create_app(ExplodingScorer())) as url,
    ):
        answer = post(url, '{"text": "hi"}')
        assert (answer.status_code, answer.json()) == (500, {"error": INTERNAL_ERROR_MESSAGE})
        assert "secret" not in answer.text and "Traceback" not in answer.text
        assert requests.get(f"{url}/health", timeout=10).status_code == 200
    assert any("secret internal detail" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=15), children, max_size=5),
    max_leaves=25,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(["2020-07-25 12:00:00", "2020-02-30 00:00:00", "", "Twitter for iPhone"]),
    st.datetimes().map(lambda moment: moment.strftime(schema.PY_TIMESTAMP_FORMAT)),
    st.lists(st.text(max_size=10), max_size=3),
    st.integers(min_value=-(2**64), max_value=2**64),
)
tweet_objects = st.dictionaries(st.sampled_from(schema.FIELD_NAMES), field_values, max_size=8)
request_bodies = st.one_of(
    json_values.map(json.dumps),
    tweet_objects.map(json.dumps),
    st.lists(tweet_objects, max_size=4).map(lambda tweets: json.dumps({"tweets": tweets})),
    st.binary(max_size=200),
)


@settings(max_examples=200, deadline=None)
@given(body=request_bodies, content_type=st.sampled_from(["application/json", "application/json", "text/plain"]))
def test_fuzzed_requests_never_get_a_server_error(server_url: str, body: str | bytes, content_type: str) -> None:
    answer = post(server_url, body, content_type)
    assert answer.status_code in (200, 400, 413, 415), answer.text
    assert set(answer.json()) == ({"predictions"} if answer.status_code == 200 else {"error"})


def test_the_server_is_still_up_after_the_fuzzing(server_url: str) -> None:
    assert requests.get(f"{server_url}/health", timeout=10).json()["status"] == "ok"
