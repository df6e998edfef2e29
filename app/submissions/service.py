"""Submissions: checks at the door, queueing, visibility, rejudging. Flushes; the caller commits."""

import grader
from sqlalchemy import func, select, update

from ..errors import Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable, TooManyRequests, Unprocessable
from ..models import Problem, Submission, SubmissionMode, SubmissionStatus
from ..queue import announce_new_submissions, in_flight_count, queued_count


def check_source(source):
    """The source as it will be judged; 413 when too long, 422 for text a Python file cannot hold."""
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" survives JSON but is not UTF-8
        raise Unprocessable("The source is not valid UTF-8.") from None
    if len(data) > grader.MAX_SOURCE_BYTES:
        raise PayloadTooLarge(f"The source is {len(data)} bytes; the limit is {grader.MAX_SOURCE_BYTES}.")
    if "\0" in source:
        raise Unprocessable("The source contains a NUL byte.")
    return source


def create_submission(session, *, user, problem, source, mode, settings, show_hidden=False):
    if show_hidden and not user.is_admin:
        raise Forbidden("Only admins may see hidden cases (show_hidden).")
    check_source(source)
    if in_flight_count(session, user.id) >= settings.max_in_flight_per_user:
        raise TooManyRequests(f"You have {settings.max_in_flight_per_user} submissions waiting; "
                              "try again when one is judged.", retry_after_s=5)
    if queued_count(session) >= settings.max_queue:
        raise ServiceUnavailable("The judging queue is full; try again shortly.", retry_after_s=30)
    version = problem.current_version
    submission = Submission(user_id=user.id, problem_id=problem.id, problem_version_id=version.id,
                            source=source, mode=mode, requires_gpu=version.device == "gpu", show_hidden=show_hidden)
    session.add(submission)
    announce_new_submissions(session)
    session.flush()
    return submission


def get_submission(session, *, user, submission_id):
    """The submission, for its owner, an admin, or the staff of a set in which its author is a student
    and its problem is one of the set's (unless it shows hidden cases); anyone else gets the same 404 as a
    missing id."""
    from ..sets.service import may_see_submission

    submission = session.get(Submission, submission_id)
    if submission is None or not (user.is_admin or submission.user_id == user.id or (
            submission.mode == SubmissionMode.SUBMIT.value and not submission.show_hidden
            and may_see_submission(session, viewer=user, submission=submission))):
        raise NotFound(f"No submission {submission_id}.")
    return submission


def as_dict(submission):
    return {"id": submission.id, "problem": submission.problem.slug,
            "problem_version": submission.problem_version.number, "username": submission.user.username,
            "mode": submission.mode, "status": submission.status, "verdict": submission.verdict,
            "report": submission.report, "device": submission.device, "judge_s": submission.judge_s,
            "attempts": submission.attempts, "show_hidden": submission.show_hidden,
            "created_at": submission.created_at,
            "judged_at": submission.judged_at, "source": submission.source}


def list_submissions(session, *, user, problem_slug=None, mine=True, page=1, per_page=20):
    query = select(Submission).where(Submission.mode != SubmissionMode.VALIDATE.value)
    if mine or not user.is_admin:  # only admins see other people's submissions
        query = query.where(Submission.user_id == user.id)
    if problem_slug:
        query = query.join(Problem, Problem.id == Submission.problem_id).where(Problem.slug == problem_slug)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Submission.id.desc()).offset((page - 1) * per_page).limit(per_page))
    items = [{"id": s.id, "problem": s.problem.slug, "username": s.user.username, "mode": s.mode,
              "status": s.status, "verdict": s.verdict, "created_at": s.created_at, "judge_s": s.judge_s,
              "score": (s.report or {}).get("score")} for s in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def rejudge(session, *, submission_ids):
    """Queue submissions again on the problem version they were judged on (so a rejudge reproduces)."""
    if not submission_ids:
        return 0
    count = session.execute(
        update(Submission).where(Submission.id.in_(submission_ids))
        .values(status=SubmissionStatus.QUEUED.value, verdict=None, report=None, attempts=0, lease_owner=None,
                lease_expires_at=None, judged_at=None, started_at=None)).rowcount
    announce_new_submissions(session)
    session.flush()
    return count


def problem_submission_ids(session, *, problem):
    return list(session.scalars(select(Submission.id).where(
        Submission.problem_id == problem.id, Submission.mode != SubmissionMode.VALIDATE.value)))
