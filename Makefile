# labgen: two commands on a fresh machine.
#   make render   render every lab in labs/ (sets up the virtualenv and pinned tools first)
#   make test     lint, type-check, tests, and `labgen render --check` on the committed tree

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

.PHONY: setup render check-render check test lint typecheck unit bench audit clean

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

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q --durations=10

# The committed tree, built and validated like CI and Argo CD would. The OpenShift GitOps
# ArgoCD object is skipped: argocd-operator's CRD is not among the upstream schemas.
check: setup
	$(BIN)/labgen check --schema-location $(LABGEN_SCHEMAS)/crds --skip argoproj.io/v1beta1/ArgoCD \
		--chart-dir $(LABGEN_CHARTS)

test: lint typecheck unit check-render check

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
