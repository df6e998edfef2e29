"""Sandboxes started ahead of need: each has imported JAX and brought up its device, isolated from every
other, and judges exactly one submission before it is discarded.

Where the machine allows it (seccomp for its architecture, pidfds), each is a child of the pool's
zygote (grader/zygote.py): forked from a sandboxed process that has imported JAX and run no submission,
before any device is up, then given namespaces, mounts and a cgroup of its own and stripped of every
capability. Otherwise each is a fresh bubblewrap sandbox. Either way nothing is reused and nothing is
forked after the device is up, so isolation is that of one fresh sandbox per submission; the zygote
also saves the interpreter start and `import jax` of every verdict, not only the wait for them.
"""

import dataclasses
import logging
import threading

from . import zygote as _zygote
from .sandbox import Limits, Sandbox, SandboxUnavailable

log = logging.getLogger("grader.pool")

# Limits a job may set when it takes a sandbox started with others: the wall clock is the judge's, CPU
# time and memory are the cgroup's. The rest (rlimits, the tmpfs size) are fixed when a sandbox starts.
_PER_JOB = {"wall_time_s", "cpu_time_s", "memory_mb"}
TAKE_TIMEOUT_S = 60.0
_ZYGOTE_FAILURES_TOLERATED = 3


ROLES = ("harness", "evaluator")


class SandboxPool:
    """`size` warm sandboxes of each role: the submission's (harness) and the one that runs its exported
    programs (evaluator), which a judgement takes together."""

    def __init__(self, size=1, *, device="cpu", limits=Limits(), zygote=True):
        self.size, self.device, self.limits = size, device, limits
        self._ready = {role: [] for role in ROLES}
        self._lock = threading.Condition()
        self._closed = False
        self._zygote = None
        self._want_zygote = zygote and _zygote.supported()
        self.zygote_failures = 0  # in a row; after a few, fresh sandboxes only
        self._refill_thread = threading.Thread(target=self._refill, name="sandbox-pool", daemon=True)
        self._refill_thread.start()

    @property
    def uses_zygote(self):
        return self._want_zygote and self.zygote_failures < _ZYGOTE_FAILURES_TOLERATED

    def compatible(self, limits):
        launch = dataclasses.asdict(self.limits)
        return all(launch[k] == v for k, v in dataclasses.asdict(limits).items() if k not in _PER_JOB)

    def take(self, role, *, limits, device):
        """A started sandbox of `role` for one job with `limits` on `device`: a warm one when one fits,
        else a fresh one. Its `run` is the caller's to call, or its `discard`."""
        if device != self.device or not self.compatible(limits):
            return Sandbox(limits, device, role=role)
        return self._take(role) or Sandbox(self.limits, self.device, role=role)

    def _take(self, role):
        """The oldest warm sandbox of `role`, waiting for the refill if none is ready yet (a child of the
        zygote is ready well within the time a fresh sandbox would take to start)."""
        ready = self._ready[role]
        with self._lock:
            while self._lock.wait_for(lambda: ready or self._closed, TAKE_TIMEOUT_S) and ready:
                sandbox = ready.pop(0)
                self._lock.notify_all()  # the refill thread starts a replacement now
                if sandbox.alive():
                    return sandbox
                if isinstance(sandbox, _zygote.ForkedSandbox):  # it died before any job: count it
                    self.zygote_failures += 1
                    log.error("a child of the zygote died before its job (%d in a row)", self.zygote_failures)
                sandbox.discard()
        return None

    def _wanted(self):
        """The role that has fewest warm sandboxes, if it has fewer than `size`."""
        role = min(ROLES, key=lambda r: len(self._ready[r]))
        return role if len(self._ready[role]) < self.size else None

    def _start(self, role):
        """One warm sandbox: a child of the zygote where that works, else a fresh sandbox."""
        if self.uses_zygote:
            try:
                if self._zygote is None or not self._zygote.alive():
                    if self._zygote is not None:
                        self._zygote.close()
                    self._zygote = None
                    self._zygote = _zygote.Zygote(self.limits, self.device)
                child = self._zygote.spawn(role)
                self.zygote_failures = 0
                return child
            except SandboxUnavailable:
                self.zygote_failures += 1
                log.exception("the zygote failed (%d in a row); a fresh sandbox instead", self.zygote_failures)
                if self._zygote is not None:
                    self._zygote.close()
                    self._zygote = None
        return Sandbox(self.limits, self.device, role=role)

    def _refill(self):
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed or self._wanted())
                if self._closed:
                    break
                role = self._wanted()
            try:
                sandbox = self._start(role)
            except Exception:
                log.exception("could not start a sandbox for the pool")
                with self._lock:
                    self._lock.wait(5.0)
                continue
            with self._lock:
                if self._closed:
                    sandbox.discard()
                    break
                self._ready[role].append(sandbox)
                self._lock.notify_all()
        if self._zygote is not None:
            self._zygote.close()

    def close(self):
        with self._lock:
            self._closed = True
            ready = [s for role in ROLES for s in self._ready[role]]
            for waiting in self._ready.values():
                waiting.clear()
            self._lock.notify_all()
        for sandbox in ready:
            sandbox.discard()
        self._refill_thread.join(timeout=30)
