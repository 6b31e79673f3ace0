"""covid_tweets: streamed tweets -> Delta tables -> Spark ML models -> served predictions."""

__version__ = "0.1.0"
