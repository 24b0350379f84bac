VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench clean compile

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

bench: compile
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
