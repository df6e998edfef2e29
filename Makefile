# make run: install and start jaxjudge on http://127.0.0.1:8000.  make test: install and run every test.
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PACKAGES := bubblewrap:bwrap
# The tests also start throwaway PostgreSQL clusters (as the postgres user when run as root).
TEST_PACKAGES := postgresql:/usr/lib/postgresql/*/bin/initdb

.PHONY: install run test validate bench

install: $(VENV)/.installed
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --constraint constraints.txt -e '.[test]'
	touch $@

run: install
	$(VENV)/bin/jaxjudge serve

test: install
	@scripts/system-packages.sh $(TEST_PACKAGES)
	$(PY) -m pytest

validate: install
	$(PY) -m grader validate problems/clip-passthrough

bench: install
	$(PY) benchmarks/grade_latency.py -n 5
	$(PY) benchmarks/load.py
