"""Problem sets: who may see and manage one, enrolment, the window's rules, scoring and standings.

Scoring is all-or-nothing per problem: a set's problem gives its points to the first ACCEPTED submission
(mode submit) made inside the window. Submissions after the close are judged as ever and marked late; by
the set's late policy a late ACCEPTED counts nothing, or the points less a percentage. Standings order by
points, then ICPC's penalty time (minutes from the opening to each solve, plus 20 per failed try before
it), then the earlier last solve. Nothing is stored about a submission's set: it is worked out from the
submission's time, so a rejudge or a changed window is reflected at once.

Functions flush and never commit: the request or command that calls them commits."""

import collections
import csv
import io
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, load_only

from ..db import json_safe, utcnow
from ..errors import Conflict, Forbidden, NotFound, Unprocessable
from ..models import (Enrollment, EnrollmentRole, LatePolicy, Problem, ProblemSet, ProblemSetProblem,
                      ScoreboardVisibility, Submission, SubmissionMode, SubmissionStatus, User)

PENALTY_MINUTES_PER_TRY = 20  # ICPC's figure
# Failures that cost no penalty try: a source that does not compile is refused before any test runs (as at
# ICPC), and a judge fault is ours, not the student's.
FREE_VERDICTS = frozenset({"COMPILATION_ERROR", "INTERNAL_ERROR"})
STUDENT, STAFF, ADMIN = EnrollmentRole.STUDENT.value, EnrollmentRole.STAFF.value, "admin"


def state_of(problem_set, now=None):
    now = now or utcnow()
    if now < problem_set.opens_at:
        return "upcoming"
    return "open" if now <= problem_set.closes_at else "closed"


def is_late(problem_set, submitted_at):
    return submitted_at > problem_set.closes_at


# Who may do what -------------------------------------------------------------------------------------

def role_in(session, *, problem_set, user):
    """"admin", "staff", "student" or None: what `user` is in the set."""
    if user is None:
        return None
    if user.is_admin:
        return ADMIN
    return session.scalar(select(Enrollment.role).where(Enrollment.problem_set_id == problem_set.id,
                                                        Enrollment.user_id == user.id))


def _find(session, slug):
    problem_set = session.scalar(select(ProblemSet).where(ProblemSet.slug == slug))
    if problem_set is None:
        raise NotFound(f"No problem set {slug!r}.")
    return problem_set


def get_set(session, *, slug, user):
    """(set, role) for a member of the set (student, staff) or an admin; the same 404 as a missing set
    for anyone else, so outsiders learn nothing of which sets exist."""
    problem_set = _find(session, slug)
    role = role_in(session, problem_set=problem_set, user=user)
    if role is None:
        raise NotFound(f"No problem set {slug!r}.")
    return problem_set, role


def get_managed_set(session, *, slug, user):
    """The set, for its staff and admins; 403 for its students, 404 for everyone else."""
    problem_set, role = get_set(session, slug=slug, user=user)
    if role == STUDENT:
        raise Forbidden("Only the set's staff may do this.")
    return problem_set


def get_scoreboard_set(session, *, slug, user):
    """The set, if `user` (None: signed out) may see its scoreboard: anyone for a public one, members for
    one kept to the enrolled (signed out: 401 from the caller; outsiders: 404)."""
    problem_set = _find(session, slug)
    if problem_set.scoreboard == ScoreboardVisibility.PUBLIC.value:
        return problem_set
    if user is None:
        return None
    return get_set(session, slug=slug, user=user)[0]


def visible_sets(session, *, user):
    """[(set, role)] of every set the user is in (every set, for an admin), newest window first."""
    if user.is_admin:
        rows = [(s, ADMIN) for s in session.scalars(select(ProblemSet))]
    else:
        rows = session.execute(select(ProblemSet, Enrollment.role).join(
            Enrollment, Enrollment.problem_set_id == ProblemSet.id).where(Enrollment.user_id == user.id)).all()
    return sorted(rows, key=lambda row: (row[0].opens_at, row[0].id), reverse=True)


def student_sets_with(session, *, user, problem):
    """The sets in which `user` is a student and `problem` is one of the problems, with its points there."""
    if user is None:
        return []
    rows = session.execute(
        select(ProblemSet, ProblemSetProblem.points)
        .join(Enrollment, Enrollment.problem_set_id == ProblemSet.id)
        .join(ProblemSetProblem, ProblemSetProblem.problem_set_id == ProblemSet.id)
        .where(Enrollment.user_id == user.id, Enrollment.role == STUDENT, ProblemSetProblem.problem_id == problem.id)
        .order_by(ProblemSet.closes_at)).all()
    return [{"slug": s.slug, "title": s.title, "points": points, "state": state_of(s), "opens_at": s.opens_at,
             "closes_at": s.closes_at, "late_policy": s.late_policy,
             "late_penalty_percent": s.late_penalty_percent} for s, points in rows]


