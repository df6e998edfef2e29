"""The submissions table as a queue: claims, leases, heartbeats, requeues, on SQLite and PostgreSQL."""

import threading
import time

import pytest
from sqlalchemy import select

from app import queue
from app.cli import import_problem_dirs
from app.models import Problem, Submission
from app.users.service import register_user
from tests.conftest import CLIP


@pytest.fixture
def queued(session_factory):
    """Five queued submissions (one needs a GPU); returns their ids."""
    import_problem_dirs(session_factory, [CLIP], publish=True)
    with session_factory() as session:
        user = register_user(session, username="ann", password="correct horse battery")
        problem = session.scalar(select(Problem))
        rows = [Submission(user_id=user.id, problem_id=problem.id, problem_version_id=problem.current_version_id,
                           source="x = 1\n", mode="submit", requires_gpu=(i == 2)) for i in range(5)]
        session.add_all(rows)
        session.commit()
        return [r.id for r in rows]


def claim(session_factory, worker, gpu=False, lease_s=30):
    with session_factory() as session:
        return queue.claim_next_submission(session, worker_id=worker, gpu=gpu, lease_s=lease_s)


def test_claims_oldest_first_and_skips_gpu_work_on_cpu_workers(session_factory, queued):
    got = [claim(session_factory, "cpu-worker") for _ in range(5)]
    assert got == [queued[0], queued[1], queued[3], queued[4], None]
    assert claim(session_factory, "gpu-worker", gpu=True) == queued[2]


def test_concurrent_claims_never_share_a_submission(session_factory, queued):
    results, barrier = [], threading.Barrier(8)

    def worker(name):
        barrier.wait()
        while (got := claim(session_factory, name)) is not None:
            results.append(got)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(i for i in queued if i != queued[2])


def test_finish_needs_the_lease(session_factory, queued):
    sid = claim(session_factory, "a")
    report = {"verdict": "ACCEPTED", "checks": []}
    with session_factory() as session:
        assert not queue.finish_submission(session, submission_id=sid, worker_id="b", report=report)
        assert queue.finish_submission(session, submission_id=sid, worker_id="a", report=report)
        assert not queue.finish_submission(session, submission_id=sid, worker_id="a", report=report)
        row = session.get(Submission, sid)
        assert (row.status, row.verdict, row.lease_owner) == ("judged", "ACCEPTED", None)


def test_expired_lease_is_requeued_and_the_late_result_dropped(session_factory, queued):
    sid = claim(session_factory, "dead", lease_s=0.01)
    time.sleep(0.05)
    with session_factory() as session:
        assert queue.requeue_expired(session, max_attempts=3) == (1, 0)
    assert claim(session_factory, "alive") == sid
    with session_factory() as session:
        assert not queue.renew_lease(session, submission_id=sid, worker_id="dead", lease_s=30)
        assert not queue.finish_submission(session, submission_id=sid, worker_id="dead",
                                           report={"verdict": "WRONG_ANSWER"})
        assert queue.finish_submission(session, submission_id=sid, worker_id="alive",
                                       report={"verdict": "ACCEPTED"})
        assert session.get(Submission, sid).attempts == 2


def test_out_of_attempts_becomes_internal_error_with_the_reason(session_factory, queued):
    sid = queued[0]
    for attempt in range(2):
        assert claim(session_factory, f"w{attempt}", lease_s=0.01) == sid
        time.sleep(0.05)
        with session_factory() as session:
            queue.requeue_expired(session, max_attempts=2)
    with session_factory() as session:
        row = session.get(Submission, sid)
        assert (row.status, row.verdict) == ("judged", "INTERNAL_ERROR")
        assert "lease expired" in row.report["summary"] and "not your code" in row.report["summary"]


def test_hand_back_returns_the_submission_without_an_attempt(session_factory, queued):
    sid = claim(session_factory, "a")
    with session_factory() as session:
        queue.hand_back(session, submission_id=sid, worker_id="a")
        row = session.get(Submission, sid)
        assert (row.status, row.attempts, row.lease_owner) == ("queued", 0, None)
