"""Serving: request validation, the ONNX scorer, the HTTP app, the Azure ML entry script and bundles.

Modules are imported on demand: the Azure ML entry script and the MLflow model load
only ``validation`` and ``scorer``, so neither web framework nor Azure SDK is needed there.
"""