def may_see_submission(session, *, viewer, submission):
    """Whether `viewer` is staff of a set in which the submission's author is a student, its problem is
    one of the set's, and it was made since the set opened: course staff see their students' work on the
    set, not the rest of it (nor what a student did on the same problem before the course)."""
    staff, student = aliased(Enrollment), aliased(Enrollment)
    return session.scalar(
        select(staff.id).join(student, student.problem_set_id == staff.problem_set_id)
        .join(ProblemSetProblem, ProblemSetProblem.problem_set_id == staff.problem_set_id)
        .join(ProblemSet, ProblemSet.id == staff.problem_set_id)
        .where(staff.user_id == viewer.id, staff.role == STAFF, student.user_id == submission.user_id,
               student.role == STUDENT, ProblemSetProblem.problem_id == submission.problem_id,
               ProblemSet.opens_at <= submission.created_at).limit(1)) is not None


# Creating and changing sets -------------------------------------------------------------------------

def _set_problems(session, fields):
    slugs = [p.problem for p in fields.problems]
    found = {p.slug: p for p in session.scalars(select(Problem).where(Problem.slug.in_(slugs)))} if slugs else {}
    missing = [s for s in slugs if s not in found or found[s].current_version_id is None]
    if missing:
        raise Unprocessable(f"No such problems: {', '.join(missing)}.")
    drafts = [s for s in slugs if not found[s].published]
    if drafts:
        raise Unprocessable(f"Only published problems can be in a set (students could not open them): "
                            f"{', '.join(drafts)}.")
    return [ProblemSetProblem(problem_id=found[p.problem].id, position=i, points=p.points)
            for i, p in enumerate(fields.problems)]


def _apply(problem_set, fields):
    problem_set.title, problem_set.description = fields.title, fields.description
    problem_set.opens_at, problem_set.closes_at = fields.opens_at, fields.closes_at
    problem_set.hidden_details, problem_set.late_policy = fields.hidden_details, fields.late_policy
    problem_set.late_penalty_percent, problem_set.scoreboard = fields.late_penalty_percent, fields.scoreboard


def create_set(session, *, creator, fields):
    """A new set from ProblemSetIn fields; its creator (None from the command line) is enrolled as staff."""
    if session.scalar(select(ProblemSet.id).where(ProblemSet.slug == fields.slug)) is not None:
        raise Conflict(f"A problem set {fields.slug!r} exists; PUT /api/sets/{fields.slug} changes it.")
    problem_set = ProblemSet(slug=fields.slug, invite_code=secrets.token_urlsafe(9),
                             created_by_id=creator.id if creator else None)
    _apply(problem_set, fields)
    problem_set.problems = _set_problems(session, fields)
    session.add(problem_set)
    try:
        session.flush()
    except IntegrityError:  # the same slug created at the same moment
        session.rollback()
        raise Conflict(f"A problem set {fields.slug!r} exists.") from None
    if creator is not None and not creator.is_admin:
        session.add(Enrollment(problem_set_id=problem_set.id, user_id=creator.id, role=STAFF))
        session.flush()
    return problem_set


def update_set(session, *, problem_set, fields):
    if fields.slug is not None and fields.slug != problem_set.slug:
        raise Unprocessable("The slug in the body differs from the one in the path.")
    new_problems = _set_problems(session, fields)
    problem_set.problems.clear()
    session.flush()  # the old rows go before the new ones take their (set, problem) pairs
    problem_set.problems.extend(new_problems)
    _apply(problem_set, fields)
    session.flush()
    return problem_set


def delete_set(session, *, problem_set):
    """The set and its enrolments; submissions stay (they belong to their problems)."""
    session.delete(problem_set)
    session.flush()


def new_invite_code(session, *, problem_set):
    problem_set.invite_code = secrets.token_urlsafe(9)
    session.flush()
    return problem_set.invite_code


# Enrolment -----------------------------------------------------------------------------------------

