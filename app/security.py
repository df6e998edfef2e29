"""Passwords (argon2), signed bearer/session tokens, CSRF tokens and login rate limiting."""

import base64
import hashlib
import hmac
import secrets
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


class TokenSigner:
    """Tokens ``<user id>.<expiry>.<hmac>``: stateless, tamper-evident, expiring."""

    def __init__(self, secret_key, ttl_s):
        self._key = hashlib.sha256(b"jaxjudge-token\0" + secret_key.encode()).digest()
        self._csrf_key = hashlib.sha256(b"jaxjudge-csrf\0" + secret_key.encode()).digest()
        self.ttl_s = ttl_s

    def _mac(self, payload):
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, user_id):
        payload = f"{user_id}.{int(time.time()) + self.ttl_s}"
        return f"{payload}.{self._mac(payload)}"

    def user_id(self, token):
        """The user id of a valid, unexpired token, else None."""
        try:
            user_id, expires, mac = token.split(".")
            if not hmac.compare_digest(mac, self._mac(f"{user_id}.{expires}")) or int(expires) < time.time():
                return None
            return int(user_id)
        except (ValueError, AttributeError):
            return None

    def csrf_token(self, session_token):
        """The CSRF token bound to a browser session (double-submit: cookie and header/form field)."""
        return hmac.new(self._csrf_key, session_token.encode(), hashlib.sha256).hexdigest()


class LoginRateLimiter:
    """At most `attempts` failed logins per (username, address) in `window_s` seconds, in memory.

    Per process: with several API processes each keeps its own count, which still bounds guessing."""

    def __init__(self, attempts, window_s):
        self.attempts, self.window_s = attempts, window_s
        self._failures = {}
        self._lock = threading.Lock()

    def retry_after(self, username, address):
        """Seconds until another attempt is allowed; 0 when allowed now."""
        key = (username.lower(), address)
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
            self._failures[key] = recent
            if len(recent) < self.attempts:
                return 0
            return self.window_s - (now - recent[0])

    def failed(self, username, address):
        with self._lock:
            self._failures.setdefault((username.lower(), address), []).append(time.monotonic())

    def succeeded(self, username, address):
        with self._lock:
            self._failures.pop((username.lower(), address), None)
