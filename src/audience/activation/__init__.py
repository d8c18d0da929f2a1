"""Activation: handing an audience (a list of user ids) to a campaign tool.

:mod:`audience.core.audience_files` writes the plain file export (CSV + JSON + manifest) that every
destination and the Explorer's download share.

Amazon Personalize user segmentation and its local stand-in live here too:

* :mod:`.export` turns the lake and ``data/`` into Personalize's three datasets (CSV + Avro).
* :mod:`.queries` holds the item-attribute query language a batch segment job takes, validated
  before a job starts (at most 10 queries, each ``{"itemAttributes": ...}``).
* :mod:`.adapters.local.personalize_model` is the local item-attribute-affinity model: trained on the
  same interactions, it writes exactly the batch segment job's JSON-lines output, so post-processing
  and activation run for real on a laptop.
* :mod:`.evaluate` measures it on a time-based holdout against a past-share baseline.
"""
