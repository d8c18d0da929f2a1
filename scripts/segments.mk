# Personalize segments and activation on the local backend (docs/activation.md).
.PHONY: segments segments-export segments-eval

segments: setup ## Export, train the local segment model, activate to files; prints the table (JSON=1 for JSON)
	@$(PY) -m audience.activation segments $(if $(JSON),--json,)

segments-export: setup ## Write Personalize's interactions/items/users CSVs from the local lake and data/
	@$(PY) -m audience.activation export

segments-eval: setup ## Evaluate the local segment model on MovieLens: MOVIELENS=<ml-latest-small folder>
	@test -n "$(MOVIELENS)" || { echo "set MOVIELENS to the MovieLens ml-latest-small folder"; exit 2; }
	$(PY) -m audience.activation evaluate-movielens $(MOVIELENS)
