"""Export a trained ONNX model as a self-contained serving bundle, which is also an MLflow model.

The bundle is one folder that runs without this project installed::

    MLmodel, tweet_model.py         MLflow pyfunc model, saved as code (no pickle) for
                                    ``mlflow models serve -m <bundle>`` and Azure ML SDK v2
                                    managed online endpoints
    artifacts/model.onnx            the classifier
    code/covid_tweets/              the modules serving needs: schema, features, onnx_model, serving/
    requirements.txt                pinned scoring dependencies (MLflow writes it from ours)
    conda.yaml, python_env.yaml     the same dependencies for conda / virtualenv (written by MLflow)
    input_example.json, serving_input_example.json
    score.py                        the Azure ML entry script (init/run), a copy of azureml_entry.py
    deployment.json                 where and how to deploy: target, compute type, cores, memory, auth
    metadata.json                   model name and version, metrics, feature columns, creation time
    README.md                       how to run it

:class:`TweetModel` is the pyfunc wrapper; it lives here (not in scorer.py) because it
needs MLflow, which the HTTP server and the Azure ML script do not load.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata as distributions
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, DataType, Schema
from mlflow.types.schema import AnyType, Array

import covid_tweets
from covid_tweets.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from covid_tweets.schema import PY_TIMESTAMP_FORMAT, SCHEMA_VERSION, TWEET_FIELDS
from covid_tweets.serving.scorer import METADATA_FILE, MODEL_FILE, TweetScorer
from covid_tweets.serving.validation import (
    OPTIONAL_FOR_SCORING,
    ValidationError,
    tweets_frame,
    validate_payload,
    validate_tweet,
)

SCORING_REQUIREMENTS: tuple[str, ...] = ("numpy", "pandas", "onnxruntime", "textblob")
"""Distributions the scorer imports; pinned to the versions installed here."""

PYFUNC_REQUIREMENTS: tuple[str, ...] = ("mlflow-skinny",)
"""What loading the bundle as an MLflow model needs on top (skinny: no tracking server)."""

MODEL_CODE_FILE = "tweet_model.py"
MODEL_CODE = '''"""MLflow model-from-code file of this serving bundle: its pyfunc model is TweetModel."""

import mlflow

from covid_tweets.serving.bundle import TweetModel

mlflow.models.set_model(TweetModel())
'''
"""The model file MLflow runs to get the pyfunc model, instead of unpickling one."""

BUNDLED_MODULES: tuple[str, ...] = (
    "schema.py",
    "features.py",
    "onnx_model.py",
    "serving/__init__.py",
    "serving/validation.py",
    "serving/scorer.py",
    "serving/bundle.py",
    "serving/app.py",
)
"""Files of the covid_tweets package copied into the bundle (paths inside the package)."""

ENTRY_SCRIPT = "score.py"
DEPLOYMENT_FILE = "deployment.json"
COMPUTE_TYPES: tuple[str, ...] = ("aci", "aks")
DEFAULT_DEPLOYMENT: dict[str, Any] = {
    "target": "local",
    "compute_type": "aci",
    "cpu_cores": 1.0,
    "memory_gb": 2.0,
    "auth_enabled": True,
}
"""Deployment settings a bundle gets unless ``deployment_config`` says otherwise."""

DEPLOYMENT_KEYS: frozenset[str] = frozenset(DEFAULT_DEPLOYMENT) | {"service_name", "aks_cluster_name"}
"""Keys ``deployment_config`` may hold; anything else (such as a secret) is refused."""

PREDICTION_COLUMNS: tuple[tuple[str, DataType], ...] = (
    ("id", DataType.string),
    ("prediction", DataType.long),
    ("probability", DataType.double),
    ("polarity", DataType.double),
    ("subjectivity", DataType.double),
    ("model_name", DataType.string),
    ("model_version", DataType.string),
)

_FIELD_KINDS: dict[str, str] = {field.name: field.kind for field in TWEET_FIELDS}
# Counts take any type in the signature: pandas stores an integer column with a missing
# value as floats, which MLflow refuses as "long", and it refuses integers as "double".
# predict() validates them as the HTTP server does (integral floats become ints).
_SIGNATURE_TYPES: dict[str, Any] = {
    "string": DataType.string,
    "long": AnyType(),
    "boolean": DataType.boolean,
    "timestamp": DataType.string,
    "string_array": Array(DataType.string),
}

_EXAMPLE_TWEETS: list[dict[str, Any]] = [
    {
        "id": "1288000000000000001",
        "user_name": "Health Desk",
        "user_location": "London, England",
        "user_description": "Public health news",
        "user_created": "2012-03-04 05:06:07",
        "user_followers": 15230,
        "user_friends": 310,
        "user_favourites": 1200,
        "user_verified": True,
        "date": "2020-07-25 12:00:00",
        "text": "Great news: the new vaccine trial shows strong results #COVID19 https://t.co/x",
        "hashtags": ["COVID19"],
        "source": "Twitter Web App",
        "is_retweet": False,
        "retweets": 12,
        "favorites": 40,
    },
    {
        "id": "1288000000000000002",
        "user_name": "sam",
        "user_location": "",
        "user_description": "",
        "user_created": "2020-06-30 23:59:59",
        "user_followers": 3,
        "user_friends": 80,
        "user_favourites": 0,
        "user_verified": False,
        "date": "2020-07-25 12:01:00",
        "text": "@friend this lockdown is awful, so tired of it",
        "hashtags": [],
        "source": "Twitter for Android",
        "is_retweet": False,
        "retweets": 0,
        "favorites": 1,
    },
]


class TweetModel(mlflow.pyfunc.PythonModel):
    """The MLflow pyfunc face of :class:`TweetScorer`: a frame of tweets in, a frame of predictions out."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        """Load the ONNX model from the bundle's artifacts."""
        config = context.model_config
        model_bytes = Path(context.artifacts["model"]).read_bytes()
        self._scorer = TweetScorer(model_bytes, config["model_name"], config["model_version"])

    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Return one prediction row per tweet row, validated as the HTTP server validates requests."""
        try:
            tweets = [
                validate_tweet(_json_record(record), index)
                for index, record in enumerate(model_input.to_dict("records"))
            ]
        except ValidationError as error:
            # MLflow's scoring server answers this exception with a 400 instead of a 500.
            raise MlflowException.invalid_parameter_value(error.message) from None
        predictions = self._scorer.score(tweets_frame(tweets)) if tweets else []
        return pd.DataFrame(predictions, columns=[name for name, _ in PREDICTION_COLUMNS])


def _json_value(value: Any, kind: str | None) -> Any:
    """Return a pandas cell as the JSON value validation expects (NaN as null, integral floats as ints)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if kind == "long" and value.is_integer():
            return int(value)
    if kind == "timestamp" and isinstance(value, dt.datetime):
        return value.strftime(PY_TIMESTAMP_FORMAT)
    return value


