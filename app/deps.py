"""Request dependencies: the database session, the signed-in user, admins. Routes read like prose."""

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from .errors import Forbidden, Unauthorized
from .models import User
from .security import TokenClaims, constant_time_equal
from .users import service as users

SESSION_COOKIE = "jaxjudge_session"
CSRF_COOKIE = "jaxjudge_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Ids are `integer` columns: 32-bit in PostgreSQL (a larger one in a query: "integer out of range") and
# 64-bit in SQLite (beyond that, OverflowError). Either was a 500; bounded here, it is a 422.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="a submission id")]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def get_read_session(request: Request):
    """A session that only reads (deferred transactions on SQLite): the sign-in checks of every request,
    and everything a GET does."""
    with request.app.state.read_session_factory() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_session(request: Request, read_session: ReadSessionDep):
    """The endpoint's session: the reading one for safe methods, else one that writes. A writing session
    on SQLite holds the database's one write lock from its first statement to its commit, so it is first
    used in the endpoint, which commits before it returns: the lock is held within one call on one thread.
    (Taken in a dependency, it was held while the request waited for its next turn on the thread pool,
    behind threads that were all waiting for that very lock.)"""
    if request.method in _SAFE_METHODS:
        yield read_session
        return
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def csrf_form_token(request: Request) -> str | None:
    """The csrf_token field of a form post (HTML forms cannot send headers). Touches no database."""
    if request.method not in _SAFE_METHODS and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return form.get("csrf_token")
    return None


def start_browser_session(request: Request, response, user_id):
    """Sign a browser in: the HttpOnly session cookie and the CSRF cookie bound to it (SameSite=Lax;
    Secure over https). Returns the bearer token, which is the session cookie's value."""
    signer = request.app.state.signer
    token = signer.issue(user_id)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=signer.ttl_s, httponly=True, samesite="lax", secure=secure)
    response.set_cookie(CSRF_COOKIE, signer.csrf_token(token), max_age=signer.ttl_s, samesite="lax", secure=secure)
    return token


def end_browser_session(response):
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


def csrf_token_of(request: Request):
    """The CSRF token a signed-in browser must send back (None without a session cookie)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return request.app.state.signer.csrf_token(cookie) if cookie else None


def _presented_token(request: Request):
    """(token, came in a cookie): a bearer header wins over the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


def get_token_claims(request: Request, session: ReadSessionDep,
                     form_token: Annotated[str | None, Depends(csrf_form_token)]) -> TokenClaims | None:
    """The claims of the request's bearer token or session cookie (then unsafe methods need the CSRF
    token). A bad bearer token is 401; a bad cookie is no session. A token revoked at sign-out is bad."""
    token, from_cookie = _presented_token(request)
    if from_cookie and not token:
        return None
    claims = request.app.state.signer.read(token)
    if claims is not None and users.is_revoked(session, claims=claims):
        claims = None
    if claims is None:
        if from_cookie:
            return None
        raise Unauthorized("The token is invalid, expired or signed out; get a new one at /api/auth/token.")
    if from_cookie and request.method not in _SAFE_METHODS:
        # A cookie rides along on cross-site requests; the CSRF token does not (double submit).
        sent = request.headers.get(CSRF_HEADER) or form_token
        if not constant_time_equal(sent, request.app.state.signer.csrf_token(token)):
            raise Forbidden("Missing or wrong CSRF token; reload the page and try again.")
    return claims


TokenClaimsDep = Annotated[TokenClaims | None, Depends(get_token_claims)]


def get_optional_user(claims: TokenClaimsDep, session: ReadSessionDep) -> User | None:
    """The signed-in user, or None.

    Plain functions, so FastAPI runs them in its thread pool: a database wait here must never block the
    event loop. The read transaction ends here (commit: its objects stay loaded), so its connection goes
    back to the pool while the endpoint runs with its own."""
    user = session.get(User, claims.user_id) if claims else None
    session.commit()
    return user


def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise Unauthorized()
    return user


def get_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("Admins only.")
    return user


def get_staff(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_staff:
        raise Forbidden("Course staff and admins only.")
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
AdminUser = Annotated[User, Depends(get_admin)]
StaffUser = Annotated[User, Depends(get_staff)]


def settings_of(request: Request):
    return request.app.state.settings
