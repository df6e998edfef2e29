"""The worker's judge in a real OCI container: podman and runc from Debian, on a root filesystem that
debootstrap makes from Debian's archive, with the compose worker's options translated one by one.

| compose (`x-sandboxed-worker`, the image)    | here (podman 4.3, runc)                           | why |
|---|---|---|
| `USER 10001:10001` (Dockerfile)              | `--user 10001:10001`                              | the worker is an ordinary user; so is every sandbox |
| `seccomp=./deploy/seccomp-bwrap.json`        | `--security-opt seccomp=deploy/seccomp-bwrap.json` | the same file: bubblewrap's unshare and mount allowed |
| `apparmor=unconfined`                        | `--security-opt apparmor=unconfined`              | the same (a no-op where AppArmor is off) |
| `systempaths=unconfined`                     | `--security-opt unmask=ALL`                       | podman's name: unmasked /proc, so bwrap can mount a fresh one |
| Docker's default rlimits                     | `--ulimit nofile=HARD:HARD --ulimit nproc=4096:4096` | podman's defaults exceed this host's hard limits, which runc may not raise |
| the image: python:3.11-slim, /opt/jaxjudge   | `--rootfs` (debootstrap: python3.11, bubblewrap) and this checkout's site-packages and sources bound read-only | no image registry here |
| `JAXJUDGE_*` of the Dockerfile, the data volume | the same variables; a folder of uid 10001 at /var/lib/jaxjudge | |
| the compose network                          | `--network none`; `host` for the worker, to reach this test's PostgreSQL on loopback | the sandbox has its own empty network namespace either way |

No cgroup can be written in such a container, so memory is the watchdog's (grader/sandbox.py) and CPU time
is counted from the process tree: the memory bomb must be MEMORY_LIMIT_EXCEEDED, the busy loop
TIME_LIMIT_EXCEEDED with its CPU time counted, and the attack tests must hold.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ROOT

pytestmark = [pytest.mark.container, pytest.mark.slow]

# The root filesystem, made once per machine (debootstrap takes a minute) and kept between runs.
PACKAGES = ("python3.11", "bubblewrap", "linux-libc-dev")
ROOTFS = Path(os.environ.get("JAXJUDGE_TEST_ROOTFS", "/var/cache/jaxjudge/rootfs-bookworm-" + "-".join(PACKAGES)))
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
IMAGE_ENV = {"JAXJUDGE_RUNTIME_DIR": "in-place", "JAXJUDGE_DATA_DIR": "/var/lib/jaxjudge",
             "JAXJUDGE_COMPILE_CACHE_DIR": "/var/lib/jaxjudge/xla-cache", "HOME": "/var/lib/jaxjudge",
             "PYTHONPATH": "/opt/jaxjudge-site:/srv/jaxjudge", "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="module")
def rootfs():
    if os.geteuid() != 0:
        pytest.skip("podman with runc and debootstrap run as root here (CI is root)")
    for tool in ("podman", "runc", "debootstrap"):
        assert shutil.which(tool), f"{tool} is missing: make test installs it"
    if not (ROOTFS / ".complete").exists():
        partial = ROOTFS.with_name(ROOTFS.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", "bookworm",
                        str(partial), "http://deb.debian.org/debian"], check=True, capture_output=True)
        (partial / "var" / "lib" / "jaxjudge").mkdir()  # where the data volume goes
        (partial / ".complete").touch()
        shutil.rmtree(ROOTFS, ignore_errors=True)
        partial.rename(ROOTFS)
    return ROOTFS


def podman_command(rootfs, command, *, data, out=None, network="none", env=(), name=None):
    """The podman command line that runs `command` in the container as the compose worker runs, with
    `data` (a folder of uid 10001) as its data volume."""
    hard_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    args = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "run", "--rm",
            "--user", "10001:10001",
            "--security-opt", f"seccomp={ROOT / 'deploy' / 'seccomp-bwrap.json'}",
            "--security-opt", "apparmor=unconfined", "--security-opt", "unmask=ALL",
            "--ulimit", f"nofile={hard_nofile}:{hard_nofile}", "--ulimit", "nproc=4096:4096",
            "--network", network, "-v", f"{data}:/var/lib/jaxjudge",
            "-v", f"{ROOT}:/srv/jaxjudge:ro", "-v", f"{SITE}:/opt/jaxjudge-site:ro", "-w", "/tmp"]
    if out is not None:
        args += ["-v", f"{out}:/out"]
    if name is not None:
        args += ["--name", name]
    for variable, value in {**IMAGE_ENV, **dict(env)}.items():
        args += ["-e", f"{variable}={value}"]
    return args + ["--rootfs", str(rootfs), *command]


def podman(rootfs, command, timeout=900, **options):
    return subprocess.run(podman_command(rootfs, command, **options), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    os.chmod(folder, 0o777)  # uid 10001 writes its reports here
    return folder


@pytest.fixture
def data(tmp_path):
    """The data volume: the image's user owns it, as the Dockerfile's useradd --home-dir makes it."""
    folder = tmp_path / "data"
    folder.mkdir()
    os.chown(folder, 10001, 10001)
    return folder


def test_the_judge_in_a_container_gives_every_verdict(rootfs, out, data):
    examples = {"reference": "reference.py", "plain": "submissions/wrong_answer/plain_clip.py",
                "bomb": "submissions/memory_limit_exceeded/memory_bomb.py",
                "busy": "submissions/time_limit_exceeded/busy_loop.py"}
    problem = "/srv/jaxjudge/problems/clip-passthrough"
    script = "".join(f"python3.11 -m grader grade {problem} {problem}/{path} --json > /out/{name}.json\n"
                     for name, path in examples.items())
    run = podman(rootfs, ["sh", "-ec", script], out=out, data=data)
    assert run.returncode == 0, run.stderr[-3000:]
    reports = {name: json.loads((out / f"{name}.json").read_text()) for name in examples}
    verdicts = {name: report["verdict"] for name, report in reports.items()}
    assert verdicts == {"reference": "ACCEPTED", "plain": "WRONG_ANSWER", "bomb": "MEMORY_LIMIT_EXCEEDED",
                        "busy": "TIME_LIMIT_EXCEEDED"}
    assert all(report["memory_limit_by"] == "watchdog" for report in reports.values())  # no cgroup in there
    # CPU time is counted from the processes themselves (rusage once said 0.005 s of 2.4).
    busy = reports["busy"]["timings"]
    assert busy["cpu_s"] >= 0.5 * min(busy["wall_s"], reports["busy"]["limits"]["cpu_time_s"])
    assert reports["plain"]["timings"]["cpu_s"] > 0.2


def test_the_attack_tests_hold_in_a_container(rootfs, data):
    # test_mountinfo_shows_no_host_path is left out: --rootfs binds a host folder, and the site-packages
    # are bound from this checkout, so every path in the container shows the host folder it lies in. An
    # image's layers show only the image's own paths.
    run = podman(rootfs, ["python3.11", "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", "/srv/jaxjudge",
                          "-c", "/srv/jaxjudge/pyproject.toml", "/srv/jaxjudge/tests/grader/test_sandbox_attacks.py",
                          "-k", "not mountinfo"], data=data)
    assert run.returncode == 0, run.stdout[-6000:]
    assert " passed" in run.stdout and " failed" not in run.stdout


@pytest.mark.postgres
def test_a_standalone_worker_in_a_container_judges_from_postgresql(rootfs, postgres_cluster, data):
    from app import migrate
    from app.db import make_engine, make_session_factory
    from app.models import Submission
    from tests.app.test_workers import JOBS, queue_jobs

    url = postgres_cluster.new_database()
    migrate.upgrade(url)
    engine = make_engine(url)
    name = f"jaxjudge-test-worker-{os.getpid()}"
    env = {"DATABASE_URL": url, "JAXJUDGE_SECRET_KEY": "k" * 64, "JAXJUDGE_ENV": "production"}
    worker = subprocess.Popen(podman_command(rootfs, ["python3.11", "-m", "app.cli", "worker"], network="host",
                                             env=env, name=name, data=data),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        session_factory = make_session_factory(engine)
        expected = queue_jobs(session_factory, JOBS)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with session_factory() as session:
                if all(row.status == "judged" for row in session.scalars(select(Submission))):
                    break
            assert worker.poll() is None, worker.stderr.read()[-3000:]
            time.sleep(0.5)
        with session_factory() as session:
            rows = session.scalars(select(Submission)).all()
            got = {row.id: row.verdict for row in rows}
            summaries = {row.id: (row.report or {}).get("summary") for row in rows}
        if got != expected:
            subprocess.run(["podman", "--runtime", "runc", "--events-backend", "file", "kill", "-s", "TERM", name],
                           capture_output=True)
            pytest.fail(f"{summaries}\n{worker.communicate(timeout=120)[1][-4000:]}")
    finally:
        subprocess.run(["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                        "rm", "-f", "-t", "5", name], capture_output=True)
        worker.wait(timeout=60)
        engine.dispose()
