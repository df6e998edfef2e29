"""/api/sets: problem sets (courses). Staff and admins create them; a set's staff manage it and see its
students' work; students see their own progress. Outsiders get 404 for a set, as for a missing one;
students get 403 on what only staff may do; signed-out callers 401 (the public scoreboard excepted)."""

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse

from ..deps import CurrentUser, OptionalUser, Page, SessionDep, StaffUser
from ..errors import ERROR_RESPONSES, Unauthorized
from . import service
from .schemas import (PROBLEM_SLUG_PATTERN, SET_SLUG_PATTERN, USERNAME_PATTERN, CasesOut, EnrollIn, EnrollmentOut,
                      JoinIn, JoinOut, ProblemSetChange, ProblemSetIn, ProblemSetOut, ProgressOut, ResultsOut, ScoreboardOut,
                      SetSubmissionPage)

router = APIRouter(prefix="/api", tags=["sets"], responses=ERROR_RESPONSES)
SetSlug = Annotated[str, Path(pattern=SET_SLUG_PATTERN, max_length=63, description="a problem set's slug")]
ProblemSlug = Annotated[str, Path(pattern=PROBLEM_SLUG_PATTERN, max_length=63, description="a problem's slug")]
Username = Annotated[str, Path(pattern=USERNAME_PATTERN, max_length=32)]
CSV_EXAMPLE = "username,clip-passthrough,total\nada,10,10\n"


@router.get("/sets", response_model=list[ProblemSetOut])
def list_sets(user: CurrentUser, session: SessionDep):
    """The sets you are in (every set, for an admin), newest first."""
    return [service.set_out(session, problem_set=s, role=role) for s, role in service.visible_sets(session, user=user)]


@router.post("/sets", status_code=201, response_model=ProblemSetOut)
def create_set(body: ProblemSetIn, staff: StaffUser, session: SessionDep):
    """Create a set (course staff and admins); you are enrolled as its staff. 409 when the slug exists;
    422 for unknown or unpublished problems."""
    problem_set = service.create_set(session, creator=staff, fields=body)
    session.commit()
    return service.set_out(session, problem_set=problem_set, role=service.role_in(
        session, problem_set=problem_set, user=staff))


@router.post("/enrollments", response_model=JoinOut)
def join_set(body: JoinIn, user: CurrentUser, session: SessionDep):
    """Enroll yourself as a student with the invite code your course staff gave you (404 for a wrong one)."""
    problem_set, role = service.join(session, user=user, invite_code=body.invite_code)
    session.commit()
    return {"slug": problem_set.slug, "title": problem_set.title, "role": role}


@router.get("/sets/{slug}", response_model=ProblemSetOut)
def get_set(slug: SetSlug, user: CurrentUser, session: SessionDep):
    problem_set, role = service.get_set(session, slug=slug, user=user)
    return service.set_out(session, problem_set=problem_set, role=role)


@router.put("/sets/{slug}", response_model=ProblemSetOut)
def update_set(slug: SetSlug, body: ProblemSetChange, user: CurrentUser, session: SessionDep):
    """Change the set (its staff): the problems, the window, the policies. Standings follow at once."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    service.update_set(session, problem_set=problem_set, fields=body)
    session.commit()
    return service.set_out(session, problem_set=problem_set, role=service.role_in(
        session, problem_set=problem_set, user=user))


@router.delete("/sets/{slug}", status_code=204)
def delete_set(slug: SetSlug, user: CurrentUser, session: SessionDep):
    """Delete the set and its enrolments (its staff). Submissions stay with their problems."""
    service.delete_set(session, problem_set=service.get_managed_set(session, slug=slug, user=user))
    session.commit()
    return Response(status_code=204)


@router.post("/sets/{slug}/invite-code", response_model=ProblemSetOut)
def new_invite_code(slug: SetSlug, user: CurrentUser, session: SessionDep):
    """A new invite code (its staff); the old one stops working."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    service.new_invite_code(session, problem_set=problem_set)
    session.commit()
    return service.set_out(session, problem_set=problem_set, role=service.role_in(
        session, problem_set=problem_set, user=user))


@router.get("/sets/{slug}/enrollments", response_model=list[EnrollmentOut])
def list_enrollments(slug: SetSlug, user: CurrentUser, session: SessionDep):
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    return [{"username": e.user.username, "role": e.role, "enrolled_at": e.enrolled_at}
            for e in service.enrollments(session, problem_set=problem_set)]


