import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class SubmissionIn(BaseModel):
    source: str = Field(description="Python source, UTF-8, at most 64 KiB")
    mode: Literal["submit", "run"] = Field("submit", description="run: sample cases with full feedback; "
                                                                 "submit: every case")
    show_hidden: bool = Field(False, strict=True, description="admins only (403 for others): the report shows hidden "
                                                 "cases like samples, with their inputs, expected and got")


class SubmissionCreated(BaseModel):
    id: int
    status: str


class SubmissionOut(BaseModel):
    id: int
    problem: str
    problem_version: int
    username: str
    mode: str
    status: Literal["queued", "running", "judged"]
    verdict: str | None
    report: dict | None
    device: str | None
    judge_s: float | None
    attempts: int
    show_hidden: bool
    created_at: dt.datetime
    judged_at: dt.datetime | None
    source: str


class SubmissionListItem(BaseModel):
    id: int
    problem: str
    username: str
    mode: str
    status: str
    verdict: str | None
    created_at: dt.datetime
    judge_s: float | None = Field(None, description="seconds the judgement took")
    score: dict | None = Field(None, description="the report's {points, max_points, groups}, once judged")


class SubmissionPage(BaseModel):
    items: list[SubmissionListItem]
    page: int
    per_page: int
    total: int
