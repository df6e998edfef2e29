"""The sandbox's runtime tree: hard links under a neutral folder, made once per set of installed files."""

import os

import pytest

from grader import _runtime, sandbox


@pytest.fixture
def sources(tmp_path):
    package = tmp_path / "venv" / "site-packages" / "pkg"
    package.mkdir(parents=True)
    (package / "module.py").write_text("x = 1\n")
    (package / "link.py").symlink_to("module.py")
    hidden = tmp_path / "venv" / "site-packages" / "other"
    hidden.mkdir()
    (hidden / "secret.py").write_text("no\n")
    return [("site/pkg", package, ()), ("python", tmp_path / "venv", (hidden,))]


def test_the_tree_links_the_files_and_is_made_once(tmp_path, sources):
    base = tmp_path / "runtime"
    root = _runtime._tree(base, sources)
    package = sources[0][1]
    assert os.stat(root / "site/pkg/module.py").st_ino == os.stat(package / "module.py").st_ino
    assert os.readlink(root / "site/pkg/link.py") == "module.py"
    assert (root / "python/site-packages/pkg/module.py").exists()
    assert not (root / "python/site-packages/other").exists()  # what the sandbox must not see
    assert _runtime._tree(base, sources) == root
    assert [p.name for p in base.iterdir()] == [root.name]  # no build folder left behind
    (package / "module.py").write_text("x = 2\n")  # a reinstall: another set of files, another tree
    assert _runtime._tree(base, sources) != root


def test_a_base_others_can_write_is_refused(tmp_path, sources):
    base = tmp_path / "runtime"
    base.mkdir(mode=0o777)
    os.chmod(base, 0o777)
    with pytest.raises(OSError, match="closed to other writers"):
        _runtime._tree(base, sources)


def test_in_place_binds_the_installed_files(monkeypatch):
    monkeypatch.setenv(_runtime.RUNTIME_DIR_ENV, _runtime.IN_PLACE)
    _runtime.runtime_mounts.cache_clear()
    try:
        mounts = _runtime.runtime_mounts(sandbox.HARNESS_DIR)
    finally:
        _runtime.runtime_mounts.cache_clear()
    assert (sandbox.HARNESS_DIR, _runtime.Path("/judge/sandboxed")) in mounts.binds
    assert {inside.name for host, inside in mounts.binds if inside.parent.name == "site"} >= {"jax", "numpy"}
