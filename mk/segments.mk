# Personalize segments and activation on the local backend (docs/activation.md).
.PHONY: segments segments-export segments-eval

segments: setup ## Export for Personalize, train the local segment model, post-process and activate to files
	$(PY) -m audience.activation segments

segments-export: setup ## Write Personalize's interactions/items/users CSVs from the local lake and data/
	$(PY) -m audience.activation export

segments-eval: setup ## Evaluate the local segment model on MovieLens (../shared/data/movielens-small)
	$(PY) -m audience.activation evaluate-movielens $(if $(MOVIELENS),$(MOVIELENS),)
