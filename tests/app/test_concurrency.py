"""A classroom's burst (issue 14, item 1): 40 users sign up, sign in, then each sends three submissions, a
hint request and a solution request at once — 200 simultaneous writes, 280 in all — over real HTTP to a
real `jaxjudge serve` process, on the embedded SQLite default and on PostgreSQL.

Every answer must be a 2xx or a deliberate 4xx/503 with Retry-After (a client honours it and tries again,
a bounded number of times); none may be >= 500 otherwise, none may hang (each request has a client
timeout, the whole burst a bound), /healthz must answer all along, and afterwards the database must hold
exactly what the 2xx answers promised: no write lost, none stored twice. A load test, not a timed test:
nothing here asserts how long anything took.
"""

import asyncio
import collections

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from app.models import HintReveal, SolutionView, Submission, User
from tests.conftest import CLIP

USERS = 40
SUBMITS_PER_USER = 3
PASSWORD = "correct horse battery"
REQUEST_TIMEOUT_S = 60     # "no hang": an answer within this, or the request fails the test
BURST_BOUND_S = 240        # and the whole burst within this
RETRIES = 8                # a 503/429 with Retry-After is tried again, at most this often


class Burst:
    """Sends requests, honouring Retry-After, and keeps every answer's status for the assertions."""

    def __init__(self, client):
        self.client = client
        self.statuses = collections.Counter()
        self.bad = []  # (what, status, body): answers that are neither 2xx nor a deliberate refusal

    async def send(self, what, method, path, **kwargs):
        for _ in range(RETRIES + 1):
            try:
                response = await self.client.request(method, path, **kwargs)
            except httpx.TransportError as error:  # a timeout, or a connection refused or cut
                self.statuses["no answer"] += 1
                self.bad.append((what, "no answer", repr(error)))
                return None
            self.statuses[response.status_code] += 1
            deliberate_wait = response.status_code in (429, 503) and "retry-after" in response.headers
            if response.status_code >= 500 and not deliberate_wait:
                self.bad.append((what, response.status_code, response.text[:300]))
            if not deliberate_wait:
                return response
            await asyncio.sleep(min(float(response.headers["retry-after"]), 5.0))
        return response


async def one_user(burst, name, start, promised):
    try:
        await _one_user(burst, name, start, promised)
    finally:
        start.arrive(name)  # one that gave up early must not hold the others back


class StartLine:
    """Every user's five writes go out together, once all users have signed in (or given up)."""

    def __init__(self, count):
        self.count, self.arrived, self.event = count, set(), asyncio.Event()

    def arrive(self, name):
        self.arrived.add(name)
        if len(self.arrived) == self.count:
            self.event.set()

    async def wait(self, name):
        self.arrive(name)
        await self.event.wait()


async def _one_user(burst, name, start, promised):
    registered = await burst.send("register", "POST", "/api/auth/register",
                                  json={"username": name, "password": PASSWORD})
    if registered is None or registered.status_code != 201:
        return
    promised["users"].add(name)
    token = await burst.send("sign-in", "POST", "/api/auth/token", data={"username": name, "password": PASSWORD})
    if token is None or token.status_code != 200:
        return
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    await start.wait(name)
    slug = CLIP.name
    answers = await asyncio.gather(
        *[burst.send("submit", "POST", f"/api/problems/{slug}/submissions", headers=headers,
                     json={"source": f"# {name} {i}\nx = 1\n", "mode": "run"}) for i in range(SUBMITS_PER_USER)],
        burst.send("hint", "POST", f"/api/problems/{slug}/hints/next", headers=headers),
        burst.send("solution", "POST", f"/api/problems/{slug}/solution", headers=headers))
    status = [answer.status_code if answer is not None else None for answer in answers]
    for answer in answers[:SUBMITS_PER_USER]:
        if answer is not None and answer.status_code == 202:
            promised["submissions"][name].append(answer.json()["id"])
    if status[-2] == 200:
        promised["hints"][name] = len(answers[-2].json()["revealed"])
    if status[-1] == 200:
        promised["solutions"].add(name)


async def health_probe(url, done, answers):
    """/healthz, one request after another, all through the burst: each must answer 200."""
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        while not done.is_set():
            try:
                answers.append((await client.get("/healthz")).status_code)
            except httpx.TransportError:
                answers.append("no answer")
            await asyncio.sleep(0.05)


async def classroom_burst(url):
    promised = {"users": set(), "submissions": collections.defaultdict(list), "hints": {}, "solutions": set()}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        burst, start, done, health = Burst(client), StartLine(USERS), asyncio.Event(), []
        probe = asyncio.create_task(health_probe(url, done, health))
        # Sign-ups and sign-ins are a burst of their own (40 each at once); then the 200 writes.
        await asyncio.gather(*[one_user(burst, f"student{i:02d}", start, promised) for i in range(USERS)])
        done.set()
        await probe
    return burst, promised, health