def _json_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a frame row as a tweet object."""
    return {str(name): _json_value(value, _FIELD_KINDS.get(str(name))) for name, value in record.items()}


def model_signature() -> ModelSignature:
    """Return the MLflow signature: the message fields in, one prediction row out."""
    inputs = Schema(
        [
            ColSpec(
                _SIGNATURE_TYPES[field.kind],
                field.name,
                required=field.required and field.name not in OPTIONAL_FOR_SCORING,
            )
            for field in TWEET_FIELDS
        ]
    )
    outputs = Schema([ColSpec(kind, name, required=name != "id") for name, kind in PREDICTION_COLUMNS])
    return ModelSignature(inputs=inputs, outputs=outputs)


def pinned_requirements(names: tuple[str, ...] = SCORING_REQUIREMENTS + PYFUNC_REQUIREMENTS) -> list[str]:
    """Return ``name==version`` for each distribution, at the version installed in this environment."""
    return [f"{name}=={distributions.version(name)}" for name in names]


def normalised_deployment(deployment_config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the deployment settings with defaults filled in, or raise naming the bad setting."""
    unknown = sorted(set(deployment_config) - DEPLOYMENT_KEYS)
    if unknown:
        raise ValueError(f"unknown deployment settings {unknown}; allowed: {sorted(DEPLOYMENT_KEYS)}")
    settings = {**DEFAULT_DEPLOYMENT, **deployment_config}
    if settings["compute_type"] not in COMPUTE_TYPES:
        raise ValueError(
            f"deployment compute_type must be one of {list(COMPUTE_TYPES)}, not {settings['compute_type']!r}"
        )
    for name in ("cpu_cores", "memory_gb"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"deployment {name} must be a positive number, not {value!r}")
        settings[name] = float(value)
    if not isinstance(settings["auth_enabled"], bool):
        raise ValueError(f"deployment auth_enabled must be true or false, not {settings['auth_enabled']!r}")
    if settings["compute_type"] == "aks" and not settings.get("aks_cluster_name"):
        raise ValueError("deployment compute_type 'aks' needs aks_cluster_name (the AKS compute target)")
    return settings


