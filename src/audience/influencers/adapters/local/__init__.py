"""The embedded defaults: VADER sentiment, the SQLite serving store, a file cursor."""
