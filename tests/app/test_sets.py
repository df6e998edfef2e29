"""Problem sets (courses) over real HTTP, on SQLite and PostgreSQL: the window and late rules, enrolment,
scoring, the scoreboard's order, grade export, and who may do what on every endpoint.

Verdicts come from the real queue: each submission is sent over HTTP, claimed with
`claim_next_submission` and finished with `finish_submission` carrying the report a worker would store
(the grader's own verdicts are tested in tests/grader; here what matters is what a set makes of them)."""

import csv
import datetime as dt
import io
import json
import subprocess
import sys

import pytest

from app.cli import import_problem_dirs
from app.models import Role, User
from app.queue import claim_next_submission, finish_submission
from tests.app.conftest import admin_headers as _admin_headers
from tests.app.conftest import sign_up as _sign_up
from tests.conftest import ROOT

CLIP_SLUG = "clip-passthrough"
OTHER = ROOT / "problems" / "log-sigmoid"
OTHER_SLUG = "log-sigmoid"


def sign_up(client, username):
    """Bearer headers of a new user. The client forgets the session cookie that signing in also sets, so
    that a request without headers is a signed-out one."""
    headers = _sign_up(client, username)
    client.cookies.clear()
    return headers


def admin_headers(server, client):
    headers = _admin_headers(server, client)
    client.cookies.clear()
    return headers


def now():
    return dt.datetime.now(dt.UTC)


def iso(moment):
    return moment.isoformat()


@pytest.fixture
def server(server_factory, session_factory):
    server = server_factory(workers=0)
    import_problem_dirs(session_factory, [OTHER], publish=True)
    return server


@pytest.fixture
def client(server):
    with server.client() as client:
        yield client


def make_staff(server, client, username):
    headers = sign_up(client, username)
    with server.session_factory() as session:
        session.query(User).filter_by(username_key=username.lower()).one().role = Role.STAFF.value
        session.commit()
    return headers


def set_fields(slug, *, opens=None, closes=None, problems=((CLIP_SLUG, 10),), **extra):
    opens = opens or now() - dt.timedelta(hours=1)
    closes = closes or now() + dt.timedelta(hours=1)
    return {"slug": slug, "title": f"Set {slug}", "description": "Week 1.",
            "problems": [{"problem": p, "points": points} for p, points in problems],
            "opens_at": iso(opens), "closes_at": iso(closes), **extra}


