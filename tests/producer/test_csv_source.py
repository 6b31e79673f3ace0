"""Reading tweet CSVs: both layouts, RFC 4180 quoting, conversions, rejects and bad files."""

from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covid_tweets.producer.csv_source import (
    MAX_FIELD_CHARS,
    MAX_RECORD_CHARS,
    CsvTweetSource,
    InputFileError,
    read_csv_tweets,
)
from covid_tweets.producer.records import TWEET_KEYS, Reject
from covid_tweets.schema import encode_message

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

COVID_HEADER = (
    "user_name,user_location,user_description,user_created,user_followers,user_friends,"
    "user_favourites,user_verified,date,text,hashtags,source,is_retweet\n"
)
VACCINATION_HEADER = (
    "id,user_name,user_location,user_description,user_created,user_followers,user_friends,"
    "user_favourites,user_verified,date,text,hashtags,source,retweets,favorites,is_retweet\n"
)


def write(tmp_path: Path, text: str, name: str = "tweets.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def read(path: Path) -> tuple[list[dict], list[Reject]]:
    items = list(read_csv_tweets(path))
    return [i for i in items if not isinstance(i, Reject)], [i for i in items if isinstance(i, Reject)]


def content_id(fields: list[str], occurrence: int = 0) -> str:
    """The documented id of a COVID19-layout record: a hash of its fields."""
    content = "\x1f".join(fields) + (f"\x1f{occurrence}" if occurrence else "")
    return "c" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def test_covid_layout_with_quoted_commas_newlines_and_emoji(tmp_path):
    record = (
        'Ana 🌻,"Leeds, England","Nurse, runner\nviews my own",2015-03-01 10:00:00,405.0,12,0,'
        'False,2020-07-25 12:27:21,"Got my jab, feeling great 💉\n\nthanks ""team""",'
        "\"['COVID19', 'Vaccine']\",Twitter for iPhone,False\n"
    )
    path = write(tmp_path, COVID_HEADER + record)
    tweets, rejects = read(path)
    fields = next(csv.reader([record]))

    assert rejects == []
    assert tweets == [
        {
            "id": content_id(fields),
            "user_name": "Ana 🌻",
            "user_location": "Leeds, England",
            "user_description": "Nurse, runner\nviews my own",
            "user_created": "2015-03-01 10:00:00",
            "user_followers": 405,
            "user_friends": 12,
            "user_favourites": 0,
            "user_verified": False,
            "date": "2020-07-25 12:27:21",
            "text": 'Got my jab, feeling great 💉\n\nthanks "team"',
            "hashtags": ["COVID19", "Vaccine"],
            "source": "Twitter for iPhone",
            "is_retweet": False,
            "retweets": None,
            "favorites": None,
        }
    ]
    assert tuple(tweets[0]) == TWEET_KEYS
    encode_message(tweets[0])


def test_vaccination_layout_is_mapped_by_column_name(tmp_path):
    path = write(
        tmp_path,
        VACCINATION_HEADER
        + "1340539111971516416,Rachel,,,2009-04-08 17:52:46,405,1692,3247,TRUE,2020-12-20 06:06:44,"
        "Same folks said #PfizerBioNTech,['PfizerBioNTech'],Twitter for Android,3,7,false\n",
    )
    tweets, rejects = read(path)

    assert rejects == []
    assert tweets == [
        {
            "id": "1340539111971516416",
            "user_name": "Rachel",
            "user_location": None,
            "user_description": None,
            "user_created": "2009-04-08 17:52:46",
            "user_followers": 405,
            "user_friends": 1692,
            "user_favourites": 3247,
            "user_verified": True,
            "date": "2020-12-20 06:06:44",
            "text": "Same folks said #PfizerBioNTech",
            "hashtags": ["PfizerBioNTech"],
            "source": "Twitter for Android",
            "is_retweet": False,
            "retweets": 3,
            "favorites": 7,
        }
    ]
    with CsvTweetSource(path) as source:
        assert source.layout == "vaccination"
        assert source.name == "tweets"


def test_empty_fields_become_none_and_empty_hashtags_an_empty_list(tmp_path):
    path = write(tmp_path, COVID_HEADER + ",,,,,,,,,just text,,,\n")
    (tweet,), _ = read(path)

    assert tweet["text"] == "just text"
    assert tweet["hashtags"] == []
    assert all(tweet[key] is None for key in TWEET_KEYS if key not in ("id", "text", "hashtags"))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"user_followers": "abc"}, "user_followers: not a number 'abc'"),
        ({"user_friends": "12.5"}, "user_friends: not a number '12.5'"),
        ({"user_favourites": "-3"}, "user_favourites: negative count '-3'"),
        ({"user_verified": "yes"}, "user_verified: not a boolean 'yes'"),
        ({"date": "25/07/2020 12:27"}, "date: not a timestamp '25/07/2020 12:27'"),
        ({"user_created": "2020-02-30 10:00:00"}, "user_created: not a timestamp '2020-02-30 10:00:00'"),
        ({"hashtags": "['COVID19'"}, "hashtags: not a list of strings \"['COVID19'\""),
        ({"hashtags": "[1, 2]"}, "hashtags: not a list of strings '[1, 2]'"),
        ({"hashtags": "__import__('os')"}, "hashtags: not a list of strings \"__import__('os')\""),
        ({"text": ""}, "text: missing"),
        ({"text": "  "}, "text: missing"),
        (
            {"user_followers": "x", "is_retweet": "maybe"},
            "user_followers: not a number 'x'; is_retweet: not a boolean 'maybe'",
        ),
    ],
)
def test_bad_values_are_rejected_with_the_field_and_value(tmp_path, fields, reason):
    values = dict.fromkeys(COVID_HEADER.strip().split(","), "")
    values.update({"text": "hello", "user_followers": "1"}, **fields)
    with (tmp_path / "bad.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(values)
        writer.writerow(values.values())

    tweets, rejects = read(tmp_path / "bad.csv")

    assert tweets == []
    assert [(r.line, r.reason) for r in rejects] == [(2, reason)]


def test_wrong_field_count_is_rejected_with_line_numbers_counting_embedded_newlines(tmp_path):
    good = 'a,b,"two\nlines",,1,2,3,False,2020-07-25 12:27:21,"text, with\nnewline",,web,False\n'
    short = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web\n"
    path = write(tmp_path, COVID_HEADER + good + short + good)

    tweets, rejects = read(path)

    assert len(tweets) == 2
    # The first record spans lines 2-4, so the short one starts on line 5.
    assert rejects == [Reject(line=5, reason="expected 13 fields, got 12", raw=short.rstrip("\n"))]


def test_record_cut_inside_a_quoted_field_at_end_of_file_is_rejected(tmp_path):
    good = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web,False\n"
    cut = 'Suke,Japan,"System engineer.\nTweets graphs'
    path = write(tmp_path, COVID_HEADER + good + cut)

    tweets, rejects = read(path)

    assert len(tweets) == 1
    assert rejects == [Reject(line=3, reason="record truncated at end of file", raw=cut)]


def test_complete_last_record_without_final_newline_is_a_tweet(tmp_path):
    path = write(tmp_path, COVID_HEADER + 'a,b,c,,1,2,3,False,2020-07-25 12:27:21,"last, one",,web,False')

    tweets, rejects = read(path)

    assert [t["text"] for t in tweets] == ["last, one"]
    assert rejects == []


def test_crlf_line_endings_and_a_byte_order_mark_are_read(tmp_path):
    record = 'a,b,c,,1,2,3,False,2020-07-25 12:27:21,"x\r\ny",,web,False\r\n'
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (COVID_HEADER.replace("\n", "\r\n") + record).encode("utf-8"))

    tweets, rejects = read(path)

    assert [t["text"] for t in tweets] == ["x\r\ny"]
    assert rejects == []


