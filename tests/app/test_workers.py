"""Workers as real processes: a SIGKILL mid-judging, SIGTERM, and a restart of the API with work queued."""

import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select

from app.cli import import_problem_dirs
from app.models import Problem, Submission
from app.users.service import register_user
from app.worker import Worker
from tests.app.conftest import SECRET, sign_up, wait_judged
from tests.conftest import CLIP, busy_processes, free_port, wait_until_up

EXAMPLES = CLIP / "submissions"
JOBS = [("accepted/custom_jvp.py", "ACCEPTED"), ("wrong_answer/plain_clip.py", "WRONG_ANSWER"),
        ("compilation_error/syntax_error.py", "COMPILATION_ERROR"), ("accepted/defjvps.py", "ACCEPTED"),
        ("runtime_error/custom_vjp.py", "RUNTIME_ERROR"), ("wrong_answer/masked_tangent.py", "WRONG_ANSWER")]


def environment(settings, **extra):
    env = dict(os.environ, DATABASE_URL=settings.resolved_database_url(), JAXJUDGE_SECRET_KEY=SECRET,
               JAXJUDGE_DATA_DIR=str(settings.data_dir), JAXJUDGE_PROBLEMS_DIR=str(CLIP.parent), **extra)
    return env


def start_worker(settings, **extra):
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=environment(settings, **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def queue_jobs(session_factory, jobs, package=CLIP):
    import_problem_dirs(session_factory, [package], publish=True)
    with session_factory() as session:
        user = register_user(session, username="worker-test", password="correct horse battery")
        problem = session.scalar(select(Problem))
        rows = [Submission(user_id=user.id, problem_id=problem.id, problem_version_id=problem.current_version_id,
                           source=(EXAMPLES / path).read_text(), mode="run") for path, _ in jobs]
        session.add_all(rows)
        session.commit()
        return {row.id: verdict for row, (_, verdict) in zip(rows, jobs)}


def wait_for(session_factory, predicate, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory() as session:
            rows = session.scalars(select(Submission).order_by(Submission.id)).all()
            found = predicate(rows)
            if found:
                return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the queue")


def test_sigkill_one_of_two_workers_mid_judging(settings, session_factory):
    expected = queue_jobs(session_factory, JOBS)
    workers = [start_worker(settings, JAXJUDGE_LEASE_S="3") for _ in range(2)]
    try:
        victim = workers[0]
        running = wait_for(session_factory, lambda rows: [r for r in rows if r.status == "running"
                                                          and f":{victim.pid}:" in (r.lease_owner or "")])
        killed_id = running[0].id
        os.killpg(victim.pid, signal.SIGKILL)
        rows = wait_for(session_factory, lambda rows: rows if all(r.status == "judged" for r in rows) else None)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert {r.id: r.verdict for r in rows} == expected
    killed = next(r for r in rows if r.id == killed_id)
    assert killed.attempts == 2  # claimed by the victim, requeued when its lease expired, judged once
    assert all(r.lease_owner is None for r in rows)
    assert all(f":{victim.pid}:" not in str(r.report) for r in rows)


def test_sigterm_finishes_the_submission_in_hand(settings, session_factory):
    expected = queue_jobs(session_factory, JOBS[:1])
    worker = start_worker(settings)
    try:
        wait_for(session_factory, lambda rows: rows[0].status == "running")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    with session_factory() as session:
        row = session.scalar(select(Submission))
        assert (row.status, row.verdict, row.attempts) == ("judged", expected[row.id], 1)


def serve(settings, workers):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers",
                             str(workers)], env=environment(settings), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, proc)
    return proc, url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the embedded default
def test_api_restart_with_submissions_queued_loses_none(settings, session_factory):
    proc, url = serve(settings, workers=0)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            headers = sign_up(client, "restart")
            ids = [client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                               json={"source": (EXAMPLES / path).read_text(), "mode": "run"}).json()["id"]
                   for path, _ in JOBS[:3]]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    proc, url = serve(settings, workers=1)
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            token = client.post("/api/auth/token", data={"username": "restart", "password": "correct horse battery"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            verdicts = [wait_judged(client, sid, headers)["verdict"] for sid in ids]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert verdicts == [verdict for _, verdict in JOBS[:3]]


@pytest.mark.skipif(os.geteuid() != 0, reason="busy processes above the run's priority need root")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_submission_the_machine_was_too_busy_to_judge_is_judged_again(settings, session_factory, tmp_path):
    # clip-passthrough with wall and CPU limits of 4 s, so a run is stopped at its backstop at 16 s however
    # long it waited: beside busy processes above its priority it cannot finish, which is the judge's
    # fault, so the worker queues it again; once the machine is quiet it is judged, on its second attempt.
    package = tmp_path / "clip-passthrough"
    shutil.copytree(CLIP, package)
    toml = package / "problem.toml"
    toml.write_text(toml.read_text().replace("wall_time_s = 20\ncpu_time_s = 40", "wall_time_s = 4\ncpu_time_s = 4"))
    assert "wall_time_s = 4\n" in toml.read_text()
    first, second = queue_jobs(session_factory, JOBS[:1] * 2, package=package)
    worker = Worker(session_factory=session_factory, settings=settings.model_copy(update={"pool_size": 0}))
    assert worker.run_once()  # the first, on a quiet machine (and the problem's expected values with it)
    with busy_processes(2, above=True):
        assert worker.run_once()

    def row(submission_id):
        with session_factory() as session:
            found = session.get(Submission, submission_id)
            return found.status, found.verdict, found.attempts, found.lease_owner, (found.report or {}).get("summary")
    assert row(first)[:4] == ("judged", "ACCEPTED", 1, None)
    assert row(second) == ("queued", None, 1, None, None), row(second)
    assert worker.run_once()
    assert row(second)[:4] == ("judged", "ACCEPTED", 2, None)
