"""HTML pages. They read through the same services as the REST API; the scripts on them (static/*.js)
act through the REST API itself, so a browser can do nothing a program could not.

Forms post with a CSRF token: signed-in forms send the token bound to the session (checked by
get_optional_user); the sign-up and sign-in forms, which have no session yet, send a random token that
must equal their CSRF cookie (double submit), so another site cannot sign a browser in as someone else.
"""

import json
import re
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from grader.sandboxed import harness
from pydantic import ValidationError

from ..deps import (CSRF_COOKIE, AdminUser, CurrentUser, OptionalUser, SessionDep, StaffUser, SubmissionId,
                    TokenClaimsDep, csrf_token_of, end_browser_session, start_browser_session)
from ..errors import AppError, Forbidden, Unauthorized
from ..problems import service as problems
from ..security import constant_time_equal
from ..sets import service as sets
from ..sets.endpoints import ProblemSlug, SetSlug
from ..submissions import service as submissions
from ..users import service as users
from ..users.schemas import RegisterIn
from .markdown import highlight_css, render_code, render_markdown

STATIC_DIR = Path(__file__).parent / "static"
EDITOR_BUNDLE = STATIC_DIR / "build" / "editor.js"
PLOT_BUNDLE = STATIC_DIR / "build" / "plot.js"
DIFFICULTIES = ("easy", "medium", "hard")

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["markdown"] = render_markdown
# Every page carries the registry's labels for the verdict table (verdict.js reads them).
templates.env.globals["check_labels"] = {"checks": harness.CHECK_LABELS, "transforms": harness.TRANSFORM_LABELS}
templates.env.filters["code"] = render_code
templates.env.filters["without_title"] = lambda text: re.sub(r"\A\s*# [^\n]*\n", "", text)  # the page shows it
templates.env.filters["percent"] = lambda rate: "–" if rate is None else f"{rate:.0%}"
templates.env.filters["utc"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def _duration(seconds):
    """"3 d 4 h", "2 h 5 min", "7 min": how long until a set opens or closes."""
    minutes = int(seconds) // 60
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


templates.env.filters["duration"] = _duration

router = APIRouter(include_in_schema=False)


def script_json(value):
    """JSON to embed in <script type="application/json">: with <, > and & escaped, a "</script>" inside a
    starter file or a statement cannot close the element and inject markup."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Defence in depth behind the Markdown renderer's escaping: scripts only from this site's files (no inline
# script, no event-handler attributes, no eval), no plugins, no framing, forms only to this site. Styles may
# be inline because CodeMirror injects its own.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(request, name, *, user=None, status_code=200, **context):
    # editor_ready, plot_ready: whether `make install` built the CodeMirror and uPlot bundles (pages fall
    # back to a textarea, and to the arrays as text).
    context = {"user": user, "csrf_token": csrf_token_of(request), "editor_ready": EDITOR_BUNDLE.is_file(),
               "plot_ready": PLOT_BUNDLE.is_file(), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=SECURITY_HEADERS)


def render_error(request, error: AppError):
    """The HTML twin of the API's error handler (api.py): same status, same words."""
    titles = {401: "Please sign in", 403: "Not allowed", 404: "Not found"}
    return render(request, "error.html", status_code=error.status, message=error.detail,
                  title=titles.get(error.status, "Something went wrong"))


def _local(next_path):
    """Only same-site paths after sign-in: an open redirect would lend our name to phishing links."""
    return next_path if next_path and next_path.startswith("/") and not next_path.startswith("//") else "/"


@router.get("/assets/highlight.css")
def highlight_stylesheet():
    return Response(highlight_css(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def problem_list(request: Request, session: SessionDep, user: OptionalUser, tag: str = "", difficulty: str = ""):
    rows = problems.list_problems(session, user=user)
    tags = sorted({t for row in rows for t in row["tags"]})
    shown = [r for r in rows if (not tag or tag in r["tags"]) and (not difficulty or r["difficulty"] == difficulty)]
    return render(request, "problems.html", user=user, problems=shown, tags=tags, tag=tag,
                  difficulty=difficulty, difficulties=DIFFICULTIES, total=len(rows),
                  titles={r["slug"]: r["title"] for r in rows})


@router.get("/problems/{slug}", response_class=HTMLResponse)
def problem_page(slug: str, request: Request, session: SessionDep, user: OptionalUser):
    problem = problems.get_problem(session, slug=slug, user=user)
    detail = problems.problem_detail(session, problem=problem, user=user)
    mine = (submissions.list_submissions(session, user=user, problem_slug=slug, per_page=10)["items"]
            if user else [])
    page_data = {"slug": slug, "starter": detail["starter"], "user": user.username if user else None}
    return render(request, "problem.html", user=user, problem=detail, mine=mine, page_data=script_json(page_data),
                  in_sets=sets.student_sets_with(session, user=user, problem=problem))


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: SubmissionId, request: Request, session: SessionDep, user: CurrentUser):
    # Signed out: CurrentUser's 401 becomes a redirect to sign-in that comes back here (api.py).
    submission = submissions.as_dict(submissions.get_submission(session, user=user, submission_id=submission_id))
    return render(request, "submission.html", user=user, submission=submission,
                  page_data=script_json({"id": submission_id}))


def _anonymous_form(request, name, *, status_code=200, **context):
    """A sign-up or sign-in form with a fresh double-submit CSRF token."""
    # An existing token is kept, so that two open sign-in tabs both still work.
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, name, status_code=status_code, form_token=token, **context)
    response.set_cookie(CSRF_COOKIE, token, max_age=3600, samesite="lax", secure=request.url.scheme == "https")
    return response


def _check_anonymous_form(request, csrf_token):
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not constant_time_equal(cookie, csrf_token or ""):
        raise Forbidden("The form expired or came from another site; reload the page and try again.")


def _signed_in(request, user_id, next_path):
    response = RedirectResponse(_local(next_path), status_code=303)
    start_browser_session(request, response, user_id)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, user: OptionalUser, next: str = "/"):
    return _anonymous_form(request, "signup.html", user=user, next=_local(next), username="", errors=[])


