"""Adapters of the models slice (only its wiring imports them)."""
