import datetime as dt

from pydantic import BaseModel, Field

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"


class RegisterIn(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="3–32 letters, digits, '_', '.', '-'")
    password: str = Field(min_length=8, max_length=256)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    created_at: dt.datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
