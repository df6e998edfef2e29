"""Sandboxes started ahead of need: faster, and exactly as isolated as one fresh sandbox per submission."""

import pytest

import grader.pool
from grader import SandboxPool, judge
from tests.grader.conftest import ATTACK_LIMITS, assert_nothing_left_running
from tests.conftest import CLIP

REFERENCE = (CLIP / "reference.py").read_text()

# Submission A tries to leave something behind for whoever comes next.
POLLUTER = """
import os, subprocess, sys
import jax.numpy as jnp
import numpy as np
open('/tmp/left-behind', 'w').write('secret of the previous submission')
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)
np.LEFT_BEHIND = True
jnp.clip = lambda x, lo, hi: x * 0          # would make the next submission wrong, if it were shared
os.environ['LEFT_BEHIND'] = '1'
""" + REFERENCE

# Submission B looks for it, and is a correct solution that uses jnp.clip.
OBSERVER = """
import os
import numpy as np
print('file', os.path.exists('/tmp/left-behind'))
print('processes', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
print('module state', hasattr(np, 'LEFT_BEHIND'))
print('environment', 'LEFT_BEHIND' in os.environ)
""" + REFERENCE


@pytest.fixture
def pool(clip_problem):
    pool = SandboxPool(1, limits=ATTACK_LIMITS)
    yield pool
    pool.close()
    assert_nothing_left_running()


def test_a_submission_cannot_affect_the_next_one(clip_problem, cache, judge_samples, pool):
    first = judge(clip_problem, POLLUTER.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert first["verdict"] == "WRONG_ANSWER"  # its own jnp.clip is broken: for itself only
    second = judge(clip_problem, OBSERVER.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert second["verdict"] == "ACCEPTED", second["summary"]
    out = second["output"]["stdout_tail"]
    assert "file False" in out and "module state False" in out and "environment False" in out
    # Its own pid namespace: bwrap's init (1) and the harness alone, nothing of the previous submission.
    assert "processes [1, 2]" in out


def test_each_sandbox_judges_once_and_the_pool_refills(clip_problem, cache, judge_samples, monkeypatch):
    ran = []

    class CountingSandbox(grader.pool.Sandbox):
        def run(self, *args, **kwargs):
            ran.append(self)
            return super().run(*args, **kwargs)

    monkeypatch.setattr(grader.pool, "Sandbox", CountingSandbox)
    pool = SandboxPool(1, limits=ATTACK_LIMITS)
    try:
        for _ in range(3):
            report = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, pool=pool,
                           limits=ATTACK_LIMITS)
            assert report["verdict"] == "ACCEPTED"
    finally:
        pool.close()
    assert len(ran) == 3 and len(set(map(id, ran))) == 3  # three sandboxes, each used once


def test_per_job_limits_apply_to_a_warm_sandbox(clip_problem, cache, judge_samples, pool):
    tight = ATTACK_LIMITS.replace(wall_time_s=3.0)
    assert pool.compatible(tight)
    busy = REFERENCE.replace("    return jnp.clip(x, lo, hi)", "    while True:\n        pass")
    report = judge(clip_problem, busy.encode(), samples_only=True, cache=cache, pool=pool, limits=tight)
    assert report["verdict"] == "TIME_LIMIT_EXCEEDED"
    assert report["timings"]["wall_s"] < 3.0 + 2.0


def test_incompatible_limits_get_a_fresh_sandbox(clip_problem, cache, pool):
    other = ATTACK_LIMITS.replace(file_size_mb=1)
    assert not pool.compatible(other)
    report = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, pool=pool, limits=other)
    assert report["verdict"] == "ACCEPTED"
