# Every target sets up .venv by itself, so a fresh clone needs only `make rehearse` / `make test`.
# `make rehearse` installs the CLI and the rehearsal (runtime + moto); `make test`, `make synth`
# and `make lint` add the CDK, lint and test tools on top (those need Node.js too, for jsii).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check --progress-bar on
REHEARSAL_STAMP := $(VENV)/.installed-rehearsal
DEV_STAMP := $(VENV)/.installed-dev
REQUIREMENTS := pyproject.toml $(wildcard requirements/*.in)
VERSION := import sys; print("Python %d.%d.%d" % sys.version_info[:3])
# The version .venv must have: $(PYTHON)'s (empty when $(PYTHON) does not run).
WANTED := $(shell $(PYTHON) -c '$(VERSION)' 2>/dev/null)

.PHONY: help python-check venv browser rehearse test bench synth lint lock settings-doc clean

help:
	@echo "make rehearse      run the pipeline on the bundled sample (data/sample); installs runtime + rehearsal"
	@echo "make test          run every test (adds the CDK, lint and test tools; needs Node.js)"
	@echo "make bench         run the benchmarks in bench/ (Lambda asset sizes and cold imports too)"
	@echo "make synth         synthesize the CDK app into cdk.out/ (no AWS account, no Docker; needs Node.js)"
	@echo "make lint          ruff format check + cfn-lint on the synthesized template"
	@echo "make lock          recompile requirements/lock/*.txt (the Lambda dependencies) after editing requirements/*.in"
	@echo "make settings-doc  regenerate the settings table in README.md from podium/config.py"

# Stops at once, in one line, on a Python that cannot run Podium; a .venv made by another
# interpreter (or a broken one) is removed so the next step builds it again.
python-check:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Podium needs Python 3.11+, but PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>/dev/null || echo 'not found'). Fix: PYTHON=python3.11 make $(MAKECMDGOALS) (or python3.12)"; \
	  exit 1; }
	@if [ -d $(VENV) ]; then made=$$($(PY) -c '$(VERSION)' 2>/dev/null || echo "a Python that no longer runs"); \
	  if [ "$$made" != "$(WANTED)" ]; then echo "Rebuilding $(VENV): it was made by $$made, not $(WANTED) ($(PYTHON))"; rm -rf $(VENV); fi; fi

$(PY):
	@echo "Creating $(VENV) with $(WANTED) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)

$(REHEARSAL_STAMP): $(REQUIREMENTS) | $(PY)
	@echo "Installing podium + the rehearsal dependencies into $(VENV) (first run only; about 30 s)"
	$(PIP) -e ".[rehearsal]"
	@touch $@

$(DEV_STAMP): $(REQUIREMENTS) | $(PY)
	@echo "Installing podium + the CDK, test and lint tools into $(VENV) (first run only; about a minute)"
	$(PIP) -e ".[dev]"
	@touch $@ $(REHEARSAL_STAMP)

venv: python-check
	@$(MAKE) --no-print-directory $(DEV_STAMP)

rehearse: python-check
	@$(MAKE) --no-print-directory $(REHEARSAL_STAMP)
	$(VENV)/bin/podium rehearse --data data/sample --out out/rehearsal

# The report test draws report.html in a real headless Chromium (Debian's `chromium`).
# A fresh machine has no package lists yet, hence the update first.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "Installing Debian's chromium for the report.html test (apt-get; sudo when not root)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; }

test: python-check browser
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: python-check
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	$(PY) bench/run.py

# The CDK app synthesizes itself (app.synth()); the node `cdk` CLI is needed only to deploy.
synth: python-check
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	rm -rf cdk.out
	CDK_OUTDIR=cdk.out $(PY) app.py

# Any finding fails, warnings included; .cfnlintrc.yaml says why W3005 is ignored.
lint: synth
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint --non-zero-exit-code informational cdk.out/*.template.json

lock: python-check
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	$(PY) -m stacks.lock

settings-doc: python-check
	@$(MAKE) --no-print-directory $(REHEARSAL_STAMP)
	$(PY) -m podium.settings_doc --write README.md

clean:
	rm -rf $(VENV) cdk.out out .pytest_cache
