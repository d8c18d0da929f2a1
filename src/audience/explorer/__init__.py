"""The Audience Affinity Explorer's domain: rich profiles, segmentation, affinity, lookalikes, export.

Pure functions over numpy arrays and pyarrow tables; no Flask, no boto3. The segmentation job
(:mod:`audience.explorer.job`) and the web blueprint (:mod:`audience.web.pages.explorer`) both use it.
"""
