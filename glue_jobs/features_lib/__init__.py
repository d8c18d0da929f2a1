"""What the feature jobs share: arguments, reading and writing the lake, pure transformations, checks.

Shipped to AWS Glue as ``--extra-py-files`` (``scripts/package.py build features_lib``), so it imports no code of
the repository outside ``glue_jobs`` and no package Glue 5.0 lacks (only pyspark and the standard library).
"""
