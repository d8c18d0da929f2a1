# Personalize segments and activation on the local backend (docs/activation.md).
.PHONY: segments segments-export segments-eval

segments: setup ## Export, train the local segment model, activate to files; prints the table (JSON=1 for JSON)
	@$(PY) -m audience.activation segments $(if $(JSON),--json,)

segments-export: setup ## Write Personalize's interactions/items/users CSVs from the local lake and data/
	@$(PY) -m audience.activation export

segments-eval: setup ## Evaluate the segment model on MovieLens ml-latest-small (../shared/data; MOVIELENS=dir)
	@$(PY) -m audience.activation evaluate-movielens $(if $(MOVIELENS),$(MOVIELENS),)
