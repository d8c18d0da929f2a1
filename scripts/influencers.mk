# Influencer identification (docs/influencers.md): scoring on local Spark, the DuckDB path, the
# Jetstream collector, research-data replays, and shipping the scoring job's library.
.PHONY: influencers influencers-score influencers-stream influencers-replay influencers-bench influencers-zip influencers-upload

influencers: setup ## Score the local lake's social posts with the Glue script on local Spark (AS_OF=ISO instant, default now)
	$(PY) -m audience.influencers job --engine spark $(if $(AS_OF),--as-of $(AS_OF),)

influencers-score: setup ## The same scoring through DuckDB in-process (seconds, not minutes)
	$(PY) -m audience.influencers job --engine duckdb $(if $(AS_OF),--as-of $(AS_OF),)

influencers-stream: setup ## Stream Bluesky Jetstream into POST /social/posts from the stored cursor (SECONDS=60)
	$(PY) -m audience.influencers stream --source bluesky --max-seconds $${SECONDS:-60}

influencers-replay: setup ## Replay Twitter15 into a JSONL of contract posts (../shared/data; OUT=posts.jsonl)
	$(PY) -m audience.influencers replay --format twitter15 --path ../shared/data/cascades-twitter15/twitter15.tar.gz --out $${OUT:-$(AUDIENCE_HOME)/twitter15-posts.jsonl}

influencers-bench: setup ## Only the influencer benchmarks (bench/results/influencers.json)
	$(PY) -m bench.influencers

influencers-zip: ## Build the scoring job's library zip (.aws-sam/glue/influencers_lib.zip)
	python3 "$(GLUE_PACKAGE)" build influencers_lib

influencers-upload: setup-sam ## Upload the scoring job's library zip to the deployed stack's lake bucket
	"$(dir $(SAM))python" "$(GLUE_PACKAGE)" upload influencers_lib --config-env $${CONFIG_ENV:-default}

glue-upload: influencers-upload
