# make run: install and start jaxjudge.  make test: install and run every test.
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PACKAGES := bubblewrap:bwrap

.PHONY: install run test validate bench

install: $(VENV)/.installed
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

run: install
	$(PY) -m grader grade problems/clip-passthrough problems/clip-passthrough/submissions/accepted/custom_jvp.py

test: install
	$(PY) -m pytest

validate: install
	$(PY) -m grader validate problems/clip-passthrough

bench: install
	$(PY) benchmarks/grade_latency.py
