from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..deps import CurrentUser, Page, SessionDep, SubmissionId
from ..errors import ERROR_RESPONSES
from ..problems import service as problems
from . import service
from .schemas import SubmissionCreated, SubmissionIn, SubmissionOut, SubmissionPage

router = APIRouter(prefix="/api", tags=["submissions"], responses=ERROR_RESPONSES)


@router.post("/problems/{slug}/submissions", status_code=202, response_model=SubmissionCreated)
def submit(slug: str, body: SubmissionIn, user: CurrentUser, session: SessionDep, request: Request):
    """Queue a submission. 413 over 64 KiB; 422 for NUL bytes or text that is not UTF-8; 429 (Retry-After)
    when you have too many waiting; 503 (Retry-After) when the queue is full."""
    problem = problems.get_problem(session, slug=slug, user=user)
    submission = service.create_submission(session, user=user, problem=problem, source=body.source,
                                           mode=body.mode, settings=request.app.state.settings)
    session.commit()
    request.app.state.wakeup.notify()
    return SubmissionCreated(id=submission.id, status=submission.status)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
def get_submission(submission_id: SubmissionId, user: CurrentUser, session: SessionDep):
    """Only the owner and admins see a submission; anyone else gets 404."""
    return service.as_dict(service.get_submission(session, user=user, submission_id=submission_id))


@router.get("/submissions", response_model=SubmissionPage)
def list_submissions(user: CurrentUser, session: SessionDep, problem: str | None = None,
                     mine: Annotated[bool, Query(description="only mine (always, for non-admins)")] = True,
                     page: Page = 1, per_page: Annotated[int, Query(ge=1, le=100)] = 20):
    return service.list_submissions(session, user=user, problem_slug=problem, mine=mine, page=page,
                                    per_page=per_page)
