"""The embedded default: the EASE stand-in for Personalize, the SQLite recommendations table."""
