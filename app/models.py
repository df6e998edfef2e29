"""The tables. Datetimes are timezone-aware UTC; names end in _at."""

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow


class Role(str, enum.Enum):
    USER = "user"
    ADMIN = "admin"


class SubmissionStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    JUDGED = "judged"


class SubmissionMode(str, enum.Enum):
    RUN = "run"            # sample cases, full feedback
    SUBMIT = "submit"      # every case
    VALIDATE = "validate"  # an example of the problem package, judged for the admin's verdict matrix


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased username: uniqueness is case-insensitive on SQLite and PostgreSQL alike.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.USER.value)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def is_admin(self):
        return self.role == Role.ADMIN.value


class Problem(Base):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    difficulty: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list] = mapped_column(default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("problem_versions.id", use_alter=True, name="fk_problems_current_version"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    current_version: Mapped["ProblemVersion | None"] = relationship(foreign_keys=[current_version_id])


class ProblemVersion(Base):
    """An immutable snapshot of a problem package; submissions point at the one they were judged on."""

    __tablename__ = "problem_versions"
    __table_args__ = (UniqueConstraint("problem_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict] = mapped_column()       # {relative path: text}: the whole package
    statement: Mapped[str] = mapped_column(Text)
    hints: Mapped[list] = mapped_column()
    starter: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    cases: Mapped[list] = mapped_column()
    limits: Mapped[dict] = mapped_column()
    examples: Mapped[list] = mapped_column()    # [{name, expected}]
    device: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship(foreign_keys=[problem_id])


class Submission(Base):
    """A submission, and its place in the judging queue (this table is the queue)."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_queue", "status", "requires_gpu", "id"),
        Index("ix_submissions_user_problem", "user_id", "problem_id"),
        Index("ix_submissions_user_started", "user_id", "started_at"),  # the queue's fair order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    problem_version_id: Mapped[int] = mapped_column(ForeignKey("problem_versions.id"))
    source: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    example_name: Mapped[str | None] = mapped_column(String(255))       # mode == validate
    expected_verdict: Mapped[str | None] = mapped_column(String(32))    # mode == validate
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED.value)
    verdict: Mapped[str | None] = mapped_column(String(32))
    report: Mapped[dict | None] = mapped_column()
    requires_gpu: Mapped[bool] = mapped_column(Boolean, default=False)
    device: Mapped[str | None] = mapped_column(String(64))   # where it was judged, from the report
    judge_s: Mapped[float | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    judged_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
    problem: Mapped[Problem] = relationship()
    problem_version: Mapped[ProblemVersion] = relationship()


class HintReveal(Base):
    """How many of a problem's hints a user has revealed (one at a time)."""

    __tablename__ = "hint_reveals"
    __table_args__ = (UniqueConstraint("user_id", "problem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    revealed: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SolutionView(Base):
    """A user asked to see a problem's reference solution (recorded; their later ACCEPTED still counts)."""

    __tablename__ = "solution_views"
    __table_args__ = (UniqueConstraint("user_id", "problem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    viewed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RevokedToken(Base):
    """A signed token given back at sign-out: refused until it would have expired anyway (then purged)."""

    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class LoginAttempts(Base):
    """Sign-in attempts of one (username, address) in the window that began at `window_started_at`.

    In the database, not in a process, so that every API process counts the same attempts."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of username and address
    attempts: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[dt.datetime] = mapped_column(index=True)
