"""/api/admin: authoring, validation, publishing and rejudging. Admins only (401 anonymous, 403 others)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, UploadFile
from sqlalchemy import func, select
from starlette.convertors import Convertor, register_url_convertor

from .deps import AdminUser, SessionDep, SubmissionId
from .errors import ERROR_RESPONSES, Conflict, NotFound, Unprocessable
from .models import Problem, ProblemVersion, User
from .problems import service as problems
from .problems.schemas import AdminProblemOut, ImportOut, PreviewIn, PreviewOut, ProblemIn, ValidationOut
from .sets.schemas import RoleIn
from .submissions import service as submissions
from .users.schemas import USERNAME_PATTERN, UserOut
from .web.markdown import render_markdown

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=ERROR_RESPONSES)


class ProblemSlugConvertor(Convertor):
    """A problem's slug in /api/admin/problems/…: any path segment but `import`, the upload route's (a
    reserved slug, `problems.service.RESERVED_SLUGS`). As a plain {slug}, GET and PUT
    /api/admin/problems/import reached the slug's routes, so a 405 there said `Allow: GET, POST, PUT`
    where the path serves POST alone (OpenAPI: a concrete path is matched before a templated one)."""

    regex = r"(?!import(?:/|$))[^/]+"

    def convert(self, value):
        return value

    def to_string(self, value):
        return str(value)


register_url_convertor("problem_slug", ProblemSlugConvertor())


def _problem(session, slug, admin):
    return problems.get_problem(session, slug=slug, user=admin)


def _admin_summaries(session, admin, rows):
    versions = dict(session.execute(
        select(ProblemVersion.problem_id, func.count()).group_by(ProblemVersion.problem_id)).all())
    out = []
    for summary, problem in zip(problems.summaries(session, problems=rows, user=admin), rows):
        out.append({**summary, "version": problem.current_version.number, "versions": versions.get(problem.id, 0),
                    "created_at": problem.created_at})
    return out


def _admin_summary(session, slug, admin):
    return _admin_summaries(session, admin, [_problem(session, slug, admin)])[0]


@router.get("/problems", response_model=list[AdminProblemOut])
def list_problems(admin: AdminUser, session: SessionDep):
    """Every problem, drafts included."""
    rows = session.scalars(select(Problem).where(Problem.current_version_id.is_not(None)).order_by(Problem.id))
    return _admin_summaries(session, admin, rows.all())


@router.get("/problems/{slug:problem_slug}", response_model=ProblemIn)
def get_problem_fields(slug: str, admin: AdminUser, session: SessionDep):
    """The current version as the fields POST and PUT take: fetch, change, PUT back."""
    return problems.fields_of_version(_problem(session, slug, admin).current_version)


@router.post("/preview", response_model=PreviewOut)
def preview(body: PreviewIn, admin: AdminUser):
    """Markdown rendered exactly as the problem page will show it (the authoring page's live preview)."""
    return {"html": str(render_markdown(body.markdown))}


@router.post("/problems", status_code=201, response_model=ImportOut)
def create_problem(body: ProblemIn, admin: AdminUser, session: SessionDep):
    """Create a problem (unpublished) from JSON fields; 409 when the slug exists (use PUT)."""
    if session.scalar(select(Problem.id).where(Problem.slug == body.slug)) is not None:
        raise Conflict(f"A problem {body.slug!r} exists; PUT /api/admin/problems/{body.slug} adds a version.")
    problem, version, changed = problems.import_package(session, files=problems.files_from_fields(body),
                                                        origin=body.slug)
    session.commit()
    return {"slug": problem.slug, "version": version.number, "changed": changed}


@router.put("/problems/{slug:problem_slug}", response_model=ImportOut)
def update_problem(slug: str, body: ProblemIn, admin: AdminUser, session: SessionDep):
    """A new version from JSON fields. Earlier submissions keep the version they were judged on."""
    _problem(session, slug, admin)
    if body.slug != slug:
        raise Unprocessable("The slug in the body differs from the one in the path.")
    problem, version, changed = problems.import_package(session, files=problems.files_from_fields(body),
                                                        origin=slug)
    session.commit()
    return {"slug": problem.slug, "version": version.number, "changed": changed}


@router.post("/problems/import", response_model=ImportOut)
def import_zip(package: UploadFile, admin: AdminUser, session: SessionDep):
    """Upload a package zip (problem.toml at its root or in one top folder); a new version if it exists."""
    data = package.file.read(problems.MAX_ZIP_BYTES + 1)
    problem, version, changed = problems.import_package(session, files=problems.files_from_zip(data),
                                                        origin=package.filename or "upload.zip")
    session.commit()
    return {"slug": problem.slug, "version": version.number, "changed": changed}


@router.post("/problems/{slug:problem_slug}/validate", status_code=202, response_model=ValidationOut)
def validate(slug: str, admin: AdminUser, session: SessionDep, request: Request):
    """Judge the reference and every example of the current version; poll GET …/validation for the matrix.
    While a validation of the current version is under way, this returns it and queues nothing more."""
    matrix = problems.start_validation(session, admin=admin, problem=_problem(session, slug, admin),
                                       max_queue=request.app.state.settings.max_queue)
    session.commit()
    request.app.state.wakeup.notify()
    return matrix


@router.get("/problems/{slug:problem_slug}/validation", response_model=ValidationOut)
def validation(slug: str, admin: AdminUser, session: SessionDep):
    return problems.validation_matrix(session, problem=_problem(session, slug, admin))


@router.post("/problems/{slug:problem_slug}/publish", response_model=AdminProblemOut)
def publish(slug: str, admin: AdminUser, session: SessionDep):
    """Publish; 409 while the latest validation of the current version has not passed."""
    problems.set_published(session, problem=_problem(session, slug, admin), published=True)
    session.commit()
    return _admin_summary(session, slug, admin)


@router.post("/problems/{slug:problem_slug}/unpublish", response_model=AdminProblemOut)
def unpublish(slug: str, admin: AdminUser, session: SessionDep):
    problems.set_published(session, problem=_problem(session, slug, admin), published=False)
    session.commit()
    return _admin_summary(session, slug, admin)


@router.post("/problems/{slug:problem_slug}/rejudge")
def rejudge_problem(slug: str, admin: AdminUser, session: SessionDep, request: Request):
    """Queue every submission of the problem again, each on the version it was judged on."""
    ids = submissions.problem_submission_ids(session, problem=_problem(session, slug, admin))
    count = submissions.rejudge(session, submission_ids=ids)
    session.commit()
    request.app.state.wakeup.notify()
    return {"requeued": count}


@router.post("/submissions/{submission_id}/rejudge")
def rejudge_submission(submission_id: SubmissionId, admin: AdminUser, session: SessionDep, request: Request):
    submissions.get_submission(session, user=admin, submission_id=submission_id)
    count = submissions.rejudge(session, submission_ids=[submission_id])
    session.commit()
    request.app.state.wakeup.notify()
    return {"requeued": count}


@router.put("/users/{username}/role", response_model=UserOut)
def set_role(username: Annotated[str, Path(pattern=USERNAME_PATTERN, max_length=32)], body: RoleIn,
             admin: AdminUser, session: SessionDep):
    """Make a user course staff (creates problem sets, sees its students' work), an admin, or a plain user."""
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    if user.id == admin.id and body.role != "admin":
        raise Conflict("You cannot take away your own admin role; ask another admin.")
    user.role = body.role
    session.commit()
    return user
