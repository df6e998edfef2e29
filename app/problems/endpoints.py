from fastapi import APIRouter

from ..deps import CurrentUser, OptionalUser, SessionDep
from ..errors import ERROR_RESPONSES
from ..web.markdown import render_markdown
from . import service
from .schemas import HintsOut, ProblemDetail, ProblemSummary, SolutionOut

router = APIRouter(prefix="/api/problems", tags=["problems"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[ProblemSummary])
def list_problems(session: SessionDep, user: OptionalUser):
    """Published problems with acceptance rates; solved/attempted marks for a signed-in user."""
    return service.list_problems(session, user=user)


@router.get("/{slug}", response_model=ProblemDetail)
def get_problem(slug: str, session: SessionDep, user: OptionalUser):
    """Statement (Markdown), signature, starter code, sample cases and limits. Anonymous visitors may read."""
    return service.problem_detail(session, problem=service.get_problem(session, slug=slug, user=user), user=user)


@router.get("/{slug}/hints", response_model=HintsOut)
def hints(slug: str, session: SessionDep, user: CurrentUser):
    problem = service.get_problem(session, slug=slug, user=user)
    return _hints(problem, service.revealed_hints(session, user=user, problem=problem))


@router.post("/{slug}/hints/next", response_model=HintsOut)
def reveal_hint(slug: str, session: SessionDep, user: CurrentUser):
    """Reveal one more hint."""
    problem = service.get_problem(session, slug=slug, user=user)
    revealed = service.reveal_next_hint(session, user=user, problem=problem)
    session.commit()
    return _hints(problem, revealed)


def _hints(problem, revealed):
    # Hints are Markdown: the page shows a newly revealed one as it shows those it renders itself.
    return {"total": len(problem.current_version.hints), "revealed": revealed,
            "revealed_html": [str(render_markdown(hint)) for hint in revealed]}


@router.get("/{slug}/solution", response_model=SolutionOut)
def get_solution(slug: str, session: SessionDep, user: CurrentUser):
    """The reference solution, once you have an ACCEPTED submission or have asked for it (403 otherwise)."""
    problem = service.get_problem(session, slug=slug, user=user)
    return service.solution(session, user=user, problem=problem, ask=False)


@router.post("/{slug}/solution", response_model=SolutionOut)
def ask_for_solution(slug: str, session: SessionDep, user: CurrentUser):
    """Show the reference solution now (recorded)."""
    problem = service.get_problem(session, slug=slug, user=user)
    result = service.solution(session, user=user, problem=problem, ask=True)
    session.commit()
    return result
