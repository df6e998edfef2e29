"""What a sandbox run's processes use, read from /proc: CPU time, resident memory, and time starved.

A cgroup counts CPU time and enforces memory where one can be made (grader/_cgroup.py). Where none can
(an unprivileged container), `RunUsage` counts both from the processes themselves: every process
descending from the run's root, sampled as the run goes (a process that ended keeps what it was last
seen using). Either way it also measures how long the run's threads waited, runnable, for a CPU
(/proc/<pid>/task/<tid>/schedstat, plus a wait still going on: a thread seen runnable, and not run, from
one sample to the next): time the machine's load took, which the wall-clock limit gives back,
so that a busy machine slows a verdict without changing it. A sleeping run waits for no CPU.
"""

import os
import time

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _pss_bytes(pid):
    with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
        for line in f:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) << 10
    return 0


def _children_of():
    """{parent pid: [child pids]} of every process on the machine."""
    children = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(root_pid):
    """`root_pid` and every process below it."""
    children, found, stack = _children_of(), [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


class RunUsage:
    """Samples the processes of one run. `pids` (a callable) names them; by default, the descendants
    of `root_pid` (a cgroup's member list is cheaper, and exact, where there is one)."""

    def __init__(self, root_pid, pids=None):
        self._pids = pids or (lambda: descendants(root_pid))
        self._cpu = {}       # pid: CPU seconds last seen
        self._waited = {}    # (pid, tid): seconds waited for a CPU, last seen
        # The kernel adds a wait to a thread's schedstat when the wait ends, when it gets a CPU: until
        # then, the time a thread has been seen runnable and not running (a wait still going on).
        self._waiting = {}   # (pid, tid): seconds
        self._last = {}      # (pid, tid): (CPU ns, waited ns, runnable) last seen
        self._sampled_at = time.monotonic()
        self._start_cpu = self._start_wait = None
        self.sample()
        self._start_cpu, self._start_wait = dict(self._cpu), dict(self._waited)

    def sample(self, memory=False):
        """Read every process and thread once; with `memory`, returns the bytes they hold now (PSS: pages
        shared with the zygote, and between its children, counted once), else 0."""
        held = 0
        now = time.monotonic()
        since, self._sampled_at = now - self._sampled_at, now
        for pid in self._pids():
            try:
                with open(f"/proc/{pid}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                self._cpu[pid] = (int(fields[11]) + int(fields[12])) * _TICK_S
                if memory:
                    held += _pss_bytes(pid)
                for task in os.scandir(f"/proc/{pid}/task"):
                    self._sample_thread((pid, task.name), task.path, since)
            except (OSError, IndexError, ValueError):
                continue  # it ended while we looked
        return held

    def _sample_thread(self, key, path, since):
        with open(f"{path}/schedstat", "rb") as f:
            ran, waited = (int(n) for n in f.read().split()[:2])
        with open(f"{path}/stat", "rb") as f:
            runnable = f.read().rsplit(b")", 1)[1].split()[0] == b"R"
        self._waited[key] = waited / 1e9
        last = self._last.get(key)
        if last is not None and waited != last[1]:
            self._waiting[key] = 0.0  # its wait ended and is in `waited` now
        elif last is not None and runnable and last[2] and ran == last[0]:
            self._waiting[key] = self._waiting.get(key, 0.0) + since  # runnable throughout, and not run
        self._last[key] = (ran, waited, runnable)

    def cpu_seconds(self):
        """CPU time of the run's processes since this object was made (user and system)."""
        return sum(cpu - self._start_cpu.get(pid, 0.0) for pid, cpu in self._cpu.items())

    def starved_seconds(self):
        """How long the run's threads have waited, runnable, for a CPU since this was made, added up: a
        thread blocked on others (XLA's compile and compute pools) waits while they do, so no one
        thread's wait is the run's. Threads that wait at once count more than once, which errs toward a
        longer wall clock, never a shorter one; CPU time still decides the verdict."""
        return (sum(waited - self._start_wait.get(key, 0.0) for key, waited in self._waited.items())
                + sum(self._waiting.values()))