def test_classroom_burst_is_answered_and_stored_exactly(serve, database_url):
    burst, promised, health = asyncio.run(asyncio.wait_for(classroom_burst(serve.url), BURST_BOUND_S))
    summary = dict(sorted(burst.statuses.items(), key=str))
    print(f"\nburst on {database_url.split(':')[0]}: {summary}; /healthz: {dict(collections.Counter(health))}")
    assert burst.bad == [], f"answers >= 500 without Retry-After: {summary}, first: {burst.bad[:3]}"
    assert all(status < 500 or status == 503 for status in burst.statuses if isinstance(status, int)), summary
    assert health and set(health) == {200}, f"/healthz during the burst: {collections.Counter(health)}"
    # With Retry-After honoured, every user gets through: 40 sign-ups, 120 submissions, 40 hints and
    # 40 solutions (the limits allow three submissions in flight, and nothing judges them here).
    assert len(promised["users"]) == USERS, summary
    assert sum(map(len, promised["submissions"].values())) == USERS * SUBMITS_PER_USER, summary
    assert len(promised["hints"]) == USERS and len(promised["solutions"]) == USERS, summary

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as db:
            users = dict(db.execute(select(User.username, User.id)).all())
            assert set(users) == promised["users"]
            stored = collections.defaultdict(list)
            for user_id, submission_id in db.execute(select(Submission.user_id, Submission.id)):
                stored[user_id].append(submission_id)
            for name, ids in promised["submissions"].items():
                assert sorted(stored.pop(users[name])) == sorted(ids), name
            assert not stored, f"submissions no 202 promised: {dict(stored)}"
            reveals = dict(db.execute(select(HintReveal.user_id, HintReveal.revealed)).all())
            assert reveals == {users[name]: count for name, count in promised["hints"].items()}
            assert db.scalar(select(func.count()).select_from(HintReveal)) == len(promised["hints"])
            views = list(db.scalars(select(SolutionView.user_id)))
            assert sorted(views) == sorted(users[name] for name in promised["solutions"])  # each once
    finally:
        engine.dispose()
    assert "Traceback" not in serve.log_text()


class HeldLock:
    """The database's write lock (SQLite) or the users table (PostgreSQL), held by another client."""

    def __init__(self, database_url):
        self.engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        self.connection = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            self.connection.connection.driver_connection.isolation_level = None
            self.connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            self.connection.exec_driver_sql("BEGIN")
            self.connection.exec_driver_sql("LOCK TABLE users IN EXCLUSIVE MODE")

    def release(self):
        self.connection.exec_driver_sql("ROLLBACK")
        self.connection.close()
        self.engine.dispose()


@pytest.fixture
def busy_server(server_factory, settings):
    # One turn and a one-second bound on every wait, so the bounds are reached at once.
    settings.api_concurrency, settings.db_wait_s = 1, 1.0
    return server_factory(workers=0)


def test_a_lock_held_past_the_bound_is_503_with_retry_after_and_stores_nothing(busy_server, database_url):
    lock = HeldLock(database_url)
    try:
        with busy_server.client() as client:
            refused = client.post("/api/auth/register", json={"username": "late", "password": PASSWORD})
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "service_unavailable" and int(refused.headers["retry-after"]) >= 1
    finally:
        lock.release()
    with busy_server.client() as client:
        # Nothing of the refused request was stored: the same name registers now.
        assert client.post("/api/auth/register", json={"username": "late", "password": PASSWORD}).status_code == 201
    with busy_server.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_requests_past_their_turns_wait_a_bounded_time_and_healthz_never_waits(busy_server, database_url):
    lock = HeldLock(database_url)
    try:
        async def scene():
            async with httpx.AsyncClient(base_url=busy_server.url, timeout=REQUEST_TIMEOUT_S) as client:
                # The first takes the one turn and waits for the lock; the others wait for the turn.
                writes = [asyncio.create_task(client.post("/api/auth/register",
                                                          json={"username": f"user{i}", "password": PASSWORD}))
                          for i in range(3)]
                await asyncio.sleep(0.2)
                health = await client.get("/healthz")
                return health, await asyncio.gather(*writes)

        health, writes = asyncio.run(asyncio.wait_for(scene(), BURST_BOUND_S))
    finally:
        lock.release()
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert [w.status_code for w in writes] == [503] * 3, [w.text for w in writes]
    assert all("retry-after" in w.headers for w in writes)
    with busy_server.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