def _stage_package(destination: Path) -> Path:
    """Copy the modules serving needs into ``destination/covid_tweets`` and return that folder."""
    source = Path(covid_tweets.__file__).resolve().parent
    package = destination / "covid_tweets"
    for relative in BUNDLED_MODULES:
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)
    (package / "__init__.py").write_text(
        '"""The covid_tweets modules a serving bundle needs, copied from the project at export."""\n',
        encoding="utf-8",
    )
    return package


def _readme(model_name: str, model_version: str) -> str:
    """Return the bundle's README: what it is and how to run it."""
    return f"""# Serving bundle: {model_name} version {model_version}

Scores tweets with the exported ONNX model; no Spark needed. Python {sys.version_info.major}.{sys.version_info.minor}.

    pip install -r requirements.txt

- MLflow model server: `mlflow models serve -m . --env-manager local --port 5000`, then
  POST /invocations with `{{"dataframe_records": [{{"text": "..."}}]}}`.
- This project's HTTP API (POST /score with a tweet, a list of tweets or `{{"tweets": [...]}}`):
  `PYTHONPATH=code python -c "from covid_tweets.serving.app import serve; serve('.')"`.
- Azure ML: `score.py` is the entry script (`init()`/`run()`); `deployment.json` holds the
  compute settings. Locally: `pip install azureml-inference-server-http` and
  `azmlinfsrv --entry_script score.py --model_dir .`.
- In Python: `mlflow.pyfunc.load_model(".").predict(pandas_frame_of_tweets)`.

`metadata.json` lists the model's metrics and feature columns.
"""


def _plain(value: Any) -> Any:
    """Return a numpy scalar (as metrics often are) as the Python number JSON can write."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    """Write an indented UTF-8 JSON file."""
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=_plain) + "\n", encoding="utf-8")


def export_bundle(
    model_onnx: bytes,
    model_name: str,
    model_version: str | int,
    metrics: Mapping[str, Any],
    target_dir: str | Path,
    deployment_config: Mapping[str, Any],
) -> Path:
    """Write the serving bundle of an ONNX model to ``target_dir`` (replacing it) and return its path."""
    deployment = normalised_deployment(deployment_config)
    model_version = str(model_version)
    # A model that cannot score the example must not replace a bundle that can.
    TweetScorer(model_onnx, model_name, model_version).score(tweets_frame(validate_payload(_EXAMPLE_TWEETS)))
    target = Path(target_dir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and swapped in at the end, so a failed export leaves the old bundle.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the bundle is meant to be shared
    try:
        with tempfile.TemporaryDirectory() as scratch:
            model_file = Path(scratch) / MODEL_FILE.name
            model_file.write_bytes(model_onnx)
            model_code = Path(scratch) / MODEL_CODE_FILE
            model_code.write_text(MODEL_CODE, encoding="utf-8")
            mlflow.pyfunc.save_model(
                path=staging,
                python_model=str(model_code),
                artifacts={"model": str(model_file)},
                code_paths=[str(_stage_package(Path(scratch) / "code"))],
                pip_requirements=pinned_requirements(),
                signature=model_signature(),
                input_example=pd.DataFrame(_EXAMPLE_TWEETS),
                model_config={"model_name": model_name, "model_version": model_version},
            )
        shutil.copyfile(Path(__file__).with_name("azureml_entry.py"), staging / ENTRY_SCRIPT)
        _write_json(staging / DEPLOYMENT_FILE, deployment)
        _write_json(
            staging / METADATA_FILE,
            {
                "model_name": model_name,
                "model_version": model_version,
                "metrics": dict(metrics),
                "numeric_features": list(NUMERIC_FEATURES),
                "categorical_features": list(CATEGORICAL_FEATURES),
                "input_fields": [field.name for field in TWEET_FIELDS],
                "schema_version": SCHEMA_VERSION,
                "model_file": MODEL_FILE.as_posix(),
                "entry_script": ENTRY_SCRIPT,
                "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
        (staging / "README.md").write_text(_readme(model_name, model_version), encoding="utf-8")
        _replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _replace_directory(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, removing what was there."""
    if target.exists():
        retired = target.with_name(f".{target.name}-retired")
        shutil.rmtree(retired, ignore_errors=True)
        target.rename(retired)
        new.rename(target)
        shutil.rmtree(retired)
    else:
        new.rename(target)
