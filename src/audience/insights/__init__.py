"""Insights and the dashboard's data: SQL over the lake, a writer (Bedrock or rules), a store.

The flow of one insight is gather -> ask -> validate -> fallback -> store (:mod:`.service`). Every
query lives in :mod:`.queries`, written once in the subset of SQL that Athena (Trino) and DuckDB
share, with positional ``?`` parameters; no caller text is ever formatted into SQL.
"""
