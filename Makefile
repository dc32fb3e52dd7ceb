# labgen: two commands on a fresh machine.
#   make render   render every lab in labs/ (sets up the virtualenv and pinned tools first)
#   make test     lint, type-check, tests, `labgen render --check` and `labgen check`, side by side
#   make test-all make test, then the slow tier (CI runs this)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labgen-setup
# Upstream CRD JSON Schemas used by the tests (kubeconform layout).
export LABGEN_SCHEMAS ?= $(abspath ../shared/schemas)
# Pinned upstream Helm charts (`helm pull` archives): `make check` renders every Helm source
# from it (a chart missing from it is an error); the tests default to the same directory.
# Set it in the environment and `labgen check` / `labgen diff` use it without --chart-dir.
LABGEN_CHARTS ?= $(abspath ../shared/charts)

.PHONY: setup render check-render check test test-all lint typecheck unit unit-slow bench audit clean

setup: $(STAMP)

$(STAMP): pyproject.toml src/labgen/tools.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/labgen tools install
	touch $@

render: setup
	$(BIN)/labgen render

check-render: setup
	$(BIN)/labgen render --check

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/vulture

typecheck: setup
	$(BIN)/mypy

# The fast tier: tests marked `slow` are left to `make test-all`. Hypothesis uses its small
# profile (tests/conftest.py) unless HYPOTHESIS_PROFILE says otherwise. Two xdist workers:
# one starts the real API server and runs the tests that use it, the other the rest
# (tests/k8s_server.py); PYTEST_WORKERS=0 runs them in this process.
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
unit: setup
	$(BIN)/pytest -q --durations=25 -m "not slow" -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The slow tier: exhaustive sweeps (tests marked `slow`: every catalog base built on its
# own, CRD schema reproduction, ...) and every Hypothesis test again with the deep profile.
unit-slow: setup
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q --durations=25 -m "slow or hypothesis" $(PYTEST_ARGS)

# The committed tree, built and validated like CI and Argo CD would, against the schemas
# labgen ships (the CRDs of every release it pins) and kubernetes-validate's core schemas.
check: setup
	$(BIN)/labgen check --chart-dir $(LABGEN_CHARTS)

# The steps of `make test` are independent, so they run side by side (each one's output is
# printed whole when it ends): on two cores the checks and mypy use the core the tests
# leave idle while they wait on kubectl, helm and the API server.
TEST_STEPS := lint typecheck unit check-render check
test: setup
	$(MAKE) --no-print-directory -j$(words $(TEST_STEPS)) --output-sync=target $(TEST_STEPS)

test-all: test unit-slow

# Figures, not pass/fail: see benchmarks/ and docs/benchmarks.md.
bench: setup
	$(BIN)/python benchmarks/render_bench.py
	$(BIN)/python benchmarks/check_bench.py
	$(BIN)/python benchmarks/matrix_bench.py

# Security posture of what we render: checkov on every built overlay and catalog base (and
# the golden labs). Heavy, so not in `make test`; checkov lives in its own virtualenv
# because its dependency pins conflict with ours. Skips, each with a reason: .checkov.yaml.
AUDIT_VENV ?= .venv-audit
CHECKOV_VERSION := 3.3.30

$(AUDIT_VENV)/bin/checkov:
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

audit: setup $(AUDIT_VENV)/bin/checkov
	$(BIN)/python scripts/audit.py --checkov $(AUDIT_VENV)/bin/checkov

clean:
	rm -rf $(VENV) $(AUDIT_VENV) .mypy_cache .pytest_cache .ruff_cache
