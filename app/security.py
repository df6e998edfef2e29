"""Passwords (argon2), signed bearer/session tokens (itsdangerous), CSRF tokens and sign-in rate limiting."""

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, Signer, URLSafeTimedSerializer
from sqlalchemy import case, delete

from .db import dialect_insert, utcnow
from .models import LoginAttempts

_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so that a wrong username costs the same
# time as a wrong password and response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """Constant work whether or not the user exists (pass password_hash=None for an unknown user)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _utf8(text):
    # Header and cookie values arrive as str decoded from bytes; "surrogatepass" lets even a lone surrogate
    # be compared (as a mismatch) instead of raising.
    return text.encode("utf-8", "surrogatepass")


def constant_time_equal(a, b):
    """a == b for two strings, in time that does not depend on where they differ. hmac.compare_digest
    alone raises TypeError for a str with a non-ASCII character (a 500 for one byte in a header)."""
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(_utf8(a), _utf8(b))


@dataclasses.dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is, its own id (for revocation at sign-out) and its expiry."""

    user_id: int
    token_id: str
    expires_at: dt.datetime


class TokenSigner:
    """Bearer and session tokens: itsdangerous' timed, HMAC-SHA256-signed serializer (tamper-evident,
    expiring after `ttl_s`), carrying the user id and a random token id that sign-out revokes."""

    def __init__(self, secret_key, ttl_s):
        self._tokens = URLSafeTimedSerializer(secret_key, salt="jaxjudge-token",
                                              signer_kwargs={"digest_method": hashlib.sha256})
        self._csrf = Signer(secret_key, salt="jaxjudge-csrf", digest_method=hashlib.sha256)
        self.ttl_s = ttl_s

    def issue(self, user_id):
        return self._tokens.dumps({"uid": user_id, "jti": secrets.token_urlsafe(16)})

    def read(self, token):
        """The claims of a valid, unexpired token; None for anything else (forged, expired, not ours,
        bytes that are not text)."""
        if not isinstance(token, str) or not token:
            return None
        try:
            payload, signed_at = self._tokens.loads(_utf8(token), max_age=self.ttl_s, return_timestamp=True)
        except BadData:  # a bad signature, an expired one, a payload that does not decode
            return None
        if not isinstance(payload, dict) or type(payload.get("uid")) is not int or not isinstance(
                payload.get("jti"), str):
            return None
        return TokenClaims(user_id=payload["uid"], token_id=payload["jti"],
                           expires_at=signed_at + dt.timedelta(seconds=self.ttl_s))

    def csrf_token(self, session_token):
        """The CSRF token bound to a browser session (double-submit: cookie and header/form field)."""
        return self._csrf.get_signature(_utf8(session_token)).decode("ascii")


class LoginRateLimiter:
    """At most `attempts` sign-ins per (username, address) in a window of `window_s` seconds that starts
    at the first one; a correct password resets the count.

    The counts live in the database (`login_attempts`), so every API process sees the same ones. An
    attempt is counted *before* the password is checked, in one upsert that returns the new count: the
    row is locked for that statement (SQLite's writers are serialised anyway), so parallel guesses for one
    key each get a count of their own instead of all reading the same one, and the count is committed
    before the password is checked (`users.service.authenticate`)."""

    def __init__(self, attempts, window_s):
        self.attempts, self.window_s = attempts, window_s

    @staticmethod
    def _key(username, address):
        # A digest: bounded length whatever a client sends, and no addresses stored in clear.
        return hashlib.sha256(f"{username.lower()}\0{address}".encode("utf-8", "surrogatepass")).hexdigest()

    def attempt(self, session, username, address):
        """Count one attempt (flushed; the request commits it, failed or not). Returns the seconds to
        wait when this attempt is over the limit, else 0."""
        now = utcnow()
        window_over = LoginAttempts.window_started_at < now - dt.timedelta(seconds=self.window_s)
        insert = dialect_insert(session)(LoginAttempts).values(key=self._key(username, address), attempts=1,
                                                               window_started_at=now)
        attempts, started_at = session.execute(insert.on_conflict_do_update(
            index_elements=[LoginAttempts.key],
            set_={"attempts": case((window_over, 1), else_=LoginAttempts.attempts + 1),
                  "window_started_at": case((window_over, now), else_=LoginAttempts.window_started_at)},
        ).returning(LoginAttempts.attempts, LoginAttempts.window_started_at)).one()
        if attempts <= self.attempts:
            return 0
        return max(1.0, self.window_s - (now - started_at).total_seconds())

    def succeeded(self, session, username, address):
        """Forget this key's attempts, and every window that has closed."""
        cutoff = utcnow() - dt.timedelta(seconds=self.window_s)
        session.execute(delete(LoginAttempts).where(
            (LoginAttempts.key == self._key(username, address)) | (LoginAttempts.window_started_at < cutoff)))
        session.flush()
