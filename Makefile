# Every target sets up .venv by itself, so a fresh clone needs only `make rehearse` / `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv rehearse test bench synth lint clean

help:
	@echo "make rehearse  run the pipeline on the bundled sample (data/sample)"
	@echo "make test      run every test"
	@echo "make bench     run the benchmarks in bench/"
	@echo "make synth     synthesize the CDK app into cdk.out/ (no AWS account, no Docker)"
	@echo "make lint      ruff format check + cfn-lint on the synthesized template"

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

rehearse: $(STAMP)
	$(VENV)/bin/podium rehearse --data data/sample --out out/rehearsal

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/run.py

# The CDK app synthesizes itself (app.synth()); the node `cdk` CLI is needed only to deploy.
synth: $(STAMP)
	rm -rf cdk.out
	CDK_OUTDIR=cdk.out $(PY) app.py

# Errors fail; warnings are shown (CDK's own DependsOn beside a GetAtt gives W3005).
lint: synth
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint --non-zero-exit-code error cdk.out/*.template.json

clean:
	rm -rf $(VENV) cdk.out out .pytest_cache
