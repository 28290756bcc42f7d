# The project's commands. Each creates .venv when missing and installs requirements-dev.txt.
#   make demo | test | bench             the stand-in demo, CI's tests, the benchmark
#   make lint | mutate                   ruff (check and format), mutation testing of connector.py
#   make configure | check | debug       your account: configuration, key check, local sync
#   make inspect [PROJECT=folder]        what a local sync left (default: this folder)
#   make package | deploy                stage exactly what production runs, then the CLI
# CONFIGURATION is your filled-in configuration (default configuration.local.json, git-ignored);
# deploy passes DESTINATION, CONNECTION and DEPLOY_ARGS on, and FIVETRAN_API_KEY from the
# environment.
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DO_NOT_TRACK=1
CONFIGURATION ?= configuration.local.json
PROJECT ?= .
# Production runs connector.py and requirements.txt only: the CLI packs its whole folder, so it
# gets a folder holding just those (the zip is named after the folder).
STAGE := files/stage/customer_thermometer

.PHONY: test demo bench lint mutate clean configure check debug inspect stage package deploy

$(INSTALLED): requirements-dev.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

test: $(INSTALLED)
	$(RUN) $(PYTHON) -m pytest -q -W error::pytest.PytestUnraisableExceptionWarning tests

demo: $(INSTALLED)
	$(RUN) $(PYTHON) -m tests.demo

bench: $(INSTALLED)
	$(RUN) $(PYTHON) -m tests.bench

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Mutants of connector.py against the unit tests (settings in pyproject.toml); then the score.
mutate: $(INSTALLED)
	rm -rf mutants
	$(RUN) $(VENV)/bin/mutmut run --max-children 2 || true
	$(RUN) $(PYTHON) -m tests.mutation_score

configure: $(INSTALLED) stage
	if [ -f "$(CONFIGURATION)" ]; then cp "$(CONFIGURATION)" $(STAGE)/configuration.json; fi
	cd $(STAGE) && $(RUN) fivetran configuration
	cp $(STAGE)/configuration.json "$(CONFIGURATION)"
	@echo "Saved as $(CONFIGURATION); configuration.json stays the template."

check: $(INSTALLED) stage
	cp "$(CONFIGURATION)" $(STAGE)/configuration.json
	cd $(STAGE) && $(RUN) fivetran configuration --test

# `fivetran debug` deletes a requirements.txt that lists no package: it is put back afterwards.
debug: $(INSTALLED)
	mkdir -p files && cp requirements.txt files/requirements.txt.kept
	$(RUN) fivetran debug --configuration "$(CONFIGURATION)"; status=$$?; \
		cp files/requirements.txt.kept requirements.txt; exit $$status

inspect: $(INSTALLED)
	$(RUN) $(PYTHON) -m tests.inspect_warehouse "$(PROJECT)"

stage:
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	cp connector.py requirements.txt $(STAGE)/

package: $(INSTALLED) stage
	cd $(STAGE) && $(RUN) fivetran package --non-interactive

deploy: $(INSTALLED) stage
	cd $(STAGE) && $(RUN) fivetran deploy --configuration "$(abspath $(CONFIGURATION))" \
		$(if $(DESTINATION),--destination "$(DESTINATION)") \
		$(if $(CONNECTION),--connection "$(CONNECTION)") $(DEPLOY_ARGS)

clean:
	rm -rf files crash-reports .pytest_cache mutants
