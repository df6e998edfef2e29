"""Sandboxes started ahead of need: each has imported JAX and brought up its device inside its own
sandbox, and judges exactly one submission before it is discarded.

Nothing is forked after the device is up and nothing is reused, so isolation is that of one fresh
sandbox per submission; what the pool saves is the wait for interpreter start, `import jax` and device
initialisation (on a GPU, the CUDA start), which happen while the previous submission is judged.
"""

import dataclasses
import logging
import threading

from .sandbox import Limits, Sandbox, run_harness

log = logging.getLogger("grader.pool")

# Limits a job may set when it takes a sandbox started with others: the wall clock is the judge's, CPU
# time and memory are the cgroup's. The rest (rlimits, the tmpfs size) are fixed when a sandbox starts.
_PER_JOB = {"wall_time_s", "cpu_time_s", "memory_mb"}


class SandboxPool:
    def __init__(self, size=1, *, device="cpu", limits=Limits()):
        self.size, self.device, self.limits = size, device, limits
        self._ready = []
        self._lock = threading.Condition()
        self._closed = False
        self._refill_thread = threading.Thread(target=self._refill, name="sandbox-pool", daemon=True)
        self._refill_thread.start()

    def compatible(self, limits):
        launch = dataclasses.asdict(self.limits)
        return all(launch[k] == v for k, v in dataclasses.asdict(limits).items() if k not in _PER_JOB)

    def run(self, job_line, source, *, limits, device):
        """Like `sandbox.run_harness`, in a warm sandbox when one fits (else a fresh one)."""
        if device != self.device or not self.compatible(limits):
            return run_harness(job_line, source, limits=limits, device=device)
        sandbox = self._take()
        if sandbox is None:
            sandbox = Sandbox(self.limits, self.device)
        return sandbox.run(job_line, source, limits=limits)

    def _take(self):
        with self._lock:
            while self._ready:
                sandbox = self._ready.pop(0)
                self._lock.notify_all()  # the refill thread starts a replacement now
                if sandbox.alive():
                    return sandbox
                sandbox.discard()
        return None

    def _refill(self):
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed or len(self._ready) < self.size)
                if self._closed:
                    return
            try:
                sandbox = Sandbox(self.limits, self.device)
            except Exception:
                log.exception("could not start a sandbox for the pool")
                with self._lock:
                    self._lock.wait(5.0)
                continue
            with self._lock:
                if self._closed:
                    sandbox.discard()
                    return
                self._ready.append(sandbox)

    def close(self):
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
            self._lock.notify_all()
        for sandbox in ready:
            sandbox.discard()
        self._refill_thread.join(timeout=10)
