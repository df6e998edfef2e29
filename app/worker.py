"""A worker: claims submissions from the queue and judges them with `grader.judge`.

Stateless: any number of them, on any machines, against the same database. Embedded workers run as
threads of `jaxjudge serve` (woken in-process); standalone ones (`jaxjudge worker`) wait on PostgreSQL's
LISTEN/NOTIFY, or poll SQLite twice a second.
"""

import ctypes
import logging
import os
import socket
import threading
import time
import uuid

import grader

from . import progress, queue
from .db import libpq_url
from .models import Submission, SubmissionMode

log = logging.getLogger("jaxjudge.worker")
SQLITE_POLL_S = 0.5
IDLE_WAIT_S = 5.0
PRUNE_EVERY_S = 60.0
# glibc's malloc_trim, where the C library has it (musl has not).
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None)


def release_freed_memory():
    """Give the pages the allocator holds free back to the system. A judgement's result streams,
    programs and arrays are many MiB, freed at its end; glibc keeps such memory in its arenas, spread
    over the judging threads, and hands little of it back by itself. Measured: an API process with two
    embedded workers grew from 165 MiB to 921 MiB over 45 judgements while Python's own allocations
    stayed at 13 MiB; one malloc_trim(0) brought it to 240 MiB, in 75 ms."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class Worker:
    def __init__(self, *, session_factory, settings, device="cpu", wakeup=None, progress_hub=None):
        self.session_factory = session_factory
        self.settings = settings
        self.device = device
        self.wakeup = wakeup
        self.progress_hub = progress_hub  # the API's, when this worker runs inside its process
        self._pruned_at = 0.0
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.cache = grader.ExpectedCache(settings.cache_dir)
        self.pool = (grader.SandboxPool(settings.pool_size, device=device, zygote=settings.zygote)
                     if settings.pool_size > 0 else None)
        self._problems = {}
        self._listener = None

    def run(self, stop):
        """Judge until `stop` is set; the submission in hand is finished first."""
        log.info("worker %s (%s) started", self.worker_id, self.device)
        busy = False
        while not stop.is_set():
            try:
                if self.run_once():
                    busy = True
                    continue
                if busy:  # the queue is empty now: what the last judgements (this worker's and others') freed
                    release_freed_memory()
                    busy = False
                self._wait(stop)
            except Exception:  # the database went away for a moment, say: log, back off, go on
                log.exception("worker %s: loop error", self.worker_id)
                stop.wait(2.0)
        if self._listener is not None:
            self._listener.close()
        if self.pool is not None:
            self.pool.close()
        log.info("worker %s stopped", self.worker_id)

    def run_once(self):
        """Requeue expired leases, claim one submission and judge it. False when none was queued."""
        with self.session_factory() as session:
            queue.requeue_expired(session, max_attempts=self.settings.max_attempts)
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                progress.prune_events(session)
                self._pruned_at = time.monotonic()
            submission_id = queue.claim_next_submission(
                session, worker_id=self.worker_id, gpu=self.device == "gpu", lease_s=self.settings.lease_s)
        if submission_id is None:
            return False
        self.judge_submission(submission_id)
        return True

    def judge_submission(self, submission_id):
        with self.session_factory() as session:
            submission = session.get(Submission, submission_id)
            version = submission.problem_version
            source, mode, version_id, files = submission.source, submission.mode, version.id, version.files
            show_hidden = submission.show_hidden
            attempt = submission.attempts
        publisher = progress.ProgressPublisher(self.session_factory, submission_id, self.progress_hub)
        done = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(submission_id, done), daemon=True)
        heartbeat.start()
        try:
            problem = self._problem(version_id, files)
            samples_only = mode == SubmissionMode.RUN.value
            publisher.running(attempt=attempt, plan=progress.plan_of(problem, samples_only=samples_only))
            report = grader.judge(problem, source.encode(), device=self.device, limits=self._limits(problem),
                                  samples_only=samples_only, cache=self.cache,
                                  pool=self.pool, on_check=publisher.check, show_hidden=show_hidden)
            publisher.settle(report.get("checks", []))
        except Exception as error:  # a judge bug, never the submitter's fault
            log.exception("worker %s: judging submission %s failed", self.worker_id, submission_id)
            report = {"verdict": "INTERNAL_ERROR", "checks": [], "hints": [],
                      "summary": f"The judge failed, not your code: {type(error).__name__}"}
        finally:
            done.set()
            heartbeat.join()
            publisher.flush()
        with self.session_factory() as session:
            if report.get("retry") and attempt < self.settings.max_attempts:
                # The machine was too busy to finish the run: judged again, not blamed on the load.
                log.warning("submission %s: %s; queued again", submission_id, report["summary"])
                queue.hand_back(session, submission_id=submission_id, worker_id=self.worker_id, attempted=True)
                return
            queue.finish_submission(session, submission_id=submission_id, worker_id=self.worker_id,
                                    report=report)
        publisher.judged()
        log.info("submission %s: %s", submission_id, report["verdict"])
        release_freed_memory()  # after the verdict is stored and announced: it costs the submitter nothing

    def _problem(self, version_id, files):
        if version_id not in self._problems:
            self._problems[version_id] = grader.problem_from_files({k: v.encode() for k, v in files.items()},
                                                                   origin=f"version {version_id}")
        return self._problems[version_id]

    def _limits(self, problem):
        """The submission's limits: the problem's, or the operator's wall-time override. The reference
        always runs under the problem's own limits."""
        wall = self.settings.judge_wall_time_s
        return problem.limits.replace(wall_time_s=wall, cpu_time_s=4 * wall) if wall else problem.limits

    def _heartbeat(self, submission_id, done):
        while not done.wait(self.settings.lease_s / 3):
            with self.session_factory() as session:
                if not queue.renew_lease(session, submission_id=submission_id, worker_id=self.worker_id,
                                         lease_s=self.settings.lease_s):
                    log.warning("submission %s: lease lost while judging", submission_id)
                    return

    def _wait(self, stop):
        if self.wakeup is not None:
            self.wakeup.wait(IDLE_WAIT_S)
        elif self.settings.is_sqlite:
            stop.wait(SQLITE_POLL_S)
        else:
            self._wait_for_notify(stop)

    def _wait_for_notify(self, stop):
        import psycopg

        if self._listener is None:
            self._listener = psycopg.connect(libpq_url(self.settings.resolved_database_url()), autocommit=True)
            self._listener.execute(f"LISTEN {queue.NOTIFY_CHANNEL}")
        for _ in self._listener.notifies(timeout=IDLE_WAIT_S, stop_after=1):
            pass


def start_embedded_workers(count, *, session_factory, settings, wakeup, stop, progress_hub=None):
    """N worker threads inside this process (the embedded default); they ring the API's `progress_hub`."""
    threads = []
    for i in range(count):
        worker = Worker(session_factory=session_factory, settings=settings, wakeup=wakeup,
                        progress_hub=progress_hub)
        thread = threading.Thread(target=worker.run, args=(stop,), name=f"worker-{i}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads
