import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ProblemSummary(BaseModel):
    slug: str
    title: str
    difficulty: str
    tags: list[str]
    published: bool
    submissions: int = Field(description="judged submissions (mode submit)")
    acceptance_rate: float | None = Field(description="accepted / judged submissions; null before any")
    solved: bool | None = Field(None, description="the signed-in user has an ACCEPTED submission")
    attempted: bool | None = Field(None, description="the signed-in user has submitted")


class SampleCase(BaseModel):
    name: str
    description: str
    inputs: list[str]


class ProblemDetail(ProblemSummary):
    statement: str = Field(description="Markdown")
    signature: str
    entry_point: str
    starter: str
    samples: list[SampleCase]
    limits: dict
    device: str
    version: int
    hints_total: int
    hints_revealed: list[str]


class HintsOut(BaseModel):
    total: int
    revealed: list[str]


class SolutionOut(BaseModel):
    source: str
    reason: Literal["accepted", "asked"]


class ExampleIn(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    expected: Literal["accepted", "wrong_answer", "runtime_error", "compilation_error",
                      "time_limit_exceeded", "memory_limit_exceeded", "output_limit_exceeded"]
    source: str = Field(max_length=64 * 1024)


class ProblemIn(BaseModel):
    """A problem authored as JSON fields; stored as a package (problem.toml and files) like any other."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: str = Field(min_length=1, max_length=200)
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = []
    device: Literal["any", "gpu"] = "any"
    hints: list[str] = []
    entry: dict = Field(description='{"name", "signature", "diff_argnums", "batch_argnums"}')
    limits: dict = {}
    tolerance: dict = {}
    wrong_answer_hints: dict = {}
    cases: list[dict] = Field(min_length=1)
    statement: str = Field(max_length=200_000)
    starter: str = Field(max_length=64 * 1024)
    reference: str = Field(max_length=64 * 1024)
    examples: list[ExampleIn] = []


class ImportOut(BaseModel):
    slug: str
    version: int
    changed: bool


class ValidationRow(BaseModel):
    submission_id: int
    example: str
    expected: str
    verdict: str | None
    status: str
    ok: bool | None


class ValidationOut(BaseModel):
    slug: str
    version: int
    complete: bool
    passed: bool
    rows: list[ValidationRow]


class AdminProblemOut(ProblemSummary):
    version: int
    versions: int
    created_at: dt.datetime


class PreviewIn(BaseModel):
    markdown: str = Field(max_length=200_000)


class PreviewOut(BaseModel):
    html: str
