import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "problems" / "clip-passthrough"


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    """Expected values go to a folder of this test session, not the user's cache."""
    os.environ["JAXJUDGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("expected-cache"))


def pytest_collection_modifyitems(config, items):
    has_gpu = Path("/dev/nvidiactl").exists() and shutil.which("nvidia-smi") is not None
    skip_gpu = pytest.mark.skip(reason="no NVIDIA GPU on this machine (/dev/nvidiactl, nvidia-smi)")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)


@contextlib.contextmanager
def busy_processes(per_core, *, above=False):
    """`per_core` busy processes per CPU, each in a session of its own (as other workers' sandboxes
    are, so the scheduler's autogroups share the CPUs among them all). `above`: at nice -20, process and
    autogroup both, which leaves a run at nice 0 about 1% of a CPU (root only)."""
    busy = ("import os, time\n" + ("os.nice(-20)\nopen('/proc/self/autogroup', 'w').write('-20')\n" if above else "")
            + "end = time.time() + 120\nwhile time.time() < end: pass")
    processes = [subprocess.Popen([sys.executable, "-c", busy], start_new_session=True)
                 for _ in range(per_core * os.cpu_count())]
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


def free_port():
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, process=None, timeout=30.0):
    """Wait until `url`/healthz answers; fail early if `process` (a Popen) has exited."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/healthz")
            return
        except httpx.HTTPError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def _postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for this test session (trust auth, its own folder)."""

    def __init__(self, bindir):
        import subprocess
        import tempfile

        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="jaxjudge-pg-"))
        self.port = free_port()
        # initdb refuses to run as root: run the cluster as the postgres user when we are root.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        run = lambda *args: subprocess.run(self.prefix + list(args), check=True, capture_output=True)  # noqa: E731
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.dir / "log"), "-o",
            f"-p {self.port} -k {self.dir} -h 127.0.0.1 -F -c max_connections=200", "start")
        self._count = 0

    def url(self, database="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self):
        import psycopg

        self._count += 1
        name = f"jaxjudge_test_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self):
        import subprocess

        subprocess.run(self.prefix + [str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m",
                                      "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql; .ci/run installs them)")
    cluster = PostgresCluster(bindir)
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jaxjudge.db'}"
    return request.getfixturevalue("postgres_cluster").new_database()