def create_set(client, headers, slug, **kwargs):
    response = client.post("/api/sets", json=set_fields(slug, **kwargs), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def report(verdict, failed=()):
    """A report as a worker stores it: `failed` lists the (check, transform) pairs that did not pass."""
    checks = [{"case": "random", "sample": False, "check": check, "transform": transform, "status": "wrong",
               "verdict": "WRONG_ANSWER", "message": "wrong result (details are hidden)"}
              for check, transform in failed]
    checks.append({"case": "random", "sample": False, "check": "value", "transform": "eager", "status": "passed",
                   "verdict": "ACCEPTED", "message": ""})
    return {"verdict": verdict, "checks": checks, "hints": [], "summary": verdict}


def submit_judged(server, client, headers, verdict, *, problem=CLIP_SLUG, failed=()):
    """Submit over HTTP, then judge it through the queue with `verdict`; the submission's id."""
    sid = client.post(f"/api/problems/{problem}/submissions", json={"source": "def f(x):\n    return x\n"},
                      headers=headers).json()["id"]
    with server.session_factory() as session:
        claimed = claim_next_submission(session, worker_id="test-worker", gpu=False, lease_s=60)
        assert claimed == sid
        assert finish_submission(session, submission_id=sid, worker_id="test-worker",
                                 report=report(verdict, failed))
    return sid


def submit_queued(client, headers, problem=CLIP_SLUG):
    return client.post(f"/api/problems/{problem}/submissions", json={"source": "x = 1\n"}, headers=headers).json()["id"]


def enroll(client, headers, slug, *usernames, role="student"):
    response = client.post(f"/api/sets/{slug}/enrollments", json={"usernames": list(usernames), "role": role},
                           headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def progress(client, headers, slug):
    response = client.get(f"/api/sets/{slug}/progress", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestWindowAndLateRules:
    def test_one_submission_counts_by_each_sets_window_and_late_policy(self, server, client):
        staff = make_staff(server, client, "prof")
        past = now() - dt.timedelta(hours=3), now() - dt.timedelta(hours=2)
        create_set(client, staff, "open-set")
        create_set(client, staff, "closed-not-counted", opens=past[0], closes=past[1])
        create_set(client, staff, "closed-penalty", opens=past[0], closes=past[1], late_policy="penalty",
                   late_penalty_percent=30)
        create_set(client, staff, "upcoming", opens=now() + dt.timedelta(hours=1),
                   closes=now() + dt.timedelta(hours=2))
        student = sign_up(client, "ada")
        for slug in ("open-set", "closed-not-counted", "closed-penalty", "upcoming"):
            enroll(client, staff, slug, "ada")
        wrong = submit_judged(server, client, student, "WRONG_ANSWER", failed=[("grad", "jit")])
        accepted = submit_judged(server, client, student, "ACCEPTED")

        cell = progress(client, student, "open-set")["cells"][0]
        assert (cell["points"], cell["solved"], cell["late"], cell["attempts"], cell["wrong_before"]) == (10, True, False, 2, 1)
        assert cell["best_submission_id"] == accepted and cell["minutes"] >= 60

        late = progress(client, student, "closed-not-counted")
        assert late["state"] == "closed" and late["seconds_left"] == 0 and late["points"] == 0
        cell = late["cells"][0]
        assert (cell["solved"], cell["late_accepted"], cell["attempts"]) == (False, True, 2)
        assert cell["best_submission_id"] == accepted  # the latest judged one, shown even if it scores nothing

        cell = progress(client, student, "closed-penalty")["cells"][0]
        assert (cell["points"], cell["solved"], cell["late"], cell["wrong_before"]) == (7, True, True, 1)

        upcoming = progress(client, student, "upcoming")
        assert upcoming["state"] == "upcoming" and upcoming["seconds_to_open"] > 3000
        assert upcoming["cells"][0]["attempts"] == 0 and upcoming["points"] == 0

        listed = client.get("/api/sets/closed-not-counted/submissions", headers=staff).json()
        assert [(i["id"], i["late"]) for i in listed["items"]] == [(accepted, True), (wrong, True)]
        listed = client.get("/api/sets/open-set/submissions", headers=staff).json()
        assert [i["late"] for i in listed["items"]] == [False, False] and listed["total"] == 2

    def test_a_submission_before_the_opening_does_not_count_and_pending_ones_are_not_scored(self, server, client):
        staff = make_staff(server, client, "prof")
        fields = set_fields("later", opens=now() + dt.timedelta(hours=1), closes=now() + dt.timedelta(hours=2))
        assert client.post("/api/sets", json=fields, headers=staff).status_code == 201
        student = sign_up(client, "ada")
        enroll(client, staff, "later", "ada")
        submit_judged(server, client, student, "ACCEPTED")
        # The set opens now, after that ACCEPTED: it stays outside the window.
        fields["opens_at"] = iso(now())
        assert client.put("/api/sets/later", json=fields, headers=staff).status_code == 200
        submit_queued(client, student)
        cell = progress(client, student, "later")["cells"][0]
        assert (cell["attempts"], cell["pending"], cell["solved"], cell["points"]) == (1, 1, False, 0)

    def test_run_mode_and_other_problems_do_not_count(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "s1")
        student = sign_up(client, "ada")
        enroll(client, staff, "s1", "ada")
        client.post(f"/api/problems/{CLIP_SLUG}/submissions", json={"source": "x = 1\n", "mode": "run"},
                    headers=student)
        submit_queued(client, student, problem=OTHER_SLUG)
        assert progress(client, student, "s1")["cells"][0]["attempts"] == 0


class TestEnrolment:
    def test_invite_code_username_roles_and_leaving(self, server, client):
        staff = make_staff(server, client, "prof")
        created = create_set(client, staff, "s1")
        assert created["my_role"] == "staff" and created["invite_code"]
        ada, bob = sign_up(client, "ada"), sign_up(client, "bob")
        assert client.get("/api/sets/s1", headers=ada).status_code == 404  # not enrolled yet
        assert client.post("/api/enrollments", json={"invite_code": "wrong-code"}, headers=ada).status_code == 404
        joined = client.post("/api/enrollments", json={"invite_code": created["invite_code"]}, headers=ada)
        assert joined.json() == {"slug": "s1", "title": "Set s1", "role": "student"}
        again = client.post("/api/enrollments", json={"invite_code": created["invite_code"]}, headers=ada)
        assert again.status_code == 200
        seen = client.get("/api/sets/s1", headers=ada).json()
        assert seen["my_role"] == "student" and seen["invite_code"] is None and seen["students"] == 1
        # The staff joining with their own code stay staff.
        assert client.post("/api/enrollments", json={"invite_code": created["invite_code"]},
                           headers=staff).json()["role"] == "staff"

        refused = client.post("/api/sets/s1/enrollments", json={"usernames": ["BOB", "nobody"]}, headers=staff)
        assert refused.status_code == 422 and "nobody" in refused.json()["detail"]
        assert client.get("/api/sets/s1", headers=bob).status_code == 404  # all or none
        rows = enroll(client, staff, "s1", "BOB")  # usernames are case-insensitive
        assert [(r["username"], r["role"]) for r in rows] == [("bob", "student")]
        assert [s["slug"] for s in client.get("/api/sets", headers=bob).json()] == ["s1"]

        enroll(client, staff, "s1", "bob", role="staff")
        listed = client.get("/api/sets/s1/enrollments", headers=staff).json()
        assert [(r["username"], r["role"]) for r in listed] == [("ada", "student"), ("bob", "staff"), ("prof", "staff")]

        old = created["invite_code"]
        fresh = client.post("/api/sets/s1/invite-code", headers=staff).json()["invite_code"]
        assert fresh != old
        carol = sign_up(client, "carol")
        assert client.post("/api/enrollments", json={"invite_code": old}, headers=carol).status_code == 404
        assert client.post("/api/enrollments", json={"invite_code": fresh}, headers=carol).status_code == 200

        assert client.delete("/api/sets/s1/enrollments/ada", headers=staff).status_code == 204
        assert client.get("/api/sets/s1", headers=ada).status_code == 404
        assert client.delete("/api/sets/s1/enrollments/ada", headers=staff).status_code == 404


class TestScoring:
    def test_scoreboard_orders_by_points_then_penalty_time_then_name(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "contest", problems=((CLIP_SLUG, 10), (OTHER_SLUG, 20)), scoreboard="public")
        names = ["eve", "dan", "cat", "bea", "abe"]
        headers = {name: sign_up(client, name) for name in names}
        enroll(client, staff, "contest", *names)
        # eve: one try at clip. dan: a wrong answer first (20 penalty minutes). cat: a compilation error
        # first (free, as at ICPC). bea: wrong only. abe: log-sigmoid, worth more, after three failures.
        submit_judged(server, client, headers["eve"], "ACCEPTED")
        submit_judged(server, client, headers["dan"], "WRONG_ANSWER")
        submit_judged(server, client, headers["dan"], "ACCEPTED")
        submit_judged(server, client, headers["cat"], "COMPILATION_ERROR")
        submit_judged(server, client, headers["cat"], "ACCEPTED")
        submit_judged(server, client, headers["bea"], "RUNTIME_ERROR")
        for verdict in ("WRONG_ANSWER", "TIME_LIMIT_EXCEEDED", "RUNTIME_ERROR", "ACCEPTED"):
            submit_judged(server, client, headers["abe"], verdict, problem=OTHER_SLUG)
        submit_judged(server, client, headers["eve"], "WRONG_ANSWER")  # after the solve: no penalty

        board = client.get("/api/sets/contest/scoreboard").json()  # public: no sign-in needed
        got = [(r["rank"], r["username"], r["points"], r["penalty_minutes"]) for r in board["rows"]]
        minutes = board["rows"][0]["last_solve_minutes"]  # the set opened an hour ago: the same for all
        assert got == [(1, "abe", 20, minutes + 60), (2, "cat", 10, minutes), (2, "eve", 10, minutes),
                       (4, "dan", 10, minutes + 20), (5, "bea", 0, 0)]
        eve = board["rows"][2]["cells"]
        assert (eve[0]["attempts"], eve[0]["wrong_before"], eve[1]["attempts"]) == (2, 0, 0)

    def test_results_table_and_per_problem_summary(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "s1", problems=((CLIP_SLUG, 10), (OTHER_SLUG, 5)))
        ada, bob = sign_up(client, "ada"), sign_up(client, "bob")
        enroll(client, staff, "s1", "ada", "bob")
        submit_judged(server, client, ada, "WRONG_ANSWER", failed=[("grad", "jit"), ("value", "jit")])
        submit_judged(server, client, bob, "WRONG_ANSWER", failed=[("grad", "jit")])
        submit_judged(server, client, bob, "WRONG_ANSWER", failed=[("vmap", "eager"), ("grad", "jit")])
        accepted = submit_judged(server, client, ada, "ACCEPTED")
        outsider = sign_up(client, "zed")  # not enrolled: their failures are not the class's
        submit_judged(server, client, outsider, "WRONG_ANSWER", failed=[("vmap", "eager")] * 1)

        results = client.get("/api/sets/s1/results", headers=staff).json()
        assert [r["username"] for r in results["students"]] == ["ada", "bob"]
        ada_row = results["students"][0]
        assert ada_row["points"] == 10 and ada_row["cells"][0]["best_submission_id"] == accepted
        assert ada_row["cells"][0]["solved_at"] is not None and ada_row["cells"][1]["attempts"] == 0
        clip, other = results["summary"]
        assert (clip["solved"], clip["attempted"]) == (1, 2)
        assert clip["most_common_failing_check"] == {"check": "grad", "transform": "jit", "submissions": 3}
        assert (other["solved"], other["attempted"], other["most_common_failing_check"]) == (0, 0, None)

        # Staff open any of their students' submissions; the student's own page says the same.
        assert client.get(f"/api/submissions/{accepted}", headers=staff).json()["username"] == "ada"
        assert progress(client, ada, "s1")["points"] == 10


class TestExport:
    def test_csv_and_json_hold_one_row_per_student(self, server, client, settings):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "s1", problems=((CLIP_SLUG, 10), (OTHER_SLUG, 5)))
        ada, rogue = sign_up(client, "ada"), sign_up(client, "-rogue")
        enroll(client, staff, "s1", "ada", "-rogue")
        submit_judged(server, client, ada, "ACCEPTED")
        submit_judged(server, client, rogue, "ACCEPTED", problem=OTHER_SLUG)

        response = client.get("/api/sets/s1/export", headers=staff)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert 'filename="s1-grades.csv"' in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        # A leading '-' would make a spreadsheet read the cell as a formula: it is quoted.
        assert rows == [["username", CLIP_SLUG, OTHER_SLUG, "total"], ["'-rogue", "0", "5", "5"],
                        ["ada", "10", "0", "10"]]
        data = client.get("/api/sets/s1/export?format=json", headers=staff).json()
        assert data["students"][1] == {"username": "ada", "scores": {CLIP_SLUG: 10, OTHER_SLUG: 0}, "late": [],
                                       "total": 10, "penalty_minutes": data["students"][1]["penalty_minutes"],
                                       "rank": 1}

        # The same from the command line, against the same database.
        env = {"JAXJUDGE_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.resolved_database_url(),
               "JAXJUDGE_SECRET_KEY": "s" * 40, "PATH": "/usr/bin:/bin"}
        cli = subprocess.run([sys.executable, "-m", "app.cli", "sets", "export", "s1"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout == response.text
        as_json = subprocess.run([sys.executable, "-m", "app.cli", "sets", "export", "s1", "--format", "json"],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert json.loads(as_json.stdout) == data

    def test_cli_creates_a_set_and_enrolls(self, server, client, settings):
        sign_up(client, "ada")
        env = {"JAXJUDGE_DATA_DIR": str(settings.data_dir), "DATABASE_URL": settings.resolved_database_url(),
               "JAXJUDGE_SECRET_KEY": "s" * 40, "PATH": "/usr/bin:/bin"}

        def jaxjudge(*args):
            return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=120)

        created = jaxjudge("sets", "create", "cli-set", "--title", "From the shell", "--problems",
                           f"{CLIP_SLUG},{OTHER_SLUG}", "--points", "3,4", "--opens", "2026-01-01T00:00:00Z",
                           "--closes", "2030-01-01T00:00:00+02:00")
        assert created.returncode == 0, created.stderr
        assert "cli-set: 2 problems" in created.stdout
        assert jaxjudge("sets", "enroll", "cli-set", "ada").returncode == 0
        unknown = jaxjudge("sets", "enroll", "cli-set", "nobody")
        assert unknown.returncode != 0 and "nobody" in unknown.stderr
        naive = jaxjudge("sets", "create", "x", "--title", "t", "--problems", CLIP_SLUG, "--opens",
                         "2026-01-01T00:00", "--closes", "2030-01-01T00:00Z")
        assert naive.returncode != 0 and "offset" in naive.stderr
        assert jaxjudge("sets", "export", "cli-set").stdout == f"username,{CLIP_SLUG},{OTHER_SLUG},total\nada,0,0,0\n"


class TestHiddenCases:
    def test_after_close_students_see_hidden_cases_and_staff_always(self, server, client):
        staff = make_staff(server, client, "prof")
        past = now() - dt.timedelta(hours=3), now() - dt.timedelta(hours=2)
        create_set(client, staff, "shown", opens=past[0], closes=past[1], hidden_details="after_close")
        create_set(client, staff, "kept", opens=past[0], closes=past[1])
        create_set(client, staff, "running", hidden_details="after_close")
        student = sign_up(client, "ada")
        for slug in ("shown", "kept", "running"):
            enroll(client, staff, slug, "ada")
        shown = client.get(f"/api/sets/shown/problems/{CLIP_SLUG}/cases", headers=student)
        assert shown.status_code == 200, shown.text
        assert any(not case["sample"] for case in shown.json()["cases"])
        assert progress(client, student, "shown")["hidden_details_visible"] is True
        for slug in ("kept", "running"):
            refused = client.get(f"/api/sets/{slug}/problems/{CLIP_SLUG}/cases", headers=student)
            assert refused.status_code == 403, refused.text
        assert client.get(f"/api/sets/running/problems/{CLIP_SLUG}/cases", headers=staff).status_code == 200
        assert client.get(f"/api/sets/shown/problems/{OTHER_SLUG}/cases", headers=student).status_code == 404
        # The same on the pages: a link from the progress table, a page of every case.
        assert f'data-testid="cases-link-{CLIP_SLUG}"' in client.get("/sets/shown", headers=student).text
        assert "cases-link-" not in client.get("/sets/kept", headers=student).text
        page = client.get(f"/sets/shown/problems/{CLIP_SLUG}/cases", headers=student)
        hidden = [c["name"] for c in shown.json()["cases"] if not c["sample"]]
        assert page.status_code == 200 and f'data-testid="case-{hidden[0]}"' in page.text
        assert client.get(f"/sets/kept/problems/{CLIP_SLUG}/cases", headers=student).status_code == 403


def endpoints(problem=CLIP_SLUG):
    """(method, path, body, who may: "student" or "staff") for every endpoint under a set."""
    fields = set_fields("target")
    return [
        ("GET", "/api/sets/target", None, "student"),
        ("GET", "/api/sets/target/progress", None, "student"),
        ("GET", f"/api/sets/target/problems/{problem}/cases", None, "staff"),
        ("PUT", "/api/sets/target", fields, "staff"),
        ("POST", "/api/sets/target/invite-code", None, "staff"),
        ("GET", "/api/sets/target/enrollments", None, "staff"),
        ("POST", "/api/sets/target/enrollments", {"usernames": ["ada"]}, "staff"),
        ("GET", "/api/sets/target/results", None, "staff"),
        ("GET", "/api/sets/target/submissions", None, "staff"),
        ("GET", "/api/sets/target/export", None, "staff"),
        ("GET", "/api/sets/target/export?format=json", None, "staff"),
        ("GET", "/api/sets/target/scoreboard", None, "student"),
        ("DELETE", "/api/sets/target/enrollments/ada", None, "staff"),
        ("DELETE", "/api/sets/target", None, "staff"),
    ]


class TestPermissions:
    def test_every_set_endpoint_for_anonymous_outsider_student_other_staff_and_staff(self, server, client):
        staff = make_staff(server, client, "prof")
        other_staff = make_staff(server, client, "rival")
        create_set(client, other_staff, "elsewhere")
        student, outsider = sign_up(client, "ada"), sign_up(client, "zed")
        create_set(client, staff, "target")
        enroll(client, staff, "target", "ada")
        for method, path, body, who in endpoints():
            ask = lambda headers: client.request(method, path, json=body, headers=headers)  # noqa: E731
            assert ask(None).status_code == 401, (method, path)
            assert ask(outsider).status_code == 404, (method, path)
            assert ask(other_staff).status_code == 404, (method, path)
            got = ask(student).status_code
            assert got == (200 if who == "student" else 403), (method, path, got)
        # Staff last: in this order, the deletions come after everything else.
        for method, path, body, _ in endpoints():
            got = ask_as = client.request(method, path, json=body, headers=staff)
            assert got.status_code in (200, 204), (method, path, ask_as.text)
        assert client.get("/api/sets/target", headers=staff).status_code == 404  # deleted

    def test_creating_sets_and_roles(self, server, client):
        user = sign_up(client, "ada")
        assert client.post("/api/sets", json=set_fields("s1")).status_code == 401
        assert client.post("/api/sets", json=set_fields("s1"), headers=user).status_code == 403
        assert client.get("/api/sets", headers=user).json() == []
        admin = admin_headers(server, client)
        assert client.put("/api/admin/users/ada/role", json={"role": "staff"}, headers=user).status_code == 403
        assert client.put("/api/admin/users/nobody/role", json={"role": "staff"}, headers=admin).status_code == 404
        made = client.put("/api/admin/users/ADA/role", json={"role": "staff"}, headers=admin)
        assert made.status_code == 200 and made.json()["role"] == "staff"
        assert client.post("/api/sets", json=set_fields("s1"), headers=user).status_code == 201
        assert client.post("/api/sets", json=set_fields("s1"), headers=user).status_code == 409
        # Admins see and manage every set without being enrolled.
        assert [s["slug"] for s in client.get("/api/sets", headers=admin).json()] == ["s1"]
        assert client.get("/api/sets/s1/results", headers=admin).status_code == 200
        assert client.put("/api/admin/users/root/role", json={"role": "user"}, headers=admin).status_code == 409

    def test_staff_see_their_students_submissions_to_the_set_only(self, server, client):
        staff = make_staff(server, client, "prof")
        other_staff = make_staff(server, client, "rival")
        create_set(client, staff, "s1")
        create_set(client, other_staff, "s2", problems=((OTHER_SLUG, 1),))
        ada, bob = sign_up(client, "ada"), sign_up(client, "bob")
        enroll(client, staff, "s1", "ada")
        enroll(client, other_staff, "s2", "ada")
        on_set = submit_queued(client, ada)
        off_set = submit_queued(client, ada, problem=OTHER_SLUG)
        bobs = submit_queued(client, bob)  # bob is in no set
        assert client.get(f"/api/submissions/{on_set}", headers=staff).status_code == 200
        assert client.get(f"/api/submissions/{off_set}", headers=staff).status_code == 404
        assert client.get(f"/api/submissions/{bobs}", headers=staff).status_code == 404
        assert client.get(f"/api/submissions/{on_set}", headers=other_staff).status_code == 404
        assert client.get(f"/api/submissions/{off_set}", headers=other_staff).status_code == 200
        assert client.get(f"/api/submissions/{on_set}", headers=bob).status_code == 404  # students: their own
        # Staff of a set that opens later do not see what its students did before.
        later = make_staff(server, client, "later")
        create_set(client, later, "s3", opens=now() + dt.timedelta(hours=1), closes=now() + dt.timedelta(hours=2))
        enroll(client, later, "s3", "ada")
        assert client.get(f"/api/submissions/{on_set}", headers=later).status_code == 404
        # A student made staff of the set sees its students' work.
        enroll(client, staff, "s1", "bob", role="staff")
        assert client.get(f"/api/submissions/{on_set}", headers=bob).status_code == 200

    def test_staff_do_not_see_a_report_that_shows_hidden_cases(self, server, client):
        # An admin enrolled as a student: their show_hidden submission holds the hidden cases' expected
        # values, which the set's staff (not admins) are not to read; their plain one counts as any.
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "s1")
        admin = admin_headers(server, client)
        enroll(client, staff, "s1", "root")
        plain = submit_queued(client, admin)
        shown = client.post(f"/api/problems/{CLIP_SLUG}/submissions", json={"source": "x = 1\n", "show_hidden": True},
                            headers=admin).json()["id"]
        assert client.get(f"/api/submissions/{plain}", headers=staff).status_code == 200
        assert client.get(f"/api/submissions/{shown}", headers=staff).status_code == 404
        assert client.get(f"/api/submissions/{shown}", headers=admin).json()["show_hidden"] is True

    def test_a_browser_session_needs_the_csrf_token_to_change_anything(self, server, client):
        staff = make_staff(server, client, "prof")
        code = create_set(client, staff, "s1")["invite_code"]
        with server.client() as browser:  # signed in by cookie, as the pages are
            _sign_up(browser, "ada")
            assert browser.get("/api/sets/s1/progress").status_code == 404  # reads need no token
            refused = browser.post("/api/enrollments", json={"invite_code": code})
            assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
            members = client.get("/api/sets/s1/enrollments", headers=staff).json()
            assert [m["username"] for m in members] == ["prof"]  # nothing was stored
            token = browser.cookies["jaxjudge_csrf"]
            joined = browser.post("/api/enrollments", json={"invite_code": code}, headers={"X-CSRF-Token": token})
            assert joined.status_code == 200 and joined.json()["slug"] == "s1"

    def test_scoreboard_kept_to_the_enrolled(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "private")
        outsider = sign_up(client, "zed")
        assert client.get("/api/sets/private/scoreboard").status_code == 401
        assert client.get("/api/sets/private/scoreboard", headers=outsider).status_code == 404
        assert client.get("/api/sets/missing/scoreboard").status_code == 404


class TestHostileInput:
    @pytest.mark.parametrize("change, where", [
        ({"title": "a\u0000b"}, "title"),
        ({"description": "\ud800"}, "description"),
        ({"slug": "Ünïcode"}, "slug"),
        ({"slug": "x" * 64}, "slug"),
        ({"opens_at": "2026-01-01T00:00:00"}, "opens_at"),              # no offset
        ({"opens_at": "0001-01-01T00:00:00+01:00"}, "opens_at"),        # overflows when moved to UTC
        ({"closes_at": "9999-12-31T23:59:59-23:59"}, "closes_at"),
        ({"closes_at": "2000-01-01T00:00:00Z"}, "closes_at"),           # before opens_at
        ({"problems": [{"problem": CLIP_SLUG, "points": 1}] * 2}, "once"),
        ({"problems": [{"problem": CLIP_SLUG, "points": -1}]}, "points"),
        ({"problems": [{"problem": CLIP_SLUG, "points": 2**63}]}, "points"),
        ({"late_penalty_percent": 101}, "late_penalty_percent"),
        ({"late_penalty_percent": False}, "late_penalty_percent"),     # not a number (schemathesis)
        ({"problems": [{"problem": CLIP_SLUG, "points": "5"}]}, "points"),
        ({"late_policy": "whatever"}, "late_policy"),
        ({"problems": [{"problem": "no-such-problem", "points": 1}]}, "no-such-problem"),
    ])
    def test_bad_set_fields_are_422_with_the_reason(self, server, client, change, where):
        staff = make_staff(server, client, "prof")
        body = {**set_fields("s1"), **change}
        response = client.post("/api/sets", content=json.dumps(body), headers={**staff, "Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unprocessable" and where in response.text
        assert client.get("/api/sets", headers=staff).json() == []

    def test_drafts_cannot_be_in_a_set(self, server, client, session_factory):
        from app.models import Problem

        with session_factory() as session:
            session.query(Problem).filter_by(slug=OTHER_SLUG).one().published = False
            session.commit()
        staff = make_staff(server, client, "prof")
        response = client.post("/api/sets", json=set_fields("s1", problems=((OTHER_SLUG, 1),)), headers=staff)
        assert response.status_code == 422 and "published" in response.json()["detail"]

    def test_malformed_requests_get_json_errors(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "s1")
        json_headers = {**staff, "Content-Type": "application/json"}
        cases = [
            ("POST", "/api/sets", b"{not json", json_headers),
            ("POST", "/api/sets", b"[]", json_headers),
            ("POST", "/api/sets", "\xff\xfe".encode("latin-1"), json_headers),
            ("POST", "/api/sets/s1/enrollments", b'{"usernames": []}', json_headers),
            ("POST", "/api/sets/s1/enrollments", '{"usernames": ["ünï"]}'.encode(), json_headers),
            ("POST", "/api/sets/s1/enrollments", b'{"usernames": ["ada"], "role": "admin"}', json_headers),
            ("POST", "/api/enrollments", '{"invite_code": "\\u0000"}'.encode(), json_headers),
            ("POST", "/api/enrollments", '{"invite_code": "код"}'.encode(), json_headers),
            ("GET", "/api/sets/%C3%BC", None, staff),
            ("GET", "/api/sets/s1%00", None, staff),
            ("GET", "/api/sets/" + "a" * 5000, None, staff),
            ("GET", "/api/sets/s1/submissions?page=0", None, staff),
            ("GET", "/api/sets/s1/submissions?page=99999999999999999999", None, staff),
            ("GET", "/api/sets/s1/submissions?username=%00", None, staff),
            ("GET", "/api/sets/s1/export?format=xlsx", None, staff),
            ("GET", f"/api/submissions/{2**63}", None, staff),
            ("DELETE", "/api/sets/s1/enrollments/%E2%98%83", None, staff),
        ]
        admin = admin_headers(server, client)
        cases.append(("PUT", "/api/admin/users/%00/role", b'{"role": "staff"}',
                      {**admin, "Content-Type": "application/json"}))
        for method, path, body, headers in cases:
            response = client.request(method, path, content=body, headers=headers)
            assert response.status_code == 422, (method, path, response.status_code, response.text)
            assert response.headers["content-type"] == "application/json"
            assert response.json()["code"] == "unprocessable", (method, path)

    def test_non_ascii_text_round_trips_and_someone_elses_set_is_not_theirs(self, server, client):
        staff, rival = make_staff(server, client, "prof"), make_staff(server, client, "rival")
        title = "Übung 1 — 微分 ∂f/∂x 🧮"
        created = client.post("/api/sets", json={**set_fields("s1"), "title": title}, headers=staff).json()
        assert client.get("/api/sets/s1", headers=staff).json()["title"] == title == created["title"]
        # A page of another course's set: 404, as for one that does not exist; nothing changes.
        assert client.put("/api/sets/s1", json={**set_fields("s1"), "title": "mine now"}, headers=rival).status_code == 404
        assert client.delete("/api/sets/s1", headers=rival).status_code == 404
        assert client.put("/api/sets/s1", json=set_fields("s2"), headers=staff).status_code == 422
        assert client.get("/api/sets/s1", headers=staff).json()["title"] == title
        # The path names the set; the body may leave its slug out.
        body = {key: value for key, value in set_fields("s1").items() if key != "slug"}
        changed = client.put("/api/sets/s1", json={**body, "title": "Ü2"}, headers=staff)
        assert changed.status_code == 200 and changed.json()["title"] == "Ü2"


class TestPages:
    def test_pages_answer_each_kind_of_visitor_as_the_api_does(self, server, client):
        staff = make_staff(server, client, "prof")
        created = create_set(client, staff, "s1", scoreboard="public")
        create_set(client, staff, "s2")
        student, outsider = sign_up(client, "ada"), sign_up(client, "zed")
        enroll(client, staff, "s1", "ada")
        anonymous = client.get("/sets", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/sets"
        assert client.get("/sets/new", headers=student).status_code == 403
        assert client.get("/sets/s1", headers=outsider).status_code == 404
        assert "text/html" in client.get("/sets/s1", headers=outsider).headers["content-type"]
        for path in ("/sets/s1/staff", "/sets/s1/edit"):
            assert client.get(path, headers=student).status_code == 403
            assert client.get(path, headers=outsider).status_code == 404
        page = client.get("/sets/s1/staff", headers=staff)
        assert page.status_code == 200 and created["invite_code"] in page.text
        mine = client.get("/sets/s1", headers=student)
        assert mine.status_code == 200 and 'data-testid="progress-clip-passthrough"' in mine.text
        assert created["invite_code"] not in mine.text
        assert client.get("/sets/s1/scoreboard").status_code == 200  # public
        assert client.get("/sets/s2/scoreboard", follow_redirects=False).status_code == 303  # sign in first
        assert client.get("/sets/s2/scoreboard", headers=outsider).status_code == 404
        assert client.get("/sets/%C3%BC", headers=staff).status_code == 422

    def test_the_problem_page_says_which_of_your_sets_it_counts_for(self, server, client):
        staff = make_staff(server, client, "prof")
        create_set(client, staff, "running")
        create_set(client, staff, "over", opens=now() - dt.timedelta(hours=3), closes=now() - dt.timedelta(hours=2),
                   late_policy="penalty", late_penalty_percent=25)
        create_set(client, staff, "not-mine")
        student = sign_up(client, "ada")
        enroll(client, staff, "running", "ada")
        enroll(client, staff, "over", "ada")
        page = client.get(f"/problems/{CLIP_SLUG}", headers=student).text
        assert 'data-testid="in-set-running"' in page and "Submit counts until" in page
        assert 'data-testid="in-set-over"' in page and "marked late and score 75 %" in page
        assert 'data-testid="in-set-not-mine"' not in page
        assert "in-set-" not in client.get(f"/problems/{OTHER_SLUG}", headers=student).text


def test_every_set_endpoint_is_in_the_openapi_document_with_its_errors(server, client):
    paths = client.get("/openapi.json").json()["paths"]
    operations = {(method.upper(), path): op for path, item in paths.items() for method, op in item.items()
                  if "sets" in op.get("tags", [])}
    expected = {("GET", "/api/sets"), ("POST", "/api/sets"), ("POST", "/api/enrollments"),
                ("GET", "/api/sets/{slug}"), ("PUT", "/api/sets/{slug}"), ("DELETE", "/api/sets/{slug}"),
                ("POST", "/api/sets/{slug}/invite-code"), ("GET", "/api/sets/{slug}/enrollments"),
                ("POST", "/api/sets/{slug}/enrollments"), ("DELETE", "/api/sets/{slug}/enrollments/{username}"),
                ("GET", "/api/sets/{slug}/progress"), ("GET", "/api/sets/{slug}/results"),
                ("GET", "/api/sets/{slug}/scoreboard"), ("GET", "/api/sets/{slug}/submissions"),
                ("GET", "/api/sets/{slug}/problems/{problem}/cases"), ("GET", "/api/sets/{slug}/export")}
    assert set(operations) == expected
    for key, op in operations.items():
        assert {"401", "403", "404", "422"} <= set(op["responses"]), key
        assert op.get("summary"), key
    assert "text/csv" in operations["GET", "/api/sets/{slug}/export"]["responses"]["200"]["content"]
    assert "/api/admin/users/{username}/role" in paths


class TestConcurrency:
    def test_joins_and_creations_at_once_are_one_each(self, server, client):
        """The same join sent ten times at once is one enrolment, all answered 200; the same set created
        eight times at once is one set, the rest answered 409 (PostgreSQL: a unique violation caught)."""
        from concurrent.futures import ThreadPoolExecutor

        staff = make_staff(server, client, "prof")
        code = create_set(client, staff, "s1")["invite_code"]
        student = sign_up(client, "ada")

        def join(_):
            with server.client() as own:
                return own.post("/api/enrollments", json={"invite_code": code}, headers=student).status_code

        def create(_):
            with server.client() as own:
                return own.post("/api/sets", json=set_fields("race"), headers=staff).status_code

        with ThreadPoolExecutor(10) as pool:
            joins = list(pool.map(join, range(10)))
            creations = list(pool.map(create, range(8)))
        assert joins == [200] * 10
        members = client.get("/api/sets/s1/enrollments", headers=staff).json()
        assert [(m["username"], m["role"]) for m in members] == [("ada", "student"), ("prof", "staff")]
        assert sorted(creations) == [201] + [409] * 7
        assert [s["slug"] for s in client.get("/api/sets", headers=staff).json()].count("race") == 1
