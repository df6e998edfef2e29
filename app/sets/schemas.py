"""Problem sets over the wire. Every text a client sends is bounded and refused with 422 when a database
cannot hold it (a NUL byte: PostgreSQL's text type; a lone surrogate: not UTF-8), never a 500."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from ..users.schemas import USERNAME_PATTERN

SET_SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
PROBLEM_SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
INVITE_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
MAX_SET_PROBLEMS = 100
MAX_POINTS = 10_000
MAX_ENROLL_AT_ONCE = 500
# A window's ends are stored as UTC timestamps on both databases; years outside this range either
# overflow Python's datetime when moved to UTC (year 1 at +01:00) or mean nothing to a course.
EARLIEST_YEAR, LATEST_YEAR = 2000, 9000


def _storable_text(text: str) -> str:
    if "\0" in text:
        raise ValueError("must not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text") from None
    return text


def _window_end(value: dt.datetime) -> dt.datetime:
    try:
        value = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}") from None
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


StorableText = Annotated[str, AfterValidator(_storable_text)]
WindowEnd = Annotated[AwareDatetime, AfterValidator(_window_end)]


class SetProblemIn(BaseModel):
    problem: str = Field(pattern=PROBLEM_SLUG_PATTERN, max_length=63, description="a published problem's slug")
    # strict: JSON's false or "5" is not a number of points (lax validation took false for 0; schemathesis).
    points: int = Field(1, ge=0, le=MAX_POINTS, strict=True,
                        description="awarded for an ACCEPTED submission (all or nothing)")


class ProblemSetChange(BaseModel):
    """PUT /api/sets/{slug}: every field of a set but its slug, which the path names (a slug in the body,
    as GET returns it, must be that one)."""

    slug: str | None = Field(None, pattern=SET_SLUG_PATTERN, max_length=63,
                             description="optional; the path's slug (a set is not renamed)")
    title: StorableText = Field(min_length=1, max_length=200)
    description: StorableText = Field("", max_length=20_000, description="Markdown")
    problems: list[SetProblemIn] = Field(max_length=MAX_SET_PROBLEMS, description="in the order shown")
    opens_at: WindowEnd = Field(description="submissions from here on count (date-time with an offset)")
    closes_at: WindowEnd = Field(description="later submissions are late (after opens_at)")
    hidden_details: Literal["never", "after_close"] = Field(
        "never", description="when students may see the hidden cases of the set's problems")
    late_policy: Literal["not_counted", "penalty"] = "not_counted"
    late_penalty_percent: int = Field(0, ge=0, le=100, strict=True,
                                      description="taken off a late ACCEPTED (policy penalty)")
    scoreboard: Literal["public", "enrolled"] = Field("enrolled", description="who may see the scoreboard")

    @model_validator(mode="after")
    def _window_and_problems(self):
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        slugs = [p.problem for p in self.problems]
        if len(set(slugs)) != len(slugs):
            raise ValueError("a problem may appear only once in a set")
        return self


class ProblemSetIn(ProblemSetChange):
    """POST /api/sets: a new set."""

    slug: str = Field(pattern=SET_SLUG_PATTERN, max_length=63)


class SetProblemOut(BaseModel):
    problem: str
    title: str
    points: int


class ProblemSetOut(BaseModel):
    slug: str
    title: str
    description: str
    problems: list[SetProblemOut]
    opens_at: dt.datetime
    closes_at: dt.datetime
    state: Literal["upcoming", "open", "closed"]
    hidden_details: str
    late_policy: str
    late_penalty_percent: int
    scoreboard: str
    my_role: Literal["student", "staff", "admin"]
    invite_code: str | None = Field(description="staff only (null for students)")
    students: int


class EnrollIn(BaseModel):
    usernames: list[Annotated[str, Field(pattern=USERNAME_PATTERN, max_length=32)]] = Field(
        min_length=1, max_length=MAX_ENROLL_AT_ONCE)
    role: Literal["student", "staff"] = "student"


class EnrollmentOut(BaseModel):
    username: str
    role: str
    enrolled_at: dt.datetime


class JoinIn(BaseModel):
    invite_code: str = Field(pattern=INVITE_CODE_PATTERN, max_length=32)


class JoinOut(BaseModel):
    slug: str
    title: str
    role: str


class CellOut(BaseModel):
    """One student's standing on one problem of a set."""

    problem: str
    max_points: int
    points: float = Field(description="what counts: all-or-nothing, less the late penalty if late")
    solved: bool
    late: bool = Field(description="the counting ACCEPTED came after the close")
    late_accepted: bool = Field(description="an ACCEPTED after the close that does not count (or counts less)")
    attempts: int = Field(description="submissions (mode submit) since the set opened")
    wrong_before: int = Field(description="judged failures before the counting ACCEPTED (penalty tries)")
    pending: int = Field(description="submissions still queued or running")
    solved_at: dt.datetime | None
    minutes: int | None = Field(description="minutes from opens_at to the counting ACCEPTED")
    best_submission_id: int | None


class StandingOut(BaseModel):
    rank: int
    username: str
    points: float
    solved: int
    penalty_minutes: int = Field(description="ICPC: minutes to each solve plus 20 per earlier failure")
    last_solve_minutes: int | None
    cells: list[CellOut]


class ProgressOut(BaseModel):
    slug: str
    title: str
    state: Literal["upcoming", "open", "closed"]
    opens_at: dt.datetime
    closes_at: dt.datetime
    seconds_to_open: int
    seconds_left: int = Field(description="until the close (0 once closed)")
    hidden_details_visible: bool
    late_policy: str
    late_penalty_percent: int
    username: str
    points: float
    max_points: int
    cells: list[CellOut]


class FailingCheckOut(BaseModel):
    check: str
    transform: str
    submissions: int = Field(description="failed submissions in which this check failed")


class ProblemSummaryOut(BaseModel):
    problem: str
    title: str
    points: int
    solved: int
    attempted: int
    most_common_failing_check: FailingCheckOut | None


class ResultsOut(BaseModel):
    slug: str
    problems: list[SetProblemOut]
    students: list[StandingOut]
    summary: list[ProblemSummaryOut]


class ScoreboardOut(BaseModel):
    slug: str
    title: str
    state: Literal["upcoming", "open", "closed"]
    problems: list[SetProblemOut]
    rows: list[StandingOut]


class SetSubmissionItem(BaseModel):
    id: int
    problem: str
    username: str
    status: str
    verdict: str | None
    late: bool
    created_at: dt.datetime


class SetSubmissionPage(BaseModel):
    items: list[SetSubmissionItem]
    page: int
    per_page: int
    total: int


class HiddenCaseOut(BaseModel):
    name: str
    sample: bool
    description: str | None
    spec: dict = Field(description="the case as the package defines it (seed, argument specs)")


class CasesOut(BaseModel):
    problem: str
    version: int
    cases: list[HiddenCaseOut]


class RoleIn(BaseModel):
    role: Literal["user", "staff", "admin"]
