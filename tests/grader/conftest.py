import json
import os
import time
from pathlib import Path

import pytest

from grader import ExpectedCache, Limits, judge, load_problem, sandbox
from tests.conftest import CLIP

# The attack tests lower the sandbox limits (taken from the policy object, as snekbox's tests do) so
# that a busy loop or a sleep ends in seconds. The margin is for start-up and clean-up around the limit.
ATTACK_LIMITS = Limits().replace(wall_time_s=8.0, cpu_time_s=16.0, memory_mb=1024)
MARGIN_S = 10.0


@pytest.fixture(scope="session")
def clip_problem():
    return load_problem(CLIP)


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return ExpectedCache(tmp_path_factory.mktemp("expected"))


@pytest.fixture(scope="session")
def judge_samples(clip_problem, cache):
    """Judge a source on the sample cases with the attack limits; returns (report, seconds)."""
    judge(clip_problem, clip_problem.reference, samples_only=True, cache=cache)  # expected values, once

    def run(source, **kwargs):
        """`samples_only=False` judges every case (submit mode), with the attack limits still."""
        started = time.monotonic()
        kwargs.setdefault("limits", ATTACK_LIMITS)
        kwargs.setdefault("samples_only", True)
        report = judge(clip_problem, source, cache=cache, **kwargs)
        json.dumps(report)  # the report is always JSON-able
        return report, time.monotonic() - started

    return run


@pytest.fixture(params=["fresh", "zygote"])
def judge_each_way(request, judge_samples):
    """judge_samples in a fresh sandbox, or in a child of a zygote started for the call (its own pool, so
    it mounts what the test set up, closed before the test looks for anything left running)."""
    if request.param == "fresh":
        return judge_samples
    from grader import SandboxPool, zygote

    if not zygote.supported():
        pytest.skip("no zygote on this machine")

    def in_a_child_of_the_zygote(source, **kwargs):
        pool = SandboxPool(1, limits=ATTACK_LIMITS)
        try:
            result = judge_samples(source, pool=pool, **kwargs)
            assert pool.zygote_failures == 0  # judged in a child of the zygote, not a fresh fallback
            return result
        finally:
            pool.close()
    return in_a_child_of_the_zygote


def processes_with(marker):
    """Command lines of host processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def assert_nothing_left_running(marker=None):
    """No process of a sandbox this test process started (or, given `marker`, none whose command line
    holds it) is left: other test runs on the machine may have sandboxes of their own."""
    marker = marker or sandbox.owner_tag()
    # The cgroup is emptied synchronously, but a process can take a moment to be reaped by init.
    for _ in range(50):
        if not processes_with(marker):
            return
        time.sleep(0.1)
    assert processes_with(marker) == []
