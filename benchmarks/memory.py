"""Resident memory of the API process (`jaxjudge serve --workers 2`, SQLite) burst after burst: whether it
levels off or keeps growing.

    python benchmarks/memory.py [--bursts 4] [--burst 20] [--mode run|submit]

Each burst queues BURST copies of clip's accepted example from 5 users and waits for every verdict; 3 s
later, with both workers idle, the process's RSS is read. The baseline is its RSS once it has judged one
submission. The workers hand the allocator's freed pages back after each judgement and when the queue
empties (`app.worker.release_freed_memory`). Not a test: nothing here asserts a size.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from e2e import ACCEPTED, account, judged, rss_mb  # noqa: E402
from tests.conftest import free_port, wait_until_up  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=4)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--mode", choices=("run", "submit"), default="submit")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="jaxjudge-memory-"))
    os.chmod(data, 0o755)  # the sandboxes' host uid reaches the compile cache inside it
    port = free_port()
    env = dict(os.environ, JAXJUDGE_DATA_DIR=str(data), JAXJUDGE_MAX_IN_FLIGHT_PER_USER="100",
               JAXJUDGE_PROBLEMS_DIR=str(ROOT / "problems"), JAXJUDGE_CACHE_DIR=str(data / "expected"),
               JAXJUDGE_COMPILE_CACHE_DIR=str(data / "xla-cache"))
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    submit = "/api/problems/clip-passthrough/submissions"
    try:
        wait_until_up(url, server)
        with httpx.Client(base_url=url, timeout=120) as client:
            users = [account(client, f"memory{i}") for i in range(5)]
            judged(client, client.post(submit, headers=users[0], json={"source": ACCEPTED, "mode": args.mode}).json()["id"],
                   users[0])
            time.sleep(3)
            baseline = rss_mb(server.pid)
            print(f"API process, 2 embedded workers, mode {args.mode}: RSS {baseline:.0f} MiB after one judgement")
            for burst in range(args.bursts):
                ids = [(client.post(submit, headers=users[i % 5], json={"source": ACCEPTED, "mode": args.mode})
                        .json()["id"], users[i % 5]) for i in range(args.burst)]
                for sid, headers in ids:
                    judged(client, sid, headers, interval=0.5)
                time.sleep(3)
                rss = rss_mb(server.pid)
                print(f"  after burst {burst + 1} ({(burst + 1) * args.burst} judged): RSS {rss:.0f} MiB, "
                      f"{rss / baseline:.2f}× the baseline")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
