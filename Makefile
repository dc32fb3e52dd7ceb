# labgen: two commands on a fresh machine.
#   make render   render every lab in labs/ (sets up the virtualenv and pinned tools first)
#   make test     lint, type-check, tests, and `labgen render --check` on the committed tree

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.labgen-setup
# Upstream CRD JSON Schemas used by the tests (kubeconform layout).
export LABGEN_SCHEMAS ?= $(abspath ../shared/schemas)

.PHONY: setup render check-render check test lint typecheck unit bench clean

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
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q

# The committed tree, built and validated like CI and Argo CD would. The OpenShift GitOps
# ArgoCD object is skipped: argocd-operator's CRD is not among the upstream schemas.
check: setup
	$(BIN)/labgen check --schema-location $(LABGEN_SCHEMAS)/crds --skip argoproj.io/v1beta1/ArgoCD

test: lint typecheck unit check-render check

# Figures, not pass/fail: see benchmarks/ and docs/benchmarks.md.
bench: setup
	$(BIN)/python benchmarks/render_bench.py
	$(BIN)/python benchmarks/check_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
