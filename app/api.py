"""The FastAPI application: routers, the error tree's handler, request size and depth caps, and the
last word on any unexpected exception (logged with its traceback, answered as the error shape)."""

import contextlib
import logging
import re
from urllib.parse import quote

import anyio
import anyio.to_thread
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from sqlalchemy import exc as sqlalchemy_errors
from starlette.routing import Match

from . import admin
from .db import is_busy, libpq_url
from .errors import AppError, InternalError, NotFound, ServiceUnavailable
from .problems import endpoints as problems
from .progress import ProgressHub, ProgressListener
from .queue import Wakeup
from .security import LoginRateLimiter, TokenSigner
from .sets import endpoints as sets
from .submissions import endpoints as submissions
from .users import endpoints as users
from .web import pages

log = logging.getLogger("jaxjudge.api")
MAX_BODY_BYTES = 1 << 20           # JSON bodies: a 64 KiB source with room for escaping
MAX_UPLOAD_BYTES = 9 << 20         # package zips (/api/admin/problems/import)
# Deeper JSON than any problem needs (case pytrees nest a few levels). 500 levels of `entry` made the
# package writer recurse past Python's limit (a 500); 100 000 would stop the JSON parser itself.
MAX_JSON_DEPTH = 64
# Paths that never touch the database, so never wait for a turn: a probe must learn that the process is
# alive however busy its database is (a classroom's burst once left /healthz unanswered for minutes).
NO_DATABASE_PATHS = ("/healthz", "/static/")
# A submission's event stream lasts as long as its judging: it takes no turn for its whole life, and its
# polls share a small limiter of their own (app.submissions.stream).
EVENT_STREAM_PATH = re.compile(r"^/api/submissions/[^/]+/events/?$")
BUSY_RETRY_AFTER_S = 2


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


def json_depth(body):
    """The deepest nesting of arrays and objects in the JSON text `body` (bytes), counted outside strings.

    Linear time in numpy whatever the input: a regular expression over strings goes quadratic on a body
    of unterminated ones, and a Python loop costs ~0.1 s per MiB on the event loop. A quote ends or starts
    a string unless an odd run of backslashes precedes it, as in the JSON grammar; text that is not JSON
    gets some number and then the parser's own refusal."""
    data = np.frombuffer(body, dtype=np.uint8)
    if data.size == 0:
        return 0
    index = np.arange(data.size, dtype=np.int32)
    backslash = data == ord("\\")
    # last_plain[i]: the last position <= i that is not a backslash (-1 if none).
    last_plain = np.maximum.accumulate(np.where(backslash, np.int32(-1), index))
    backslashes_before = np.zeros(data.size, dtype=np.int32)
    backslashes_before[1:] = index[:-1] - last_plain[:-1]
    quote = (data == ord('"')) & (backslashes_before % 2 == 0)
    in_string = (np.cumsum(quote, dtype=np.int32) - quote) % 2 == 1
    opens = ((data == ord("[")) | (data == ord("{"))) & ~in_string
    closes = ((data == ord("]")) | (data == ord("}"))) & ~in_string
    return int(np.cumsum(opens.astype(np.int32) - closes.astype(np.int32), dtype=np.int32).max(initial=0))


def _is_json(scope):
    kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))


class JsonDepthLimit:
    """422 for a JSON body nested deeper than MAX_JSON_DEPTH, before anything parses it. Reads the body
    (already capped by BodySizeLimit, which runs first) and hands the same bytes on to the app."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_json(scope):
            return await self.app(scope, receive, send)
        chunks, last = [], None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                last = message  # the client went away (or BodySizeLimit stopped the body)
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if last is None and json_depth(body) > MAX_JSON_DEPTH:
            response = JSONResponse({"detail": f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.",
                                     "code": "unprocessable"}, status_code=422)
            return await response(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if last is not None:
                return last
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class DatabaseTurns:
    """At most `turns` requests of this process use the database at once; the rest wait for a turn, at
    most `wait_s`, then get 503 with Retry-After without having touched anything.

    So the thread pool (larger than `turns`, see `create_app`) and the connection pool (one connection per
    turn, `Settings.pool_size_for`) are never exhausted by a burst: a turn holds at most one thread and
    one connection of each engine, and nothing waits on them without a bound. Before, 200 requests at
    once took all 40 threads, waited 30 s for 15 connections, and answered nothing for minutes."""

    def __init__(self, app, *, turns, wait_s):
        self.app, self.turns, self.wait_s = app, turns, wait_s
        self._semaphore = None  # made in the event loop that serves

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["path"].startswith(NO_DATABASE_PATHS)
                or EVENT_STREAM_PATH.match(scope["path"])):
            return await self.app(scope, receive, send)
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.turns)
        acquired = False
        with anyio.move_on_after(self.wait_s):
            await self._semaphore.acquire()  # cancellation-safe: a cancelled wait holds no turn
            acquired = True
        if not acquired:
            return await _busy_response(scope)(scope, receive, send)
        try:
            await self.app(scope, receive, send)
        finally:
            self._semaphore.release()


def _busy_response(scope):
    error = ServiceUnavailable("The server is busy; try again in a moment.", retry_after_s=BUSY_RETRY_AFTER_S)
    if not scope["path"].startswith("/api/"):
        try:
            return pages.render_error(Request(scope), error)
        except Exception:
            log.exception("the error page failed")
    return JSONResponse({"detail": error.detail, "code": error.code}, status_code=error.status,
                        headers=error.headers)


class UnexpectedErrors:
    """Any exception nothing else handled: its traceback goes to the log, the client gets the error shape
    ({"detail", "code": "internal_error"}, 500) and nothing of the traceback. The outermost of our
    middlewares, so it also covers theirs."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out: let the server cut the connection rather than end it well
            error = InternalError()
            response = None
            if not scope["path"].startswith("/api/"):
                try:
                    response = pages.render_error(Request(scope), error)
                except Exception:  # the page itself may be what failed
                    log.exception("the error page failed too")
            if response is None:
                response = JSONResponse({"detail": error.detail, "code": error.code}, status_code=error.status)
            await response(scope, receive, send)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request):
    """Every method some route serves at this path. Starlette's 405 names only the methods of the first
    route that matched the path, so DELETE /api/admin/problems answered `Allow: GET` (its POST left out).
    Asked of the routes themselves (`matches`), as the router would for each method."""
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 422: "unprocessable"}


