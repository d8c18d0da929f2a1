# Insights on demand from the local lake (the same service as the insights function and /insights).
.PHONY: insights

insights: setup ## One insight from the local lake: CONTENT=c-000123 or SEGMENT=<id>; RANGE=7d|30d|90d
	@$(PY) -m audience.insights $(if $(CONTENT),--content $(CONTENT),) $(if $(SEGMENT),--segment $(SEGMENT),) $(if $(RANGE),--time-range $(RANGE),) $(if $(REFRESH),--refresh,)
