from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from ..deps import CurrentUser, SessionDep, TokenClaimsDep, end_browser_session, start_browser_session
from ..errors import ERROR_RESPONSES, AppError
from . import service
from .schemas import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, RegisterIn, TokenOut, UserOut

router = APIRouter(prefix="/api", tags=["accounts"], responses=ERROR_RESPONSES)


class PasswordForm:
    """The OAuth2 password form (`username`, `password`, optional `grant_type=password` and `scope`), with
    lengths bounded before anything is hashed: a megabyte password cost a second of argon2."""

    # min_length=1: a form sends "" for an empty field, which FastAPI takes for a missing one (422); the
    # schema said "" was valid. grant_type is "password" or absent: a form cannot send null, and the
    # schema's `null` was sent as the text "null" (schemathesis, positive_data_acceptance).
    def __init__(self, username: Annotated[str, Form(min_length=1, max_length=MAX_USERNAME_LENGTH)],
                 password: Annotated[str, Form(min_length=1, max_length=MAX_PASSWORD_LENGTH,
                                               json_schema_extra={"format": "password"})],
                 grant_type: Annotated[str, Form(pattern="^password$")] = "password",
                 scope: Annotated[str, Form(max_length=1000)] = ""):
        self.username, self.password, self.grant_type, self.scope = username, password, grant_type, scope


@router.post("/auth/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, session: SessionDep):
    """Create an account. 409 when the username is taken (case-insensitively)."""
    user = service.register_user(session, username=body.username, password=body.password)
    session.commit()
    return user


@router.post("/auth/token", response_model=TokenOut)
def token(form: Annotated[PasswordForm, Depends()], request: Request, response: Response, session: SessionDep):
    """OAuth2 password flow: a bearer token for programs. Browsers also get an HttpOnly session cookie
    (SameSite=Lax) and a CSRF cookie to echo in the X-CSRF-Token header. 429 (Retry-After) after too many
    failed attempts for one username from one address."""
    try:
        user = service.authenticate(session, username=form.username, password=form.password,
                                    address=request.client.host if request.client else "?",
                                    limiter=request.app.state.login_limiter)
    except AppError:
        session.commit()  # the failed attempt counts
        raise
    session.commit()
    return TokenOut(access_token=start_browser_session(request, response, user.id))


@router.post("/auth/logout", status_code=204)
def logout(claims: TokenClaimsDep, response: Response, session: SessionDep):
    """Sign out: the bearer token (or session cookie) this request carries is revoked, so it gets 401 from
    now on, and the browser's cookies are cleared."""
    if claims is not None:
        service.revoke_token(session, claims=claims)
        session.commit()
    end_browser_session(response)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser):
    return user
