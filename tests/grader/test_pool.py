"""Sandboxes started ahead of need: faster, and exactly as isolated as one fresh sandbox per submission.

The pool's sandboxes are children of its zygote where the machine allows (grader/zygote.py), else fresh
sandboxes; the isolation tests run against both.
"""

import pytest

from grader import SandboxPool, judge, zygote
from grader.sandbox import Sandbox
from tests.grader.conftest import ATTACK_LIMITS, assert_nothing_left_running
from tests.conftest import CLIP

REFERENCE = (CLIP / "reference.py").read_text()

# Submission A tries to leave something behind for whoever comes next: files in /tmp and /dev/shm, a
# process that holds an abstract socket, changed module state and environment.
POLLUTER = """
import os, subprocess, sys
import jax.numpy as jnp
import numpy as np
open('/tmp/left-behind', 'w').write('secret of the previous submission')
open('/dev/shm/left-behind', 'w').write('secret of the previous submission')
try:  # the zygote's children once shared one writable /dev
    open('/dev/left-behind', 'w').write('secret of the previous submission')
except OSError:
    pass
subprocess.Popen([sys.executable, '-c', 'import socket, time; s = socket.socket(socket.AF_UNIX); '
                  's.bind(b"\\\\0left-behind"); s.listen(); time.sleep(600)'], start_new_session=True)
np.LEFT_BEHIND = True
jnp.clip = lambda x, lo, hi: x * 0          # would make the next submission wrong, if it were shared
os.environ['LEFT_BEHIND'] = '1'
import socket, time
for _ in range(500):                        # the socket is bound before the checks run
    try:
        socket.socket(socket.AF_UNIX).connect(b"\\0left-behind")
        break
    except OSError:
        time.sleep(0.01)
""" + REFERENCE

# Submission B looks for it, and is a correct solution that uses jnp.clip.
OBSERVER = """
import os, socket
import numpy as np
print('file', any(os.path.exists(p) for p in ('/tmp/left-behind', '/dev/shm/left-behind', '/dev/left-behind')))
print('processes', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
print('module state', hasattr(np, 'LEFT_BEHIND'))
print('environment', 'LEFT_BEHIND' in os.environ)
try:
    socket.socket(socket.AF_UNIX).connect(b"\\0left-behind")
    print('socket reached')
except OSError:
    print('socket unreachable')
""" + REFERENCE


@pytest.fixture(params=["zygote", "fresh"])
def pool(request, clip_problem):
    if request.param == "zygote" and not zygote.supported():
        pytest.skip("no zygote on this machine")
    pool = SandboxPool(1, limits=ATTACK_LIMITS, zygote=request.param == "zygote")
    yield pool
    pool.close()
    assert_nothing_left_running()
    # The zygote case must have been judged by children of the zygote, not by a silent fallback.
    assert pool.uses_zygote == (request.param == "zygote") and pool.zygote_failures == 0


