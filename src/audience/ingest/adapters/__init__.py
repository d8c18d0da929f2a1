"""Adapters of the ingest slice (only its wiring imports them)."""
