"""Glue PySpark jobs: thin entry scripts over :mod:`glue_jobs.features_lib` (shipped to Glue as a zip)."""
