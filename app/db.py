"""The database: engine, sessions and the declarative base. SQLite by default, PostgreSQL at scale."""

import datetime as dt
import math

from sqlalchemy import JSON, DateTime, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow():
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database. SQLite has no time zones: SQLAlchemy stores the
    wall-clock digits and reads back a naive datetime, which the API then printed without an offset (the
    schema says date-time, which needs one). Written as UTC, read back marked as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON, dt.datetime: UTCDateTime()}


def dialect_insert(session):
    """INSERT with the database's ON CONFLICT clause (SQLite and PostgreSQL spell it the same way)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def json_safe(value):
    """`value` with NaN and ±inf floats as the strings "nan", "inf", "-inf": PostgreSQL's json type, unlike
    Python's json module, has no such numbers, and problem cases are full of them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def restore_nonfinite(value):
    """The inverse of `json_safe` for case values: "nan", "inf", "-inf" strings back to floats."""
    if isinstance(value, str):
        return _NONFINITE.get(value, value)
    if isinstance(value, dict):  # an argument's spec: its numbers, and the specs of a pytree's leaves
        return {k: {name: restore_nonfinite(spec) for name, spec in v.items()} if k == "dict" and isinstance(v, dict)
                else restore_nonfinite(v) if k in ("values", "specials", "tuple", "list") else v
                for k, v in value.items()}
    if isinstance(value, list):
        return [restore_nonfinite(v) for v in value]
    return value


# Defaults of app.config.Settings (api_concurrency + 8 connections, a 10 s bound on every wait), for
# callers without settings (tests, scripts).
DEFAULT_POOL_SIZE = 32
DEFAULT_WAIT_S = 10.0


def make_engine(url, *, immediate=True, pool_size=DEFAULT_POOL_SIZE, wait_s=DEFAULT_WAIT_S):
    """An engine for `url`. On SQLite, `immediate` engines begin every transaction with BEGIN IMMEDIATE
    (for sessions that write); the API's GET requests use one with deferred, read-only transactions.

    `pool_size` connections, and no overflow: a request waits at most `wait_s` for one (then
    sqlalchemy.exc.TimeoutError), and at most `wait_s` for a lock (SQLite's write lock: "database is
    locked"; a PostgreSQL row: lock_timeout). The API answers each with 503 and Retry-After
    (app.api: `database_busy`); the defaults of 5 connections and a 30 s wait made a burst of 200
    requests wait for minutes, then fail with 500s."""
    pool = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": wait_s}
    if url.startswith("sqlite"):
        # The API's threads and the embedded workers share the file: WAL lets readers run beside the
        # one writer, and busy_timeout makes a writer wait for the lock (a bounded time) instead of failing.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": wait_s}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _):
            # Transactions are begun by us (below), not by the sqlite3 module.
            connection.isolation_level = None
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # A deferred transaction that reads and then writes cannot wait for the write lock: SQLite
            # answers "database is locked" at once. BEGIN IMMEDIATE takes the lock up front, so
            # concurrent writers queue on busy_timeout instead; WAL readers are not blocked by it. Reads
            # stay deferred, or every GET would queue behind every other. The API keeps the lock only for
            # one endpoint call: its sign-in checks read in a deferred session (app.deps).
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **pool,
                         connect_args={"options": f"-c lock_timeout={int(wait_s * 1000)}"})


def libpq_url(url):
    """A database URL as psycopg's own connections take it (LISTEN needs one outside the pool)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def make_session_factory(engine):
    return sessionmaker(engine, expire_on_commit=False)


def make_session_factories(url, *, pool_size=DEFAULT_POOL_SIZE, wait_s=DEFAULT_WAIT_S):
    """(sessions that write, sessions that only read): the same database, two transaction modes on SQLite."""
    write = make_session_factory(make_engine(url, pool_size=pool_size, wait_s=wait_s))
    read = (make_session_factory(make_engine(url, immediate=False, pool_size=pool_size, wait_s=wait_s))
            if url.startswith("sqlite") else write)
    return write, read


def is_busy(error):
    """Whether a database error means "too busy now, try again" (a bounded wait ran out), not a fault:
    the pool had no connection free, SQLite's write lock stayed taken (SQLITE_BUSY), or a PostgreSQL
    lock_timeout, or the server refusing connections for their number."""
    if isinstance(error, exc.TimeoutError):
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in ("55P03", "53300")  # lock_not_available, too_many_connections
    return "database is locked" in str(original) or "database is busy" in str(original)