@router.post("/signup", response_class=HTMLResponse)
def signup(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
           password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
           next: Annotated[str, Form()] = "/"):
    _check_anonymous_form(request, csrf_token)
    try:
        body = RegisterIn(username=username, password=password)
        user = users.register_user(session, username=body.username, password=body.password)
    except ValidationError as error:
        messages = {"username": "Usernames are 3 to 32 letters, digits, '_', '.' or '-'.",
                    "password": "Passwords are 8 to 256 characters."}
        errors = sorted({messages[str(e["loc"][0])] for e in error.errors()})
        return _anonymous_form(request, "signup.html", status_code=422, next=_local(next), username=username,
                               errors=errors)
    except AppError as error:
        return _anonymous_form(request, "signup.html", status_code=error.status, next=_local(next),
                               username=username, errors=[error.detail])
    session.commit()
    return _signed_in(request, user.id, next)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalUser, next: str = "/"):
    return _anonymous_form(request, "login.html", user=user, next=_local(next), username="", errors=[])


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/"):
    _check_anonymous_form(request, csrf_token)
    try:
        user = users.authenticate(session, username=username, password=password,
                                  address=request.client.host if request.client else "?",
                                  limiter=request.app.state.login_limiter)
    except AppError as error:
        session.commit()  # the failed attempt counts
        response = _anonymous_form(request, "login.html", status_code=error.status, next=_local(next),
                                   username=username, errors=[error.detail])
        response.headers.update(error.headers)
        return response
    session.commit()
    return _signed_in(request, user.id, next)


@router.post("/logout")
def logout(claims: TokenClaimsDep, session: SessionDep):
    # The claims come with the form's CSRF token checked: another site cannot sign a visitor out.
    if claims is not None:
        users.revoke_token(session, claims=claims)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    end_browser_session(response)
    return response


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, session: SessionDep, admin: AdminUser):
    rows = problems.list_problems(session, user=admin, include_drafts=True)
    return render(request, "admin/problems.html", user=admin, problems=rows)


