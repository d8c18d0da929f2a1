"""Amazon Personalize user segmentation, and its local stand-in.

* :mod:`.export` turns the lake and ``data/`` into Personalize's three datasets (CSV + Avro).
* :mod:`.queries` holds the item-attribute query language a batch segment job takes, validated
  before a job starts (at most 10 queries, each ``{"itemAttributes": ...}``).
* :mod:`.model` is the local item-attribute-affinity model: trained on the same interactions, it
  writes exactly the batch segment job's JSON-lines output, so post-processing and activation run
  for real on a laptop.
* :mod:`.evaluate` measures it on a time-based holdout against a past-share baseline.
"""
