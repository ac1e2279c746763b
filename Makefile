# Two commands: `make run` and `make test`. Both set up a local .venv with pinned dependencies.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SCORECARD_DB ?= data/scorecard.duckdb

.PHONY: setup run demo test lint bench notebook clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,notebook]'
	touch $(STAMP)

setup: $(STAMP)

$(SCORECARD_DB): | $(STAMP)
	$(BIN)/scorecard demo --db $(SCORECARD_DB)

demo: $(STAMP)
	$(BIN)/scorecard demo --db $(SCORECARD_DB) --force

run: $(STAMP) $(SCORECARD_DB)
	$(BIN)/streamlit run app.py --server.port 8501 --server.headless true

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Many viewers: `make replicas N=4` runs N app processes behind nginx on 127.0.0.1:8080 (needs an
# [auth] section in .streamlit/secrets.toml; docs/hosting.md); `make loadtest` measures 50 viewers
# against one process, N replicas (default 2) and the replicas while the large org loads.
.PHONY: loadtest replicas
loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest --results --replicas $(or $(N),2)

replicas: $(STAMP) $(SCORECARD_DB)
	$(BIN)/python -m bench.replicas --replicas $(or $(N),2) --db $(SCORECARD_DB)

notebook: $(STAMP) $(SCORECARD_DB)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/scorecard_tour.ipynb

clean:
	rm -rf $(VENV) data/*.duckdb data/.*.duckdb.* data/archive
