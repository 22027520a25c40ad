# make run  : set up .venv and compile the example model
# make test : set up .venv and run every test (pytest and lit)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lit pytest bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/cmsis-opt examples/tiny_conv.mlir

test: $(STAMP)
	@status=0; \
	$(BIN)/python -m pytest tests || status=1; \
	$(BIN)/lit -sv tests/lit || status=1; \
	exit $$status

pytest: $(STAMP)
	$(BIN)/python -m pytest tests

lit: $(STAMP)
	$(BIN)/lit -sv tests/lit

clean:
	rm -rf build .pytest_cache
