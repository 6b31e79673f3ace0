"""Feature enrichment: bronze tweets -> silver (sentiment + features), and a small report."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # reports are files: never ask for a display

import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from covid_tweets.features import enrich_spark


def enrich_new_tweets(new_bronze_tweets: DataFrame) -> DataFrame:
    """Add sentiment and per-tweet features to the tweets bronze gained since the last run."""
    return enrich_spark(new_bronze_tweets).withColumn("enriched_at", F.current_timestamp())


def summarise_silver(silver_tweets: DataFrame) -> pd.DataFrame:
    """One row of headline figures: tweets, sentiment shares, engagement, missing values made explicit."""
    summary = silver_tweets.agg(
        F.count("*").alias("tweets"),
        F.round(F.avg("polarity"), 4).alias("mean_polarity"),
        F.round(F.avg("subjectivity"), 4).alias("mean_subjectivity"),
        F.round(F.avg((F.col("polarity") > 0).cast("double")), 4).alias("share_positive"),
        F.round(F.avg((F.col("polarity") < 0).cast("double")), 4).alias("share_negative"),
        F.round(F.avg((F.col("polarity") == 0).cast("double")), 4).alias("share_neutral"),
        F.round(F.avg((F.col("retweets") > 0).cast("double")), 4).alias("share_retweeted"),
        F.round(F.avg((F.col("location") == "unknown").cast("double")), 4).alias("share_unknown_location"),
        F.round(F.avg((F.col("hashtag_count") == 0).cast("double")), 4).alias("share_without_hashtags"),
        F.countDistinct("tweet_date").alias("days"),
    )
    return summary.toPandas()


def count_tweets_per_day(silver_tweets: DataFrame) -> pd.DataFrame:
    """Tweets and mean polarity per tweet date, oldest first."""
    daily = silver_tweets.groupBy("tweet_date").agg(F.count("*").alias("tweets"), F.avg("polarity").alias("mean_polarity"))
    return daily.orderBy("tweet_date").toPandas()


def count_top_hashtags(silver_tweets: DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` most used hashtags with their tweet counts."""
    hashtags = silver_tweets.select(F.explode("hashtags").alias("hashtag")).groupBy("hashtag").count()
    return hashtags.orderBy(F.desc("count"), "hashtag").limit(top_n).toPandas()


def bin_polarity(silver_tweets: DataFrame, bins: int) -> pd.DataFrame:
    """Tweet counts per polarity bin over [-1, 1] (counted in Spark: only the bins reach the driver)."""
    width = 2.0 / bins
    index = F.least(F.floor((F.col("polarity") + 1.0) / width), F.lit(bins - 1)).cast("int")
    counts = silver_tweets.groupBy(index.alias("bin")).count().toPandas().set_index("bin")["count"]
    edges = [-1.0 + i * width for i in range(bins)]
    return pd.DataFrame({"polarity_from": edges, "tweets": [int(counts.get(i, 0)) for i in range(bins)]})


def plot_enrichment_report(polarity_bins: pd.DataFrame, tweets_per_day: pd.DataFrame, top_hashtags: pd.DataFrame) -> Figure:
    """A three-panel figure: sentiment distribution, tweets per day, top hashtags."""
    figure, (sentiment, daily, hashtags) = plt.subplots(1, 3, figsize=(18, 5))
    width = polarity_bins["polarity_from"].diff().iloc[-1] if len(polarity_bins) > 1 else 2.0
    sentiment.bar(polarity_bins["polarity_from"], polarity_bins["tweets"], width=width, align="edge", color="#4c72b0")
    sentiment.set(title="Sentiment distribution", xlabel="TextBlob polarity", ylabel="tweets")
    daily.plot(pd.to_datetime(tweets_per_day["tweet_date"]), tweets_per_day["tweets"], marker="o", color="#55a868")
    daily.set(title="Tweets per day", xlabel="tweet date", ylabel="tweets", ylim=(0, None))
    daily.tick_params(axis="x", labelrotation=45)
    hashtags.barh(top_hashtags["hashtag"][::-1], top_hashtags["count"][::-1], color="#c44e52")
    hashtags.set(title="Top hashtags", xlabel="tweets")
    figure.tight_layout()
    return figure
