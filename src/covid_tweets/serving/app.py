"""The HTTP scoring server: a FastAPI app over :class:`TweetScorer`, and :func:`serve` to run it.

Endpoints: ``GET /health``, ``POST /score`` and its alias ``POST /invocations`` (the
path MLflow's and SageMaker-style clients call). Every error answers
``{"error": message}`` with its status: 400 bad request, 401 missing or wrong bearer
token, 413 body too large, 415 not JSON, 500 (a generic message; details go to the log).
"""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from covid_tweets.serving.scorer import TweetScorer
from covid_tweets.serving.validation import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    ValidationError,
    parse_request,
)

logger = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json"
INTERNAL_ERROR_MESSAGE = "internal error while scoring; the server log has the details"


def json_response(
    content: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return a compact JSON response (NaN would be invalid JSON, so it fails here instead)."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status_code, media_type=JSON_MEDIA_TYPE, headers=headers)


def error_response(message: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    """Return the ``{"error": message}`` answer every failure uses."""
    return json_response({"error": message}, status_code, headers)


def _is_json(content_type: str | None) -> bool:
    """Return whether a Content-Type header names JSON (parameters such as charset allowed)."""
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def _declared_length(request: Request) -> int | None:
    """Return the Content-Length the client declared, None when absent or unreadable."""
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _too_large(size: int, max_body_bytes: int) -> Response:
    """Return the 413 answer."""
    return error_response(f"request body is {size} bytes, more than the limit of {max_body_bytes}", 413)


def create_app(
    scorer: TweetScorer,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
    bearer_token: str | None = None,
) -> FastAPI:
    """Return the scoring app; with ``bearer_token`` set, scoring needs ``Authorization: Bearer <token>``."""
    app = FastAPI(title="covid-tweets scoring", docs_url=None, redoc_url=None, openapi_url=None)
    expected_authorization = f"Bearer {bearer_token}".encode() if bearer_token else None

    def authorized(request: Request) -> bool:
        """Return whether the request carries the configured token (always true without one)."""
        if expected_authorization is None:
            return True
        # Starlette decodes header values as Latin-1: encoding back gives the bytes sent.
        given = request.headers.get("authorization", "").encode("latin-1")
        # Constant time, so response timing does not reveal how much of the token matched.
        return hmac.compare_digest(given, expected_authorization)

    async def read_body(request: Request) -> bytes | Response:
        """Return the body, or the 413 answer as soon as it is known to exceed the limit."""
        declared = _declared_length(request)
        if declared is not None and declared > max_body_bytes:
            return _too_large(declared, max_body_bytes)
        # A chunked or lying client can send more than it declared: count what arrives.
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                return _too_large(size, max_body_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    async def score(request: Request) -> Response:
        """Score the tweets in the request body."""
        if not authorized(request):
            return error_response("missing or wrong bearer token", 401, {"WWW-Authenticate": "Bearer"})
        if not _is_json(request.headers.get("content-type")):
            return error_response(f"Content-Type must be {JSON_MEDIA_TYPE}", 415)
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        try:
            tweets = parse_request(body, max_body_bytes=max_body_bytes, max_batch=max_batch)
        except ValidationError as error:
            return error_response(error.message, error.status_code)
        try:
            # Scoring is CPU work: a worker thread keeps the event loop answering health checks.
            predictions = await run_in_threadpool(scorer.score, tweets)
            return json_response({"predictions": predictions})
        except Exception:
            logger.exception("scoring failed for a request of %d tweets", len(tweets))
            return error_response(INTERNAL_ERROR_MESSAGE, 500)

    async def health(request: Request) -> Response:
        """Say the server is up and which model it serves."""
        return json_response(
            {"status": "ok", "model_name": scorer.model_name, "model_version": scorer.model_version}
        )

    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Answer routing errors (404, 405) in the same shape as the others."""
        return error_response(str(error.detail), error.status_code, getattr(error, "headers", None))

    async def unexpected_error(request: Request, error: Exception) -> Response:
        """Answer any other failure with a generic 500, logging the details."""
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(INTERNAL_ERROR_MESSAGE, 500)

    app.add_api_route("/health", health, methods=["GET"])
    app.add_api_route("/score", score, methods=["POST"])
    app.add_api_route("/invocations", score, methods=["POST"])
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
    return app


def serve(
    bundle_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
    bearer_token: str | None = None,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve a bundle's model over HTTP until interrupted (one uvicorn worker)."""
    scorer = TweetScorer.from_bundle(bundle_dir)
    scorer.warm_up()
    app = create_app(scorer, max_body_bytes=max_body_bytes, max_batch=max_batch, bearer_token=bearer_token)
    logger.info(
        "serving %s version %s on http://%s:%d (bearer token %s)",
        scorer.model_name,
        scorer.model_version,
        host,
        port,
        "required" if bearer_token else "not required",
    )
    uvicorn.run(app, host=host, port=port, workers=1, log_level=log_level, access_log=access_log)
