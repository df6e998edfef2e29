"""Alembic, driven from code: `jaxjudge db upgrade|downgrade`, and on `jaxjudge serve` start-up."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

# The repository's migrations/; an installed copy (the container image) names its folder in the env.
MIGRATIONS = Path(os.environ.get("JAXJUDGE_MIGRATIONS_DIR") or Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(url):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # SQLAlchemy URLs go through configparser interpolation: a '%' in a password must be doubled.
    config.set_main_option("sqlalchemy.url", _driver_url(url).replace("%", "%%"))
    return config


def _driver_url(url):
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def upgrade(url, revision="head"):
    command.upgrade(alembic_config(url), revision)


def downgrade(url, revision="base"):
    command.downgrade(alembic_config(url), revision)
