"""The submissions table as a queue: claims, leases, heartbeats, requeues, on SQLite and PostgreSQL."""

import random
import concurrent.futures
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

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(worker, f"w{i}") for i in range(8)]:
            done.result()  # an exception in a claiming thread fails the test, not a warning
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


class Classroom:
    """Users who queue submissions, and one or more workers who claim and finish them."""

    def __init__(self, session_factory):
        import_problem_dirs(session_factory, [CLIP], publish=True)
        self.session_factory, self.users, self.owner = session_factory, {}, {}
        with session_factory() as session:
            problem = session.scalar(select(Problem))
            self.problem_id, self.version_id = problem.id, problem.current_version_id

    def send(self, name, count=1):
        """`name` queues `count` submissions; returns their ids."""
        with self.session_factory() as session:
            if name not in self.users:
                self.users[name] = register_user(session, username=name, password="correct horse battery").id
            rows = [Submission(user_id=self.users[name], problem_id=self.problem_id,
                               problem_version_id=self.version_id, source=f"# {name}\n", mode="submit")
                    for _ in range(count)]
            session.add_all(rows)
            session.commit()
            ids = [r.id for r in rows]
        self.owner.update(dict.fromkeys(ids, name))
        return ids

    def claim(self, worker="w"):
        """The user whose submission `worker` claims (None: nothing queued)."""
        sid = claim(self.session_factory, worker)
        return (self.owner[sid], sid) if sid is not None else None

    def finish(self, sid, worker="w"):
        with self.session_factory() as session:
            assert queue.finish_submission(session, submission_id=sid, worker_id=worker,
                                           report={"verdict": "ACCEPTED"})


def test_one_worker_serves_users_round_robin(session_factory):
    """The issue's case: ann queues three busy loops, then bob one submission and cat two. With one
    worker, bob waits behind one of ann's, not three; then everyone in turn."""
    room = Classroom(session_factory)
    room.send("ann", 3)
    room.send("bob", 1)
    room.send("cat", 2)
    order = []
    while (claimed := room.claim()) is not None:
        order.append(claimed[0])
        room.finish(claimed[1])
    assert order == ["ann", "bob", "cat", "ann", "cat", "ann"]


def test_a_newcomer_is_next_whatever_others_have_queued(session_factory):
    room = Classroom(session_factory)
    room.send("ann", 3)
    first = room.claim()
    assert first[0] == "ann"
    room.send("bob", 1)  # while ann's first is still being judged
    room.finish(first[1])
    assert room.claim()[0] == "bob"


def test_many_workers_go_to_the_user_with_fewest_running(session_factory):
    room = Classroom(session_factory)
    room.send("ann", 3)
    (_, a1), (_, a2) = room.claim("w1"), room.claim("w2")  # only ann waits: both workers take hers
    room.send("bob", 2)
    room.finish(a1, "w1")
    # ann has one running, bob none: bob's first; then one running each, bob served last: ann's third.
    assert room.claim("w1")[0] == "bob"
    assert room.claim("w3")[0] == "ann"
    assert room.claim("w4")[0] == "bob"
    assert room.claim("w5") is None


def test_nobody_waits_behind_two_submissions_of_another_user(session_factory):
    """Random arrivals (seeded, heavy users and light ones) and one worker: while a user has something
    waiting, each other user gets at most one claim before that user's next claim. And every submission
    is claimed exactly once."""
    rng = random.Random(14)
    room = Classroom(session_factory)
    sent, claimed, running = [], [], None
    since = {}  # user with something waiting -> other users' claims since it last got one (or began waiting)

    def record(name, sid):
        assert max(since.pop(name, {}).values(), default=0) <= 1, (name, since)
        for other, seen in since.items():
            seen[name] = seen.get(name, 0) + 1
        claimed.append(sid)

    for _ in range(80):
        if rng.random() < 0.4:
            name = rng.choices(["ann", "bob", "cat", "dan"], weights=[4, 3, 1, 1])[0]
            sent += room.send(name, rng.randint(1, 3))
            since.setdefault(name, {})
        if running is not None and rng.random() < 0.5:
            room.finish(running)
            running = None
        if running is None and (got := room.claim()) is not None:
            name, running = got
            record(name, running)
            if any(room.owner[sid] == name for sid in set(sent) - set(claimed)):
                since[name] = {}  # still waiting: counted afresh from this claim
    if running is not None:
        room.finish(running)
    while (got := room.claim()) is not None:
        record(*got)
        if any(room.owner[sid] == got[0] for sid in set(sent) - set(claimed)):
            since[got[0]] = {}
        room.finish(got[1])
    assert sorted(claimed) == sorted(sent) and len(set(claimed)) == len(claimed)