def test_blank_lines_are_skipped(tmp_path):
    record = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web,False\n"
    tweets, rejects = read(write(tmp_path, COVID_HEADER + "\n" + record + "\n\n"))

    assert len(tweets) == 1 and rejects == []


def test_identical_records_get_distinct_deterministic_ids(tmp_path):
    record = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,same text,,web,False\n"
    path = write(tmp_path, COVID_HEADER + record * 3)
    fields = next(csv.reader([record]))

    first, _ = read(path)
    again, _ = read(path)

    assert [t["id"] for t in first] == [content_id(fields), content_id(fields, 1), content_id(fields, 2)]
    assert [t["id"] for t in again] == [t["id"] for t in first]


def test_vaccination_record_without_id_is_rejected(tmp_path):
    path = write(
        tmp_path,
        VACCINATION_HEADER + ",R,,,,1,1,1,False,2020-12-20 06:06:44,text,,web,0,0,False\n",
    )
    assert [r.reason for r in read(path)[1]] == ["id: missing"]


def test_wrong_header_names_the_missing_columns(tmp_path):
    path = write(tmp_path, "user_name,text,date\nx,y,z\n")

    with pytest.raises(ValueError, match=r"missing columns \['user_location', 'user_description'"):
        list(read_csv_tweets(path))


