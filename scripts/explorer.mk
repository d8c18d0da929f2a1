# The Audience Affinity Explorer: its generated profiles join `make data`; `make explorer-segments` reruns the job.
.PHONY: explorer-data explorer-segments

data: explorer-data

explorer-data: setup ## Regenerate data/rich_audience_data.csv (deterministic: seed 7, same users as users.csv)
	$(PY) -m audience.explorer generate --out data/

explorer-segments: setup ## Run the Explorer's segmentation job on the local lake (the lake under AUDIENCE_HOME, default .audience); K=6 fixes k
	$(PY) -m audience.explorer segment $(if $(K),--k $(K),)

# The segmentation Glue job's library and the profiles it reads, shipped to the deployed stack's lake
# bucket; `make deploy` runs glue-upload after `sam deploy`, which now runs this first.
.PHONY: explorer-zip explorer-upload
explorer-zip: ## Build the segmentation job's library zip (.aws-sam/glue/explorer_lib.zip)
	python3 "$(GLUE_PACKAGE)" build explorer_lib

explorer-upload: setup-sam ## Upload the segmentation job's zip and data/rich_audience_data.csv to the stack
	"$(dir $(SAM))python" "$(GLUE_PACKAGE)" upload explorer_lib --config-env $${CONFIG_ENV:-default}

glue-upload: explorer-upload
