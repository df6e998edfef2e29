"""Time from submit to the first streamed check event, and to the verdict, in run and submit mode.

    python benchmarks/first_check.py [-n 7] [--workers embedded|standalone] [--database sqlite|postgres]

`jaxjudge serve` in its own process on a fresh database (SQLite in a new data folder, or a database of a
throwaway PostgreSQL cluster), one worker (embedded: a thread of the server, waking its streams
in-process; standalone: `jaxjudge serve --workers 0` and a `jaxjudge worker` process, seen through the
progress table: by its poll on SQLite, woken by NOTIFY on PostgreSQL). One user submits the accepted clip-passthrough
example, opens its event stream at once and waits for the verdict, n times per mode, after a warm-up
of each. Prints medians (p50) from the client's clock: POST sent → first `check` event, → `verdict`.
Not a test: nothing here asserts a time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from httpx_sse import connect_sse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import PostgresCluster, _postgres_bin, free_port, wait_until_up  # noqa: E402

SOURCE = (ROOT / "problems" / "clip-passthrough" / "submissions" / "accepted" / "custom_jvp.py").read_text()


def start(args, env):
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def one(client, headers, mode):
    started = time.perf_counter()
    created = client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                          json={"source": SOURCE, "mode": mode})
    created.raise_for_status()
    first_check = None
    with connect_sse(client, "GET", f"/api/submissions/{created.json()['id']}/events", headers=headers) as source:
        for sse in source.iter_sse():
            if sse.event == "check" and first_check is None:
                first_check = time.perf_counter() - started
            if sse.event == "verdict":
                assert json.loads(sse.data)["verdict"] == "ACCEPTED", sse.data
                return first_check, time.perf_counter() - started
    raise RuntimeError("the stream ended without a verdict")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=7)
    parser.add_argument("--workers", choices=("embedded", "standalone"), default="embedded")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="jaxjudge-bench-"))
    port = free_port()
    env = {**os.environ, "JAXJUDGE_DATA_DIR": str(data), "JAXJUDGE_SECRET_KEY": "b" * 40,
           "JAXJUDGE_PROBLEMS_DIR": str(ROOT / "problems")}
    env.pop("DATABASE_URL", None)
    cluster = PostgresCluster(_postgres_bin()) if args.database == "postgres" else None
    if cluster is not None:
        env["DATABASE_URL"] = cluster.new_database()
    embedded = args.workers == "embedded"
    processes = [start(["serve", "--port", str(port), "--workers", "1" if embedded else "0"], env)]
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, processes[0], timeout=120)
        if not embedded:
            processes.append(start(["worker"], env))
        with httpx.Client(base_url=url, timeout=120) as client:
            client.post("/api/auth/register", json={"username": "bench", "password": "bench password 1"})
            token = client.post("/api/auth/token", data={"username": "bench", "password": "bench password 1"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            print(f"{args.workers} worker, {'PostgreSQL' if cluster else 'SQLite'}, clip-passthrough accepted "
                  f"example, n={args.n} per mode")
            for mode in ("run", "submit"):
                one(client, headers, mode)  # warm-up: expected values, compile cache, the pool's first sandbox
                timings = [one(client, headers, mode) for _ in range(args.n)]
                first = statistics.median(t[0] for t in timings)
                verdict = statistics.median(t[1] for t in timings)
                print(f"{mode:6}  submit → first check p50 {first:.3f} s   submit → verdict p50 {verdict:.3f} s   "
                      f"(first check at {first / verdict:.0%} of the wait)")
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
