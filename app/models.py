"""The tables. Datetimes are timezone-aware UTC; names end in _at."""

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow


class Role(str, enum.Enum):
    USER = "user"
    STAFF = "staff"    # course staff: run problem sets and see their students' work, without being admins
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

    @property
    def is_staff(self):
        """May create problem sets (admins too)."""
        return self.role in (Role.STAFF.value, Role.ADMIN.value)


class Problem(Base):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    difficulty: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list] = mapped_column(default=list)
    prerequisites: Mapped[list] = mapped_column(default=list, server_default=text("'[]'"))  # slugs
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
    # An admin's (and every validate run): the report shows hidden cases' inputs, expected and got.
    show_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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


class HiddenDetails(str, enum.Enum):
    """When a set's students may see its problems' hidden cases (their names, inputs and descriptions)."""

    NEVER = "never"
    AFTER_CLOSE = "after_close"


class LatePolicy(str, enum.Enum):
    NOT_COUNTED = "not_counted"   # late submissions are judged and marked late, and score nothing
    PENALTY = "penalty"           # they score the problem's points less late_penalty_percent


class ScoreboardVisibility(str, enum.Enum):
    PUBLIC = "public"          # anyone, signed in or not
    ENROLLED = "enrolled"      # the set's students and staff


class EnrollmentRole(str, enum.Enum):
    STUDENT = "student"
    STAFF = "staff"


class ProblemSet(Base):
    """A course's set of problems with a window: submissions inside it count, later ones are late."""

    __tablename__ = "problem_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime] = mapped_column()
    closes_at: Mapped[dt.datetime] = mapped_column()
    hidden_details: Mapped[str] = mapped_column(String(16), default=HiddenDetails.NEVER.value)
    late_policy: Mapped[str] = mapped_column(String(16), default=LatePolicy.NOT_COUNTED.value)
    late_penalty_percent: Mapped[int] = mapped_column(Integer, default=0)
    scoreboard: Mapped[str] = mapped_column(String(16), default=ScoreboardVisibility.ENROLLED.value)
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    problems: Mapped[list["ProblemSetProblem"]] = relationship(
        order_by="ProblemSetProblem.position", cascade="all, delete-orphan", back_populates="problem_set")


class ProblemSetProblem(Base):
    """One problem of a set, in its place, with its points."""

    __tablename__ = "problem_set_problems"
    __table_args__ = (UniqueConstraint("problem_set_id", "problem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_set_id: Mapped[int] = mapped_column(ForeignKey("problem_sets.id", ondelete="CASCADE"))
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)

    problem_set: Mapped[ProblemSet] = relationship(back_populates="problems")
    problem: Mapped[Problem] = relationship()


class Enrollment(Base):
    """A user in a set: a student (scored) or staff (manages it, sees its students' submissions)."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("problem_set_id", "user_id"),
                      Index("ix_enrollments_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_set_id: Mapped[int] = mapped_column(ForeignKey("problem_sets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default=EnrollmentRole.STUDENT.value)
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SubmissionEvent(Base):
    """A step of a submission's judging, as its worker published it: `running` when claimed, one `check`
    per check decided. The API streams them (GET /api/submissions/{id}/events); the id is the stream's
    event id, so a client resumes after the last one it saw. Kept for a while after the verdict
    (`app.progress.prune_events`); the report stays the record."""

    __tablename__ = "submission_events"
    __table_args__ = (
        Index("ix_submission_events_submission", "submission_id", "id"),
        Index("ix_submission_events_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