@router.post("/sets/{slug}/enrollments", response_model=list[EnrollmentOut])
def enroll(slug: SetSlug, body: EnrollIn, user: CurrentUser, session: SessionDep):
    """Enroll users by username, as students or staff (all or none: 422 names the unknown ones)."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    rows = service.enroll(session, problem_set=problem_set, usernames=body.usernames, role=body.role)
    session.commit()
    return [{"username": e.user.username, "role": e.role, "enrolled_at": e.enrolled_at} for e in rows]


@router.delete("/sets/{slug}/enrollments/{username}", status_code=204)
def unenroll(slug: SetSlug, username: Username, user: CurrentUser, session: SessionDep):
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    service.unenroll(session, problem_set=problem_set, username=username)
    session.commit()
    return Response(status_code=204)


@router.get("/sets/{slug}/progress", response_model=ProgressOut)
def progress(slug: SetSlug, user: CurrentUser, session: SessionDep):
    """Your standing in the set: points per problem, the best submission, attempts, the time left."""
    problem_set, _ = service.get_set(session, slug=slug, user=user)
    return service.progress(session, problem_set=problem_set, user=user)


@router.get("/sets/{slug}/results", response_model=ResultsOut)
def results(slug: SetSlug, user: CurrentUser, session: SessionDep):
    """Students × problems with points and times, and a summary per problem (its staff)."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    rows = service.standings(session, problem_set=problem_set)
    return {"slug": problem_set.slug, "problems": service.set_problems_out(problem_set), "students": rows,
            "summary": service.problem_summaries(session, problem_set=problem_set, rows=rows)}


@router.get("/sets/{slug}/scoreboard", response_model=ScoreboardOut)
def scoreboard(slug: SetSlug, user: OptionalUser, session: SessionDep):
    """Ranked by points, then penalty time (ICPC). Anyone may read a public one; members one kept to the
    enrolled."""
    problem_set = service.get_scoreboard_set(session, slug=slug, user=user)
    if problem_set is None:
        raise Unauthorized("This scoreboard is for the set's members; sign in.")
    return {"slug": problem_set.slug, "title": problem_set.title, "state": service.state_of(problem_set),
            "problems": service.set_problems_out(problem_set),
            "rows": service.standings(session, problem_set=problem_set)}


@router.get("/sets/{slug}/submissions", response_model=SetSubmissionPage)
def set_submissions(slug: SetSlug, user: CurrentUser, session: SessionDep,
                    username: Annotated[str | None, Query(pattern=USERNAME_PATTERN, max_length=32)] = None,
                    problem: Annotated[str | None, Query(pattern=PROBLEM_SLUG_PATTERN, max_length=63)] = None,
                    page: Page = 1, per_page: Annotated[int, Query(ge=1, le=100)] = 20):
    """The students' submissions to the set's problems since it opened, newest first (its staff); each
    opens at GET /api/submissions/{id}."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    return service.set_submissions(session, problem_set=problem_set, username=username, problem_slug=problem,
                                   page=page, per_page=per_page)


@router.get("/sets/{slug}/problems/{problem}/cases", response_model=CasesOut)
def cases(slug: SetSlug, problem: ProblemSlug, user: CurrentUser, session: SessionDep):
    """A problem's cases, hidden ones included: staff always; students after the close when the set shows
    hidden details then (403 otherwise)."""
    problem_set, role = service.get_set(session, slug=slug, user=user)
    return service.hidden_cases(problem_set, entry_slug=problem, role=role)


@router.get("/sets/{slug}/export", response_class=PlainTextResponse, responses={200: {
    "description": "One row per student, a column per problem slug with the points, and the total.",
    "content": {"text/csv": {"example": CSV_EXAMPLE}, "application/json": {}}}})
def export(slug: SetSlug, user: CurrentUser, session: SessionDep,
           format: Annotated[Literal["csv", "json"], Query(description="csv (default) or json")] = "csv"):
    """The set's grades (its staff), as a download."""
    problem_set = service.get_managed_set(session, slug=slug, user=user)
    disposition = {"Content-Disposition": f'attachment; filename="{problem_set.slug}-grades.{format}"'}
    if format == "json":
        body = json.dumps(service.grades(session, problem_set=problem_set), indent=2)
        return Response(body, media_type="application/json", headers=disposition)
    return Response(service.grades_csv(session, problem_set=problem_set), media_type="text/csv; charset=utf-8",
                    headers=disposition)
