"""The FastAPI application: routers, the error tree's handler, request size caps."""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import admin
from .errors import AppError
from .problems import endpoints as problems
from .queue import Wakeup
from .security import LoginRateLimiter, TokenSigner
from .submissions import endpoints as submissions
from .users import endpoints as users
from .web import pages

log = logging.getLogger("jaxjudge.api")
MAX_BODY_BYTES = 1 << 20           # JSON bodies: a 64 KiB source with room for escaping
MAX_UPLOAD_BYTES = 9 << 20         # package zips (/api/admin/problems/import)


def create_app(*, settings, session_factory, read_session_factory=None, wakeup=None):
    app = FastAPI(title="jaxjudge", version="0.1.0",
                  description="An online judge for JAX: values and derivatives, under jit, in a sandbox.")
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.read_session_factory = read_session_factory or session_factory
    app.state.signer = TokenSigner(settings.resolved_secret_key(), settings.token_ttl_s)
    app.state.login_limiter = LoginRateLimiter(settings.login_attempts, settings.login_window_s)
    app.state.wakeup = wakeup or Wakeup()
    for module in (users, problems, submissions, admin, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    @app.exception_handler(AppError)
    async def _app_error(request: Request, error: AppError):
        if not request.url.path.startswith("/api/"):  # a page: the same error, for people
            if error.status == 401:
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            return pages.render_error(request, error)
        return JSONResponse({"detail": error.detail, "code": error.code}, status_code=error.status,
                            headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        # Echoing the input back could echo a 60 KiB source; say where and what, not the value.
        errors = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in error.errors()]
        return JSONResponse({"detail": errors, "code": "unprocessable"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        # FastAPI answers 400 for a body it cannot decode (bytes that are not UTF-8, broken JSON framing):
        # that is malformed input, reported like every other as 422.
        status = 422 if error.status_code == 400 else error.status_code
        return JSONResponse({"detail": error.detail, "code": "unprocessable" if status == 422 else "http_error"},
                            status_code=status, headers=getattr(error, "headers", None))

    @app.middleware("http")
    async def _cap_body(request: Request, call_next):
        limit = MAX_UPLOAD_BYTES if request.url.path.endswith("/import") else MAX_BODY_BYTES
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse({"detail": f"The request body is over {limit} bytes.", "code": "payload_too_large"},
                                status_code=413)
        return await call_next(request)

    @app.get("/healthz", tags=["service"])
    def healthz():
        return {"status": "ok"}

    return app
