"""Azure ML entry script (copied into the serving bundle as ``score.py``).

Azure ML's inference server imports this file, calls :func:`init` once, then
:func:`run` with each request body as a string. ``run`` parses and validates the body
exactly as the HTTP server does and answers ``{"predictions": [...]}``; a bad request
gets status 400 and ``{"error": message}`` through ``AMLResponse`` (which the server
returns as it is). Outside that server, ``AMLResponse`` cannot be imported and a bad
request returns ``{"error": message, "status_code": 400}`` instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

_SCRIPT_DIR = Path(__file__).resolve().parent
# Inside a bundle the package sits in code/ beside this script; the inference server
# does not put it on the path, so do it before the imports below.
if (_SCRIPT_DIR / "code" / "covid_tweets").is_dir() and str(_SCRIPT_DIR / "code") not in sys.path:
    sys.path.insert(0, str(_SCRIPT_DIR / "code"))

from covid_tweets.serving.scorer import METADATA_FILE, TweetScorer  # noqa: E402
from covid_tweets.serving.validation import ValidationError, parse_request  # noqa: E402

try:  # the inference server provides it (azureml-inference-server-http)
    from azureml.contrib.services.aml_response import AMLResponse
except ImportError:
    AMLResponse = None

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal error while scoring; the service log has the details"

_scorer: TweetScorer | None = None


def find_bundle(model_dir: Path) -> Path:
    """Return the bundle folder inside a model directory (the registered folder may be one level down)."""
    if (model_dir / METADATA_FILE).is_file():
        return model_dir
    # Model.register(model_path=<bundle folder>) mounts it as AZUREML_MODEL_DIR/<folder name>.
    candidates = sorted(path.parent for path in model_dir.glob(f"*/{METADATA_FILE}"))
    if len(candidates) != 1:
        raise FileNotFoundError(
            f"expected one serving bundle ({METADATA_FILE}) in {model_dir}, found {len(candidates)}"
        )
    return candidates[0]


def init() -> None:
    """Load the model once, from AZUREML_MODEL_DIR or else this script's folder."""
    global _scorer
    model_dir = Path(os.environ.get("AZUREML_MODEL_DIR") or _SCRIPT_DIR)
    _scorer = TweetScorer.from_bundle(find_bundle(model_dir))
    _scorer.warm_up()
    logger.info("loaded %s version %s", _scorer.model_name, _scorer.model_version)


def _error(message: str, status_code: int) -> Any:
    """Return an error answer with its HTTP status, in the form the hosting server understands."""
    if AMLResponse is not None:
        return AMLResponse({"error": message}, status_code, json_str=True)
    return {"error": message, "status_code": status_code}


def run(raw_data: str | bytes) -> Any:
    """Score one request body; return ``{"predictions": [...]}`` or an error answer."""
    if _scorer is None:
        return _error("the model is not loaded: init() has not run", 503)
    try:
        tweets = parse_request(raw_data)
    except ValidationError as error:
        return _error(error.message, error.status_code)
    try:
        return {"predictions": _scorer.score(tweets)}
    except Exception:
        logger.exception("scoring failed for a request of %d tweets", len(tweets))
        return _error(INTERNAL_ERROR_MESSAGE, 500)
