"""Ingestion: the live API path, the historical backfill and counter reconciliation."""
