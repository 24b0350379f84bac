VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-served bench clean compile

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# An editable install is not compiled by pip, and PYTHONDONTWRITEBYTECODE (set on these machines) stops
# Python caching what it compiles: without this every start compiles ptdv's modules again (about half of
# a command's fixed cost). Only changed files are compiled again.
compile: $(STAMP)
	$(PY) -m compileall -q db tui >/dev/null

run: compile
	$(VENV)/bin/ptdv

test: compile
	$(PY) -m pytest -n 2 -q

# The tests of every command and screen again, each through a ptdv serve service instead of the file
# (tests/served.py); those about the store file itself are marked embedded and left out.
SERVED_TESTS := $(wildcard tests/test_cli*.py tests/test_tui_*.py) tests/test_access.py tests/test_calendar.py \
	tests/test_documents.py tests/test_papers.py tests/test_quota_views.py
test-served: compile
	PTDV_SERVED=1 $(PY) -m pytest -n 2 -q -m "not embedded" $(SERVED_TESTS)

bench: compile
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
