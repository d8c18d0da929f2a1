"""The activation slice's embedded adapters (folders on this machine)."""
