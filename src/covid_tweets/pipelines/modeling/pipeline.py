"""Modeling: silver tweets -> tuned candidates -> the best one (Spark + ONNX) -> MLflow registry."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    check_onnx_parity,
    collect_metrics,
    convert_to_onnx,
    count_classes,
    count_scores,
    evaluate_candidates,
    evaluate_majority_baseline,
    fit_feature_encoder,
    label_tweets,
    package_release,
    plot_confusion_matrix,
    plot_feature_importance,
    plot_precision_recall_curve,
    plot_roc_curve,
    select_best_candidate,
    split_train_test,
    summarise_selection,
    tune_candidates,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Return the modeling nodes, from silver tweets to the registry."""
    return Pipeline(
        [
            Node(
                label_tweets,
                inputs=["silver_tweets@table", "params:label", "params:min_rows_per_class"],
                outputs="labelled_tweets",
                name="label_tweets",
            ),
            Node(
                split_train_test,
                inputs=["labelled_tweets", "params:split"],
                outputs=["train_tweets", "test_tweets"],
                name="split_train_test",
            ),
            Node(count_classes, inputs="train_tweets", outputs="train_class_counts", name="count_train_classes"),
            Node(count_classes, inputs="test_tweets", outputs="test_class_counts", name="count_test_classes"),
            Node(
                fit_feature_encoder,
                inputs=["train_tweets", "params:max_categories"],
                outputs="feature_encoder",
                name="fit_feature_encoder",
            ),
            Node(
                tune_candidates,
                inputs=[
                    "train_tweets",
                    "feature_encoder",
                    "params:candidates",
                    "params:tuning",
                    "params:selection_metric",
                ],
                outputs=["candidate_models", "tuning_summaries"],
                name="tune_candidates",
            ),
            Node(
                evaluate_candidates,
                inputs=["candidate_models", "test_tweets"],
                outputs="candidate_evaluations",
                name="evaluate_candidates",
            ),
            Node(
                evaluate_majority_baseline,
                inputs=["train_class_counts", "test_class_counts"],
                outputs="baseline_evaluation",
                name="evaluate_majority_baseline",
            ),
            Node(
                select_best_candidate,
                inputs=["candidate_models", "candidate_evaluations", "params:selection_metric"],
                outputs=["best_candidate", "best_model"],
                name="select_best_candidate",
            ),
            Node(
                collect_metrics,
                inputs=[
                    "candidate_evaluations",
                    "baseline_evaluation",
                    "tuning_summaries",
                    "best_candidate",
                    "train_class_counts",
                    "test_class_counts",
                ],
                outputs="modeling_metrics",
                name="collect_metrics",
            ),
            Node(
                summarise_selection,
                inputs=[
                    "candidate_evaluations",
                    "baseline_evaluation",
                    "tuning_summaries",
                    "best_candidate",
                    "params:selection_metric",
                ],
                outputs="model_selection_report",
                name="summarise_selection",
            ),
            Node(
                count_scores,
                inputs=["best_model", "test_tweets"],
                outputs="best_model_score_counts",
                name="count_scores",
            ),
            Node(
                plot_roc_curve,
                inputs=["best_model_score_counts", "candidate_evaluations", "best_candidate"],
                outputs="roc_curve_plot",
                name="plot_roc_curve",
            ),
            Node(
                plot_precision_recall_curve,
                inputs=["best_model_score_counts", "candidate_evaluations", "best_candidate"],
                outputs="precision_recall_curve_plot",
                name="plot_precision_recall_curve",
            ),
            Node(
                plot_confusion_matrix,
                inputs=["candidate_evaluations", "best_candidate", "params:label"],
                outputs="confusion_matrix_plot",
                name="plot_confusion_matrix",
            ),
            Node(
                plot_feature_importance,
                inputs=["best_model", "best_candidate", "params:plots.top_features"],
                outputs="feature_importance_plot",
                name="plot_feature_importance",
            ),
            Node(convert_to_onnx, inputs="best_model", outputs="converted_onnx_model", name="convert_to_onnx"),
            Node(
                check_onnx_parity,
                inputs=["converted_onnx_model", "best_model", "test_tweets", "params:onnx_parity"],
                outputs=["best_model_onnx", "onnx_parity"],
                name="check_onnx_parity",
            ),
            Node(
                package_release,
                inputs=[
                    "best_model",
                    "best_candidate",
                    "candidate_evaluations",
                    "test_tweets",
                    "onnx_parity",
                    "params:label",
                    "params:selection_metric",
                    "params:registered_model_name",
                ],
                outputs="champion_model@release",
                name="package_release",
            ),
        ]
    )
