# The project's commands. Each creates .venv when missing and installs requirements-dev.txt.
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DO_NOT_TRACK=1

.PHONY: test demo bench clean

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

clean:
	rm -rf files crash-reports .pytest_cache