def test_empty_file_has_no_header(tmp_path):
    with pytest.raises(InputFileError, match="no header"):
        CsvTweetSource(write(tmp_path, ""))


def test_header_only_file_yields_nothing(tmp_path):
    assert list(read_csv_tweets(write(tmp_path, COVID_HEADER))) == []


def test_binary_garbage_is_a_clear_value_error(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(random.Random(0).randbytes(4096))

    with pytest.raises(ValueError, match="not UTF-8 text"):
        CsvTweetSource(path)


def test_undecodable_bytes_after_the_header_are_a_clear_value_error(tmp_path):
    path = tmp_path / "latin1.csv"
    record = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web,False\n"
    path.write_bytes((COVID_HEADER + record * 2000).encode("utf-8") + "café,\n".encode("latin-1"))

    with pytest.raises(InputFileError, match="not UTF-8 text"):
        list(read_csv_tweets(path))


def test_a_10_mb_field_rejects_its_record_and_the_records_around_it_are_read(tmp_path):
    before = "before,b,c,,1,2,3,False,2020-07-25 12:27:21,first,,web,False\n"
    after = "after,b,c,,1,2,3,False,2020-07-25 12:27:21,last,,web,False\n"
    # Lines inside one quoted field: a reader that lost its place would read them as records.
    huge_text = "spam, spam\n" * (10 * 1024 * 1024 // 11)
    huge = f'huge,b,c,,1,2,3,False,2020-07-25 12:27:21,"{huge_text}",,web,False\n'
    limit_before = csv.field_size_limit()

    tweets, rejects = read(write(tmp_path, COVID_HEADER + before + huge + after))

    assert [t["user_name"] for t in tweets] == ["before", "after"]
    assert [t["text"] for t in tweets] == ["first", "last"]
    [reject] = rejects
    assert reject.line == 3
    assert reject.reason == (
        f"text: {len(huge_text):,} characters, more than the 10,000 a field may have "
        f"(raw holds the first 1,000 of the record's {len(huge) - 1:,} characters)"
    )
    assert reject.raw == huge[:1000]
    assert csv.field_size_limit() == limit_before  # other csv readers in the process keep their limit


def test_every_oversized_field_is_named_even_past_the_header(tmp_path):
    long = "x" * (MAX_FIELD_CHARS + 1)
    record = f"{long},b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web,False,{long}\n"

    _, [reject] = read(write(tmp_path, COVID_HEADER + record))

    assert reject.reason == (
        "user_name: 10,001 characters, more than the 10,000 a field may have; "
        "field 14: 10,001 characters, more than the 10,000 a field may have "
        f"(raw holds the first 1,000 of the record's {len(record) - 1:,} characters)"
    )


def test_a_field_at_the_limit_is_accepted_whole(tmp_path):
    text = "y" * MAX_FIELD_CHARS
    record = f"a,b,c,,1,2,3,False,2020-07-25 12:27:21,{text},,web,False\n"

    tweets, rejects = read(write(tmp_path, COVID_HEADER + record))

    assert rejects == [] and tweets[0]["text"] == text


def test_a_message_with_every_field_at_the_limit_fits_a_kafka_message(tmp_path):
    # Control characters cost the most JSON: each is written as a six-byte \u escape.
    worst = "\x01" * MAX_FIELD_CHARS
    hashtags = "['" + "\x01" * (MAX_FIELD_CHARS - 4) + "']"
    record = (
        f"{worst},{worst},{worst},{worst},2015-03-01 10:00:00,1,2,3,False,2020-07-25 12:27:21,{worst},"
        f'"{hashtags}",{worst},0,0,False\n'
    )

    (tweet,), rejects = read(write(tmp_path, VACCINATION_HEADER + record))
    key, value = encode_message(tweet)

    assert rejects == []
    assert len(key) + len(value) < 1_000_000  # librdkafka's default message.max.bytes


def test_a_record_longer_than_the_reader_bound_stops_the_file_after_the_records_before_it(tmp_path):
    good = "a,b,c,,1,2,3,False,2020-07-25 12:27:21,text,,web,False\n"
    endless = 'a,b,c,,1,2,3,False,2020-07-25 12:27:21,"' + "z" * MAX_RECORD_CHARS
    path = write(tmp_path, COVID_HEADER + good + endless + '",,web,False\n' + good)
    items = iter(read_csv_tweets(path))

    assert next(items)["text"] == "text"
    with pytest.raises(InputFileError) as failure:
        next(items)
    assert str(failure.value) == (
        f"{path}: the record starting on line 3 is longer than 16,777,216 characters, so reading "
        "stopped there (where the next record starts cannot be known); remove or shorten that record"
    )


_FREE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(name=_FREE_TEXT, location=_FREE_TEXT, description=_FREE_TEXT, text=_FREE_TEXT.filter(str.strip))
def test_any_free_text_written_by_a_csv_writer_reads_back_unchanged(
    tmp_path_factory, name, location, description, text
):
    path = tmp_path_factory.mktemp("roundtrip") / "tweets.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COVID_HEADER.strip().split(","))
        writer.writerow(
            [name, location, description, "", "1", "2", "3", "True", "", text, "[]", "web", "False"]
        )

    (tweet,), rejects = read(path)

    assert rejects == []
    assert (tweet["user_name"], tweet["user_location"], tweet["user_description"], tweet["text"]) == (
        name or None,
        location or None,
        description or None,
        text,
    )


def _sample(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def _texts_by_csv_reader(path: Path, count: int) -> list[str]:
    with path.open(newline="", encoding="utf-8") as data:
        rows = csv.reader(data)
        text_column = next(rows).index("text")
        return [row[text_column] for _, row in zip(range(count), rows)]


def test_real_covid19_sample():
    path = _sample("covid19_tweets_sample.csv")

    tweets, rejects = read(path)

    assert len(tweets) == 9_031
    assert len({t["id"] for t in tweets}) == 9_031
    assert [r.reason for r in rejects] == ["record truncated at end of file"]
    assert rejects[0].raw.startswith("Suke,Japan,")
    assert [t["text"] for t in tweets] == _texts_by_csv_reader(path, 9_031)
    assert all(t["retweets"] is None and t["favorites"] is None for t in tweets)


def test_real_vaccination_sample():
    path = _sample("vaccination_tweets_sample.csv")

    tweets, rejects = read(path)

    assert len(tweets) == 3_813
    assert rejects == []
    assert len({t["id"] for t in tweets}) == 3_813
    assert [t["text"] for t in tweets] == _texts_by_csv_reader(path, 3_813)
    assert sum(t["retweets"] > 0 for t in tweets) / len(tweets) == pytest.approx(0.31, abs=0.02)
