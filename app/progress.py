"""A submission's progress as events: workers publish them, the API streams them to its page and clients.

Workers write each step to the `submission_events` table (`running` when claimed, one `check` per check
as soon as the grader decides it, and at the end one for each check where the report says otherwise or
the live reader said nothing), so every API process sees every worker's progress, on SQLite and PostgreSQL alike, and a
client that reconnects resumes from its last event id. The table is read by a short poll
(`POLL_S`); what stores events also rings the `ProgressHub`, which wakes the streams of that submission
at once instead of at their next poll: directly, for a worker inside the API's own process (the embedded
default), and on PostgreSQL through NOTIFY, which each API process's `ProgressListener` hears and rings
its own hub with (standalone workers).

The stream itself adds two kinds that are not stored: `queued` (with the position in the queue), while
the submission waits, and `verdict`, from the submission's row once it is judged — which is also how
submissions judged before any event was stored, or failed by an expired lease, end their stream.
"""

import asyncio
import datetime as dt
import logging
import threading
import time

from grader.report import CheckResult
from sqlalchemy import delete, select, text

from .db import json_safe, utcnow
from .models import Submission, SubmissionEvent, SubmissionStatus
from .queue import queue_position

log = logging.getLogger("jaxjudge.progress")
POLL_S = 0.25
NOTIFY_CHANNEL = "jaxjudge_progress"  # payload: the submission id
# A queue position costs a query over the queue: asked less often than new events.
POSITION_POLL_S = 1.0
EVENTS_PER_POLL = 500
# Events outlive their submission's verdict this long (a page reloaded just after still replays them).
KEEP_EVENTS = dt.timedelta(hours=1)
# What a check event says: the check's identity and outcome, never its message, expected or got, so a
# hidden case shows what its report row shows and no more (the report, once judged, has the rest).
CHECK_EVENT_KEYS = CheckResult.LIVE
STORED_KINDS = ("running", "check")


def check_event(check):
    """The event of one check result (a report's `checks` entry, or what the grader reports per check)."""
    return {key: check[key] for key in CHECK_EVENT_KEYS if key in check}


def plan_of(problem, *, samples_only):
    """What will be judged, so that a page draws the table before any check is decided: the cases (name,
    sample) and the (check, transform) columns, in the order the report lists them (cases × checks).
    A hidden case shows its name here as in the report, nothing else."""
    cases = problem.sample_cases if samples_only else problem.cases
    return {"cases": [{"name": case.name, "sample": case.sample} for case in cases],
            "checks": [{"check": check, "transform": transform} for check, transform in problem.checks]}


class ProgressHub:
    """In-process fan-out: a worker of this process rings it after storing events, and the streams
    waiting on that submission wake at once. Thread-safe on the ringing side; waiters are coroutines,
    each woken on its own event loop."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiters = {}  # submission id → {(loop, asyncio.Event)}

    def ring(self, submission_id):
        with self._lock:
            waiters = list(self._waiters.get(submission_id, ()))
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed: its stream is gone
                pass

    async def wait(self, submission_id, timeout):
        """Until this submission's worker rings (True), or `timeout` seconds (False)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(submission_id, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiters.get(submission_id)
                waiting.discard(waiter)
                if not waiting:
                    del self._waiters[submission_id]

    def waiting(self):
        """How many streams wait now (a closed client must leave none behind)."""
        with self._lock:
            return sum(len(w) for w in self._waiters.values())


