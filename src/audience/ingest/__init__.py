"""Ingestion: engagement events and social posts, from a request body into the lake, exactly once;
the historical backfill and counter reconciliation."""
