"""Deployment files, checked without a Docker engine: hadolint on the Dockerfile, the compose file
against the Compose Specification's schema, and the compose services' own commands and environment
run outside Docker against a real PostgreSQL until a submission is judged."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT, free_port, wait_until_up

VENV_BIN = Path(sys.executable).parent
COMPOSE = ROOT / "docker-compose.yml"


def tool(name):
    path = VENV_BIN / name
    return str(path) if path.exists() else shutil.which(name)


def test_hadolint_is_clean():
    result = subprocess.run([tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_follows_the_compose_specification():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_no_service_is_privileged_and_every_security_option_is_explained():
    services = compose()["services"]
    assert not any(s.get("privileged") for s in services.values())
    assert not any(s.get("cap_add") for s in services.values())
    text = COMPOSE.read_text()
    for option in services["worker"]["security_opt"]:
        before = text[: text.index(f"- {option}")].rstrip().splitlines()[-1].strip()
        assert before.startswith("#"), f"{option} has no comment saying why"
    assert services["gpu-worker"]["profiles"] == ["gpu"]
    assert services["worker"]["deploy"]["replicas"] == 2


def test_env_example_has_no_usable_secret():
    values = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#"))
    assert set(values) == {"POSTGRES_PASSWORD", "JAXJUDGE_SECRET_KEY", "JAXJUDGE_TRUSTED_PROXIES"}
    assert all(v == "" for v in values.values())


def _substitute(value, dotenv):
    """Compose's ${NAME:?message}, ${NAME:-default} and ${NAME} interpolation."""
    def one(match):
        name, kind, default = match.groups()
        if kind == "-":
            return dotenv.get(name) or default
        if name not in dotenv:
            raise KeyError(f"{name} is not set")
        return dotenv[name]
    return re.sub(r"\$\{([A-Z_]+)(?::([?-])([^}]*))?\}", one, value)


def _image_env(data_dir):
    """The Dockerfile's ENV for jaxjudge, with the image's folders mapped onto this checkout."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for name, value in re.findall(r"(JAXJUDGE_[A-Z_]+)=(\S+)", line):
                if name == "JAXJUDGE_RUNTIME_DIR":  # where the image installed Python: nothing of this host
                    continue
                env[name] = value.replace("/srv/jaxjudge", str(ROOT)).replace("/var/lib/jaxjudge", str(data_dir))
    return env


@pytest.mark.postgres
def test_compose_services_run_outside_docker_and_judge(postgres_cluster, tmp_path):
    import psycopg

    dotenv = {"POSTGRES_PASSWORD": "compose-test-password", "JAXJUDGE_SECRET_KEY": "k" * 64}
    with psycopg.connect(postgres_cluster.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE jaxjudge LOGIN PASSWORD '{dotenv['POSTGRES_PASSWORD']}'")
        conn.execute("CREATE DATABASE jaxjudge OWNER jaxjudge")
    services = compose()["services"]
    procs = []

    def env_of(service):
        env = dict(os.environ, **_image_env(tmp_path / "data"))
        for name, value in services[service]["environment"].items():
            env[name] = _substitute(str(value), dotenv)
        # The one change: the database host is this test's cluster, not the compose network's `postgres`.
        env["DATABASE_URL"] = env["DATABASE_URL"].replace("@postgres:5432/", f"@127.0.0.1:{postgres_cluster.port}/")
        return env

    def command_of(service, port=None):
        command = [str(VENV_BIN / "jaxjudge")] + services[service]["command"]
        if port:  # on this shared machine: loopback and a free port instead of 0.0.0.0:8000
            command[command.index("--host") + 1] = "127.0.0.1"
            command[command.index("--port") + 1] = str(port)
        return command

    migrate = subprocess.run(command_of("migrate"), env=env_of("migrate"), capture_output=True, text=True,
                             timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    try:
        procs.append(subprocess.Popen(command_of("api", port), env=env_of("api"), start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(command_of("worker"), env=env_of("worker"), start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, procs[0])
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.post("/api/auth/register", json={"username": "ops", "password": "long password"}).status_code == 201
            token = client.post("/api/auth/token", data={"username": "ops", "password": "long password"}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            source = (ROOT / "problems/clip-passthrough/submissions/accepted/defjvps.py").read_text()
            sid = client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                              json={"source": source, "mode": "run"}).json()["id"]
            deadline = time.monotonic() + 180
            while (body := client.get(f"/api/submissions/{sid}", headers=headers).json())["status"] != "judged":
                assert time.monotonic() < deadline, body
                time.sleep(0.2)
            assert body["verdict"] == "ACCEPTED"
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
