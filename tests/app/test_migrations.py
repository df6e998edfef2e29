"""The models and the migrations agree, and upgrade → downgrade → upgrade works, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate
from app.db import Base, make_engine


def test_models_and_migrations_agree(database_url):
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_downgrade_upgrade(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(database_url)
    assert {"users", "problems", "problem_versions", "submissions"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    assert "submissions" in inspect(engine).get_table_names()
    engine.dispose()
