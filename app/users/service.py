"""Accounts: registration, sign-in, admins. Flushes; the request or command commits."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, TooManyRequests, Unauthorized
from ..models import Role, User
from ..security import hash_password, verify_password


def register_user(session, *, username, password, role=Role.USER):
    if session.scalar(select(User.id).where(User.username_key == username.lower())) is not None:
        raise Conflict(f"The username {username!r} is taken.")
    user = User(username=username, username_key=username.lower(), password_hash=hash_password(password),
                role=role.value)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same name
        session.rollback()
        raise Conflict(f"The username {username!r} is taken.") from None
    return user


def authenticate(session, *, username, password, address, limiter):
    """The user for a correct password; rate-limited per (username, address), constant-time otherwise."""
    wait = limiter.retry_after(username, address)
    if wait:
        raise TooManyRequests("Too many failed sign-ins; wait and try again.", wait)
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    if not verify_password(user.password_hash if user else None, password):
        limiter.failed(username, address)
        raise Unauthorized("Wrong username or password.")
    limiter.succeeded(username, address)
    return user


def set_admin(session, *, username, password):
    """Create the admin, or make an existing user admin with this password (jaxjudge create-admin)."""
    user = session.scalar(select(User).where(User.username_key == username.lower()))
    if user is None:
        return register_user(session, username=username, password=password, role=Role.ADMIN)
    user.role = Role.ADMIN.value
    user.password_hash = hash_password(password)
    session.flush()
    return user
