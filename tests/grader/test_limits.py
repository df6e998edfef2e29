"""Limits mean the same on every machine: TIME_LIMIT_EXCEEDED on CPU time (the wall clock gives back what
the machine's load took), memory enforced with or without a cgroup, CPU time counted either way.

"no cgroup" runs the judge as an unprivileged container does, where no cgroup can be written
(JAXJUDGE_CGROUPS=0): the watchdog in grader/sandbox.py stands in for memory.max.
"""

import concurrent.futures
import os
import subprocess
import sys

import pytest

from grader import _cgroup, _compile_cache, judge
from tests.conftest import CLIP, busy_processes
from tests.grader.conftest import ATTACK_LIMITS, assert_nothing_left_running

REFERENCE = (CLIP / "reference.py").read_text()
MEMORY_BOMB = "import numpy as np\nhoard = []\nwhile True:\n    hoard.append(np.ones(1 << 24))\n" + REFERENCE
BUSY_LOOP = REFERENCE.replace("    return jnp.clip(x, lo, hi)", "    while True:\n        pass")


@pytest.fixture
def judge_in(judge_each_way):
    """judge() on the samples in a fresh sandbox and in a child of a zygote; returns the report."""
    def run(source, limits=ATTACK_LIMITS):
        report = judge_each_way(source, limits=limits)[0]
        assert_nothing_left_running()
        return report
    return run


@pytest.fixture
def no_cgroup(monkeypatch, clip_problem, cache):
    judge(clip_problem, clip_problem.reference, samples_only=True, cache=cache)  # expected values first
    monkeypatch.setenv(_cgroup.CGROUPS_ENV, "0")


def test_without_a_cgroup_the_watchdog_stops_a_memory_bomb(no_cgroup, judge_in):
    report = judge_in(MEMORY_BOMB)
    assert report["verdict"] == "MEMORY_LIMIT_EXCEEDED", report["summary"]
    assert report["memory_limit_by"] == "watchdog"


def test_without_a_cgroup_cpu_time_is_counted_and_limited(no_cgroup, judge_in):
    report = judge_in(BUSY_LOOP, ATTACK_LIMITS.replace(wall_time_s=30.0, cpu_time_s=3.0))
    assert report["verdict"] == "TIME_LIMIT_EXCEEDED", report["summary"]
    assert "CPU time" in report["summary"]
    # Counted from the processes themselves, sampled four times a second (a container's rusage gave 0.005).
    assert report["timings"]["cpu_s"] >= 3.0 - 0.5


def test_a_correct_submission_is_accepted_on_a_saturated_machine(judge_in, monkeypatch):
    # A run alone, then the same run with a wall-time limit of 2.5 times what it took, beside 4 busy
    # processes per core: it waits for a CPU far longer than that limit, and the wait is given back.
    # Without the compile cache, so that the run has work to wait for.
    monkeypatch.setenv(_compile_cache.CACHE_DIR_ENV, _compile_cache.OFF)
    alone = judge_in(REFERENCE)
    assert alone["verdict"] == "ACCEPTED", alone["summary"]
    tight = ATTACK_LIMITS.replace(wall_time_s=2.5 * alone["timings"]["wall_s"], cpu_time_s=16.0)
    with busy_processes(4):
        loaded = judge_in(REFERENCE, tight)
        sleeper = judge_in("import time\ntime.sleep(10 ** 6)\n" + REFERENCE, tight)
    assert loaded["verdict"] == "ACCEPTED", loaded["summary"]
    # Sleeping is not waiting for a CPU: the sleeper still stops at its wall-time limit, load or not.
    assert sleeper["verdict"] == "TIME_LIMIT_EXCEEDED" and "wall-time" in sleeper["summary"]


@pytest.mark.skipif(os.geteuid() != 0, reason="busy processes above the run's priority need root")
def test_a_run_the_machine_was_too_busy_to_finish_is_the_judges_fault_and_judged_again(judge_samples):
    # Two busy processes per core above the run's priority leave it about 1% of a CPU: it waits, runnable,
    # for nearly all of its backstop (4 times its larger limit, 8 s), which is not the submitter's doing.
    limits = ATTACK_LIMITS.replace(wall_time_s=2.0, cpu_time_s=2.0)
    with busy_processes(2, above=True):
        report = judge_samples(REFERENCE, limits=limits)[0]  # a fresh sandbox (a zygote's fork waits as long)
    assert report["verdict"] == "INTERNAL_ERROR", report["summary"]
    assert "too busy" in report["summary"] and report["retry"] is True
    # Stopped at the backstop, not before. No upper bound: the busy processes starve the judge's own
    # process too, so how long the stop and the clean-up take here says nothing about the judge.
    assert report["timings"]["wall_s"] >= limits.backstop_s
    assert_nothing_left_running()


@pytest.mark.slow
def test_fourteen_sandboxes_at_once_get_the_verdict_one_gets_alone(clip_problem, cache, monkeypatch):
    # Each fresh sandbox imports JAX and compiles every check itself (no compile cache). One alone meets a
    # wall-time limit of 2.5 times what it took; 14 at once share 2 cores and each takes several times
    # that, waiting for a CPU. Once, 14 correct runs at once were all TIME_LIMIT_EXCEEDED on the wall
    # clock, each having used a tenth of its CPU time.
    monkeypatch.setenv(_compile_cache.CACHE_DIR_ENV, _compile_cache.OFF)
    judge(clip_problem, clip_problem.reference, samples_only=True, cache=cache)  # expected values first
    alone = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, limits=ATTACK_LIMITS)
    assert alone["verdict"] == "ACCEPTED", alone["summary"]
    tight = ATTACK_LIMITS.replace(wall_time_s=2.5 * alone["timings"]["wall_s"])

    def one(_):
        report = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, limits=tight)
        return report["verdict"], report["timings"]["wall_s"], report["summary"]

    with concurrent.futures.ThreadPoolExecutor(14) as pool:
        together = list(pool.map(one, range(14)))
    assert [verdict for verdict, _, _ in together] == ["ACCEPTED"] * 14, (tight, together)
    assert max(wall for _, wall, _ in together) > tight.wall_time_s  # they did wait, past the limit
    assert_nothing_left_running()
