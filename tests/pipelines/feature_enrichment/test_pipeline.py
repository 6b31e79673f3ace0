"""feature_enrichment on real Delta tables: every bronze tweet once in silver, incrementally."""

from textblob import TextBlob

from covid_tweets.features import clean_text
from covid_tweets.producer import generate_tweets
from covid_tweets.schema import encode_message
from support import load_dataset, run_pipeline, send_messages


def silver_version(project) -> int:
    return len(list((project / "data/04_feature/silver_tweets/_delta_log").glob("*.json")))


def test_enrichment_is_incremental_and_keeps_every_tweet(kedro_project, kafka, topic, monkeypatch):
    tweets = list(generate_tweets(400, seed=3))
    send_messages(kafka, topic, [encode_message(t) for t in tweets[:300]])
    run_pipeline(kedro_project, monkeypatch, "ingestion", "feature_enrichment", TWEETS_TOPIC=topic)

    silver = load_dataset(kedro_project, monkeypatch, "silver_tweets@table")
    assert silver.count() == 300
    by_id = {t["id"]: t for t in tweets}
    for row in silver.limit(50).collect():
        expected = TextBlob(clean_text(by_id[row.id]["text"])).sentiment
        assert (row.polarity, row.subjectivity) == (expected.polarity, expected.subjectivity)
        assert row.location != "" and row.source_category != ""
    assert (kedro_project / "data/08_reporting/enrichment_report.png").stat().st_size > 10_000

    # Nothing new in bronze: no work, no new silver version.
    version = silver_version(kedro_project)
    run_pipeline(kedro_project, monkeypatch, "feature_enrichment", TWEETS_TOPIC=topic)
    assert silver_version(kedro_project) == version
    assert load_dataset(kedro_project, monkeypatch, "silver_tweets@table").count() == 300

    send_messages(kafka, topic, [encode_message(t) for t in tweets[250:]])  # 50 seen before, 100 new
    run_pipeline(kedro_project, monkeypatch, "ingestion", "feature_enrichment", TWEETS_TOPIC=topic)
    silver = load_dataset(kedro_project, monkeypatch, "silver_tweets@table")
    assert silver.count() == 400
    assert silver.select("id").distinct().count() == 400
