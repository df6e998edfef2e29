"""jaxjudge's command line, and the settings it refuses to start with."""

import subprocess
import sys

import pytest

from app.config import ConfigurationError, Settings
from tests.conftest import CLIP


def jaxjudge(*args, env):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def env(tmp_path, monkeypatch):
    import os

    return dict(os.environ, JAXJUDGE_DATA_DIR=str(tmp_path / "data"))


def test_import_export_round_trip_and_create_admin(env, tmp_path):
    first = jaxjudge("problems", "import", str(CLIP), env=env)
    assert first.returncode == 0 and "clip-passthrough: version 1" in first.stdout
    again = jaxjudge("problems", "import", str(CLIP), env=env)
    assert "version 1 (unchanged)" in again.stdout
    out = tmp_path / "exported"
    assert jaxjudge("problems", "export", "clip-passthrough", str(out), env=env).returncode == 0
    for path in CLIP.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(CLIP)).read_bytes() == path.read_bytes()
    admin = jaxjudge("create-admin", "--username", "root", "--password", "admin password 1", env=env)
    assert admin.returncode == 0 and "admin root" in admin.stdout


def test_secret_rules(tmp_path):
    pg = "postgresql://judge@127.0.0.1/jaxjudge"
    with pytest.raises(ConfigurationError, match="required with PostgreSQL"):
        Settings(database_url=pg, data_dir=tmp_path).resolved_secret_key()
    with pytest.raises(ConfigurationError, match="example"):
        Settings(database_url=pg, secret_key="change-me", data_dir=tmp_path).resolved_secret_key()
    assert Settings(database_url=pg, env="development", data_dir=tmp_path).resolved_secret_key()
    embedded = Settings(data_dir=tmp_path).resolved_secret_key()
    assert len(embedded) == 64 and Settings(data_dir=tmp_path).resolved_secret_key() == embedded
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_serve_refuses_an_example_secret_with_postgres(env):
    env = dict(env, DATABASE_URL="postgresql://judge@127.0.0.1:1/jaxjudge", JAXJUDGE_SECRET_KEY="change-me")
    result = jaxjudge("serve", env=env)
    assert result.returncode != 0 and "JAXJUDGE_SECRET_KEY" in result.stderr
