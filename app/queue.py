"""The submissions table is the queue: claim with a lease, renew it by heartbeat, finish, requeue.

PostgreSQL claims with ``SELECT … FOR UPDATE SKIP LOCKED`` inside one UPDATE; SQLite, whose writers are
serialised anyway, with one atomic conditional UPDATE. Claims are shared across users (`fair_order`). A claim is a lease: a worker that stops renewing
it (killed, frozen, its machine gone) loses the submission to the next `requeue_expired`, up to
`max_attempts` claims, after which the submission is judged INTERNAL_ERROR with the reason. Every write a
worker makes is conditioned on still holding the lease, so a submission is never judged twice at once
and a late result from a lost lease is dropped.
"""

import datetime as dt
import logging
import threading

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import aliased

from .db import json_safe, utcnow
from .models import Submission, SubmissionStatus

log = logging.getLogger("jaxjudge.queue")
NOTIFY_CHANNEL = "jaxjudge_submissions"
QUEUED, RUNNING, JUDGED = (s.value for s in SubmissionStatus)


class Wakeup:
    """Wakes the embedded workers of this process the moment a submission is queued."""

    def __init__(self):
        self._condition = threading.Condition()
        self._generation = 0

    def notify(self):
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, timeout):
        with self._condition:
            seen = self._generation
            self._condition.wait_for(lambda: self._generation != seen, timeout)


def announce_new_submissions(session):
    """Within the transaction that queued work: tell PostgreSQL listeners once it commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def fair_order():
    """The order queued submissions are claimed in, shared across users (issue 14: one worker once made a
    correct submission wait 63.9 s behind another user's three busy loops):

    1. the user with the fewest submissions running now first (many workers: spread over users);
    2. then the user served longest ago first — a user never served before ahead of all (round-robin:
       after a user's claim, everyone who has waited since is served before that user again);
    3. then the oldest submission (within one user: in the order they were sent).

    So a submission waits behind at most one submission of each other user, however many they queue.
    Both keys are correlated subqueries on the submitting user, each an index look-up
    (ix_submissions_user_started; the running ones through ix_submissions_queue)."""
    other = aliased(Submission)
    running = (select(func.count()).select_from(other)
               .where(other.user_id == Submission.user_id, other.status == RUNNING).scalar_subquery())
    last_served = (select(func.max(other.started_at)).where(other.user_id == Submission.user_id)
                   .scalar_subquery())
    return running.asc(), last_served.asc().nulls_first(), Submission.id.asc()


def claim_next_submission(session, *, worker_id, gpu, lease_s):
    """Claim the next queued submission this worker can judge, in `fair_order`; its id, or None. Commits.

    One statement: PostgreSQL locks the chosen row with FOR UPDATE SKIP LOCKED (a concurrent claim takes
    the next one instead of waiting); on SQLite the UPDATE holds the write lock, and the condition on the
    status makes it a no-op should the row have been claimed already."""
    now = utcnow()
    candidates = select(Submission.id).where(Submission.status == QUEUED)
    if not gpu:
        candidates = candidates.where(Submission.requires_gpu.is_(False))
    candidates = candidates.order_by(*fair_order()).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=Submission)
    claimed = session.execute(
        update(Submission)
        .where(Submission.id == candidates.scalar_subquery(), Submission.status == QUEUED)
        .values(status=RUNNING, lease_owner=worker_id, lease_expires_at=now + dt.timedelta(seconds=lease_s),
                attempts=Submission.attempts + 1, started_at=now)
        .returning(Submission.id)
    ).scalar_one_or_none()
    session.commit()
    return claimed


def renew_lease(session, *, submission_id, worker_id, lease_s):
    """Heartbeat: extend the lease; False when it was lost (expired and requeued meanwhile). Commits."""
    renewed = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.lease_owner == worker_id,
               Submission.status == RUNNING)
        .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_s))
    ).rowcount
    session.commit()
    return renewed == 1


def finish_submission(session, *, submission_id, worker_id, report):
    """Store the verdict if this worker still holds the lease; False means the result was dropped."""
    device = report.get("device", {})
    stored = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.lease_owner == worker_id,
               Submission.status == RUNNING)
        .values(status=JUDGED, verdict=report["verdict"], report=json_safe(report), judged_at=utcnow(),
                device=device.get("kind") or device.get("requested"),
                judge_s=report.get("timings", {}).get("judge_s"), lease_owner=None, lease_expires_at=None)
    ).rowcount
    session.commit()
    if not stored:
        log.warning("submission %s: lease lost, result of %s dropped", submission_id, worker_id)
    return stored == 1


def hand_back(session, *, submission_id, worker_id, attempted=False):
    """Return a claimed submission to the queue unjudged. The claim counts as an attempt only when
    `attempted` (it was judged, and the judge failed in a way another try may not)."""
    session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.lease_owner == worker_id,
               Submission.status == RUNNING)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None,
                attempts=Submission.attempts - (0 if attempted else 1))
    )
    session.commit()


def requeue_expired(session, *, max_attempts):
    """Requeue submissions whose lease expired; fail those out of attempts. Returns (requeued, failed)."""
    now = utcnow()
    expired = (Submission.status == RUNNING, Submission.lease_expires_at < now)
    requeued = session.execute(
        update(Submission).where(*expired, Submission.attempts < max_attempts)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None)
    ).rowcount
    report = {"verdict": "INTERNAL_ERROR", "checks": [], "hints": [],
              "summary": f"The judge failed, not your code: the worker judging it stopped {max_attempts} "
                         "times before finishing (its lease expired)."}
    failed = session.execute(
        update(Submission).where(*expired, Submission.attempts >= max_attempts)
        .values(status=JUDGED, verdict="INTERNAL_ERROR", report=report, judged_at=now, lease_owner=None,
                lease_expires_at=None)
    ).rowcount
    session.commit()
    if requeued or failed:
        log.warning("expired leases: %d requeued, %d failed", requeued, failed)
    return requeued, failed


def queued_count(session):
    return session.scalar(select(func.count()).select_from(Submission).where(Submission.status == QUEUED))


def in_flight_count(session, user_id):
    return session.scalar(select(func.count()).select_from(Submission).where(
        Submission.user_id == user_id, Submission.status.in_((QUEUED, RUNNING))))


def queue_position(session, submission_id):
    """1 for the submission claimed next, 2 for the one after, …, in `fair_order` (ignoring which
    device each needs); None when it is not queued. One query over the queue, which `max_queue` bounds."""
    ids = session.scalars(select(Submission.id).where(Submission.status == QUEUED).order_by(*fair_order())).all()
    try:
        return ids.index(submission_id) + 1
    except ValueError:
        return None