async def _too_large(send, limit):
    response = JSONResponse({"detail": f"The request body is over {limit} bytes.", "code": "payload_too_large"},
                            status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _printable(value):
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def create_app(*, settings, session_factory, read_session_factory=None, wakeup=None, progress_hub=None):
    @contextlib.asynccontextmanager
    async def lifespan(_app):
        # Sync endpoints and dependencies run on anyio's thread pool (40 threads by default): more threads
        # than database turns, so that a turn never waits for a thread and the rest (static files) have some.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.api_concurrency + 16)
        # On PostgreSQL, standalone workers' progress reaches this process's streams by NOTIFY.
        listener = (ProgressListener(libpq_url(settings.resolved_database_url()), _app.state.progress).start()
                    if not settings.is_sqlite else None)
        _app.state.progress_listener = listener
        try:
            yield
        finally:
            if listener is not None:
                listener.stop()

    app = FastAPI(title="jaxjudge", version="0.1.0", lifespan=lifespan,
                  description="An online judge for JAX: values and derivatives, under jit, in a sandbox.")
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.read_session_factory = read_session_factory or session_factory
    app.state.signer = TokenSigner(settings.resolved_secret_key(), settings.token_ttl_s)
    app.state.login_limiter = LoginRateLimiter(settings.login_attempts, settings.login_window_s)
    app.state.wakeup = wakeup or Wakeup()
    app.state.progress = progress_hub or ProgressHub()  # embedded workers ring it (app.progress)
    app.state.open_streams = 0
    for module in (users, problems, submissions, sets, admin, pages):
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

    @app.exception_handler(sqlalchemy_errors.OperationalError)
    @app.exception_handler(sqlalchemy_errors.TimeoutError)
    async def _database_busy(request: Request, error: Exception):
        # A bounded wait ran out (a pooled connection, SQLite's write lock, a PostgreSQL lock): the
        # transaction was rolled back, nothing of the request is stored, and trying again is right.
        if not is_busy(error):
            raise error
        log.warning("database busy answering %s %s: %s", request.method, request.url.path, error)
        return await _app_error(request, ServiceUnavailable("The database is busy; try again in a moment.",
                                                            retry_after_s=BUSY_RETRY_AFTER_S))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        # Echoing the input back could echo a 60 KiB source; say where and what, not the value. A location
        # may hold a key from the input, which may be a lone surrogate that UTF-8 cannot encode.
        errors = [{"loc": [_printable(part) for part in e.get("loc", ())], "msg": _printable(e.get("msg")),
                   "type": e.get("type")} for e in error.errors()]
        return JSONResponse({"detail": errors, "code": "unprocessable"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        # FastAPI answers 400 for a body it cannot decode (bytes that are not UTF-8, broken JSON framing):
        # that is malformed input, reported like every other as 422.
        status = 422 if error.status_code == 400 else error.status_code
        if status == 404 and not request.url.path.startswith(("/api/", "/static/")):
            return pages.render_error(request, NotFound("There is no page at this address."))
        headers = dict(getattr(error, "headers", None) or {})
        if status == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse({"detail": error.detail, "code": _HTTP_CODES.get(status, "http_error")},
                            status_code=status, headers=headers)

    # The last added runs first: the size cap, then the depth cap over a body known to be small, then the
    # wait for a database turn, with the body already read.
    app.add_middleware(DatabaseTurns, turns=settings.api_concurrency, wait_s=settings.db_wait_s)
    app.add_middleware(JsonDepthLimit)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(UnexpectedErrors)

    @app.get("/healthz", tags=["service"])
    async def healthz():
        """Liveness: answered on the event loop itself, with no thread, connection or turn to wait for."""
        return {"status": "ok"}

    return app
