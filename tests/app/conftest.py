import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
import uvicorn

from app import migrate
from app.api import create_app
from app.cli import import_problem_dirs, uvicorn_options
from app.config import Settings
from app.db import make_engine, make_session_factories, make_session_factory
from app.progress import ProgressHub
from app.queue import Wakeup
from app.worker import start_embedded_workers
from tests.conftest import CLIP, ROOT, free_port, wait_until_up

SECRET = "s" * 40


def make_settings(tmp_path, database_url, **overrides):
    values = dict(data_dir=tmp_path / "data", database_url=database_url, secret_key=SECRET,
                  env="production", lease_s=30.0)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path, database_url):
    return make_settings(tmp_path, database_url)


@pytest.fixture
def session_factory(settings):
    migrate.upgrade(settings.resolved_database_url())
    engine = make_engine(settings.resolved_database_url())
    yield make_session_factory(engine)
    engine.dispose()


class LiveServer:
    """jaxjudge's app under uvicorn on a free port, in this process, with N embedded workers."""

    def __init__(self, settings, session_factory, workers):
        self.session_factory = session_factory
        self.wakeup, self.stop, self.progress_hub = Wakeup(), threading.Event(), ProgressHub()
        _, read_factory = make_session_factories(settings.resolved_database_url())
        app = create_app(settings=settings, session_factory=session_factory, read_session_factory=read_factory,
                         wakeup=self.wakeup, progress_hub=self.progress_hub)
        # uvicorn_options: the proxy-header policy `jaxjudge serve` runs with, so tests see what users get.
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    **uvicorn_options(settings)))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start in 30 s")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.workers = start_embedded_workers(workers, session_factory=session_factory, settings=settings,
                                              wakeup=self.wakeup, stop=self.stop,
                                              progress_hub=self.progress_hub)

    def client(self):
        return httpx.Client(base_url=self.url, timeout=60)

    def close(self):
        self.stop.set()
        self.wakeup.notify()
        for thread in self.workers:
            thread.join(timeout=60)
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server_factory(settings, session_factory):
    servers = []

    def start(workers=1, publish=True):
        import_problem_dirs(session_factory, [CLIP], publish=publish)
        server = LiveServer(settings, session_factory, workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def server(server_factory):
    return server_factory(workers=1)


class ServeProcess:
    """`jaxjudge serve` in a process of its own (what users run), on a free port; no embedded workers
    unless asked (nothing judges, so nothing starts a sandbox)."""

    def __init__(self, tmp_path, database_url, workers=0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        problems = tmp_path / "problems"
        problems.mkdir()
        (problems / CLIP.name).symlink_to(CLIP)
        env = {**os.environ, "JAXJUDGE_DATA_DIR": str(tmp_path / "data"), "JAXJUDGE_SECRET_KEY": SECRET,
               "JAXJUDGE_PROBLEMS_DIR": str(problems), "DATABASE_URL": database_url}
        self.env = env
        self.log = open(tmp_path / "serve.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(self.url, self.process, timeout=120)
        except Exception:
            self.close()
            raise

    def cli(self, *args):
        """A `jaxjudge` command against this server's database."""
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120, check=True)

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def serve(tmp_path, database_url):
    """`jaxjudge serve --workers 0` on a fresh database of each kind."""
    server = ServeProcess(tmp_path, database_url)
    yield server
    server.close()


def sign_up(client, username, password="correct horse battery"):
    assert client.post("/api/auth/register", json={"username": username, "password": password}).status_code == 201
    token = client.post("/api/auth/token", data={"username": username, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def admin_headers(server, client):
    """Bearer headers of an admin made in `server`'s database."""
    from app.users.service import set_admin

    with server.session_factory() as session:
        set_admin(session, username="root", password="admin password 1")
        session.commit()
    token = client.post("/api/auth/token", data={"username": "root", "password": "admin password 1"})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def wait_judged(client, submission_id, headers, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/submissions/{submission_id}", headers=headers).json()
        if body["status"] == "judged":
            return body
        time.sleep(0.2)
    raise AssertionError(f"submission {submission_id} not judged in {timeout}s: {body['status']}")
