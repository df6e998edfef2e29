# syntax=docker/dockerfile:1
# One image for the API and the workers: `docker run IMAGE serve …` or `docker run IMAGE worker`.
# JAX_EXTRA=cuda12 builds the GPU worker's image (jax with CUDA wheels) from the same file.

# The pages' code editor (CodeMirror 6) and plots (uPlot), bundled from the npm packages pinned by package-lock.json.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/src ./src
RUN npm run --silent build

FROM python:3.11-slim-bookworm AS build
ARG JAX_EXTRA=cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY grader ./grader
COPY app ./app
COPY jaxjudge ./jaxjudge
COPY --from=frontend /src/app/web/static/build ./app/web/static/build
# Pinned by constraints.txt: the image holds the versions the test suite ran with.
RUN python -m venv /opt/jaxjudge \
 && /opt/jaxjudge/bin/pip install --constraint constraints.txt . "jax[${JAX_EXTRA}]"

FROM python:3.11-slim-bookworm
# bubblewrap is the sandbox; nothing else is added to the slim base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap=0.8.0-2+deb12u1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 jaxjudge \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/jaxjudge jaxjudge
COPY --from=build /opt/jaxjudge /opt/jaxjudge
WORKDIR /srv/jaxjudge
COPY migrations ./migrations
COPY problems ./problems
ENV PATH=/opt/jaxjudge/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    JAXJUDGE_DATA_DIR=/var/lib/jaxjudge \
    JAXJUDGE_PROBLEMS_DIR=/srv/jaxjudge/problems \
    JAXJUDGE_MIGRATIONS_DIR=/srv/jaxjudge/migrations \
    JAXJUDGE_RUNTIME_DIR=in-place \
    JAXJUDGE_COMPILE_CACHE_DIR=/var/lib/jaxjudge/xla-cache
# Not root: the sandbox needs no privilege (bubblewrap uses user namespaces), and RLIMIT_NPROC only
# binds a non-root user.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["jaxjudge"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "0"]
