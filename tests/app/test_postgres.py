"""The core path on PostgreSQL: register, submit over HTTP, a worker woken by NOTIFY judges it."""

import pytest

from tests.app.conftest import sign_up, wait_judged
from tests.conftest import CLIP


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_submit_and_judge_on_postgres(server_factory):
    server = server_factory(workers=1)
    with server.client() as client:
        headers = sign_up(client, "pg-user")
        source = (CLIP / "submissions" / "runtime_error" / "jvp_rule_one_value.py").read_text()
        sid = client.post("/api/problems/clip-passthrough/submissions", json={"source": source, "mode": "run"},
                          headers=headers).json()["id"]
        judged = wait_judged(client, sid, headers)
        assert judged["verdict"] == "RUNTIME_ERROR"
        assert any("(primal_out, tangent_out)" in hint for hint in judged["report"]["hints"])
        assert client.get("/api/problems", headers=headers).json()[0]["attempted"] is True
