"""A generated corpus of broken messages: ingestion never crashes, and each one is quarantined with its reason.

The corpus mixes random bytes, random JSON, half-written messages and valid tweets
with exactly one defect (a required field missing, a typed field of the wrong type,
an unknown schema version, an impossible date). Fields whose type is string take
any JSON scalar as its text, so they are not mutated here.
"""

from __future__ import annotations

import json
import re
import uuid

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from covid_tweets.pipelines.ingestion.nodes import split_messages
from covid_tweets.schema import REQUIRED_FIELDS, TWEET_FIELDS, encode_message
from support import ingested_counts, kafka_rows, load_dataset, make_tweet, run_pipeline, send_messages

ANY_REASON = ""
TIMESTAMP_SHAPE = re.compile(r"\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s*")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# For each typed field kind, JSON values that are not of that kind.
wrong_values = {
    "long": st.text(min_size=1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer())
    | st.integers(min_value=2**63)
    | st.booleans()
    | st.lists(st.integers(), min_size=1, max_size=3),
    "boolean": st.integers() | st.text(min_size=1) | st.lists(st.booleans(), min_size=1, max_size=3),
    "timestamp": st.text().filter(lambda text: not TIMESTAMP_SHAPE.fullmatch(text))
    | st.integers()
    | st.builds(lambda year: f"{year:04d}-06-01 00:00:00", st.integers(min_value=1, max_value=1899)),
    "string_array": st.text() | st.integers() | st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=2),
}
typed_fields = [field for field in TWEET_FIELDS if field.kind in wrong_values and field.name != "schema_version"]


def tweet_document(n: int) -> dict:
    return json.loads(encode_message(make_tweet(n))[1])


@st.composite
def broken_messages(draw) -> tuple[bytes, str]:
    """A message that must be refused, and the start of the reason it must be refused with."""
    document = tweet_document(draw(st.integers(min_value=0, max_value=10_000)))
    kind = draw(st.sampled_from(["bytes", "json", "truncated", "missing", "wrong_type", "version"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200)), ANY_REASON
    if kind == "json":
        return json.dumps(draw(json_values)).encode(), ANY_REASON
    if kind == "truncated":
        whole = json.dumps(document, ensure_ascii=False).encode()
        return whole[: draw(st.integers(min_value=0, max_value=len(whole) - 1))], ANY_REASON
    if kind == "missing":
        name = draw(st.sampled_from(REQUIRED_FIELDS))
        if draw(st.booleans()):
            del document[name]
        else:
            document[name] = None
        return json.dumps(document).encode(), f"missing required field '{name}'"
    if kind == "wrong_type":
        field = draw(st.sampled_from(typed_fields))
        document[field.name] = draw(wrong_values[field.kind])
        return json.dumps(document).encode(), f"{field.name}: "
    version = draw(st.integers(min_value=-(2**63), max_value=2**63 - 1).filter(lambda version: version != 1))
    document["schema_version"] = version
    return json.dumps(document).encode(), "unsupported schema_version"


# Each example is a Spark job: no shrinking, which would run hundreds more. A failure
# prints the whole corpus, and --hypothesis-seed replays it.
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(corpus=st.lists(broken_messages(), min_size=1, max_size=25))
def test_every_broken_message_is_quarantined_with_its_reason(spark, corpus):
    valid = encode_message(make_tweet(1))[1]
    bronze, quarantine = split_messages(kafka_rows(spark, [valid] + [value for value, _ in corpus]), accepted_schema_versions=[1])

    assert [row.id for row in bronze.collect()] == ["t1"]
    reasons = {row.kafka_offset: row.reason for row in quarantine.collect()}
    assert sorted(reasons) == list(range(1, len(corpus) + 1))
    for offset, (value, expected) in enumerate(corpus, start=1):
        assert reasons[offset], f"no reason for {value!r}"
        assert reasons[offset].startswith(expected), (value, reasons[offset])


@settings(max_examples=1, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(corpus=st.lists(broken_messages(), min_size=300, max_size=300))
def test_a_corpus_through_the_broker_lands_in_quarantine_beside_the_valid_tweets(kedro_project, kafka, monkeypatch, corpus):
    topic = f"corpus-{uuid.uuid4().hex[:8]}"
    valid = [encode_message(make_tweet(n)) for n in range(100)]
    send_messages(kafka, topic, valid + [(b"broken", value) for value, _ in corpus])

    run_pipeline(kedro_project, monkeypatch, "ingestion", TWEETS_TOPIC=topic)

    assert ingested_counts(kedro_project, monkeypatch) == (100, 100, len(corpus))
    quarantine = load_dataset(kedro_project, monkeypatch, "quarantined_messages")
    assert quarantine.where("reason IS NULL OR reason = ''").count() == 0
    raw = sorted(bytes(row.kafka_value or b"") for row in quarantine.select("kafka_value").collect())
    assert raw == sorted(value for value, _ in corpus)
