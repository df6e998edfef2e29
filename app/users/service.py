"""Accounts: registration, sign-in, sign-out, admins. Flushes; the request or command commits (sign-in
also commits once in between, see `authenticate`)."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..db import dialect_insert, utcnow
from ..errors import Conflict, TooManyRequests, Unauthorized, Unprocessable
from ..models import RevokedToken, Role, User
from ..security import hash_password, verify_password
from .schemas import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH


def register_user(session, *, username, password, role=Role.USER):
    # Hashed before the first statement: on SQLite that statement takes the database's one write lock
    # (BEGIN IMMEDIATE), and argon2's ~0.1 s of CPU under it made 40 sign-ups at once queue for seconds.
    password_hash = hash_password(password)
    if session.scalar(select(User.id).where(User.username_key == username.lower())) is not None:
        raise Conflict(f"The username {username!r} is taken.")
    user = User(username=username, username_key=username.lower(), password_hash=password_hash,
                role=role.value)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same name
        session.rollback()
        raise Conflict(f"The username {username!r} is taken.") from None
    return user


def authenticate(session, *, username, password, address, limiter):
    """The user for a correct password; rate-limited per (username, address), constant-time otherwise.

    The attempt is counted whatever the outcome, and committed before the password is checked: the count
    is stored before anyone learns the answer, and no transaction (on SQLite: the one write lock) is held
    while argon2 runs. The count is one atomic upsert, so parallel guesses each get their own number and
    at most `limiter.attempts` of them are checked. The caller commits the rest, on failure too."""
    if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        # No such account can exist, and hashing a megabyte costs a second of CPU: refused unhashed.
        raise Unprocessable(f"Usernames are at most {MAX_USERNAME_LENGTH} characters and passwords at most "
                            f"{MAX_PASSWORD_LENGTH}.")
    wait = limiter.attempt(session, username, address)
    if wait:
        raise TooManyRequests("Too many failed sign-ins; wait and try again.", wait)
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    session.commit()
    if not verify_password(user.password_hash if user else None, password):
        raise Unauthorized("Wrong username or password.")
    limiter.succeeded(session, username, address)
    return user


def revoke_token(session, *, claims):
    """Sign-out: refuse this token from now on (until it expires, when the row is purged)."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    # ON CONFLICT: two sign-outs of one token at once are one revocation, not an IntegrityError.
    session.execute(dialect_insert(session)(RevokedToken).values(token_id=claims.token_id,
                                                                  expires_at=claims.expires_at)
                    .on_conflict_do_nothing(index_elements=[RevokedToken.token_id]))
    session.flush()


def is_revoked(session, *, claims):
    return session.get(RevokedToken, claims.token_id) is not None


def set_admin(session, *, username, password):
    """Create the admin, or make an existing user admin with this password (jaxjudge create-admin)."""
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        return register_user(session, username=username, password=password, role=Role.ADMIN)
    user.role = Role.ADMIN.value
    user.password_hash = hash_password(password)
    session.flush()
    return user
