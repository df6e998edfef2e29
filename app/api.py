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


def body_limit_for(path):
    return MAX_UPLOAD_BYTES if path.endswith("/import") else MAX_BODY_BYTES


class BodySizeLimit:
    """413 for a body over the limit, before the app parses it: by Content-Length when there is one, else
    by counting the bytes of a chunked upload as they arrive (a body without a length is no way round)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                return await _too_large(send, limit)
            return await self.app(scope, receive, send)
        received, exceeded, started = 0, False, False

        async def counted_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}  # the app stops reading (ClientDisconnect)
            return message

        async def guarded_send(message):
            nonlocal started
            if exceeded and not started:
                return  # the 413 below answers instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(send, limit)


async def _too_large(send, limit):
    response = JSONResponse({"detail": f"The request body is over {limit} bytes.", "code": "payload_too_large"},
                            status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


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

    app.add_middleware(BodySizeLimit)

    @app.get("/healthz", tags=["service"])
    def healthz():
        return {"status": "ok"}

    return app
