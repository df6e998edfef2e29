# make run: install and start jaxjudge on http://127.0.0.1:8000.  make test: install and run every test.
VENV := .venv
PY := $(VENV)/bin/python
# bubblewrap is the sandbox; Node.js and npm build the pages' code editor (CodeMirror) and plots (uPlot)
# at install time.
SYSTEM_PACKAGES := bubblewrap:bwrap nodejs:node npm:npm
# The tests also start throwaway PostgreSQL clusters (as the postgres user when run as root), drive
# Debian's Chromium through Playwright, take syscall numbers from the kernel's headers, and run the
# worker in a real OCI container (podman and runc on a root filesystem made by debootstrap).
TEST_PACKAGES := postgresql:/usr/lib/postgresql/*/bin/initdb chromium:chromium \
	linux-libc-dev:/usr/include/asm-generic/unistd.h podman:podman runc:runc debootstrap:debootstrap
EDITOR_BUNDLE := app/web/static/build/editor.js

.PHONY: install run test validate bench

install: $(VENV)/.installed $(EDITOR_BUNDLE)
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --constraint constraints.txt -e '.[test]'
	touch $@

# Front-end packages come from npm, pinned by frontend/package-lock.json; the bundle is a build output.
$(EDITOR_BUNDLE): frontend/package.json frontend/package-lock.json frontend/src/editor.js frontend/src/plot.js
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

run: install
	$(VENV)/bin/jaxjudge serve

test: install
	@scripts/system-packages.sh $(TEST_PACKAGES)
	$(PY) -m pytest

validate: install
	@for package in problems/*/; do echo "== $$package"; $(PY) -m grader validate "$$package" || exit 1; done

bench: install
	$(PY) benchmarks/grade_latency.py -n 5
	$(PY) benchmarks/load.py