def test_a_submission_cannot_affect_the_next_one(clip_problem, cache, judge_samples, pool):
    first = judge(clip_problem, POLLUTER.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert first["verdict"] == "WRONG_ANSWER"  # its own jnp.clip is broken: for itself only
    second = judge(clip_problem, OBSERVER.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert second["verdict"] == "ACCEPTED", second["summary"]
    out = second["output"]["stdout_tail"]
    assert "file False" in out and "module state False" in out and "environment False" in out
    assert "socket unreachable" in out
    # Its own pid namespace, nothing of the previous submission's: a child of the zygote is pid 1 of its
    # own; in a fresh sandbox bwrap's init is 1 and the harness 2.
    assert ("processes [1]" if pool.uses_zygote else "processes [1, 2]") in out
    assert pool.zygote_failures == 0


def shmem_bytes():
    """The host's shared memory (tmpfs pages among it), from /proc/meminfo."""
    for line in open("/proc/meminfo"):
        if line.startswith("Shmem:"):
            return int(line.split()[1]) << 10
    raise AssertionError("no Shmem line in /proc/meminfo")


# Fills its /tmp and /dev/shm nearly to their size (in files under the file-size limit), and tries /dev.
HOARD_FILES = (ATTACK_LIMITS.tmpfs_mb - 8) // 8
HOARDER = """
chunk = b'x' * (8 << 20)
for folder in ('/tmp', '/dev/shm', '/dev'):
    try:
        for i in range(%d):
            with open(f'{folder}/hoard{i}', 'wb') as f:
                f.write(chunk)
        print('FILLED', folder)
    except OSError as error:
        print('REFUSED', folder, error.errno)
""" % HOARD_FILES + REFERENCE


def test_what_a_run_writes_is_gone_when_it_ends(clip_problem, cache, judge_samples, pool):
    written = 2 * HOARD_FILES * (8 << 20)
    before = shmem_bytes()
    for _ in range(3):
        report = judge(clip_problem, HOARDER.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
        assert report["verdict"] == "ACCEPTED", report["summary"]
        out = report["output"]["stdout_tail"]
        assert "FILLED /tmp" in out and "FILLED /dev/shm" in out and "REFUSED /dev 30" in out  # EROFS
    # Three runs wrote three times `written`; what stays is at most noise (the warm sandbox, other
    # processes), under one run's worth.
    assert shmem_bytes() - before < written
    assert pool.zygote_failures == 0


def test_each_sandbox_judges_once_and_the_pool_refills(clip_problem, cache, judge_samples, pool, monkeypatch):
    started = []
    start = pool._start
    monkeypatch.setattr(pool, "_start", lambda role: started.append(start(role)) or started[-1])
    ran = []
    for kind in (Sandbox, zygote.ForkedSandbox):
        monkeypatch.setattr(kind, "run", lambda self, *a, _run=kind.run, **k: ran.append(self) or _run(self, *a, **k))
    for _ in range(3):
        report = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, pool=pool,
                       limits=ATTACK_LIMITS)
        assert report["verdict"] == "ACCEPTED"
    # Six sandboxes, each used once: per judgement one submission's and one evaluator.
    assert len(ran) == 6 and len(set(map(id, ran))) == 6
    assert sorted(s.role for s in ran) == ["evaluator"] * 3 + ["harness"] * 3
    assert all(sandbox in started for sandbox in ran[2:])  # the ones after the first pair came from the refill
    expected = zygote.ForkedSandbox if pool.uses_zygote else Sandbox
    assert all(type(sandbox) is expected for sandbox in ran)


# A child of the zygote shows what it is: no capability in any set, no_new_privs, a seccomp filter, uid
# 65534, alone in its pid namespace; it may not make a user namespace, change a device node's mode, or
# reach the zygote; signalling every process it can see harms nobody else.
PROBE = """
import ctypes, os, signal
status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines() if ':' in line)
fields = ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp')
print('STATUS', *(f"{k}={status[k].strip()}" for k in fields))
print('UID', os.getuid(), os.getgid())
libc = ctypes.CDLL(None, use_errno=True)
print('UNSHARE_USER', libc.unshare(0x10000000), ctypes.get_errno())
try:
    os.chmod('/dev/null', 0o600)
    print('CHMOD allowed')
except OSError as error:
    print('CHMOD refused', error.errno)
print('PROCESSES', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
""" + REFERENCE


@pytest.fixture
def zygote_pool(clip_problem):
    if not zygote.supported():
        pytest.skip("no zygote on this machine")
    pool = SandboxPool(1, limits=ATTACK_LIMITS)
    yield pool
    pool.close()
    assert_nothing_left_running()


def test_a_child_of_the_zygote_has_no_privilege_and_cannot_reach_it(clip_problem, cache, judge_samples, zygote_pool):
    pool = zygote_pool
    report = judge(clip_problem, PROBE.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert report["verdict"] == "ACCEPTED", report["summary"]
    out = report["output"]["stdout_tail"]
    assert ("STATUS CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000 "
            "CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2") in out
    assert "UID 65534 65534" in out
    assert "UNSHARE_USER -1 1" in out  # EPERM
    assert "CHMOD refused 1" in out
    assert "PROCESSES [1]" in out
    # kill(-1) reached nothing outside: the same zygote serves the next submission.
    again = judge(clip_problem, REFERENCE.encode(), samples_only=True, cache=cache, pool=pool, limits=ATTACK_LIMITS)
    assert again["verdict"] == "ACCEPTED" and pool.zygote_failures == 0


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
