"""A cgroup per sandbox run, where the machine lets us make one: memory and process limits that hold
for every process of the run together, its CPU time across all threads, an OOM count to tell
MEMORY_LIMIT_EXCEEDED apart, and a way to kill whatever is left.

Works with cgroup v1 (one hierarchy per controller) and v2 (unified, where our own group delegates the
memory and pids controllers). Where neither is writable (an unprivileged container), `create` returns
None and the sandbox falls back to rlimits alone.
"""

import os
import signal
import time
import uuid
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
_V1_CONTROLLERS = ("memory", "pids", "cpuacct")


def _own_paths():
    """{controller: our cgroup path} from /proc/self/cgroup ('' key for v2)."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


class RunCgroup:
    def __init__(self, dirs, v2):
        self.dirs = dirs  # {controller: Path}; v2 has a single "" entry
        self.v2 = v2

    def set_memory(self, memory_bytes):
        """Change the memory limit (a sandbox started ahead takes the job's limit when the job comes)."""
        try:
            if self.v2:
                (self.dirs[""] / "memory.max").write_text(str(memory_bytes))
                return
            memory = self.dirs["memory"]
            swap = memory / "memory.memsw.limit_in_bytes"
            # memsw must stay >= the memory limit: raise in the order that keeps that true.
            order = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            current = int((memory / "memory.limit_in_bytes").read_text())
            if memory_bytes > current:
                order.reverse()
            for name in order:
                if name == "memory.memsw.limit_in_bytes" and not swap.exists():
                    continue
                (memory / name).write_text(str(memory_bytes))
        except OSError:
            pass

    def procs_files(self):
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def oom_killed(self):
        try:
            if self.v2:
                events = (self.dirs[""] / "memory.events").read_text()
                return _field(events, "oom_kill") > 0
            memory = self.dirs["memory"]
            # Not memory.failcnt: it also counts page-cache reclaim at the limit, which kills nothing.
            return _field((memory / "memory.oom_control").read_text(), "oom_kill") > 0
        except (OSError, ValueError):
            return False

    def cpu_seconds(self):
        """CPU time used by every process of the run so far (user and system)."""
        try:
            if self.v2:
                return _field((self.dirs[""] / "cpu.stat").read_text(), "usage_usec") / 1e6
            return int((self.dirs["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, KeyError):
            return 0.0

    def pids(self):
        found = set()
        for procs in self.procs_files():
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except OSError:
                pass
        return found

    def kill_and_remove(self, timeout_s=5.0):
        """SIGKILL everything in the group until it is empty, then remove the group."""
        deadline = time.monotonic() + timeout_s
        kill_file = self.dirs.get("", Path("/nonexistent")) / "cgroup.kill"
        while True:
            pids = self.pids()
            if not pids:
                break
            if self.v2 and kill_file.exists():
                kill_file.write_text("1")
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        for d in self.dirs.values():
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy for a moment after the last process is reaped
                    time.sleep(0.01)


def _field(text, name):
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return int(value)
    return 0


STALE_AFTER_S = 60.0
_swept = False


def _remove_stale(parents):
    """Remove empty jaxjudge-* groups older than a minute: left behind by a worker that was killed while
    it held a warm sandbox. Younger ones may be a sandbox being started right now, so they stay."""
    now = time.time()
    for parent in parents:
        for group in parent.glob("jaxjudge-*"):
            try:
                if now - group.stat().st_mtime > STALE_AFTER_S and not (group / "cgroup.procs").read_text().strip():
                    group.rmdir()
            except OSError:
                continue


CGROUPS_ENV = "JAXJUDGE_CGROUPS"  # "0": use none, as where none can be written (a container)


def create(memory_bytes, max_pids):
    """A fresh cgroup with the limits set, or None where cgroups cannot be used here (or are turned off)."""
    global _swept
    if os.environ.get(CGROUPS_ENV) == "0":
        return None
    try:
        own = _own_paths()
    except OSError:
        return None
    if not _swept:  # once per process
        _swept = True
        if all(c in own for c in _V1_CONTROLLERS):
            _remove_stale([_ROOT / c / own[c].lstrip("/") for c in _V1_CONTROLLERS])
        elif "" in own:
            _remove_stale([_ROOT / own[""].lstrip("/")])
    name = "jaxjudge-" + uuid.uuid4().hex[:12]
    made = {}
    try:
        if all(c in own for c in _V1_CONTROLLERS) and (_ROOT / "memory").is_dir():
            for controller in _V1_CONTROLLERS:
                d = _ROOT / controller / own[controller].lstrip("/") / name
                d.mkdir()
                made[controller] = d
            memory = made["memory"]
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            (made["pids"] / "pids.max").write_text(str(max_pids))
            return RunCgroup(made, v2=False)
        if "" in own and (_ROOT / "cgroup.controllers").exists():
            parent = _ROOT / own[""].lstrip("/")
            enabled = set((parent / "cgroup.subtree_control").read_text().split())
            if not {"memory", "pids"} <= enabled:
                return None
            d = parent / name
            d.mkdir()
            made[""] = d
            (d / "memory.max").write_text(str(memory_bytes))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(max_pids))
            return RunCgroup(made, v2=True)
    except OSError:
        for d in made.values():
            try:
                d.rmdir()
            except OSError:
                pass
    return None
