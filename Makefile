# make run  : set up .venv and compile the example model
# make test : set up .venv and run every test (ruff and pyright, pytest and lit)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint lit pytest bench clean target-check arm-tools fuzz stress

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python examples/run_example.py

# pyright cannot follow the editable install: setuptools maps compiler/ to cmsis_opt, dialects/ to
# cmsis_opt.dialects and so on (package-dir in pyproject.toml) with an import hook. pyright reads
# this tree of symbolic links instead ([tool.pyright] extraPaths), made afresh on every run so
# that new modules are seen.
TYPECHECK := $(VENV)/typecheck
LINK_TREE := rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/cmsis_opt \
	&& ln -s $(CURDIR)/compiler/* $(CURDIR)/dialects $(CURDIR)/passes $(CURDIR)/runtime $(TYPECHECK)/cmsis_opt/
# Shell steps for a recipe that collects failures in $status: every checker runs, whatever one finds.
LINT := $(LINK_TREE) || status=1; $(BIN)/ruff check || status=1; $(BIN)/pyright --project $(CURDIR) || status=1;

# pytest on every core (pytest-xdist): one worker per core, each taking whole test files, so a file's
# module-scoped fixtures (compiled models, built host programs) are made once. PYTEST_JOBS=0 runs in one process.
PYTEST_JOBS ?= auto
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_JOBS)),,-n $(PYTEST_JOBS) --dist loadfile)

test: $(STAMP)
	@status=0; \
	$(LINT) \
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) tests || status=1; \
	$(BIN)/lit -sv tests/lit || status=1; \
	exit $$status

lint: $(STAMP)
	@status=0; \
	$(LINT) \
	exit $$status

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) tests

lit: $(STAMP)
	$(BIN)/lit -sv tests/lit

# The Arm GNU toolchain and QEMU, from Debian's packages, when missing.
ARM_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
arm-tools:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null \
	    && test -e /usr/lib/arm-none-eabi/newlib/libc_nano.a; then :; else \
	  echo "installing $(ARM_PACKAGES)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(ARM_PACKAGES) >/dev/null; \
	fi

# The generated C on emulated Cortex-M4 and Cortex-M55 boards: exact outputs, RAM and flash table.
# Links Arm's CMSIS-NN built from $(CMSIS_NN) (default ../shared/cmsis-nn), or runtime/ where there is none.
CMSIS_NN ?=
target-check: $(STAMP) arm-tools
	CMSIS_NN="$(CMSIS_NN)" $(BIN)/python -m cmsis_opt.tools.target_check

# Benchmarks (not part of make test): writes bench/results.md, bench/results.json and the plots.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# Longer fuzzing than make test runs (random seeds; raise FUZZ_EXAMPLES for more).
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	CMSIS_OPT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_fuzz.py

# Differential testing at scale: 2,000 random networks, every allocation strategy, in-place on and off (host);
# then STRESS_QEMU random networks per core on QEMU (Cortex-M4, M55) with Arm's CMSIS-NN;
# and STRESS_PATCHED random networks with patching on (random stage ends and grids), host C against the interpreter;
# then the tests marked slow (exhaustive checks of minutes that make test leaves out).
STRESS_QEMU ?= 1000
STRESS_PATCHED ?= 500
stress: $(STAMP) arm-tools
	CMSIS_NN="$(CMSIS_NN)" $(BIN)/python tests/stress.py --qemu $(STRESS_QEMU) --patched $(STRESS_PATCHED)
	$(BIN)/python -m pytest -q -m slow $(PYTEST_PARALLEL) tests

clean:
	rm -rf build .pytest_cache
