"""GET /api/submissions/{id}/events over real HTTP: order and content of the stream for each kind of
verdict, with embedded workers and with a standalone worker process, on SQLite and PostgreSQL; who may
open it; resuming with Last-Event-ID; a closed client leaves nothing waiting."""

import json
import subprocess
import sys
import time

import httpx
import pytest
from httpx_sse import connect_sse

from app.progress import CHECK_EVENT_KEYS, POLL_S, check_event
from tests.app.conftest import ROOT, make_settings, sign_up, wait_judged
from tests.conftest import CLIP

EXAMPLES = CLIP / "submissions"
SUBMIT = "/api/problems/clip-passthrough/submissions"


@pytest.fixture
def settings(tmp_path, database_url):
    # The busy loop is stopped at 5 s of wall time instead of the problem's 20 s.
    return make_settings(tmp_path, database_url, judge_wall_time_s=5.0)


def submit(client, headers, example, mode="run"):
    response = client.post(SUBMIT, headers=headers, json={"source": (EXAMPLES / example).read_text(), "mode": mode})
    assert response.status_code == 202, response.text
    return response.json()["id"]


def stream(client, submission_id, headers, last_event_id=None, timeout=120):
    """Every event of the stream, in order, as (event, id, data); the stream must end by itself."""
    headers = dict(headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events = []
    deadline = time.monotonic() + timeout
    with connect_sse(client, "GET", f"/api/submissions/{submission_id}/events", headers=headers) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            if not sse.data:  # a keep-alive comment: httpx-sse reports it as an empty event after an id
                continue
            events.append((sse.event, sse.id, json.loads(sse.data)))
            assert time.monotonic() < deadline, "the stream did not end"
    return events


def assert_stream_matches_report(events, judged):
    kinds = [kind for kind, _, _ in events]
    assert kinds[-1] == "verdict" and kinds.count("verdict") == 1
    assert kinds.count("running") == 1
    running = kinds.index("running")
    assert set(kinds[:running]) <= {"queued"}
    assert set(kinds[running + 1:-1]) <= {"check"}
    checks = [data for kind, _, data in events if kind == "check"]
    report_checks = judged["report"]["checks"]
    # Live events as the grader decides each check, then the report's word where it differs: the last
    # event of each check is the report's, and no check is left out.
    last = {(c["case"], c["check"], c["transform"]): c for c in checks}
    assert last == {(c["case"], c["check"], c["transform"]): check_event(c) for c in report_checks}
    assert len(checks) >= len(report_checks)
    plan = events[running][2]  # what a page draws before any check: the report's cases × checks
    if checks:
        assert [(c["case"], c["check"], c["transform"]) for c in report_checks] == [
            (case["name"], k["check"], k["transform"]) for case in plan["cases"] for k in plan["checks"]]
    verdict = events[-1][2]
    assert (verdict["verdict"], verdict["report"]) == (judged["verdict"], judged["report"])
    ids = [int(event_id) for kind, event_id, _ in events if kind in ("running", "check")]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # stored events carry increasing ids


@pytest.mark.slow
def test_stream_of_each_verdict_with_embedded_workers(server_factory):
    server = server_factory(workers=1)
    with server.client() as client:
        headers = sign_up(client, "streamer")
        for example, verdict in [("accepted/custom_jvp.py", "ACCEPTED"), ("wrong_answer/plain_clip.py", "WRONG_ANSWER"),
                                 ("compilation_error/syntax_error.py", "COMPILATION_ERROR"),
                                 ("time_limit_exceeded/busy_loop.py", "TIME_LIMIT_EXCEEDED")]:
            submission_id = submit(client, headers, example)
            events = stream(client, submission_id, headers)
            judged = wait_judged(client, submission_id, headers)
            assert judged["verdict"] == verdict
            assert_stream_matches_report(events, judged)
            if verdict in ("ACCEPTED", "WRONG_ANSWER"):
                assert len([e for e in events if e[0] == "check"]) > 10
            if verdict == "WRONG_ANSWER":
                assert {"wrong"} <= {data["status"] for kind, _, data in events if kind == "check"}
            if verdict == "COMPILATION_ERROR":
                assert not [e for e in events if e[0] == "check"]


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hidden_cases_show_only_what_the_report_shows_and_resume(server_factory):
    server = server_factory(workers=1)
    with server.client() as client:
        headers = sign_up(client, "hidden")
        submission_id = submit(client, headers, "wrong_answer/plain_clip.py", mode="submit")
        events = stream(client, submission_id, headers)
        judged = wait_judged(client, submission_id, headers)
        assert_stream_matches_report(events, judged)
        checks = [data for kind, _, data in events if kind == "check"]
        hidden = [c for c in checks if not c["sample"]]
        assert hidden and any(c["status"] == "wrong" for c in hidden)
        for check in checks:
            assert set(check) <= set(CHECK_EVENT_KEYS)  # never a message, expected or got
        # Reconnecting after the fifth stored event: the rest, then the verdict, nothing repeated.
        stored = [e for e in events if e[1]]
        resumed = stream(client, submission_id, headers, last_event_id=stored[4][1])
        assert resumed == [e for e in events if e[0] != "queued"][5:]
        # Past the last id: only the verdict.
        assert [e[0] for e in stream(client, submission_id, headers, last_event_id=stored[-1][1])] == ["verdict"]


def test_who_may_open_a_stream_and_hostile_headers(server_factory):
    server = server_factory(workers=0)
    with server.client() as client:
        owner = sign_up(client, "owner")
        other = sign_up(client, "other")
        submission_id = submit(client, owner, "accepted/custom_jvp.py")
        url = f"/api/submissions/{submission_id}/events"
        anonymous = httpx.get(server.url + url)  # a client without the cookies sign-up left
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthorized")
        for path in (url, "/api/submissions/999999/events"):
            response = client.get(path, headers=other)
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
        for huge in ("/api/submissions/99999999999999999999/events", "/api/submissions/-1/events",
                     "/api/submissions/x/events"):
            response = client.get(huge, headers=owner)
            assert (response.status_code, response.json()["code"]) == (422, "unprocessable")
        for bad in ("abc", "-1", "1e9", "99999999999999999999", "١٢".encode()):
            response = client.get(url, headers={**owner, "Last-Event-ID": bad})
            assert response.status_code == 422, bad
            assert response.json()["code"] == "unprocessable" and "Last-Event-ID" in response.json()["detail"]


def test_queue_position_and_a_closed_client_leaves_nothing(server_factory):
    server = server_factory(workers=0)
    with server.client() as client:
        first, second = sign_up(client, "first"), sign_up(client, "second")
        submit(client, first, "accepted/custom_jvp.py")
        waiting = submit(client, second, "accepted/custom_jvp.py")
        with connect_sse(client, "GET", f"/api/submissions/{waiting}/events", headers=second) as source:
            events = source.iter_sse()  # kept: a dropped iterator closes the response, and so the stream
            event = next(events)
            assert (event.event, json.loads(event.data)) == ("queued", {"status": "queued", "position": 2})
            time.sleep(2 * POLL_S)
            assert server.app.state.open_streams == 1  # still waiting on the hub, between polls
        deadline = time.monotonic() + 10
        while server.app.state.open_streams or server.progress_hub.waiting():
            assert time.monotonic() < deadline, "a closed stream was still polling"
            time.sleep(0.05)


@pytest.mark.slow
def test_stream_with_a_standalone_worker(serve):
    """`jaxjudge serve --workers 0` and a `jaxjudge worker` process: the API learns of the worker's
    progress only from the database."""
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                              env={**serve.env, "JAXJUDGE_JUDGE_WALL_TIME_S": "5"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=serve.url, timeout=60) as client:
            headers = sign_up(client, "standalone")
            for example, verdict in [("accepted/custom_jvp.py", "ACCEPTED"),
                                     ("wrong_answer/plain_clip.py", "WRONG_ANSWER")]:
                submission_id = submit(client, headers, example)
                events = stream(client, submission_id, headers, timeout=240)
                judged = wait_judged(client, submission_id, headers)
                assert judged["verdict"] == verdict
                assert_stream_matches_report(events, judged)
    finally:
        worker.terminate()
        worker.wait(timeout=60)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_on_postgresql_a_standalone_workers_progress_rings_the_api_at_once(settings, session_factory):
    # A publisher with no hub, as in a `jaxjudge worker` process: its NOTIFY reaches the API process's
    # listener, which rings the hub that streams wait on, before their poll would have come round.
    import asyncio

    from app.cli import import_problem_dirs
    from app.db import libpq_url
    from app.models import Problem, Submission
    from app.progress import ProgressHub, ProgressListener, ProgressPublisher
    from app.users.service import register_user

    import_problem_dirs(session_factory, [CLIP], publish=True)
    with session_factory() as session:
        user = register_user(session, username="listener", password="correct horse battery")
        problem = session.query(Problem).one()
        row = Submission(user_id=user.id, problem_id=problem.id, problem_version_id=problem.current_version_id,
                         source="x = 1\n", mode="run")
        session.add(row)
        session.commit()
        submission_id = row.id
    hub = ProgressHub()
    listener = ProgressListener(libpq_url(settings.resolved_database_url()), hub).start()
    try:
        assert listener.listening.wait(30)

        async def rung_by(publish):
            waiting = asyncio.ensure_future(hub.wait(submission_id, timeout=60))
            while not hub.waiting():
                await asyncio.sleep(0.01)
            await asyncio.to_thread(publish)
            return await waiting

        publisher = ProgressPublisher(session_factory, submission_id)
        assert asyncio.run(rung_by(lambda: publisher.running(attempt=1, plan={"cases": [], "checks": []})))
        publisher.check({"case": "worked-example", "check": "value", "transform": "eager", "status": "passed"})
        assert asyncio.run(rung_by(publisher.flush))
        assert asyncio.run(rung_by(publisher.judged))
    finally:
        listener.stop()
    assert not listener._thread.is_alive()
