"""Connectors: each source's format turned into the social post contract (pure; no network, no I/O)."""
