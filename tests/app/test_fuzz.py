"""schemathesis over the app's /openapi.json (issue 14, item 6): every check it has, anonymous, as a user
and as an admin, against a real `jaxjudge serve` over HTTP. Any 5xx, a response the schema does not
describe (status, content type, headers, body), a request the schema allows that is refused or one it
forbids that is accepted, a wrong `Allow`, auth that is ignored: each fails the test, with
schemathesis's report (and its `curl` to reproduce) in the message.

Bounded: MAX_EXAMPLES cases per operation and phase, one schemathesis worker, a fixed seed, and a
time bound on the whole run. What schemathesis counts as a refusal or an acceptance is widened only
where the API says so on purpose (tests/app/schemathesis.toml says where and why).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.conftest import admin_headers, sign_up

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 15
SEED = 14
RUN_BOUND_S = 420
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def bearer(serve, role):
    import httpx

    with httpx.Client(base_url=serve.url, timeout=60) as client:
        # The sets the set operations are pointed at (schemathesis.toml), with the fuzzing user a student.
        sign_up(client, "fuzzer")
        for slug, scoreboard in (("fuzz-set", "public"), ("fuzz-doomed", "enrolled")):
            serve.cli("sets", "create", slug, "--title", "Fuzz", "--problems", "clip-passthrough", "--opens",
                      "2026-01-01T00:00:00Z", "--closes", "2036-01-01T00:00:00Z", "--scoreboard", scoreboard)
            serve.cli("sets", "enroll", slug, "fuzzer")
        if role == "anonymous":
            return None
        if role == "user":
            token = client.post("/api/auth/token", data={"username": "fuzzer", "password": "correct horse battery"})
            return f"Bearer {token.json()['access_token']}"
        serve.cli("create-admin", "--username", "root", "--password", "admin password 1")
        token = client.post("/api/auth/token", data={"username": "root", "password": "admin password 1"})
        return f"Bearer {token.json()['access_token']}"


@sqlite_only
@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])
def test_schemathesis_finds_nothing(serve, role, tmp_path):
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
               f"{serve.url}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
               "--seed", str(SEED), "--workers", "1", "--request-timeout", "60", "--no-color",
               "--suppress-health-check", "too_slow",
               # A submission's event stream lasts until its verdict, and nothing judges here (no
               # workers): a stream of a queued submission only ends at the request timeout. Its
               # refusals (401, 404, 422 for ids and Last-Event-ID) are tested in test_events.py.
               "--exclude-path", "/api/submissions/{submission_id}/events"]
    token = bearer(serve, role)
    if token is not None:
        # Signing out would revoke the very token the rest of the run is made with; the anonymous run
        # fuzzes /api/auth/logout.
        command += ["--header", f"Authorization: {token}", "--exclude-path", "/api/auth/logout"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_BOUND_S)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-12000:]
    tested = re.search(r"Tested: (\d+)", report)
    assert tested and int(tested.group(1)) >= 20, report[-3000:]  # every operation, less logout's
    assert "Traceback" not in serve.log_text()


# Each finding of the runs above, with its own test (real HTTP against the in-process server).

@pytest.fixture
def server(server_factory):
    return server_factory(workers=0)


@sqlite_only
class TestFindings:
    def test_the_upload_path_serves_post_alone(self, server):
        """allow_header_conformance: OPTIONS /api/admin/problems/import said `Allow: GET, POST, PUT`,
        because GET and PUT reached /api/admin/problems/{slug} with slug "import"."""
        with server.client() as client:
            headers = admin_headers(server, client)
            for method in ("GET", "PUT", "DELETE", "OPTIONS"):
                response = client.request(method, "/api/admin/problems/import", headers=headers)
                assert response.status_code == 405, (method, response.text)
                assert response.headers["allow"] == "POST"
            # The slug's routes still serve every other slug, "import-something" included.
            assert client.get("/api/admin/problems/clip-passthrough", headers=headers).status_code == 200
            assert client.get("/api/admin/problems/import-x", headers=headers).status_code == 404

    def test_import_is_a_reserved_slug(self, server):
        with server.client() as client:
            headers = admin_headers(server, client)
            fields = client.get("/api/admin/problems/clip-passthrough", headers=headers).json()
            response = client.post("/api/admin/problems", headers=headers, json={**fields, "slug": "import"})
            assert response.status_code == 422 and "reserved" in response.json()["detail"], response.text
            renamed = client.post("/api/admin/problems", headers=headers, json={**fields, "slug": "import-x"})
            assert renamed.status_code == 201, renamed.text

    def test_the_token_form_says_what_it_accepts(self, server):
        """positive_data_acceptance: an empty username or password was schema-valid, yet 422 (a form's
        empty field is a missing one to FastAPI); grant_type could be null, which a form sends as "null"."""
        with server.client() as client:
            form = client.get("/openapi.json").json()["components"]["schemas"]["Body_token_api_auth_token_post"]
            assert form["properties"]["username"]["minLength"] == 1
            assert form["properties"]["password"]["minLength"] == 1
            assert form["properties"]["grant_type"]["type"] == "string"  # not anyOf [string, null]
            sign_up(client, "former")
            for data in ({"username": "former", "password": "correct horse battery"},
                         {"username": "former", "password": "correct horse battery", "grant_type": "password"}):
                assert client.post("/api/auth/token", data=data).status_code == 200
            assert client.post("/api/auth/token", data={"username": "", "password": "x"}).status_code == 422
            refused = client.post("/api/auth/token", data={"username": "former", "password": "correct horse battery",
                                                           "grant_type": "null"})
            assert refused.status_code == 422
