import datetime as dt

from pydantic import BaseModel, Field

MAX_USERNAME_LENGTH = 32
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 8, 256
USERNAME_PATTERN = rf"^[A-Za-z0-9_.-]{{3,{MAX_USERNAME_LENGTH}}}$"


class RegisterIn(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, max_length=MAX_USERNAME_LENGTH,
                          description="3–32 letters, digits, '_', '.', '-'")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    created_at: dt.datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
