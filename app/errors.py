"""One error tree for the API, rendered by one handler (api.py) as {"detail": ..., "code": ...}."""


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail, *, headers=None):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class NotFound(AppError):
    status, code = 404, "not_found"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"

    def __init__(self, detail="Sign in first."):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, code = 403, "forbidden"


class Conflict(AppError):
    status, code = 409, "conflict"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class Unprocessable(AppError):
    status, code = 422, "unprocessable"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"

    def __init__(self, detail, retry_after_s):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after_s)))})


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"

    def __init__(self, detail, retry_after_s):
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after_s)))})


class InternalError(AppError):
    """Our fault, not the request's: logged with its traceback, answered without it."""

    status, code = 500, "internal_error"

    def __init__(self, detail="Something went wrong on our side; it has been logged. Try again later."):
        super().__init__(detail)


ERROR_RESPONSES = {
    cls.status: {"description": cls.__doc__ or cls.code, "content": {"application/json": {"example": {
        "detail": "…", "code": cls.code}}}}
    for cls in (NotFound, Unauthorized, Forbidden, Conflict, PayloadTooLarge, Unprocessable, TooManyRequests,
                ServiceUnavailable, InternalError)
}