def enroll(session, *, problem_set, usernames, role=STUDENT):
    """Enroll users by username (all or none: 422 naming the unknown ones). An enrolled user takes the
    given role. Returns the enrolments."""
    keys = list(dict.fromkeys(name.lower() for name in usernames))
    users = {u.username_key: u for u in session.scalars(select(User).where(User.username_key.in_(keys)))}
    missing = [name for name in dict.fromkeys(usernames) if name.lower() not in users]
    if missing:
        raise Unprocessable(f"No such users: {', '.join(missing)}. Nobody was enrolled.")
    existing = {e.user_id: e for e in session.scalars(select(Enrollment).where(
        Enrollment.problem_set_id == problem_set.id, Enrollment.user_id.in_([u.id for u in users.values()])))}
    out = []
    for key in keys:
        user = users[key]
        enrollment = existing.get(user.id)
        if enrollment is None:
            enrollment = Enrollment(problem_set_id=problem_set.id, user_id=user.id, role=role)
            session.add(enrollment)
        enrollment.role = role
        enrollment.user = user
        out.append(enrollment)
    session.flush()
    return out


def join(session, *, user, invite_code):
    """Enroll `user` as a student of the set with this invite code (staff stay staff); 404 for a wrong code."""
    problem_set = session.scalar(select(ProblemSet).where(ProblemSet.invite_code == invite_code))
    if problem_set is None:
        raise NotFound("No problem set has this invite code; check it with your course staff.")
    role = role_in(session, problem_set=problem_set, user=user)
    if role is None:
        session.add(Enrollment(problem_set_id=problem_set.id, user_id=user.id, role=STUDENT))
        try:
            session.flush()
        except IntegrityError:  # the same user joining twice at once
            session.rollback()
        role = STUDENT
    return problem_set, role


def enrollments(session, *, problem_set):
    return session.scalars(select(Enrollment).where(Enrollment.problem_set_id == problem_set.id)
                           .join(User, User.id == Enrollment.user_id).order_by(User.username_key)).all()


def unenroll(session, *, problem_set, username):
    enrollment = session.scalar(select(Enrollment).join(User, User.id == Enrollment.user_id).where(
        Enrollment.problem_set_id == problem_set.id, User.username_key == username.lower()))
    if enrollment is None:
        raise NotFound(f"{username!r} is not enrolled in {problem_set.slug!r}.")
    session.delete(enrollment)
    session.flush()


def student_count(session, *, problem_set):
    return session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.problem_set_id == problem_set.id, Enrollment.role == STUDENT))


# Scoring -------------------------------------------------------------------------------------------

def _number(value):
    return int(value) if float(value).is_integer() else round(value, 2)


def _set_submissions(session, problem_set, user_ids):
    """The set's submissions of these users (mode submit, since the opening), oldest first."""
    problem_ids = [p.problem_id for p in problem_set.problems]
    if not problem_ids or not user_ids:
        return []
    base = (Submission.id, Submission.user_id, Submission.problem_id, Submission.status, Submission.verdict,
            Submission.created_at, Submission.judged_at)
    return session.scalars(
        select(Submission).options(load_only(*base))
        .where(Submission.user_id.in_(user_ids), Submission.problem_id.in_(problem_ids),
               Submission.mode == SubmissionMode.SUBMIT.value, Submission.created_at >= problem_set.opens_at)
        .order_by(Submission.id)).all()


