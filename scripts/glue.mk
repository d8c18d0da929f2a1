# Shipping the feature-engineering Glue jobs (included by the root Makefile; docs/deploy.md).
#
# `sam deploy` uploads each job's script itself: Command.ScriptLocation is a local path in
# template.yaml, and SAM packages that property of AWS::Glue::Job. It does not package the jobs'
# --extra-py-files zip nor the reference CSVs; scripts/package_glue.py does, into the deployed
# stack's lake bucket, so `make deploy` runs `glue-upload` after `sam deploy`.

GLUE_PACKAGE := $(dir $(lastword $(MAKEFILE_LIST)))package_glue.py

.PHONY: glue-zip glue-upload

glue-zip: ## Build the Glue jobs' library zip (.aws-sam/glue/features_lib.zip)
	python3 "$(GLUE_PACKAGE)" build

# boto3 comes with the SAM CLI's environment; CONFIG_ENV picks the samconfig.toml environment.
glue-upload: setup-sam ## Upload the Glue library zip and data/ reference CSVs to the deployed stack
	"$(dir $(SAM))python" "$(GLUE_PACKAGE)" upload --config-env $${CONFIG_ENV:-default}
