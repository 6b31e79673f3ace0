"""Feature enrichment: new bronze tweets -> silver (Delta), plus a report of silver."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    bin_polarity,
    count_top_hashtags,
    count_tweets_per_day,
    enrich_new_tweets,
    plot_enrichment_report,
    summarise_silver,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(enrich_new_tweets, "bronze_tweets@stream", "silver_tweets@table", name="enrich_new_tweets"),
            Node(summarise_silver, "silver_tweets@table", "enrichment_summary", name="summarise_silver"),
            Node(count_tweets_per_day, "silver_tweets@table", "tweets_per_day", name="count_tweets_per_day"),
            Node(count_top_hashtags, ["silver_tweets@table", "params:report.top_hashtags"], "top_hashtags", name="count_top_hashtags"),
            Node(bin_polarity, ["silver_tweets@table", "params:report.polarity_bins"], "polarity_bins", name="bin_polarity"),
            Node(
                plot_enrichment_report,
                ["polarity_bins", "tweets_per_day", "top_hashtags"],
                "enrichment_report_plot",
                name="plot_enrichment_report",
            ),
        ]
    )
