from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from ..deps import CSRF_COOKIE, SESSION_COOKIE, CurrentUser, SessionDep
from ..errors import ERROR_RESPONSES
from . import service
from .schemas import RegisterIn, TokenOut, UserOut

router = APIRouter(prefix="/api", tags=["accounts"], responses=ERROR_RESPONSES)


@router.post("/auth/register", status_code=201, response_model=UserOut)
def register(body: RegisterIn, session: SessionDep):
    """Create an account. 409 when the username is taken (case-insensitively)."""
    user = service.register_user(session, username=body.username, password=body.password)
    session.commit()
    return user


@router.post("/auth/token", response_model=TokenOut)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, response: Response,
          session: SessionDep):
    """OAuth2 password flow: a bearer token for programs. Browsers also get an HttpOnly session cookie
    (SameSite=Lax) and a CSRF cookie to echo in the X-CSRF-Token header."""
    user = service.authenticate(session, username=form.username, password=form.password,
                                address=request.client.host if request.client else "?",
                                limiter=request.app.state.login_limiter)
    signer = request.app.state.signer
    access_token = signer.issue(user.id)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, access_token, max_age=signer.ttl_s, httponly=True, samesite="lax",
                        secure=secure)
    response.set_cookie(CSRF_COOKIE, signer.csrf_token(access_token), max_age=signer.ttl_s, samesite="lax",
                        secure=secure)
    return TokenOut(access_token=access_token)


@router.post("/auth/logout", status_code=204)
def logout(response: Response):
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser):
    return user
