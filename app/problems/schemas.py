import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_serializer, model_validator

# The most a problem may ask of a sandbox, per field of grader.Limits (the grader takes any positive
# number: `wall_time_s = 1e308` was stored). Authored fields and imported packages alike are held to it.
LIMIT_BOUNDS = {
    "wall_time_s": 600.0, "cpu_time_s": 1200.0, "memory_mb": 65536, "address_space_mb": 131072,
    "max_processes": 4096, "output_bytes": 64 << 20, "result_bytes": 1 << 30, "file_size_mb": 1024,
    "tmpfs_mb": 8192, "open_files": 4096,
}


def unstorable_text(value):
    """Why `value` (a JSON value, any depth) cannot be stored, or None: a NUL byte, which PostgreSQL text
    cannot hold, or a lone surrogate, which UTF-8 cannot encode. Iterative: depth is no concern here."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\0" in item:
                return "text may not contain NUL bytes"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text must be valid Unicode (no lone surrogates)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return None


def _storable(value):
    why = unstorable_text(value)
    if why:
        raise ValueError(why)
    return value


Text = Annotated[str, AfterValidator(_storable)]


class _Sparse(BaseModel):
    """Fields left out stay out when written back (problem.toml gets only what the author set)."""

    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


def _bounded(name, kind):
    return Annotated[kind | None, Field(None, gt=0, le=LIMIT_BOUNDS[name])]


class LimitsIn(_Sparse):
    """Sandbox limits; each positive and at most LIMIT_BOUNDS. Unset ones keep the grader's defaults."""

    wall_time_s: _bounded("wall_time_s", float)
    cpu_time_s: _bounded("cpu_time_s", float)
    memory_mb: _bounded("memory_mb", int)
    address_space_mb: _bounded("address_space_mb", int)
    max_processes: _bounded("max_processes", int)
    output_bytes: _bounded("output_bytes", int)
    result_bytes: _bounded("result_bytes", int)
    file_size_mb: _bounded("file_size_mb", int)
    tmpfs_mb: _bounded("tmpfs_mb", int)
    open_files: _bounded("open_files", int)


class ToleranceIn(_Sparse):
    rtol: float | None = Field(None, ge=0, le=1e6, allow_inf_nan=False)
    atol: float | None = Field(None, ge=0, le=1e6, allow_inf_nan=False)
    mode: Literal["elementwise", "norm"] | None = None


class EntryIn(BaseModel):
    """The entry point; keys the grader adds later pass through (the grader checks them)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=100)
    signature: str | None = Field(None, max_length=2000)
    diff_argnums: list[Annotated[int, Field(ge=0, le=255)]] = Field([], max_length=64)
    batch_argnums: list[Annotated[int, Field(ge=0, le=255)]] = Field([], max_length=64)

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class ProblemSummary(BaseModel):
    slug: str
    title: str
    difficulty: str
    tags: list[str]
    prerequisites: list[str] = Field(description="slugs of the problems to solve first; the list is in a "
                                                 "suggested order, each problem after these")
    published: bool
    submissions: int = Field(description="judged submissions (mode submit)")
    acceptance_rate: float | None = Field(description="accepted / judged submissions; null before any")
    solved: bool | None = Field(None, description="the signed-in user has an ACCEPTED Submit (a Run solves nothing)")
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
    revealed: list[str] = Field(description="Markdown")
    revealed_html: list[str] = Field(description="the same, rendered as the problem page renders it (raw HTML escaped)")


class SolutionOut(BaseModel):
    source: str
    reason: Literal["accepted", "asked"]


class ExampleIn(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    expected: Literal["accepted", "wrong_answer", "runtime_error", "compilation_error",
                      "time_limit_exceeded", "memory_limit_exceeded", "output_limit_exceeded"]
    source: Text = Field(max_length=64 * 1024)


class ProblemIn(BaseModel):
    """A problem authored as JSON fields; stored as a package (problem.toml and files) like any other.
    Every string in it, nested ones included, is free of NUL bytes and lone surrogates."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: Text = Field(min_length=1, max_length=200)
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[Annotated[Text, Field(max_length=64)]] = Field([], max_length=32)
    prerequisites: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]] = Field([], max_length=32)
    device: Literal["any", "gpu"] = "any"
    hints: list[Annotated[Text, Field(max_length=10_000)]] = Field([], max_length=32)
    entry: EntryIn
    limits: LimitsIn = LimitsIn()
    # Per dtype, or per check and then dtype ([tolerance.<check>.<dtype>]).
    tolerance: dict[Annotated[str, Field(max_length=32)],
                    ToleranceIn | dict[Annotated[str, Field(max_length=32)], ToleranceIn]] = Field({}, max_length=32)
    wrong_answer_hints: dict[Annotated[str, Field(max_length=64)], Annotated[Text, Field(max_length=10_000)]] = \
        Field({}, max_length=64)
    cases: list[dict] = Field(min_length=1, max_length=1000)
    # The tables of the problem model the form does not edit, carried through as problem.toml has them
    # (docs/problem-format.md; the grader checks them): without them, saving the form dropped them.
    checks: dict[Annotated[str, Field(max_length=32)], list[Annotated[str, Field(max_length=32)]]] | None = \
        Field(None, max_length=32)
    rules: dict | None = None
    groups: list[dict] | None = Field(None, max_length=1000)
    checker: dict | None = None
    checker_source: Text | None = Field(None, max_length=64 * 1024, description="checker.py")
    statement: Text = Field(max_length=200_000)
    starter: Text = Field(max_length=64 * 1024)
    reference: Text = Field(max_length=64 * 1024)
    examples: list[ExampleIn] = Field([], max_length=150)

    @model_validator(mode="before")
    @classmethod
    def _storable_everywhere(cls, data):
        # entry and cases are free-form tables: their strings are checked here, before anything else.
        return _storable(data)


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
    markdown: Text = Field(max_length=200_000)


class PreviewOut(BaseModel):
    html: str
