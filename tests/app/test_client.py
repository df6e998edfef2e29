"""The client against a real server: `jaxjudge login` and `jaxjudge submit` as processes,
`jaxjudge.client.Judge` submitting a function from a plain Python process, and from a real Jupyter
kernel, whose live table is what a notebook shows."""

import json
import os
import stat
import subprocess
import sys
import textwrap

import httpx
import pytest

from grader.report import render_text
from tests.app.conftest import ROOT, sign_up
from tests.conftest import CLIP

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
EXAMPLES = CLIP / "submissions"
PASSWORD = "correct horse battery"

# A learner's module: imports under aliases, a constant, a helper, a custom_jvp under another name than
# the entry point, its rule defined apart. Submitting the function must carry all of that along.
LEARNER_MODULE = '''
import jax
import jax.numpy as jnp
from functools import partial

PASS_THROUGH = 1.0


def _bounded(x, lo, hi):
    return jnp.minimum(jnp.maximum(x, lo), hi)


@jax.custom_jvp
def my_clip(x, lo, hi):
    return _bounded(x, lo, hi)


@my_clip.defjvp
def _my_clip_jvp(primals, tangents):
    x, lo, hi = primals
    x_dot, _, _ = tangents
    return my_clip(x, lo, hi), PASS_THROUGH * x_dot
'''


def jaxjudge(*args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def client_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("JAXJUDGE_TOKEN", "JAXJUDGE_SERVER")}
    return {**env, "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_login_then_submit_prints_the_live_table_and_the_report(server, client_env, tmp_path):
    with server.client() as client:
        sign_up(client, "terminal", PASSWORD)
        login = jaxjudge("login", "--server", server.url, "--username", "terminal", env=client_env,
                         stdin=PASSWORD + "\n")
        assert login.returncode == 0, login.stderr
        stored = tmp_path / "config" / "jaxjudge" / "credentials.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
        token = json.loads(stored.read_text())["tokens"][server.url]
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["username"] == "terminal"

        # The server it logged in to is the default from then on.
        accepted = jaxjudge("submit", "clip-passthrough", str(EXAMPLES / "accepted" / "custom_jvp.py"), "--run",
                            env=client_env)
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr
        assert accepted.stdout.startswith("Verdict: ACCEPTED\n")
        assert "judging [" in accepted.stderr and "checks" in accepted.stderr  # the progress, off a terminal

        wrong = jaxjudge("submit", "clip-passthrough", str(EXAMPLES / "wrong_answer" / "plain_clip.py"),
                         "--server", server.url, env=client_env)
        assert wrong.returncode == 1
        submission_id = wrong.stdout.rstrip().rsplit("/", 1)[-1]
        body = client.get(f"/api/submissions/{submission_id}", headers={"Authorization": f"Bearer {token}"}).json()
        assert body["verdict"] == "WRONG_ANSWER" and body["mode"] == "submit"
        assert wrong.stdout.startswith(render_text({"verdict": body["verdict"], **body["report"]}))
        assert f"failed" in wrong.stderr

        # A token from the environment wins over the stored one: a bad one is refused, clearly.
        refused = jaxjudge("submit", "clip-passthrough", str(EXAMPLES / "accepted" / "custom_jvp.py"),
                           env={**client_env, "JAXJUDGE_TOKEN": "not-a-token"})
        assert refused.returncode not in (0, 1) and "401" in refused.stderr and "Traceback" not in refused.stderr
        missing = jaxjudge("submit", "clip-passthrough", str(tmp_path / "nowhere.py"), env=client_env)
        assert missing.returncode not in (0, 1) and "cannot read" in missing.stderr


def test_notebook_client_submits_a_function_and_shows_html(server, client_env, tmp_path):
    with server.client() as client:
        headers = sign_up(client, "notebook", PASSWORD)
    (tmp_path / "learner.py").write_text(LEARNER_MODULE)
    script = textwrap.dedent(f'''
        import json
        from jaxjudge.client import Judge, source_of
        import learner

        judge = Judge({server.url!r})
        events = []
        result = judge.submit("clip-passthrough", learner.my_clip, run=True,
                              on_event=lambda kind, data: events.append(kind))
        print(json.dumps({{"id": result.id, "verdict": result.verdict, "html": result._repr_html_(),
                          "text": str(result), "events": events,
                          "source": source_of(learner.my_clip, "clip_passthrough")}}))
    ''')
    env = {**client_env, "JAXJUDGE_TOKEN": headers["Authorization"].removeprefix("Bearer "),
           "PYTHONPATH": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["verdict"] == "ACCEPTED", out["text"]
    source = out["source"]
    for needed in ("import jax\n", "import jax.numpy as jnp", "PASS_THROUGH = 1.0", "def _bounded",
                   "@jax.custom_jvp", "@my_clip.defjvp", "clip_passthrough = my_clip"):
        assert needed in source
    assert "partial" not in source  # imported by the module, not used by the function
    assert out["events"][-1] == "verdict" and "running" in out["events"] and "check" in out["events"]
    with httpx.Client(base_url=server.url) as client:
        report = client.get(f"/api/submissions/{out['id']}", headers=headers).json()["report"]
    checks = len(report["checks"])
    assert out["html"].count('data-status="passed"') == checks > 0
    assert "<table" in out["html"] and "ACCEPTED" in out["html"]
    assert out["text"] == render_text({"verdict": "ACCEPTED", **report})


def test_a_jupyter_kernel_shows_the_verdict_table_live(server, client_env, tmp_path, monkeypatch):
    # A real IPython kernel, driven as a notebook front end drives it: Judge.submit in a cell displays
    # the table once and updates that display as the events come (pending checks, then the verdict).
    from jupyter_client.manager import start_new_kernel

    with server.client() as client:
        headers = sign_up(client, "jupyter", PASSWORD)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))  # its connection file
    env = {**client_env, "JAXJUDGE_TOKEN": headers["Authorization"].removeprefix("Bearer "),
           "IPYTHONDIR": str(tmp_path / "ipython")}
    manager, kernel = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        cell = (f"from jaxjudge.client import Judge\nresult = Judge({server.url!r}).submit("
                f"'clip-passthrough', {(EXAMPLES / 'accepted' / 'custom_jvp.py').read_text()!r}, run=True)\n"
                "result.verdict")
        kernel.execute(cell)
        displays, updates, value = [], [], None
        while value is None:
            message = kernel.get_iopub_msg(timeout=300)
            kind, content = message["msg_type"], message["content"]
            if kind == "display_data":
                displays.append(content)
            elif kind == "update_display_data":
                updates.append(content)
            elif kind == "execute_result":
                value = content["data"]["text/plain"]
            elif kind == "error":
                raise AssertionError("\n".join(content["traceback"]))
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    assert value == "'ACCEPTED'"
    assert len(displays) == 1 and "Queued" in displays[0]["data"]["text/html"]
    display_id = displays[0]["transient"]["display_id"]
    assert updates and all(u["transient"]["display_id"] == display_id for u in updates)
    pages = [u["data"]["text/html"] for u in updates]
    assert any('data-status="pending"' in page for page in pages)  # the table before the checks are in
    final = pages[-1]
    assert "ACCEPTED" in final and 'data-status="pending"' not in final and final.count('data-status="passed"') > 0
