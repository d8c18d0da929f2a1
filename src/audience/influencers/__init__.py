"""Influencer identification: social reshare cascades, influence scores, flags and budget allocation.

Entry points: :func:`audience.influencers.scoring.score` (one scoring run over a posts frame),
:func:`audience.influencers.allocation.allocate` (the budget allocator), the connectors under
``connectors/``, and ``python -m audience.influencers`` (``score``, ``stream``, ``replay``).
"""
