from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from ..deps import CurrentUser, SessionDep, end_browser_session, start_browser_session
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
    return TokenOut(access_token=start_browser_session(request, response, user.id))


@router.post("/auth/logout", status_code=204)
def logout(response: Response):
    end_browser_session(response)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser):
    return user
