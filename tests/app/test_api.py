"""The REST API over real HTTP (uvicorn), with a real embedded worker and the real sandbox."""

import pytest

from app.cli import import_problem_dirs
from app.models import Problem, Role
from app.problems.service import grader_problem
from app.users.service import set_admin
from tests.app.conftest import sign_up, wait_judged
from tests.conftest import CLIP, ROOT

# Every package of the catalogue and of tests/problems: each round-trips through the authoring fields.
PACKAGES = sorted(p.parent for p in [*ROOT.glob("problems/*/problem.toml"), *ROOT.glob("tests/problems/*/problem.toml")])

ACCEPTED = (CLIP / "submissions" / "accepted" / "custom_jvp.py").read_text()
PLAIN_CLIP = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_text()
SUBMIT = "/api/problems/clip-passthrough/submissions"


@pytest.fixture
def database_url(tmp_path):  # these tests run on SQLite; test_postgres.py repeats the core on PostgreSQL
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def admin_headers(server, session_factory):
    with session_factory() as session:
        set_admin(session, username="root", password="admin password 1")
        session.commit()
    with server.client() as client:
        token = client.post("/api/auth/token", data={"username": "root", "password": "admin password 1"})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


class TestAccounts:
    def test_register_token_me(self, server):
        with server.client() as client:
            headers = sign_up(client, "Alice")
            me = client.get("/api/me", headers=headers).json()
            assert me["username"] == "Alice" and me["role"] == Role.USER.value

    def test_concurrent_sign_ups_and_submissions_all_succeed(self, server):
        # SQLite answers "database is locked" at once to a transaction that reads, then writes, while
        # another writes; the engine begins IMMEDIATE so they queue instead (no 500s under load).
        import threading

        codes = []

        def user(i):
            with server.client() as client:
                headers = sign_up(client, f"crowd{i}")
                codes.append(client.post(SUBMIT, json={"source": "x = (", "mode": "run"}, headers=headers).status_code)

        threads = [threading.Thread(target=user, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [202] * 12

    def test_duplicate_username_is_409_case_insensitively(self, server):
        with server.client() as client:
            sign_up(client, "bob")
            response = client.post("/api/auth/register", json={"username": "BOB", "password": "another password"})
            assert response.status_code == 409 and response.json()["code"] == "conflict"

    def test_bad_registration_is_422(self, server):
        with server.client() as client:
            for body in ({"username": "a", "password": "long enough"}, {"username": "ok_name", "password": "short"},
                         {"username": "bad name!", "password": "long enough"}):
                assert client.post("/api/auth/register", json=body).status_code == 422

    def test_wrong_password_401_then_rate_limited_429(self, server):
        with server.client() as client:
            sign_up(client, "carol")
            codes = [client.post("/api/auth/token", data={"username": "carol", "password": "nope nope"}).status_code
                     for _ in range(server_limit(server))]
            assert set(codes) == {401}
            limited = client.post("/api/auth/token", data={"username": "carol", "password": "correct horse battery"})
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
            unknown = client.post("/api/auth/token", data={"username": "nobody", "password": "whatever1"})
            assert unknown.status_code == 401  # same answer as a wrong password

    def test_anonymous_me_is_401_and_a_forged_token_too(self, server):
        with server.client() as client:
            assert client.get("/api/me").status_code == 401
            assert client.get("/api/me", headers={"Authorization": "Bearer 1.9999999999.forged"}).status_code == 401


def server_limit(server):
    return server.server.config.app.state.settings.login_attempts


class TestProblems:
    def test_anonymous_can_read_the_list_and_statement(self, server):
        with server.client() as client:
            listed = client.get("/api/problems").json()
            assert [p["slug"] for p in listed] == ["clip-passthrough"]
            assert listed[0]["solved"] is None
            detail = client.get("/api/problems/clip-passthrough").json()
            assert "straight-through" in detail["statement"] and detail["entry_point"] == "clip_passthrough"
            assert detail["samples"][0]["name"] == "worked-example"
            assert "reference" not in detail and "_clip_passthrough_jvp" not in str(detail)

    def test_the_list_is_in_a_suggested_order(self, server, session_factory):
        # log-sigmoid names stable-softplus, which names clip-passthrough; without prerequisites the
        # easier comes first (logsumexp-last-axis is easy, hessian-vector-product medium), then the older.
        slugs = ["log-sigmoid", "hessian-vector-product", "stable-softplus", "logsumexp-last-axis"]
        import_problem_dirs(session_factory, [CLIP.parent / slug for slug in slugs], publish=True)
        with server.client() as client:
            listed = client.get("/api/problems").json()
        assert [p["slug"] for p in listed] == ["clip-passthrough", "logsumexp-last-axis", "stable-softplus",
                                                "log-sigmoid", "hessian-vector-product"]
        assert {p["slug"]: p["prerequisites"] for p in listed}["log-sigmoid"] == ["stable-softplus"]

    def test_unknown_problem_404(self, server):
        with server.client() as client:
            assert client.get("/api/problems/nope").status_code == 404

    def test_hints_one_at_a_time(self, server):
        with server.client() as client:
            headers = sign_up(client, "dan")
            assert client.get("/api/problems/clip-passthrough/hints", headers=headers).json()["revealed"] == []
            first = client.post("/api/problems/clip-passthrough/hints/next", headers=headers).json()
            assert len(first["revealed"]) == 1 and first["total"] >= 3
        with server.client() as anonymous:
            assert anonymous.post("/api/problems/clip-passthrough/hints/next").status_code == 401

    def test_solution_needs_asking_or_accepted(self, server):
        with server.client() as client:
            headers = sign_up(client, "erin")
            assert client.get("/api/problems/clip-passthrough/solution", headers=headers).status_code == 403
            asked = client.post("/api/problems/clip-passthrough/solution", headers=headers).json()
            assert asked["reason"] == "asked" and "custom_jvp" in asked["source"]
            assert client.get("/api/problems/clip-passthrough/solution", headers=headers).json()["reason"] == "asked"


class TestSubmissions:
    def test_anonymous_cannot_submit(self, server):
        with server.client() as client:
            assert client.post(SUBMIT, json={"source": ACCEPTED}).status_code == 401

    def test_a_passing_run_solves_nothing(self, server):
        """Run judges the samples only: an ACCEPTED Run neither marks the problem solved nor shows the
        reference solution (issue 16); the problem is attempted."""
        with server.client() as client:
            headers = sign_up(client, "runner")
            run = client.post(SUBMIT, json={"source": ACCEPTED, "mode": "run"}, headers=headers).json()
            assert wait_judged(client, run["id"], headers)["verdict"] == "ACCEPTED"
            listed = client.get("/api/problems", headers=headers).json()[0]
            assert (listed["solved"], listed["attempted"]) == (False, True)
            assert client.get("/api/problems/clip-passthrough", headers=headers).json()["solved"] is False
            assert client.get("/api/problems/clip-passthrough/solution", headers=headers).status_code == 403

    def test_run_then_submit_accepted_and_marks(self, server):
        with server.client() as client:
            headers = sign_up(client, "frank")
            run = client.post(SUBMIT, json={"source": PLAIN_CLIP, "mode": "run"}, headers=headers)
            assert run.status_code == 202 and run.json()["status"] == "queued"
            judged = wait_judged(client, run.json()["id"], headers)
            assert judged["verdict"] == "WRONG_ANSWER" and judged["report"]["samples_only"] is True
            assert any(c["check"] == "grad" and c["status"] == "wrong" for c in judged["report"]["checks"])
            sub = client.post(SUBMIT, json={"source": ACCEPTED}, headers=headers).json()
            assert wait_judged(client, sub["id"], headers)["verdict"] == "ACCEPTED"
            listed = client.get("/api/problems", headers=headers).json()[0]
            assert listed["solved"] is True and listed["acceptance_rate"] == 1.0
            assert client.get("/api/problems/clip-passthrough/solution", headers=headers).json()["reason"] == "accepted"
            mine = client.get("/api/submissions?mine=1&problem=clip-passthrough", headers=headers).json()
            assert [s["id"] for s in mine["items"]] == [sub["id"], run.json()["id"]] and mine["total"] == 2

    def test_hidden_cases_are_shown_to_an_admin_who_asks_and_to_no_one_else(self, server, admin_headers):
        # The same wrong submission, judged for a learner and for an admin with show_hidden: the hidden
        # cases' expected and got are in the admin's report only, and a learner who asks is refused.
        def hidden_failures(report):
            return [c for c in report["checks"] if not c["sample"] and c["status"] == "wrong"]

        with server.client() as client:
            learner = sign_up(client, "kate")
            refused = client.post(SUBMIT, json={"source": PLAIN_CLIP, "show_hidden": True}, headers=learner)
            assert refused.status_code == 403 and "admin" in refused.json()["detail"]
            assert client.get("/api/submissions", headers=learner).json()["total"] == 0  # nothing queued
            theirs = client.post(SUBMIT, json={"source": PLAIN_CLIP}, headers=learner).json()["id"]
            ours = client.post(SUBMIT, json={"source": PLAIN_CLIP, "show_hidden": True}, headers=admin_headers).json()["id"]
            theirs, ours = wait_judged(client, theirs, learner), wait_judged(client, ours, admin_headers)
        assert (theirs["show_hidden"], ours["show_hidden"]) == (False, True)
        assert theirs["verdict"] == ours["verdict"] == "WRONG_ANSWER"
        assert hidden_failures(theirs["report"]) and hidden_failures(ours["report"])
        assert not any("expected" in c or "got" in c for c in hidden_failures(theirs["report"]))
        assert all(c["expected"] and c["got"] for c in hidden_failures(ours["report"]))

    def test_another_users_submission_is_404(self, server):
        with server.client() as client:
            owner, other = sign_up(client, "gina"), sign_up(client, "hank")
            sid = client.post(SUBMIT, json={"source": "x = (", "mode": "run"}, headers=owner).json()["id"]
            assert client.get(f"/api/submissions/{sid}", headers=other).status_code == 404
            assert client.get(f"/api/submissions/{sid + 1000}", headers=other).status_code == 404
            assert client.get("/api/submissions?mine=0", headers=other).json()["total"] == 0
            assert client.post(f"/api/admin/submissions/{sid}/rejudge", headers=other).status_code == 403

    @pytest.mark.parametrize("body, status", [
        ('{"source": "%s"}' % ("#" * (64 * 1024 + 1)), 413),
        ('{"source": "x = 1\\u0000"}', 422),
        ('{"source": "\\ud800"}', 422),  # a lone surrogate: valid JSON, not UTF-8
        ('{"source": 12}', 422),
        ('{"source": "x", "mode": "debug"}', 422),
    ])
    def test_bad_sources(self, server, body, status):
        with server.client() as client:
            headers = sign_up(client, "ivan")
            response = client.post(SUBMIT, content=body.encode(),
                                   headers={**headers, "content-type": "application/json"})
            assert response.status_code == status
            assert client.get("/api/submissions", headers=headers).json()["total"] == 0  # nothing stored

    def test_non_utf8_body_is_422(self, server):
        with server.client() as client:
            headers = sign_up(client, "judy")
            response = client.post(SUBMIT, content=b'{"source": "\xff\xfe"}',
                                   headers={**headers, "content-type": "application/json"})
            assert response.status_code == 422

    def test_huge_body_is_413_before_parsing(self, server):
        with server.client() as client:
            headers = sign_up(client, "kim")
            response = client.post(SUBMIT, content=b"{" + b" " * (2 << 20) + b"}",
                                   headers={**headers, "content-type": "application/json"})
            assert response.status_code == 413

    @pytest.mark.parametrize("path, kind", [
        ("/api/auth/register", "application/json"), (SUBMIT, "application/json"),
        ("/signup", "application/x-www-form-urlencoded"),
        ("/api/admin/problems/import", "multipart/form-data; boundary=x")])
    def test_chunked_body_without_a_length_is_capped_too(self, server, admin_headers, path, kind):
        # No Content-Length: the bytes are counted as they arrive. 10 MiB is over every limit (1 MiB; 9 for zips).
        def chunks():
            if kind.startswith("multipart"):  # a well-formed start, so the parser reads on
                yield (b'--x\r\nContent-Disposition: form-data; name="package"; filename="p.zip"\r\n'
                       b"Content-Type: application/zip\r\n\r\n")
            for _ in range(160):
                yield b" " * (64 << 10)

        with server.client() as client:
            response = client.post(path, content=chunks(), headers={**admin_headers, "content-type": kind})
            assert response.request.headers.get("transfer-encoding") == "chunked"
            assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
            small = client.post("/api/auth/register", content=iter([b'{"username": "chunky", ', b'"password": "long enough 1"}']),
                                headers={"content-type": "application/json"})
            assert small.status_code == 201  # a chunked body under the limit goes through

    def test_too_many_in_flight_is_429_with_retry_after(self, server_factory, settings):
        server = server_factory(workers=0)  # nothing judges: submissions stay queued
        with server.client() as client:
            headers = sign_up(client, "lee")
            for _ in range(settings.max_in_flight_per_user):
                assert client.post(SUBMIT, json={"source": ACCEPTED}, headers=headers).status_code == 202
            response = client.post(SUBMIT, json={"source": ACCEPTED}, headers=headers)
            assert response.status_code == 429 and response.headers["Retry-After"]

    def test_full_queue_is_503_with_retry_after(self, server_factory, settings):
        server = server_factory(workers=0)
        settings.max_queue = 2
        with server.client() as client:
            for name in ("mia", "ned"):
                assert client.post(SUBMIT, json={"source": ACCEPTED}, headers=sign_up(client, name)).status_code == 202
            response = client.post(SUBMIT, json={"source": ACCEPTED}, headers=sign_up(client, "oli"))
            assert response.status_code == 503 and response.headers["Retry-After"]


class TestCookieSessions:
    def test_cookie_session_needs_the_csrf_token_for_writes(self, server):
        with server.client() as client:
            sign_up(client, "pam")  # the token response also set the session and CSRF cookies
            assert client.get("/api/me").json()["username"] == "pam"
            assert client.post("/api/problems/clip-passthrough/hints/next").status_code == 403
            csrf = client.cookies["jaxjudge_csrf"]
            ok = client.post("/api/problems/clip-passthrough/hints/next", headers={"X-CSRF-Token": csrf})
            assert ok.status_code == 200


class TestAdmin:
    def test_roles(self, server, admin_headers):
        with server.client() as client:
            assert client.get("/api/admin/problems").status_code == 401
            user = sign_up(client, "quinn")
            assert client.get("/api/admin/problems", headers=user).status_code == 403
            assert client.get("/api/admin/problems", headers=admin_headers).status_code == 200

    @pytest.mark.parametrize("method, path", [
        ("GET", "/api/admin/problems"), ("POST", "/api/admin/problems"),
        ("PUT", "/api/admin/problems/clip-passthrough"), ("POST", "/api/admin/problems/import"),
        ("POST", "/api/admin/problems/clip-passthrough/validate"),
        ("GET", "/api/admin/problems/clip-passthrough/validation"),
        ("POST", "/api/admin/problems/clip-passthrough/publish"),
        ("POST", "/api/admin/problems/clip-passthrough/unpublish"),
        ("POST", "/api/admin/problems/clip-passthrough/rejudge"), ("POST", "/api/admin/submissions/1/rejudge"),
        ("GET", "/api/admin/problems/clip-passthrough"), ("POST", "/api/admin/preview"),
    ])
    def test_every_admin_endpoint_refuses_others(self, server, method, path):
        with server.client() as anonymous:
            assert anonymous.request(method, path).status_code == 401
        with server.client() as client:
            user = sign_up(client, "mallory")
        with server.client() as client:
            assert client.request(method, path, headers=user).status_code == 403

    def test_author_validate_publish_and_solve(self, server, admin_headers):
        body = {
            "slug": "double-it", "title": "Double it", "difficulty": "easy", "tags": ["basics"],
            "entry": {"name": "double", "signature": "double(x)", "diff_argnums": [0], "batch_argnums": [0]},
            "cases": [{"name": "sample", "sample": True, "args": [{"values": [1.0, -2.0, "inf"],
                                                                   "dtype": "float32"}]},
                      {"name": "hidden", "args": [{"values": [0.5, 4.0], "dtype": "float32"}]}],
            "statement": "# Double it\nReturn 2x.", "starter": "def double(x):\n    ...\n",
            "reference": "def double(x):\n    return 2 * x\n",
            "examples": [{"name": "triple", "expected": "wrong_answer", "source": "def double(x):\n    return 3 * x\n"}],
        }
        with server.client() as client:
            created = client.post("/api/admin/problems", json=body, headers=admin_headers)
            assert created.status_code == 201, created.text
            user = sign_up(client, "rita")
            assert client.get("/api/problems/double-it", headers=user).status_code == 404  # a draft
            refused = client.post("/api/admin/problems/double-it/publish", headers=admin_headers)
            assert refused.status_code == 409
            started = client.post("/api/admin/problems/double-it/validate", headers=admin_headers).json()
            assert {r["example"] for r in started["rows"]} == {"reference.py", "submissions/wrong_answer/triple.py"}
            matrix = poll(lambda: client.get("/api/admin/problems/double-it/validation", headers=admin_headers).json(),
                          lambda m: m["complete"])
            assert matrix["passed"], matrix
            # A validate run shows its author why an example failed a hidden case.
            triple = next(r for r in matrix["rows"] if r["example"].endswith("triple.py"))
            report = client.get(f"/api/submissions/{triple['submission_id']}", headers=admin_headers).json()["report"]
            assert any(c["case"] == "hidden" and c["got"] for c in report["checks"] if c["status"] == "wrong")
            assert client.post("/api/admin/problems/double-it/publish", headers=admin_headers).json()["published"]
            sid = client.post("/api/problems/double-it/submissions", json={"source": "def double(x):\n    return x + x\n"},
                              headers=user).json()["id"]
            assert wait_judged(client, sid, user)["verdict"] == "ACCEPTED"
            rejudged = client.post(f"/api/admin/submissions/{sid}/rejudge", headers=admin_headers).json()
            assert rejudged == {"requeued": 1}
            assert wait_judged(client, sid, user)["verdict"] == "ACCEPTED"

    @pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
    def test_fields_round_trip_to_the_same_problem(self, server, admin_headers, package):
        # GET the fields of a package written by hand, PUT them back: a new version (problem.toml is
        # rewritten without comments) that the grader reads as the same problem; a second PUT changes
        # nothing. Its checks, rules, checker and static arguments too, which the fields once dropped.
        import grader

        import_problem_dirs(server.session_factory, [package], publish=False)
        slug = package.name
        with server.client() as client:
            fields = client.get(f"/api/admin/problems/{slug}", headers=admin_headers).json()
            if package == CLIP:  # JSON has no NaN
                assert next(c for c in fields["cases"] if c["name"] == "nan-and-infinities")["args"][0]["values"][:3] == ["nan", "inf", "-inf"]
            assert len(fields["examples"]) == len(grader.load_problem(package).examples)
            first = client.put(f"/api/admin/problems/{slug}", json=fields, headers=admin_headers).json()
            again = client.put(f"/api/admin/problems/{slug}", json=fields, headers=admin_headers).json()
            assert (first["version"], first["changed"], again["version"], again["changed"]) == (2, True, 2, False)
        original = grader.load_problem(package)
        with server.session_factory() as session:
            stored = grader_problem(session.query(Problem).filter_by(slug=slug).one().current_version)
        for name in ("entry", "limits", "tolerances", "check_tolerances", "wrong_answer_hints", "hints", "statement",
                     "starter", "checks", "rules", "groups", "checker", "checker_checks", "prerequisites"):
            assert getattr(stored, name) == getattr(original, name), name
        # repr, because NaN != NaN: the cases must hold NaN in the same places.
        assert repr([c.to_json() for c in stored.cases]) == repr([c.to_json() for c in original.cases])
        assert {(e.name, e.expected, e.source) for e in stored.examples} == \
               {(e.name, e.expected, e.source) for e in original.examples}

    def test_preview_renders_markdown_safely(self, server, admin_headers):
        with server.client() as client:
            html = client.post("/api/admin/preview", headers=admin_headers, json={
                "markdown": "**b** <img src=x onerror=alert(1)> [x](javascript:alert(1))\n\n```python\nx = 1\n```"}).json()["html"]
        assert "<strong>b</strong>" in html
        assert "<img" not in html and "&lt;img" in html
        assert 'href="javascript' not in html
        assert '<span class="n">x</span>' in html  # highlighted

    def test_zip_import_creates_a_version(self, server, admin_headers, tmp_path):
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in CLIP.rglob("*"):
                if path.is_file() and path.name != "statement.md":
                    archive.write(path, "clip-passthrough/" + str(path.relative_to(CLIP)))
            archive.writestr("clip-passthrough/statement.md", "# Changed statement\n")
        with server.client() as client:
            response = client.post("/api/admin/problems/import", headers=admin_headers,
                                   files={"package": ("clip.zip", buffer.getvalue(), "application/zip")})
            assert response.json() == {"slug": "clip-passthrough", "version": 2, "changed": True}
            bad = client.post("/api/admin/problems/import", headers=admin_headers,
                              files={"package": ("x.zip", b"not a zip", "application/zip")})
            assert bad.status_code == 422


def poll(fetch, done, timeout=180):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"not done in {timeout}s: {value}")
