# The project's commands. Each creates .venv when missing and installs requirements-dev.txt.
#   make demo | test | bench             the stand-in demo, CI's tests, the benchmark
#   make lint | mutate                   ruff (check and format), mutation testing of connector.py
#   make configure | check | debug       your account: configuration, key check, local sync
#   make inspect [PROJECT=folder]        what a local sync left (default: CONFIGURATION's)
#   make package | deploy                stage exactly what production runs, then the CLI
# CONFIGURATION is your filled-in configuration (default configuration.local.json, git-ignored);
# each one syncs in a folder of its own, files/accounts/<its name without .json>/, with its own
# warehouse and state. deploy passes DESTINATION, CONNECTION and DEPLOY_ARGS on, and
# FIVETRAN_API_KEY from the environment.
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DO_NOT_TRACK=1
CONFIGURATION ?= configuration.local.json
# One configuration's local sync: the CLI runs in this folder, which holds only connector.py and
# requirements.txt (so its dependency check sees production code only) and its files/.
ACCOUNT := files/accounts/$(basename $(notdir $(CONFIGURATION)))
# What to add to a command in a message, when the configuration is not the default one.
FOR := $(if $(filter-out configuration.local.json,$(CONFIGURATION)), CONFIGURATION=$(CONFIGURATION))
# Production runs connector.py and requirements.txt only: the CLI packs its whole folder, so it
# gets a folder holding just those (the zip is named after the folder).
STAGE := files/stage/customer_thermometer

.PHONY: test demo bench lint mutate clean configure check debug inspect stage package deploy \
	account configured

$(INSTALLED): requirements-dev.txt
	@if test -x $(PYTHON); then echo "Updating .venv from requirements-dev.txt"; \
		else echo "Creating .venv with requirements-dev.txt: about 20 s, once"; fi
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

# The CLI writes configuration.json where it runs: it runs in the configuration's folder, and the
# result is saved as CONFIGURATION (an existing one is shown to it first, so that it asks before
# replacing it).
configure: $(INSTALLED) account
	@if [ -f "$(CONFIGURATION)" ]; then cp "$(CONFIGURATION)" "$(ACCOUNT)/configuration.json"; fi
	cd "$(ACCOUNT)" && $(RUN) fivetran configuration; status=$$?; \
		if [ $$status -eq 0 ] && [ -f configuration.json ]; then \
		cp configuration.json "$(abspath $(CONFIGURATION))"; fi; \
		rm -f configuration.json; exit $$status
	@echo "Saved as $(CONFIGURATION); configuration.json stays the template."
	@echo "Next: \`make check$(FOR)\` (the key against the API), then \`make debug$(FOR)\`."

check: $(INSTALLED) configured account
	cp "$(CONFIGURATION)" "$(ACCOUNT)/configuration.json"
	cd "$(ACCOUNT)" && $(RUN) fivetran configuration --test; status=$$?; \
		rm -f configuration.json; exit $$status

debug: $(INSTALLED) configured account
	@echo "Local sync of $(CONFIGURATION) into $(ACCOUNT)/files/warehouse.db"
	cd "$(ACCOUNT)" && $(RUN) fivetran debug --configuration "$(abspath $(CONFIGURATION))"

inspect: $(INSTALLED)
	$(RUN) $(PYTHON) -m tests.inspect_warehouse "$(or $(PROJECT),$(ACCOUNT))" \
		$(if $(PROJECT),,"$(CONFIGURATION)")

# A configuration's folder, made on first use, with today's connector.py. Each file name gets its
# own: one already used by a file of that name elsewhere is refused, never shared.
account: $(INSTALLED)
	@mkdir -p "$(ACCOUNT)"
	@owner="$$($(PYTHON) -c 'import os, sys; print(os.path.relpath(sys.argv[1]))' \
		"$(CONFIGURATION)")"; \
		if [ -f "$(ACCOUNT)/.configuration" ] && \
		[ "$$(cat "$(ACCOUNT)/.configuration")" != "$$owner" ]; then \
		echo "$(ACCOUNT) holds the local sync of $$(cat "$(ACCOUNT)/.configuration"), not" \
			"of $$owner: give one of the two files another name (each name gets its own" \
			"folder)."; exit 2; fi; \
		echo "$$owner" > "$(ACCOUNT)/.configuration"
	@cp connector.py requirements.txt "$(ACCOUNT)/"

configured:
	@if [ ! -f "$(CONFIGURATION)" ]; then \
		echo "No configuration file $(CONFIGURATION): run \`make configure$(FOR)\` first" \
			"(it asks for your API key and saves it there), then this command again."; \
			exit 2; fi

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
