"""The database: engine, sessions and the declarative base. SQLite by default, PostgreSQL at scale."""

import datetime as dt

from sqlalchemy import JSON, DateTime, create_engine, event
from sqlalchemy.orm import DeclarativeBase, sessionmaker


def utcnow():
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON, dt.datetime: DateTime(timezone=True)}


def make_engine(url):
    if url.startswith("sqlite"):
        # The API's threads and the embedded workers share the file: WAL lets readers run beside the
        # one writer, and busy_timeout makes a writer wait for the lock instead of failing.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_session_factory(engine):
    return sessionmaker(engine, expire_on_commit=False)
