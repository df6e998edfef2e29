from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse

from ..deps import CurrentUser, Page, SessionDep, SubmissionId
from ..errors import ERROR_RESPONSES
from ..problems import service as problems
from . import service, stream
from .schemas import SubmissionCreated, SubmissionIn, SubmissionOut, SubmissionPage

router = APIRouter(prefix="/api", tags=["submissions"], responses=ERROR_RESPONSES)


@router.post("/problems/{slug}/submissions", status_code=202, response_model=SubmissionCreated)
def submit(slug: str, body: SubmissionIn, user: CurrentUser, session: SessionDep, request: Request):
    """Queue a submission. 403 for `show_hidden` unless you are an admin; 413 over 64 KiB; 422 for NUL
    bytes or text that is not UTF-8; 429 (Retry-After) when you have too many waiting; 503 (Retry-After)
    when the queue is full."""
    problem = problems.get_problem(session, slug=slug, user=user)
    submission = service.create_submission(session, user=user, problem=problem, source=body.source,
                                           mode=body.mode, settings=request.app.state.settings,
                                           show_hidden=body.show_hidden)
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


@router.get("/submissions/{submission_id}/events", response_class=EventSourceResponse,
            responses={200: {"description": "server-sent events until the verdict",
                             "content": {"text/event-stream": {}}}})
async def submission_events(submission_id: SubmissionId, user: CurrentUser, request: Request,
                            last_event_id: Annotated[str | None, Header()] = None):
    """The submission's progress as server-sent events: `queued` {position} while it waits, `running`,
    one `check` {case, sample, check, transform, status, verdict, trusted} per check as it is decided,
    then `verdict` {verdict, summary, report}, after which the stream ends. Reconnect with the
    `Last-Event-ID` header (the id of the last event seen) to resume. Owner and admins only (others 404)."""
    after_id = stream.parse_last_event_id(last_event_id)

    def check():
        with request.app.state.read_session_factory() as session:
            stream.check_may_stream(session, user=user, submission_id=submission_id)

    await anyio.to_thread.run_sync(check)
    # ping: a comment every 15 s keeps proxies from closing a stream that waits in a long queue.
    return EventSourceResponse(stream.submission_events(request.app, submission_id=submission_id,
                                                        after_id=after_id),
                               ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
