# Shipping the feature-engineering Glue jobs (included by the root Makefile; docs/deploy.md).
#
# `sam deploy` uploads each job's script itself: Command.ScriptLocation is a local path in
# template.yaml, and SAM packages that property of AWS::Glue::Job. It does not package the jobs'
# --extra-py-files zips nor the reference CSVs; scripts/package.py (one packager, one table of
# artefacts: features_lib, backfill_lib, explorer_lib, influencers_lib) does, into the deployed
# stack's lake bucket, so `make deploy` runs `glue-upload` after `sam deploy`.

GLUE_PACKAGE := $(dir $(lastword $(MAKEFILE_LIST)))package.py

.PHONY: glue-zip glue-upload

glue-zip: ## Build the feature and backfill jobs' library zips (.aws-sam/glue/{features,backfill}_lib.zip)
	python3 "$(GLUE_PACKAGE)" build features_lib backfill_lib

# boto3 comes with the SAM CLI's environment; CONFIG_ENV picks the samconfig.toml environment.
glue-upload: setup-sam ## Upload the Glue library zips and data/ reference CSVs to the deployed stack
	"$(dir $(SAM))python" "$(GLUE_PACKAGE)" upload features_lib backfill_lib --config-env $${CONFIG_ENV:-default}
