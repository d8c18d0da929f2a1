"""The embedded default adapters of the ingest slice."""