@router.get("/admin/problems/new", response_class=HTMLResponse)
def admin_new_problem(request: Request, admin: AdminUser):
    return render(request, "admin/edit.html", user=admin, fields=None, page_data=script_json({"fields": None}),
                  published=False)


@router.get("/admin/problems/{slug}/edit", response_class=HTMLResponse)
def admin_edit_problem(slug: str, request: Request, session: SessionDep, admin: AdminUser):
    problem = problems.get_problem(session, slug=slug, user=admin)
    fields = problems.fields_of_version(problem.current_version)
    return render(request, "admin/edit.html", user=admin, fields=fields, version=problem.current_version.number,
                  published=problem.published, page_data=script_json({"fields": fields}))


# Problem sets (courses). The pages read through the sets service; their forms act through /api/sets.

@router.get("/sets", response_class=HTMLResponse)
def set_list(request: Request, session: SessionDep, user: CurrentUser):
    rows = [sets.set_out(session, problem_set=s, role=role) for s, role in sets.visible_sets(session, user=user)]
    return render(request, "sets.html", user=user, sets=rows)


@router.get("/sets/new", response_class=HTMLResponse)
def set_new(request: Request, staff: StaffUser):
    return render(request, "set_edit.html", user=staff, fields=None, page_data=script_json({"fields": None}))


@router.get("/sets/{slug}", response_class=HTMLResponse)
def set_page(slug: SetSlug, request: Request, session: SessionDep, user: CurrentUser):
    problem_set, role = sets.get_set(session, slug=slug, user=user)
    return render(request, "set.html", user=user, set=sets.set_out(session, problem_set=problem_set, role=role),
                  progress=sets.progress(session, problem_set=problem_set, user=user) if role == "student" else None)


@router.get("/sets/{slug}/edit", response_class=HTMLResponse)
def set_edit(slug: SetSlug, request: Request, session: SessionDep, user: CurrentUser):
    problem_set = sets.get_managed_set(session, slug=slug, user=user)
    fields = sets.fields_of(problem_set)
    fields = {**fields, "opens_at": fields["opens_at"].isoformat(), "closes_at": fields["closes_at"].isoformat()}
    return render(request, "set_edit.html", user=user, fields=fields, page_data=script_json({"fields": fields}))


@router.get("/sets/{slug}/staff", response_class=HTMLResponse)
def set_staff_page(slug: SetSlug, request: Request, session: SessionDep, user: CurrentUser):
    problem_set = sets.get_managed_set(session, slug=slug, user=user)
    rows = sets.standings(session, problem_set=problem_set)
    rows.sort(key=lambda r: r["username"].lower())
    return render(request, "set_staff.html", user=user,
                  set=sets.set_out(session, problem_set=problem_set, role=sets.role_in(
                      session, problem_set=problem_set, user=user)),
                  rows=rows, summary=sets.problem_summaries(session, problem_set=problem_set, rows=rows),
                  enrollments=sets.enrollments(session, problem_set=problem_set),
                  recent=sets.set_submissions(session, problem_set=problem_set, per_page=50)["items"],
                  page_data=script_json({"slug": problem_set.slug}))


@router.get("/sets/{slug}/problems/{problem}/cases", response_class=HTMLResponse)
def set_cases(slug: SetSlug, problem: ProblemSlug, request: Request, session: SessionDep, user: CurrentUser):
    problem_set, role = sets.get_set(session, slug=slug, user=user)
    return render(request, "set_cases.html", user=user, set=problem_set,
                  cases=sets.hidden_cases(problem_set, entry_slug=problem, role=role))


@router.get("/sets/{slug}/scoreboard", response_class=HTMLResponse)
def set_scoreboard(slug: SetSlug, request: Request, session: SessionDep, user: OptionalUser):
    problem_set = sets.get_scoreboard_set(session, slug=slug, user=user)
    if problem_set is None:
        raise Unauthorized("This scoreboard is for the set's members; sign in.")
    return render(request, "scoreboard.html", user=user, set=problem_set, state=sets.state_of(problem_set),
                  problems=sets.set_problems_out(problem_set), rows=sets.standings(session, problem_set=problem_set))
