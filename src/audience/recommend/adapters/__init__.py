"""Adapters of the recommendations slice: ``aws`` (boto3) and ``local`` (the embedded default)."""
