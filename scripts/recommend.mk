# Recommendations on the local backend (docs/recommendations.md).
.PHONY: recommend recommend-eval recommend-batch recommend-asl

SHARED_DATA ?= $(abspath $(CURDIR)/../shared/data)

recommend: setup ## Export from the lake, train baseline + Personalize stand-in, fill the table, evaluate (needs `make demo` first)
	$(PY) -m audience.activation export
	$(PY) -m audience.recommend run --catalog data/content_catalog.csv

recommend-eval: setup ## Offline comparison on MovieLens ml-latest-small and bingewatch (SHARED_DATA=../shared/data)
	$(PY) -m audience.recommend evaluate --interactions $(SHARED_DATA)/bingewatch/interactions.csv \
		--items $(SHARED_DATA)/bingewatch/items.csv --out $(AUDIENCE_HOME)/recommend/eval-bingewatch.json > /dev/null
	AUDIENCE_SHARED_DATA=$(SHARED_DATA) $(PY) -m bench.recommend

recommend-batch: setup ## The batch contract on any Personalize files: I=, ITEMS=, USERS=, RECIPE=, OUT=
	$(PY) -m audience.recommend batch --interactions $(I) --items $(ITEMS) --users $(USERS) \
		--recipe $(or $(RECIPE),personalize) --num-results $(or $(N),25) --out $(OUT)

recommend-asl: setup ## Regenerate statemachines/recommendations.asl.json from its builder
	$(PY) scripts/build_recommendations_asl.py
