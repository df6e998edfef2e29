"""Settings, from the environment (pydantic-settings). One object, read once at start."""

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Secrets that ship in examples and must never run a production judge.
EXAMPLE_SECRETS = {"", "change-me", "changeme", "secret", "example-secret-key", "CHANGE_ME"}


class ConfigurationError(RuntimeError):
    """The settings cannot run a judge safely; start-up stops with this message."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAXJUDGE_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "production"
    data_dir: Path = Path("var")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    secret_key: str | None = None
    problems_dir: Path = Path("problems")
    token_ttl_s: int = 7 * 24 * 3600
    max_in_flight_per_user: int = 3       # queued or running submissions of one user
    max_queue: int = 1000                 # queued submissions in all
    lease_s: float = 60.0                 # a worker's claim on a submission, renewed by its heartbeat
    max_attempts: int = 3                 # claims of one submission before INTERNAL_ERROR
    login_attempts: int = 5               # failed logins per (user, address) ...
    login_window_s: int = 300             # ... in this window
    pool_size: int = 1                    # sandboxes each worker keeps started ahead of need (0: none)
    zygote: bool = True                   # fork them from a zygote that has imported JAX (else fresh ones)
    judge_wall_time_s: float | None = None  # overrides every problem's wall-time limit (tests, slow hosts)
    cache_dir_override: Path | None = Field(default=None, validation_alias="JAXJUDGE_CACHE_DIR")
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto are believed, comma-separated;
    # none by default. Anything else's forwarded headers are ignored: the sign-in limiter counts per
    # address, and uvicorn on its own believed them from 127.0.0.1.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # A classroom's burst (issue 14): requests that use the database at once in one API process; the
    # rest wait for a turn up to db_wait_s. The bound on every wait of a request — for a turn, a pooled
    # connection, SQLite's write lock, a PostgreSQL row lock — after which it is answered 503 with
    # Retry-After (nothing of it stored) instead of queueing without end.
    api_concurrency: int = Field(default=24, ge=1, le=1000)
    db_wait_s: float = Field(default=10.0, gt=0, le=300)
    # Connections each engine keeps (API, embedded workers and their heartbeats share the writers'):
    # enough for every admitted request plus the workers, so a request never waits on the pool.
    db_pool_size: int | None = Field(default=None, ge=1, le=1000)   # default: see pool_size_for

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for part in value:
            if part != "*":
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"JAXJUDGE_TRUSTED_PROXIES: {part!r} is not an IP address or network "
                                     "(or '*')") from None
        return value

    def pool_size_for(self, workers=0):
        """Connections per engine: one per admitted request, two per embedded worker (its loop and its
        heartbeat) and a few for the rest (start-up, the odd page outside a turn)."""
        return self.db_pool_size or self.api_concurrency + 2 * workers + 4

    @property
    def is_sqlite(self):
        return self.resolved_database_url().startswith("sqlite")

    def resolved_database_url(self):
        return self.database_url or f"sqlite:///{(self.data_dir / 'jaxjudge.db').resolve()}"

    @property
    def cache_dir(self):
        """Where the reference's expected values are kept (never mounted into a sandbox)."""
        return self.cache_dir_override or self.data_dir / "expected"

    def resolved_secret_key(self):
        """The signing key. The embedded default (SQLite) keeps a generated one in the data folder;
        anything else must be given one that is not an example, unless JAXJUDGE_ENV=development."""
        if self.secret_key and self.secret_key not in EXAMPLE_SECRETS and len(self.secret_key) >= 32:
            return self.secret_key
        if self.secret_key and self.env != "development":
            raise ConfigurationError("JAXJUDGE_SECRET_KEY is an example or shorter than 32 characters; "
                                     "set a random one (python -c 'import secrets; print(secrets.token_hex(32))')")
        if not self.is_sqlite and self.env != "development":
            raise ConfigurationError("JAXJUDGE_SECRET_KEY is required with PostgreSQL "
                                     "(or set JAXJUDGE_ENV=development)")
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()
