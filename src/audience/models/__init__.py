"""Engagement and churn models: the gate, the local artefact registry, training and scoring runners.

The training and inference code itself lives in ``sagemaker/`` (SageMaker script mode); this package
runs it locally the way SageMaker does and wires it to the lake.
"""
