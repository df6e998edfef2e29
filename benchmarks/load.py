"""Load through the REST API: U users submit N submissions (accepted, wrong and time-limit ones).

    python benchmarks/load.py [--users 20] [--submissions 200] [--backend sqlite|postgres|both]

sqlite: the embedded default, `jaxjudge serve --workers 2`. postgres: a throwaway PostgreSQL cluster,
`jaxjudge serve --workers 0` and two `jaxjudge worker` processes. Each user submits its share one after
another as the API lets it (429 → wait Retry-After), in "run" mode (the sample cases), and waits for every
verdict. Prints verdicts per second, p50/p95 time to verdict (created → judged, server clocks), and
whether any submission was lost or misjudged. Not a test: nothing here asserts a time.
"""

import argparse
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import PostgresCluster, _postgres_bin, free_port, wait_until_up  # noqa: E402
EXAMPLES = ROOT / "problems" / "clip-passthrough" / "submissions"
MIX = [("accepted/custom_jvp.py", "ACCEPTED")] * 6 + [("wrong_answer/plain_clip.py", "WRONG_ANSWER")] * 3 + [
    ("time_limit_exceeded/busy_loop.py", "TIME_LIMIT_EXCEEDED")]
WALL_TIME_S = 6  # JAXJUDGE_JUDGE_WALL_TIME_S: a busy loop costs this much worker time


def start(args, env):
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def user_session(url, index, jobs, results):
    with httpx.Client(base_url=url, timeout=60) as client:
        name, password = f"load{index}", "load password 123"
        client.post("/api/auth/register", json={"username": name, "password": password})
        token = client.post("/api/auth/token", data={"username": name, "password": password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        ids = []
        for path, expected in jobs:
            source = (EXAMPLES / path).read_text()
            while True:
                response = client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                                       json={"source": source, "mode": "run"})
                if response.status_code == 202:
                    ids.append((response.json()["id"], expected))
                    break
                if response.status_code not in (429, 503):
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                time.sleep(float(response.headers.get("Retry-After", 1)))
        for sid, expected in ids:
            while (body := client.get(f"/api/submissions/{sid}", headers=headers).json())["status"] != "judged":
                time.sleep(0.2)
            results.append((sid, expected, body["verdict"], body["created_at"], body["judged_at"]))


def run_load(url, users, submissions):
    jobs = [MIX[i % len(MIX)] for i in range(submissions)]
    results, threads = [], []
    for u in range(users):
        threads.append(threading.Thread(target=user_session, args=(url, u, jobs[u::users], results)))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    parse = dt.datetime.fromisoformat
    latency = sorted((parse(j) - parse(c)).total_seconds() for _, _, _, c, j in results)
    wrong = [(sid, e, v) for sid, e, v, _, _ in results if e != v]
    return {"submitted": submissions, "judged": len(results), "lost": submissions - len(results),
            "misjudged": len(wrong), "wall_s": round(wall, 1), "verdicts_per_s": round(len(results) / wall, 3),
            "p50_s": round(statistics.median(latency), 2),
            "p95_s": round(latency[min(len(latency) - 1, round(0.95 * (len(latency) - 1)))], 2),
            "examples_misjudged": wrong[:5]}


def bench_sqlite(users, submissions, base_env):
    data = Path(tempfile.mkdtemp(prefix="jaxjudge-load-"))
    port = free_port()
    env = dict(base_env, JAXJUDGE_DATA_DIR=str(data))
    server = start(["serve", "--port", str(port), "--workers", "2"], env)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        return run_load(f"http://127.0.0.1:{port}", users, submissions)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


def bench_postgres(users, submissions, base_env):
    cluster = PostgresCluster(_postgres_bin())
    data = Path(tempfile.mkdtemp(prefix="jaxjudge-load-"))
    port = free_port()
    env = dict(base_env, JAXJUDGE_DATA_DIR=str(data), DATABASE_URL=cluster.new_database(),
               JAXJUDGE_SECRET_KEY="load-benchmark-" + "k" * 32)
    procs = [start(["serve", "--port", str(port), "--workers", "0"], env)]
    try:
        wait_until_up(f"http://127.0.0.1:{port}", procs[0])
        procs += [start(["worker"], env) for _ in range(2)]
        return run_load(f"http://127.0.0.1:{port}", users, submissions)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        cluster.stop()
        shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    cache = tempfile.mkdtemp(prefix="jaxjudge-load-cache-")
    base_env = dict(os.environ, JAXJUDGE_JUDGE_WALL_TIME_S=str(WALL_TIME_S), JAXJUDGE_CACHE_DIR=cache,
                    JAXJUDGE_PROBLEMS_DIR=str(ROOT / "problems"))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        figures = (bench_sqlite if backend == "sqlite" else bench_postgres)(args.users, args.submissions, base_env)
        print(f"{backend:8}: {figures['judged']}/{figures['submitted']} judged, {figures['lost']} lost, "
              f"{figures['misjudged']} misjudged; {figures['verdicts_per_s']} verdicts/s over {figures['wall_s']} s; "
              f"time to verdict p50 {figures['p50_s']} s, p95 {figures['p95_s']} s", flush=True)
        if figures["examples_misjudged"]:
            print("          misjudged:", figures["examples_misjudged"])
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
