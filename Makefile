# The project's commands. Each creates .venv when missing and installs requirements-dev.txt.
#   make demo | test | bench             the stand-in demo, CI's tests, the benchmark
#   make test-unit                       the unit tests alone: the fast loop
#   make lint | mutate [MODULE=]         ruff (check and format), mutation testing
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
PYTEST_ARGS := -q -W error::pytest.PytestUnraisableExceptionWarning
CONFIGURATION ?= configuration.local.json
# Exported, so that recipes read it whole ("$$CONFIGURATION"), whatever characters it holds.
export CONFIGURATION
# One configuration's local sync runs in a folder of its own (see tools/local_account.py).
ACCOUNT_TOOL := $(RUN) $(PYTHON) -m tools.local_account
# Production runs connector.py, the customer_thermometer package and requirements.txt only: the
# CLI packs its whole folder, so it gets a folder holding just those (the zip is named after it).
STAGE := files/stage/customer_thermometer

.PHONY: test test-unit demo bench lint mutate clean configure check debug inspect stage package deploy

$(INSTALLED): requirements-dev.txt
	@if test -x $(PYTHON); then echo "Updating .venv from requirements-dev.txt"; \
		else echo "Creating .venv with requirements-dev.txt: about 20 s, once"; fi
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

# The suite, then the suite again on a Python whose Expat defers its XML events, where one is
# found and the first did not (see tools/deferring_python.py).
test: $(INSTALLED)
	$(RUN) $(PYTHON) -m pytest $(PYTEST_ARGS) tests
	$(RUN) $(PYTHON) -m tools.deferring_python $(PYTEST_ARGS) tests

# The unit tests: every test module but the two that run fivetran debug (and no second Python),
# in two processes (pytest-xdist: the deadline tests mostly wait on sockets).
UNIT_TESTS := tests --ignore=tests/test_end_to_end.py --ignore=tests/test_user_path.py
test-unit: $(INSTALLED)
	$(RUN) $(PYTHON) -m pytest $(PYTEST_ARGS) -n 2 $(UNIT_TESTS)

demo: $(INSTALLED)
	$(RUN) $(PYTHON) -m tools.demo

bench: $(INSTALLED)
	$(RUN) $(PYTHON) -m tools.bench $(if $(AGAINST),--against "$(AGAINST)")

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Mutants of one module (MODULE=masking, or connector), or of each in turn, judged by that
# module's own tests/test_<module>.py; then each module's score and time (tools/mutate.py).
mutate: $(INSTALLED)
	$(RUN) $(PYTHON) -m tools.mutate $(MODULE)

# The CLI writes configuration.json where it runs: it runs in the configuration's folder, and the
# result is saved as CONFIGURATION (an existing one is shown to it first, so that it asks before
# replacing it); what it wrote is removed however it ends. tools/local_account.py does the
# folder's book-keeping: see its docstring.
configure: $(INSTALLED)
	@$(ACCOUNT_TOOL) configure

# The CLI reads configuration.json where it runs: the folder gets a link to CONFIGURATION, never a
# copy, removed however the CLI ends (Ctrl-C too).
check: $(INSTALLED)
	@$(ACCOUNT_TOOL) check

debug: $(INSTALLED)
	@folder="$$($(ACCOUNT_TOOL) prepare)" || exit 2; \
		path="$$($(ACCOUNT_TOOL) path)"; \
		echo "Local sync of $$CONFIGURATION into $$folder/files/warehouse.db"; \
		cd "$$folder" && $(RUN) fivetran debug --configuration "$$path"

inspect: $(INSTALLED)
	@if [ -n "$(PROJECT)" ]; then $(RUN) $(PYTHON) -m tools.inspect_warehouse "$(PROJECT)"; \
	else folder="$$($(ACCOUNT_TOOL) folder)" || exit 2; \
		$(RUN) $(PYTHON) -m tools.inspect_warehouse "$$folder" "$$CONFIGURATION"; fi

stage:
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	mkdir -p $(STAGE)/customer_thermometer
	cp connector.py requirements.txt $(STAGE)/
	cp customer_thermometer/*.py $(STAGE)/customer_thermometer/

package: $(INSTALLED) stage
	cd $(STAGE) && $(RUN) fivetran package --non-interactive

deploy: $(INSTALLED) stage
	path="$$($(ACCOUNT_TOOL) path)"; cd $(STAGE) && $(RUN) fivetran deploy --configuration "$$path" \
		$(if $(DESTINATION),--destination "$(DESTINATION)") \
		$(if $(CONNECTION),--connection "$(CONNECTION)") $(DEPLOY_ARGS)

clean:
	rm -rf files crash-reports .pytest_cache mutants .venv-3.*
