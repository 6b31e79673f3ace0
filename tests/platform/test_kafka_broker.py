"""The local broker is a real Kafka: clients nobody here wrote can use it."""

import shutil
import subprocess

import pytest
from confluent_kafka import Producer


def test_spark_reads_back_every_message_once(spark, kafka, topic):
    producer = Producer({"bootstrap.servers": kafka["bootstrap_servers"], "enable.idempotence": True})
    sent = {f"key-{i}": f'{{"n": {i}, "text": "tweet {i}, with a comma"}}' for i in range(1000)}
    for key, value in sent.items():
        producer.produce(topic, key=key.encode(), value=value.encode())
    assert producer.flush(30) == 0

    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka["bootstrap_servers"])
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    table = f"roundtrip_{topic.replace('-', '_')}"
    query = (
        stream.selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value")
        .writeStream.format("memory")
        .queryName(table)
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(120)
    received = [(row.key, row.value) for row in spark.table(table).collect()]

    assert len(received) == 1000
    assert dict(received) == sent


def test_kcat_lists_the_topic(kafka, topic):
    if shutil.which("kcat") is None:
        pytest.fail("kcat is not installed: `make test` installs it (Debian package kcat)")
    listing = subprocess.run(
        ["kcat", "-b", kafka["bootstrap_servers"], "-L", "-t", topic],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    assert f'topic "{topic}" with 2 partitions' in listing