def _cell(problem_set, entry, submissions):
    """A student's standing on one problem from their submissions to it, oldest first."""
    max_points = entry.points
    cell = {"problem": entry.problem.slug, "max_points": max_points, "points": 0, "solved": False,
            "late": False, "late_accepted": False, "attempts": len(submissions), "wrong_before": 0,
            "pending": 0, "solved_at": None, "minutes": None, "best_submission_id": None}
    counting, wrong, last_judged = None, 0, None
    for submission in submissions:
        if submission.status != SubmissionStatus.JUDGED.value:
            cell["pending"] += 1
            continue
        last_judged = submission
        if counting is not None:
            continue
        if submission.verdict == "ACCEPTED":
            if not is_late(problem_set, submission.created_at):
                counting = submission
            else:
                cell["late_accepted"] = True
                if problem_set.late_policy == LatePolicy.PENALTY.value:
                    counting = submission
        elif submission.verdict not in FREE_VERDICTS:
            wrong += 1
    if counting is not None:
        late = is_late(problem_set, counting.created_at)
        share = (100 - problem_set.late_penalty_percent) / 100 if late else 1
        minutes = int((counting.created_at - problem_set.opens_at).total_seconds() // 60)
        cell.update(points=_number(max_points * share), solved=True, late=late, wrong_before=wrong,
                    solved_at=counting.created_at, minutes=minutes, best_submission_id=counting.id)
    else:
        cell["wrong_before"] = wrong
        best = last_judged or (submissions[-1] if submissions else None)
        cell["best_submission_id"] = best.id if best else None
    return cell


def standings(session, *, problem_set, users=None):
    """Ranked rows of the set's students (or of `users`), each with one cell per problem, in order."""
    if users is None:
        users = session.scalars(select(User).join(Enrollment, Enrollment.user_id == User.id).where(
            Enrollment.problem_set_id == problem_set.id, Enrollment.role == STUDENT)).all()
    by_pair = collections.defaultdict(list)
    for submission in _set_submissions(session, problem_set, [u.id for u in users]):
        by_pair[submission.user_id, submission.problem_id].append(submission)
    rows = []
    for user in users:
        cells = [_cell(problem_set, entry, by_pair[user.id, entry.problem_id]) for entry in problem_set.problems]
        solved = [c for c in cells if c["solved"]]
        rows.append({
            "username": user.username, "points": _number(sum(c["points"] for c in cells)), "solved": len(solved),
            "penalty_minutes": sum(c["minutes"] + PENALTY_MINUTES_PER_TRY * c["wrong_before"] for c in solved),
            "last_solve_minutes": max((c["minutes"] for c in solved), default=None), "cells": cells})
    key = lambda r: (-r["points"], r["penalty_minutes"], r["last_solve_minutes"] or 0)  # noqa: E731
    rows.sort(key=lambda r: (*key(r), r["username"].lower()))
    for i, row in enumerate(rows):
        row["rank"] = rows[i - 1]["rank"] if i and key(rows[i - 1]) == key(row) else i + 1
    return rows


def progress(session, *, problem_set, user, now=None):
    now = now or utcnow()
    row = standings(session, problem_set=problem_set, users=[user])[0]
    state = state_of(problem_set, now)
    return {"slug": problem_set.slug, "title": problem_set.title, "state": state,
            "opens_at": problem_set.opens_at, "closes_at": problem_set.closes_at,
            "seconds_to_open": max(0, int((problem_set.opens_at - now).total_seconds())),
            "seconds_left": max(0, int((problem_set.closes_at - now).total_seconds())),
            "hidden_details_visible": hidden_details_visible(problem_set, now=now),
            "late_policy": problem_set.late_policy, "late_penalty_percent": problem_set.late_penalty_percent,
            "username": user.username, "points": row["points"],
            "max_points": sum(p.points for p in problem_set.problems), "cells": row["cells"]}


def hidden_details_visible(problem_set, *, now=None):
    return problem_set.hidden_details == "after_close" and state_of(problem_set, now) == "closed"


def _failed_checks(report):
    """The (check, transform) pairs a report failed, each once."""
    checks = (report or {}).get("checks") or []
    return {(c.get("check"), c.get("transform")) for c in checks
            if isinstance(c, dict) and c.get("status") != "passed" and c.get("check")}


def problem_summaries(session, *, problem_set, rows):
    """Per problem: students who solved it and who tried it, and the check that failed in the most failed
    submissions (from the stored reports' checks)."""
    students = select(Enrollment.user_id).where(Enrollment.problem_set_id == problem_set.id,
                                                Enrollment.role == STUDENT)
    failing = collections.defaultdict(collections.Counter)
    problem_ids = [p.problem_id for p in problem_set.problems]
    if problem_ids:
        # A report holds every check of every case (169 for clip-passthrough, tens of KiB): streamed in
        # batches, so a class's thousands of failures are never all in memory at once.
        reports = session.execute(
            select(Submission.problem_id, Submission.report)
            .where(Submission.user_id.in_(students), Submission.problem_id.in_(problem_ids),
                   Submission.mode == SubmissionMode.SUBMIT.value, Submission.created_at >= problem_set.opens_at,
                   Submission.status == SubmissionStatus.JUDGED.value, Submission.verdict != "ACCEPTED")
            .execution_options(yield_per=200))
        for problem_id, report in reports:
            failing[problem_id].update(_failed_checks(report))
    out = []
    for i, entry in enumerate(problem_set.problems):
        counts = failing[entry.problem_id]
        common = None
        if counts:
            # The most failures; among equals, the first by name, so the answer does not depend on order.
            (check, transform), n = min(counts.items(), key=lambda item: (-item[1], str(item[0])))
            common = {"check": check, "transform": str(transform), "submissions": n}
        out.append({"problem": entry.problem.slug, "title": entry.problem.title, "points": entry.points,
                    "solved": sum(1 for r in rows if r["cells"][i]["solved"]),
                    "attempted": sum(1 for r in rows if r["cells"][i]["attempts"]),
                    "most_common_failing_check": common})
    return out


def set_problems_out(problem_set):
    return [{"problem": p.problem.slug, "title": p.problem.title, "points": p.points} for p in problem_set.problems]


def set_out(session, *, problem_set, role):
    return {"slug": problem_set.slug, "title": problem_set.title, "description": problem_set.description,
            "problems": set_problems_out(problem_set), "opens_at": problem_set.opens_at,
            "closes_at": problem_set.closes_at, "state": state_of(problem_set),
            "hidden_details": problem_set.hidden_details, "late_policy": problem_set.late_policy,
            "late_penalty_percent": problem_set.late_penalty_percent, "scoreboard": problem_set.scoreboard,
            "my_role": role, "invite_code": problem_set.invite_code if role != STUDENT else None,
            "students": student_count(session, problem_set=problem_set)}


def fields_of(problem_set):
    """The set as ProblemSetIn fields (what PUT takes back)."""
    return {"slug": problem_set.slug, "title": problem_set.title, "description": problem_set.description,
            "problems": [{"problem": p.problem.slug, "points": p.points} for p in problem_set.problems],
            "opens_at": problem_set.opens_at, "closes_at": problem_set.closes_at,
            "hidden_details": problem_set.hidden_details, "late_policy": problem_set.late_policy,
            "late_penalty_percent": problem_set.late_penalty_percent, "scoreboard": problem_set.scoreboard}


def set_submissions(session, *, problem_set, username=None, problem_slug=None, page=1, per_page=20):
    """The set's students' submissions (mode submit, since the opening), newest first, for its staff."""
    students = select(Enrollment.user_id).where(Enrollment.problem_set_id == problem_set.id,
                                                Enrollment.role == STUDENT)
    problem_ids = [p.problem_id for p in problem_set.problems]
    query = (select(Submission).join(User, User.id == Submission.user_id)
             .where(Submission.user_id.in_(students), Submission.problem_id.in_(problem_ids),
                    Submission.mode == SubmissionMode.SUBMIT.value, Submission.created_at >= problem_set.opens_at))
    if username:
        query = query.where(User.username_key == username.lower())
    if problem_slug:
        query = query.join(Problem, Problem.id == Submission.problem_id).where(Problem.slug == problem_slug)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Submission.id.desc()).offset((page - 1) * per_page).limit(per_page))
    items = [{"id": s.id, "problem": s.problem.slug, "username": s.user.username, "status": s.status,
              "verdict": s.verdict, "late": is_late(problem_set, s.created_at), "created_at": s.created_at}
             for s in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def hidden_cases(problem_set, *, entry_slug, role, now=None):
    """The cases of one of the set's problems, hidden ones included: for staff always, for students once
    the set has closed if its policy says so (403 before, with when)."""
    from ..problems.service import grader_problem

    entry = next((p for p in problem_set.problems if p.problem.slug == entry_slug), None)
    if entry is None:
        raise NotFound(f"No problem {entry_slug!r} in the set {problem_set.slug!r}.")
    if role == STUDENT and not hidden_details_visible(problem_set, now=now):
        when = ("after the set closes" if problem_set.hidden_details == "after_close" else "never, in this set")
        raise Forbidden(f"Hidden cases are shown {when}.")
    version = entry.problem.current_version
    cases = grader_problem(version).cases
    return {"problem": entry_slug, "version": version.number,
            "cases": [{"name": c.name, "sample": c.sample, "description": c.description or None,
                       "spec": json_safe(c.to_json())} for c in cases]}


# Grades out ----------------------------------------------------------------------------------------

def _cell_text(value):
    """A spreadsheet reads a cell that starts with = + - @ as a formula: such text is quoted."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def grades(session, *, problem_set):
    """One row per student: the points per problem slug, the total (JSON-ready)."""
    rows = sorted(standings(session, problem_set=problem_set), key=lambda r: r["username"].lower())
    return {"set": problem_set.slug, "title": problem_set.title,
            "problems": set_problems_out(problem_set),
            "students": [{"username": r["username"], "scores": {c["problem"]: c["points"] for c in r["cells"]},
                          "late": [c["problem"] for c in r["cells"] if c["late"]], "total": r["points"],
                          "penalty_minutes": r["penalty_minutes"], "rank": r["rank"]} for r in rows]}


def grades_csv(session, *, problem_set):
    data = grades(session, problem_set=problem_set)
    slugs = [p["problem"] for p in data["problems"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", *slugs, "total"])
    for student in data["students"]:
        writer.writerow([_cell_text(student["username"]), *(student["scores"][s] for s in slugs), student["total"]])
    return out.getvalue()
