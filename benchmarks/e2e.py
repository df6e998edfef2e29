"""End to end through REST on the embedded default: latency, throughput and memory, against the naive
per-process cost measured in the same run.

    python benchmarks/e2e.py [-n 10] [--burst 50] [--mode run|submit|both] [--no-compile-cache]

- latency: one user submits the accepted example N times, one after another; submit → verdict stored
  (the server's created_at → judged_at), p50/p95;
- throughput: BURST submissions queued at once (several users) with 2 embedded workers; verdicts/s,
  against BURST naive processes run two at a time (as two naive workers would);
- memory: resident memory of the API process (the embedded workers are its threads), of each worker's
  zygote and of each warm interpreter, while idle: RSS, and PSS (pages shared between a zygote and its
  children counted once, split among them).
The baseline is benchmarks/grade_latency.naive_once: a fresh, unsandboxed `python` that imports jax and
runs the same checks with one compile per check. Not a test: nothing here asserts a time.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_latency import naive_once, quantiles  # noqa: E402
from tests.conftest import free_port, wait_until_up  # noqa: E402

from grader import load_problem  # noqa: E402

ACCEPTED = (ROOT / "problems/clip-passthrough/submissions/accepted/custom_jvp.py").read_text()


def _kib(path, field):
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb(pid):
    return _kib(f"/proc/{pid}/status", "VmRSS")


def pss_mb(pid):
    return _kib(f"/proc/{pid}/smaps_rollup", "Pss")


def parent(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def sandboxed_processes(server_pid):
    """{"zygote": [...], "warm": [...]}: interpreters under the server, not the bwrap processes around
    them. A zygote's parent is bwrap; a warm child of a zygote is the child of its keeper (which is the
    zygote's child); without a zygote, each warm interpreter is a fresh sandbox's (bwrap its parent)."""
    found = [p for p in descendants(server_pid) if "from sandboxed." in cmdline(p)
             and not Path(cmdline(p).split()[0]).name.startswith("bwrap")]
    under_bwrap = [p for p in found if Path(cmdline(parent(p)).split(" ")[0]).name.startswith("bwrap")]
    zygotes = [p for p in under_bwrap if "sandboxed.zygote" in cmdline(p)]
    keepers = [p for p in found if parent(p) in zygotes]
    warm = [p for p in found if parent(p) in keepers] + [p for p in under_bwrap if p not in zygotes]
    return {"zygote": zygotes, "warm": warm}


def memory(pids):
    if not pids:
        return "none"
    return (f"{len(pids)} × RSS {statistics.mean(map(rss_mb, pids)):.0f} MiB, "
            f"PSS {statistics.mean(map(pss_mb, pids)):.0f} MiB")


def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def account(client, name):
    client.post("/api/auth/register", json={"username": name, "password": "benchmark password"})
    token = client.post("/api/auth/token", data={"username": name, "password": "benchmark password"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def judged(client, sid, headers, interval=0.2):
    """Poll until judged. Times come from the server's clocks, so the interval costs no precision; it only
    keeps the pollers from taking the CPU the workers need (50 waiters at 10 Hz did, on 2 cores)."""
    while (body := client.get(f"/api/submissions/{sid}", headers=headers).json())["status"] != "judged":
        time.sleep(interval)
    seconds = (dt.datetime.fromisoformat(body["judged_at"]) - dt.datetime.fromisoformat(body["created_at"]))
    return body, seconds.total_seconds()


def measure(client, mode, args, problem, users):
    """Latency and burst throughput in `mode`, each against the naive process measured alongside."""
    cases = problem.sample_cases if mode == "run" else problem.cases
    job_line = json.dumps(problem.job(cases)).encode()
    headers = users[0]
    sid = client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                      json={"source": ACCEPTED, "mode": mode}).json()["id"]
    judged(client, sid, headers)  # expected values computed, pools filled
    time.sleep(3)
    latency, naive = [], []
    for _ in range(args.n):
        sid = client.post("/api/problems/clip-passthrough/submissions", headers=headers,
                          json={"source": ACCEPTED, "mode": mode}).json()["id"]
        body, seconds = judged(client, sid, headers)
        assert body["verdict"] == "ACCEPTED", body["report"]["summary"]
        latency.append(seconds)
        naive.append(naive_once(job_line, ACCEPTED.encode(), "cpu")[0])
        time.sleep(1.0)  # an idle moment between verdicts, as for a person
    ids = [(client.post("/api/problems/clip-passthrough/submissions", headers=users[1 + i % 5],
                        json={"source": ACCEPTED, "mode": mode}).json()["id"], users[1 + i % 5])
           for i in range(args.burst)]
    # One poller asks each user's list once a second (5 requests/s), rather than 50 waiters each asking
    # about their own: the pollers' CPU would otherwise come out of the workers' 2 cores.
    pending = {sid for sid, _ in ids}
    while pending:
        time.sleep(1.0)
        for user in users[1:]:
            items = client.get("/api/submissions", headers=user, params={"per_page": 100}).json()["items"]
            pending -= {item["id"] for item in items if item["status"] == "judged"}
    results = [client.get(f"/api/submissions/{sid}", headers=user).json() for sid, user in ids]
    parse = dt.datetime.fromisoformat
    burst_s = (max(parse(b["judged_at"]) for b in results) - min(parse(b["created_at"]) for b in results)).total_seconds()
    results = [b["verdict"] for b in results]
    # The naive design under the same load: BURST fresh processes, two at a time (two workers). Each
    # uses more than one core while it imports and compiles, so two slow each other down; 2 ÷ (the idle
    # p50) would credit the naive design with a parallelism it does not get.
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as workers:
        list(workers.map(lambda _: naive_once(job_line, ACCEPTED.encode(), "cpu"), range(args.burst)))
    naive_burst_s = time.perf_counter() - started
    l50, l95 = quantiles(latency)
    n50, n95 = quantiles(naive)
    throughput = len(results) / burst_s
    naive_throughput = args.burst / naive_burst_s
    print(f"mode {mode} ({len(cases)} cases), 2 embedded workers, pool size {args.pool_size}, n={args.n}, "
          f"compile cache {'off' if args.no_compile_cache else 'on'}")
    print(f"  latency submit→verdict: p50 {l50:.3f} s  p95 {l95:.3f} s; naive fresh process p50 {n50:.3f} s "
          f"p95 {n95:.3f} s; ratio {l50 / n50:.2f}")
    print(f"  throughput: {len(results)}/{args.burst} judged ({results.count('ACCEPTED')} ACCEPTED) in {burst_s:.1f} s = "
          f"{throughput:.2f} verdicts/s; naive, {args.burst} fresh processes two at a time: {naive_burst_s:.1f} s = "
          f"{naive_throughput:.2f}/s; ratio {throughput / naive_throughput:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--mode", choices=("run", "submit", "both"), default="both")
    parser.add_argument("--pool-size", type=int, default=1, help="JAXJUDGE_POOL_SIZE for each worker")
    parser.add_argument("--no-compile-cache", action="store_true", help="judge without the compile cache")
    args = parser.parse_args()
    problem = load_problem(ROOT / "problems/clip-passthrough")
    data = Path(tempfile.mkdtemp(prefix="jaxjudge-e2e-"))
    os.chmod(data, 0o755)  # the sandboxes' host uid reaches the compile cache inside it
    port = free_port()
    env = dict(os.environ, JAXJUDGE_DATA_DIR=str(data), JAXJUDGE_POOL_SIZE=str(args.pool_size),
               JAXJUDGE_MAX_IN_FLIGHT_PER_USER="100", JAXJUDGE_PROBLEMS_DIR=str(ROOT / "problems"),
               JAXJUDGE_CACHE_DIR=str(data / "expected"),
               JAXJUDGE_COMPILE_CACHE_DIR="off" if args.no_compile_cache else str(data / "xla-cache"))
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        with httpx.Client(base_url=url, timeout=120) as client:
            users = [account(client, "latency")] + [account(client, f"burst{i}") for i in range(5)]
            for mode in (("run", "submit") if args.mode == "both" else (args.mode,)):
                measure(client, mode, args, problem, users)
            time.sleep(3)
            idle = {"api_mb": rss_mb(server.pid), **{k: memory(v) for k, v in sandboxed_processes(server.pid).items()}}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(data, ignore_errors=True)
    print(f"memory (idle): API process with its workers RSS {idle['api_mb']:.0f} MiB; zygotes: {idle['zygote']}; "
          f"warm interpreters: {idle['warm']}")


if __name__ == "__main__":
    main()
