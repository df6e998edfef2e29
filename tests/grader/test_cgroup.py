"""Per-run cgroups: limits, and no empty groups left behind by workers that were killed."""

import os
import time

import pytest

from grader import _cgroup


@pytest.fixture
def parents():
    group = _cgroup.create(64 << 20, 16)
    if group is None:
        pytest.skip("no writable cgroup hierarchy here (the sandbox then uses rlimits alone)")
    parents = [d.parent for d in group.dirs.values()]
    group.kill_and_remove()
    return parents


def test_stale_empty_groups_are_swept_and_young_ones_kept(parents, monkeypatch):
    old = [p / "jaxjudge-stale-test" for p in parents]
    young = [p / "jaxjudge-young-test" for p in parents]
    for d in old + young:
        d.mkdir()
    for d in old:
        os.utime(d, (time.time() - 3600, time.time() - 3600))
    try:
        monkeypatch.setattr(_cgroup, "_swept", False)
        group = _cgroup.create(64 << 20, 16)
        group.kill_and_remove()
        assert not any(d.exists() for d in old)
        assert all(d.exists() for d in young)
    finally:
        for d in old + young:
            if d.exists():
                d.rmdir()


def test_memory_limit_can_be_changed_for_the_job(parents):
    group = _cgroup.create(256 << 20, 16)
    try:
        group.set_memory(128 << 20)
        limit_file = "memory.max" if group.v2 else "memory.limit_in_bytes"
        memory_dir = group.dirs.get("", group.dirs.get("memory"))
        assert int((memory_dir / limit_file).read_text()) == 128 << 20
        group.set_memory(512 << 20)
        assert int((memory_dir / limit_file).read_text()) == 512 << 20
    finally:
        group.kill_and_remove()
