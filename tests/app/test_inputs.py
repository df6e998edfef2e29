"""Every input answered (issue 14, item 5): each finding of the fuzzing, over real HTTP against the real
app, on SQLite and PostgreSQL where the database takes part. No request gets a 500 or a text error."""

import io
import json
import logging
import threading
import time
import tracemalloc
import zipfile

import pytest
from sqlalchemy import func, select

from app.api import MAX_JSON_DEPTH
from app.config import Settings
from app.deps import CSRF_HEADER, MAX_ID, MAX_PAGE, SESSION_COOKIE
from app.models import Submission, SubmissionMode
from app.problems.schemas import LIMIT_BOUNDS
from app.problems.service import MAX_UNZIPPED_BYTES
from app.users.schemas import MAX_PASSWORD_LENGTH
from tests.app.conftest import LiveServer, admin_headers, sign_up
from tests.conftest import CLIP

SUBMIT = "/api/problems/clip-passthrough/submissions"
PASSWORD = "correct horse battery"
# Where the database plays no part in a finding, SQLite alone; elsewhere both (the database_url fixture).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def server(server_factory):
    return server_factory(workers=0)  # no judging here: nothing starts a sandbox


def assert_error_shape(response, status, code=None):
    """The API's one error shape: JSON {"detail", "code"}, never text and never a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    assert "Traceback" not in response.text
    if code:
        assert body["code"] == code, body
    return body



def problem_fields(client, headers, **changes):
    fields = client.get("/api/admin/problems/clip-passthrough", headers=headers).json()
    return {**fields, "slug": "new-problem", **changes}


@sqlite_only
class TestCredentialBytes:
    """A non-ASCII or non-UTF-8 byte in a token, cookie or CSRF header made hmac.compare_digest raise."""

    @pytest.mark.parametrize("token", [b"Bearer \xc3\xa9", b"Bearer 1.2.\xc3\xa9", b"Bearer 1.9999999999.\xff\xfe",
                                       b"Bearer eyJ1aWQiOjF9.\xff.\x80abc"])
    def test_bearer_token_bytes_are_401(self, server, token):
        with server.client() as client:
            assert_error_shape(client.get("/api/me", headers={"Authorization": token}), 401, "unauthorized")

    @pytest.mark.parametrize("cookie", [b"\xc3\xa9", b"1.2.\xc3\xa9\xff", b"\x80"])
    def test_session_cookie_bytes_are_no_session(self, server, cookie):
        with server.client() as client:
            response = client.get("/api/me", headers={"Cookie": SESSION_COOKIE.encode() + b"=" + cookie})
            assert_error_shape(response, 401, "unauthorized")
            assert client.get("/", headers={"Cookie": SESSION_COOKIE.encode() + b"=" + cookie}).status_code == 200

    def test_csrf_header_bytes_are_403(self, server):
        with server.client() as client:
            sign_up(client, "csrf-bytes")  # sets the session cookie
            for sent in (b"\xc3\xa9", b"\xff" * 40):
                response = client.post("/api/problems/clip-passthrough/hints/next", headers={CSRF_HEADER: sent})
                assert_error_shape(response, 403, "forbidden")
            ok = client.post("/api/problems/clip-passthrough/hints/next",
                             headers={CSRF_HEADER: client.cookies["jaxjudge_csrf"]})
            assert ok.status_code == 200

    def test_sign_in_form_csrf_bytes_are_403(self, server):
        with server.client() as client:
            response = client.post("/login", data={"username": "x", "password": "y", "csrf_token": "é"},
                                   headers={"Cookie": b"jaxjudge_csrf=\xc3\xa9"})
            assert response.status_code == 403 and "Traceback" not in response.text


class TestTokens:
    def test_a_tampered_token_is_401(self, server):
        with server.client() as client:
            headers = sign_up(client, "tamper")
            token = headers["Authorization"].removeprefix("Bearer ")
            assert client.get("/api/me", headers=headers).status_code == 200
            # Not the last character: base64 keeps padding bits there, and A->B may decode to the same
            # signature (this test passed a genuine token about one run in sixteen).
            for i in (0, len(token) // 2, len(token) - 2):
                forged = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
                assert_error_shape(client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}), 401)

    @sqlite_only
    def test_a_token_expires(self, tmp_path, database_url, session_factory):
        from tests.app.conftest import make_settings

        settings = make_settings(tmp_path, database_url, token_ttl_s=1)
        server = LiveServer(settings, session_factory, workers=0)
        try:
            with server.client() as client:
                headers = sign_up(client, "brief")
                assert client.get("/api/me", headers=headers).status_code == 200
                deadline = time.monotonic() + 10
                while client.get("/api/me", headers=headers).status_code == 200:
                    assert time.monotonic() < deadline, "a token with a 1 s lifetime still works after 10 s"
                    time.sleep(0.2)
                assert_error_shape(client.get("/api/me", headers=headers), 401, "unauthorized")
        finally:
            server.close()

    def test_logout_revokes_the_bearer_token_it_was_given(self, server):
        with server.client() as client:
            first = sign_up(client, "leaver")
            second_token = client.post("/api/auth/token", data={"username": "leaver", "password": PASSWORD})
            second = {"Authorization": f"Bearer {second_token.json()['access_token']}"}
            client.cookies.clear()
            assert client.post("/api/auth/logout", headers=first).status_code == 204
            assert_error_shape(client.get("/api/me", headers=first), 401, "unauthorized")
            assert_error_shape(client.post(SUBMIT, json={"source": "x = 1"}, headers=first), 401)
            assert_error_shape(client.post("/api/auth/logout", headers=first), 401)  # once is enough
            assert client.get("/api/me", headers=second).json()["username"] == "leaver"  # only that token

    def test_logout_of_a_browser_revokes_its_session_cookie(self, server):
        with server.client() as client:
            sign_up(client, "browser")
            session_token = client.cookies[SESSION_COOKIE]
            assert client.post("/api/auth/logout").status_code == 403  # a cookie needs its CSRF token
            assert client.post("/api/auth/logout", headers={CSRF_HEADER: client.cookies["jaxjudge_csrf"]}).status_code == 204
            client.cookies.clear()
            assert_error_shape(client.get("/api/me", headers={"Authorization": f"Bearer {session_token}"}), 401)
            assert_error_shape(client.get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={session_token}"}), 401)


class TestBoundedNumbers:
    @pytest.mark.parametrize("submission_id", [2**63, 2**64 + 5, MAX_ID + 1, -1, 0, -(2**63) - 1])
    def test_out_of_range_ids_are_422(self, server, submission_id):
        with server.client() as client:
            headers = {**sign_up(client, "counter"), **admin_headers(server, client)}
            assert_error_shape(client.get(f"/api/submissions/{submission_id}", headers=headers), 422, "unprocessable")
            assert_error_shape(client.post(f"/api/admin/submissions/{submission_id}/rejudge", headers=headers), 422)
            page = client.get(f"/submissions/{submission_id}", headers=headers)
            assert page.status_code == 422 and "Traceback" not in page.text

    def test_the_largest_id_is_a_plain_404(self, server):
        with server.client() as client:
            headers = sign_up(client, "largest")
            assert_error_shape(client.get(f"/api/submissions/{MAX_ID}", headers=headers), 404, "not_found")

    @pytest.mark.parametrize("page", [2**62, 2**63, MAX_PAGE + 1, 0, -5])
    def test_out_of_range_pages_are_422(self, server, page):
        with server.client() as client:
            headers = sign_up(client, "pager")
            assert_error_shape(client.get(f"/api/submissions?page={page}", headers=headers), 422, "unprocessable")

    def test_the_last_page_is_empty(self, server):
        with server.client() as client:
            headers = sign_up(client, "last-page")
            body = client.get(f"/api/submissions?page={MAX_PAGE}&per_page=100", headers=headers).json()
            assert body["items"] == [] and body["page"] == MAX_PAGE


@sqlite_only
class TestCredentialLengths:
    def test_a_megabyte_password_is_422_at_sign_up_and_sign_in(self, server):
        huge = "p" * 1_000_000
        with server.client() as client:
            sign_up(client, "longpass")
            body = assert_error_shape(client.post("/api/auth/register", json={"username": "other", "password": huge}), 422)
            assert body["detail"][0]["loc"] == ["body", "password"]
            body = assert_error_shape(client.post("/api/auth/token", data={"username": "longpass", "password": huge}), 422)
            assert body["detail"][0]["loc"] == ["body", "password"]
            longest = "p" * (MAX_PASSWORD_LENGTH + 1)
            assert_error_shape(client.post("/api/auth/token", data={"username": "longpass", "password": longest}), 422)
            page = client.get("/login")
            form = client.post("/login", data={"username": "longpass", "password": huge,
                                               "csrf_token": client.cookies["jaxjudge_csrf"]})
            assert page.status_code == 200 and form.status_code == 422 and "at most" in form.text
            # None of these counted as a failed sign-in: the right password still works at once.
            assert client.post("/api/auth/token", data={"username": "longpass", "password": PASSWORD}).status_code == 200

    def test_a_long_username_is_422_at_sign_in(self, server):
        with server.client() as client:
            body = assert_error_shape(client.post("/api/auth/token", data={"username": "u" * 10_000,
                                                                             "password": PASSWORD}), 422)
            assert body["detail"][0]["loc"] == ["body", "username"]


def nested(depth, leaf=None):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


class TestJsonDepth:
    @sqlite_only
    @pytest.mark.parametrize("where", ["entry", "cases"])
    def test_admin_create_nested_500_deep_is_422(self, server, where):
        with server.client() as client:
            headers = admin_headers(server, client)
            fields = problem_fields(client, headers)
            if where == "entry":
                fields["entry"] = {**fields["entry"], "x": nested(500)}
            else:
                fields["cases"] = [{**fields["cases"][0], "args": [nested(500, 1.0)]}]
            response = client.post("/api/admin/problems", json=fields, headers=headers)
            assert_error_shape(response, 422, "unprocessable")
            assert "deeper" in response.json()["detail"]
            assert [p["slug"] for p in client.get("/api/admin/problems", headers=headers).json()] == ["clip-passthrough"]

    @sqlite_only
    @pytest.mark.parametrize("body", [b"[" * 100_000, b'{"source": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
                                      json.dumps(nested(MAX_JSON_DEPTH + 1)).encode()])
    def test_any_deep_body_is_422_before_parsing(self, server, body):
        with server.client() as client:
            headers = sign_up(client, "deep")
            for path in (SUBMIT, "/api/auth/register"):
                response = client.post(path, content=body, headers={**headers, "content-type": "application/json"})
                assert_error_shape(response, 422, "unprocessable")

    @sqlite_only
    def test_brackets_and_escaped_quotes_inside_strings_do_not_count(self, server_factory):
        server = server_factory(workers=0)
        source = 'x = "\\\\" + "\\"" + "' + "[" * 5000 + '"\nY = ' + "[" * 60 + "]" * 60 + "\n"
        with server.client() as client:
            headers = sign_up(client, "brackets")
            response = client.post(SUBMIT, json={"source": source, "mode": "run"}, headers=headers)
            assert response.status_code == 202, response.text
            assert client.get(f"/api/submissions/{response.json()['id']}", headers=headers).json()["source"] == source


class TestErrorShape:
    @sqlite_only
    def test_an_unexpected_exception_is_a_json_500_with_the_traceback_only_in_the_log(self, server, caplog):
        def explode():
            raise RuntimeError("secret internals 4711")

        server.app.add_api_route("/api/test/explode", explode, methods=["GET"])
        server.app.add_api_route("/test/explode-page", explode, methods=["GET"])
        caplog.set_level(logging.ERROR, logger="jaxjudge.api")
        with server.client() as client:
            response = client.get("/api/test/explode")
            body = assert_error_shape(response, 500, "internal_error")
            assert "4711" not in response.text and "RuntimeError" not in response.text
            page = client.get("/test/explode-page")
            assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
            assert "4711" not in page.text and "Traceback" not in page.text
            assert client.get("/healthz").json() == {"status": "ok"}  # and the server goes on
        logged = [r for r in caplog.records if r.name == "jaxjudge.api" and r.exc_info]
        assert len(logged) == 2 and "secret internals 4711" in str(logged[0].exc_info[1])
        assert "/api/test/explode" in logged[0].getMessage() and body["detail"]

    @sqlite_only
    def test_405_names_every_allowed_method(self, server):
        with server.client() as client:
            response = client.delete("/api/admin/problems")
            assert_error_shape(response, 405, "method_not_allowed")
            assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}
            response = client.put("/api/auth/token")
            assert_error_shape(response, 405)
            assert [m.strip() for m in response.headers["allow"].split(",")] == ["POST"]

    @sqlite_only
    def test_unknown_paths_and_bad_json_are_the_error_shape(self, server):
        with server.client() as client:
            assert_error_shape(client.get("/api/no/such/thing"), 404, "not_found")
            assert_error_shape(client.post("/api/auth/register", content=b"{", headers={"content-type": "application/json"}), 422)
            assert_error_shape(client.post("/api/auth/register", content=b'{"username": "\\ud800abc", "password": 5}',
                                           headers={"content-type": "application/json"}), 422)


class TestAuthoredProblems:
    @sqlite_only
    @pytest.mark.parametrize("change", [
        {"limits": {"wall_time_s": 1e308}}, {"limits": {"memory_mb": LIMIT_BOUNDS["memory_mb"] + 1}},
        {"limits": {"cpu_time_s": -1}}, {"limits": {"wall_time_s": "inf"}}, {"limits": {"unknown_limit": 1}},
        {"tags": ["ok", "no\x00"]}, {"tolerance": {"float32": 5}},
        {"tolerance": {"float32": {"rtol": "abc"}}}, {"entry": {"name": "clip_passthrough", "signature": 7}},
    ])
    def test_out_of_bounds_or_unstorable_fields_are_422(self, server, change):
        with server.client() as client:
            headers = admin_headers(server, client)
            response = client.post("/api/admin/problems", json=problem_fields(client, headers, **change), headers=headers)
            assert_error_shape(response, 422, "unprocessable")
            assert client.get("/api/admin/problems/new-problem", headers=headers).status_code == 404

    @pytest.mark.parametrize("change", [{"title": "a\x00b"}, {"statement": "# x\x00"}])
    def test_a_nul_in_a_title_or_statement_is_422(self, server, change):
        # PostgreSQL's text type cannot hold NUL: stored, it was a 500 there (and silently kept on SQLite).
        with server.client() as client:
            headers = admin_headers(server, client)
            response = client.post("/api/admin/problems", json=problem_fields(client, headers, **change), headers=headers)
            assert_error_shape(response, 422, "unprocessable")
            assert client.get("/api/admin/problems/new-problem", headers=headers).status_code == 404

    @sqlite_only
    def test_nul_in_a_case_and_a_lone_surrogate_are_422(self, server):
        with server.client() as client:
            headers = admin_headers(server, client)
            fields = problem_fields(client, headers)
            fields["cases"] = [{**fields["cases"][0], "name": "sample\x00"}]
            assert_error_shape(client.post("/api/admin/problems", json=fields, headers=headers), 422)
            text = json.dumps(problem_fields(client, headers)).replace('"title": "', '"title": "\\ud800', 1)
            response = client.post("/api/admin/problems", content=text.encode(),
                                   headers={**headers, "content-type": "application/json"})
            assert_error_shape(response, 422)
            preview = client.post("/api/admin/preview", content=b'{"markdown": "\\ud800"}',
                                  headers={**headers, "content-type": "application/json"})
            assert_error_shape(preview, 422)

    @sqlite_only
    def test_limits_at_their_bounds_are_stored(self, server):
        with server.client() as client:
            headers = admin_headers(server, client)
            fields = problem_fields(client, headers, limits={"wall_time_s": LIMIT_BOUNDS["wall_time_s"], "memory_mb": 4096})
            assert client.post("/api/admin/problems", json=fields, headers=headers).status_code == 201
            stored = client.get("/api/admin/problems/new-problem", headers=headers).json()
            assert stored["limits"] == {"wall_time_s": LIMIT_BOUNDS["wall_time_s"], "memory_mb": 4096}


def package_zip(**replace):
    """clip-passthrough as a zip, with files replaced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in CLIP.rglob("*"):
            name = str(path.relative_to(CLIP))
            if path.is_file() and name not in replace and "__pycache__" not in name:
                archive.write(path, name)
        for name, data in replace.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lying_zip(real_bytes, declared_bytes):
    """A package whose statement.md inflates to `real_bytes` zeros while the zip says `declared_bytes`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("problem.toml", "reference.py", "starter.py"):
            archive.write(CLIP / name, name)
        with archive.open("statement.md", "w") as entry:
            chunk = bytes(1 << 20)
            for _ in range(real_bytes >> 20):
                entry.write(chunk)
    data = bytearray(buffer.getvalue())
    # Rewrite the uncompressed size in the central directory (what readers trust) to the lie.
    at = 0
    while (at := data.find(b"PK\x01\x02", at + 1)) != -1:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_length] == b"statement.md":
            data[at + 24:at + 28] = declared_bytes.to_bytes(4, "little")
            return bytes(data)
    raise AssertionError("no central directory entry for statement.md")


class TestZipImport:
    @sqlite_only
    def test_an_entry_that_lies_about_its_size_costs_no_more_than_the_cap(self, server_factory):
        server = server_factory(workers=0)
        real = 256 << 20
        data = lying_zip(real, declared_bytes=1000)
        with server.client() as client:
            headers = admin_headers(server, client)
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                response = client.post("/api/admin/problems/import", headers=headers,
                                       files={"package": ("lie.zip", data, "application/zip")})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert response.status_code in (413, 422), response.text
            assert_error_shape(response, response.status_code)
            # Everything allocated while answering, the upload included, stays far below the entry's real size.
            assert peak < 4 * MAX_UNZIPPED_BYTES < real, f"peak {peak >> 20} MiB"

    @sqlite_only
    def test_entries_over_the_cap_in_total_are_413(self, server_factory):
        server = server_factory(workers=0)
        data = package_zip(**{"statement.md": b"#" * (MAX_UNZIPPED_BYTES + 1)})
        with server.client() as client:
            headers = admin_headers(server, client)
            response = client.post("/api/admin/problems/import", headers=headers,
                                   files={"package": ("big.zip", data, "application/zip")})
            assert_error_shape(response, 413, "payload_too_large")

    @sqlite_only
    @pytest.mark.parametrize("replace", [
        {"statement.md": b"# Statement\x00"},
        {"problem.toml": (CLIP / "problem.toml").read_bytes().replace(b"wall_time_s = 20", b"wall_time_s = 1e308")},
        {"problem.toml": (CLIP / "problem.toml").read_bytes().replace(b"[tolerance.float32]\nrtol = 1e-6\natol = 1e-6",
                                                                      b"[tolerance]\nfloat32 = 5")},
    ])
    def test_unstorable_or_unbounded_packages_are_422(self, server_factory, replace):
        server = server_factory(workers=0)
        with server.client() as client:
            headers = admin_headers(server, client)
            response = client.post("/api/admin/problems/import", headers=headers,
                                   files={"package": ("p.zip", package_zip(**replace), "application/zip")})
            assert_error_shape(response, 422, "unprocessable")
            assert client.get("/api/admin/problems", headers=headers).json()[0]["versions"] == 1


def test_validation_is_one_run_per_version_however_often_asked(server_factory):
    server = server_factory(workers=0)  # nothing judges: every validation job stays queued
    examples = len(grader_examples())
    with server.client() as client:
        headers = admin_headers(server, client)
        codes = []

        def ask(times):
            with server.client() as own:
                codes.extend(own.post("/api/admin/problems/clip-passthrough/validate", headers=headers).status_code
                             for _ in range(times))

        threads = [threading.Thread(target=ask, args=(7,)) for _ in range(4)]  # 28 requests, 4 at a time
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        matrix = client.get("/api/admin/problems/clip-passthrough/validation", headers=headers).json()
    assert codes == [202] * 28
    with server.session_factory() as session:
        queued = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.mode == SubmissionMode.VALIDATE.value))
    assert queued == 1 + examples  # the reference and each example, once
    assert len(matrix["rows"]) == 1 + examples and not matrix["complete"]


def grader_examples():
    import grader

    return grader.load_problem(CLIP).examples


def wrong_sign_ins(client, username, count, forwarded_for=None):
    codes = []
    for i in range(count):
        headers = {"X-Forwarded-For": f"203.0.113.{i + 1}"} if forwarded_for else {}
        codes.append(client.post("/api/auth/token", data={"username": username, "password": "wrong password"},
                                 headers=headers).status_code)
    return codes


class TestSignInLimiter:
    def test_x_forwarded_for_from_loopback_does_not_bypass_it(self, server, settings):
        with server.client() as client:
            sign_up(client, "target")
            assert wrong_sign_ins(client, "target", settings.login_attempts, forwarded_for=True) == \
                [401] * settings.login_attempts
            limited = client.post("/api/auth/token", data={"username": "target", "password": PASSWORD},
                                  headers={"X-Forwarded-For": "198.51.100.7"})
            assert_error_shape(limited, 429, "too_many_requests")
            assert int(limited.headers["Retry-After"]) > 0

    def test_a_trusted_proxy_is_believed(self, tmp_path, database_url, session_factory):
        from app.cli import import_problem_dirs
        from tests.app.conftest import make_settings

        import_problem_dirs(session_factory, [CLIP], publish=True)
        settings = make_settings(tmp_path, database_url, trusted_proxies="127.0.0.1")
        server = LiveServer(settings, session_factory, workers=0)
        try:
            with server.client() as client:
                sign_up(client, "behind-proxy")
                # Each guess comes from another client address, as the proxy says: none reaches the limit.
                assert set(wrong_sign_ins(client, "behind-proxy", settings.login_attempts + 2, forwarded_for=True)) == {401}
                assert client.post("/api/auth/token", data={"username": "behind-proxy", "password": PASSWORD},
                                   headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200
        finally:
            server.close()

    def test_every_api_process_sees_the_same_counts(self, server_factory, settings, session_factory):
        first = server_factory(workers=0)
        second = LiveServer(settings, session_factory, workers=0)  # another app: nothing shared but the database
        try:
            with first.client() as a, second.client() as b:
                sign_up(a, "shared")
                split = settings.login_attempts // 2
                assert wrong_sign_ins(a, "shared", split) + wrong_sign_ins(b, "shared", settings.login_attempts - split) \
                    == [401] * settings.login_attempts
                assert_error_shape(a.post("/api/auth/token", data={"username": "shared", "password": PASSWORD}), 429)
                assert_error_shape(b.post("/api/auth/token", data={"username": "shared", "password": PASSWORD}), 429)
        finally:
            second.close()

    def test_a_correct_password_resets_the_count(self, server, settings):
        with server.client() as client:
            sign_up(client, "forgetful")
            for _ in range(3):
                assert set(wrong_sign_ins(client, "forgetful", settings.login_attempts - 1)) == {401}
                assert client.post("/api/auth/token", data={"username": "forgetful", "password": PASSWORD}).status_code == 200


def test_trusted_proxies_setting_is_a_comma_separated_list_of_addresses(monkeypatch):
    monkeypatch.setenv("JAXJUDGE_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1")
    assert Settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16", "::1"]
    monkeypatch.setenv("JAXJUDGE_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("JAXJUDGE_TRUSTED_PROXIES", "proxy.example")
    with pytest.raises(ValueError, match="not an IP address"):
        Settings()


def test_timestamps_carry_their_utc_offset(server):
    import datetime as dt

    with server.client() as client:
        headers = sign_up(client, "clock")
        sid = client.post(SUBMIT, json={"source": "x = (", "mode": "run"}, headers=headers).json()["id"]
        stamps = [client.get("/api/me", headers=headers).json()["created_at"],
                  client.get(f"/api/submissions/{sid}", headers=headers).json()["created_at"],
                  client.get("/api/submissions", headers=headers).json()["items"][0]["created_at"]]
    for stamp in stamps:
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0), stamp