class ProgressPublisher:
    """A worker's side: store a submission's events, then ring the hub (when in the API's process).

    Checks are buffered and stored together at most every `FLUSH_S`: a verdict is hundreds of checks,
    and one commit each would hold SQLite's write lock that many times."""

    FLUSH_S = 0.1

    def __init__(self, session_factory, submission_id, hub=None):
        self.session_factory, self.submission_id, self.hub = session_factory, submission_id, hub
        self._pending, self._flushed_at, self._sent = [], time.monotonic(), {}

    def running(self, *, attempt, plan):
        """A new attempt begins (`plan`: see `plan_of`): events of an earlier one (a lost lease, a
        rejudge) are dropped."""
        with self.session_factory() as session:
            session.execute(delete(SubmissionEvent).where(SubmissionEvent.submission_id == self.submission_id))
            session.add(SubmissionEvent(submission_id=self.submission_id, kind="running",
                                        data={"status": SubmissionStatus.RUNNING.value, "attempt": attempt,
                                              **plan}))
            self._announce(session)
            session.commit()
        self._ring()

    def check(self, check):
        """One check's result, as soon as it is decided (grader.judge's `on_check`, called from the
        judge's reader threads one at a time)."""
        event = json_safe(check_event(check))
        key = (event.get("case"), event.get("check"), event.get("transform"))
        if self._sent.get(key) == event:
            return
        self._sent[key] = event
        self._pending.append(event)
        if time.monotonic() - self._flushed_at >= self.FLUSH_S:
            self.flush()

    def settle(self, report_checks):
        """After the judgement: the report's word on each check where the live events said otherwise or
        nothing (a check not run, one the live reader could not decide), so that the last event of each
        check in the stream is the report's."""
        for check in report_checks:
            self.check(check)

    def flush(self):
        self._flushed_at = time.monotonic()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.session_factory() as session:
            session.add_all([SubmissionEvent(submission_id=self.submission_id, kind="check", data=data)
                             for data in pending])
            self._announce(session)
            session.commit()
        self._ring()

    def judged(self):
        """After the verdict is stored: the streams read it now, not at their next poll."""
        with self.session_factory() as session:
            if self._announce(session):
                session.commit()
        self._ring()

    def _announce(self, session):
        """On PostgreSQL, NOTIFY the API processes' listeners once this transaction commits."""
        if session.get_bind().dialect.name != "postgresql":
            return False
        session.execute(text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": NOTIFY_CHANNEL, "payload": str(self.submission_id)})
        return True

    def _ring(self):
        if self.hub is not None:
            self.hub.ring(self.submission_id)


class ProgressListener:
    """An API process's ear on PostgreSQL: LISTENs for workers' progress (in any process, on any machine)
    and rings this process's hub for each. A lost connection is made again; meanwhile, and on SQLite,
    streams fall back on their poll."""

    RETRY_S = 1.0

    def __init__(self, url, hub):
        self.url, self.hub = url, hub
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress-listener", daemon=True)
        self.listening = threading.Event()  # set while a LISTEN is in place

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for notify in connection.notifies(timeout=0.5):
                            if notify.payload.isdigit():
                                self.hub.ring(int(notify.payload))
            except Exception:  # the database went away for a moment: listen again shortly
                log.warning("progress listener: connection lost; listening again in %.0f s", self.RETRY_S,
                            exc_info=True)
            self.listening.clear()
            self._stop.wait(self.RETRY_S)


def prune_events(session, *, now=None):
    """Drop events older than KEEP_EVENTS (no judging runs that long). Commits."""
    session.execute(delete(SubmissionEvent).where(SubmissionEvent.created_at < (now or utcnow()) - KEEP_EVENTS))
    session.commit()


def poll(session, *, submission_id, after_id, with_position):
    """What a stream has not sent yet: (status, queue position or None, new stored events, the verdict
    event's data or None, whether more events are waiting).

    The row is read before the events: a worker stores its last check before it stores the verdict, so
    when the row says judged, every event of the attempt is already visible (PostgreSQL reads each
    statement at its own snapshot; SQLite's read transaction is one snapshot)."""
    row = session.execute(select(Submission.status, Submission.verdict, Submission.report, Submission.mode)
                          .where(Submission.id == submission_id)).one()
    status = row.status
    position = queue_position(session, submission_id) if status == SubmissionStatus.QUEUED.value and with_position else None
    events = []
    if status != SubmissionStatus.QUEUED.value:  # a queued submission's stored events are an old attempt's
        events = list(session.scalars(
            select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id,
                                          SubmissionEvent.id > after_id)
            .order_by(SubmissionEvent.id).limit(EVENTS_PER_POLL + 1)))
    more = len(events) > EVENTS_PER_POLL
    events = [(e.id, e.kind, e.data) for e in events[:EVENTS_PER_POLL]]
    verdict = None
    if status == SubmissionStatus.JUDGED.value and not more:
        report = row.report or {}
        verdict = {"status": status, "verdict": row.verdict, "mode": row.mode,
                   "summary": report.get("summary", ""), "report": report}
    session.rollback()  # end the read transaction: the next poll must see newer commits
    return status, position, events, verdict, more
