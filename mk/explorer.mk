# The Audience Affinity Explorer: its generated profiles join `make data`; `make segments` reruns the job.
.PHONY: explorer-data segments

data: explorer-data

explorer-data: setup ## Regenerate data/rich_audience_data.csv (deterministic: seed 7, same users as users.csv)
	$(PY) -m audience.explorer generate --out data/

segments: setup ## Run the Explorer's segmentation job on the local lake ($$AUDIENCE_HOME/lake); K=6 fixes k
	$(PY) -m audience.explorer segment $(if $(K),--k $(K),)
