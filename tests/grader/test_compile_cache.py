"""The compile cache: trusted runs write it, submissions read it by key only, and it never changes a verdict.

Each test has a cache folder of its own (under /tmp, where the sandboxes' host uid can reach it), filled
by a trusted reference run where the test needs it warm. The attacks run in a fresh sandbox and in a
child of the zygote, like tests/grader/test_sandbox_attacks.py.
"""

import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest

from grader import ExpectedCache, SandboxPool, _compile_cache, judge, sandbox
from tests.conftest import CLIP
from tests.grader.conftest import ATTACK_LIMITS, assert_nothing_left_running

REFERENCE = (CLIP / "reference.py").read_text()
PLAIN_CLIP = (CLIP / "submissions" / "wrong_answer" / "plain_clip.py").read_bytes()


@pytest.fixture
def cache_folder(monkeypatch):
    """A compile cache of this test's own, named by JAXJUDGE_COMPILE_CACHE_DIR."""
    parent = Path(tempfile.mkdtemp(prefix="jaxjudge-cache-test-", dir="/tmp"))
    os.chmod(parent, 0o755)
    folder = parent / "xla"
    monkeypatch.setenv(_compile_cache.CACHE_DIR_ENV, str(folder))
    yield folder
    shutil.rmtree(parent, ignore_errors=True)


def entries(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []  # the worker may list it


def fill(problem, folder):
    """A trusted reference run (the judge's warm-up), which writes the cache."""
    ExpectedCache().expected(problem, "cpu")
    assert entries(folder), "the reference run wrote no entry"


@pytest.fixture
def judge_with(judge_each_way):
    """judge() on the samples in a fresh sandbox and in a child of a zygote started for the call (so it
    mounts the cache folder the test set); returns the report."""
    def run(source):
        report = judge_each_way(source)[0]
        assert_nothing_left_running()
        return report
    return run


def test_the_folder_is_made_closed_and_the_trusted_side_checks_it(cache_folder):
    uid = sandbox.sandbox_host_uid()
    assert _compile_cache.prepare(uid) == cache_folder
    info = cache_folder.lstat()
    assert stat.S_IMODE(info.st_mode) == 0o300 and info.st_uid == uid
    os.chmod(cache_folder, 0o755)  # someone opened it up: it is not used
    assert _compile_cache.prepare(uid) is None
    cache_folder.rmdir()
    cache_folder.symlink_to("/etc")  # or put a link in its place
    assert _compile_cache.prepare(uid) is None


def test_a_submission_can_neither_list_nor_write_nor_guess(cache_folder, clip_problem, judge_with):
    fill(clip_problem, cache_folder)
    before = entries(cache_folder)
    name = before[0]  # a real entry's name, which a submission could only know by computing its key
    probe = f"""
import os
root = '/judge/xla-cache'
attacks = {{
    'list': lambda: os.listdir(root),
    'scandir': lambda: list(os.scandir(root)),
    'guess': lambda: open(root + '/jit_clip-' + '0' * 64 + '-cache', 'rb').read(),
    'write': lambda: open(root + '/jit_clip-' + '1' * 64 + '-cache', 'wb').write(b'poison'),
    'replace': lambda: os.rename(root + '/{name}', root + '/x'),
    'overwrite': lambda: open(root + '/{name}', 'r+b').write(b'poison'),
    'symlink': lambda: os.symlink('/etc/passwd', root + '/jit_clip-' + '2' * 64 + '-cache'),
    'unlink': lambda: os.unlink(root + '/{name}'),
    'chmod': lambda: os.chmod(root, 0o700),
}}
for what, attack in attacks.items():
    try:
        attack()
        print('ALLOWED', what)
    except OSError as error:
        print('REFUSED', what, error.errno)
print('READ BY KEY', len(open(root + '/{name}', 'rb').read()) > 0)
""" + REFERENCE
    report = judge_with(probe.encode())
    assert report["verdict"] == "ACCEPTED", report["summary"]
    out = report["output"]["stdout_tail"]
    assert "ALLOWED" not in out and out.count("REFUSED") == 9
    assert "REFUSED list 13" in out and "REFUSED guess 2" in out and "REFUSED write 30" in out  # EACCES, ENOENT, EROFS
    assert "READ BY KEY True" in out  # knowing the key (the computation) is what opens an entry
    assert entries(cache_folder) == before


def test_what_the_reference_compiled_gives_a_submission_its_own_result(cache_folder, clip_problem, judge_with,
                                                                       monkeypatch):
    # Plain jnp.clip compiles the very primitives the reference compiled eagerly (same shapes, same
    # dtypes): it reads the reference's entries, and still gets its own (wrong) derivatives.
    fill(clip_problem, cache_folder)
    before = entries(cache_folder)
    warm = judge_with(PLAIN_CLIP)
    assert entries(cache_folder) == before  # a submission writes nothing
    monkeypatch.setenv(_compile_cache.CACHE_DIR_ENV, _compile_cache.OFF)
    cold = judge_with(PLAIN_CLIP)
    assert warm["verdict"] == cold["verdict"] == "WRONG_ANSWER"
    assert outcomes(warm) == outcomes(cold)


def outcomes(report):
    return [(c["case"], c["check"], c["transform"], c["status"], c.get("got")) for c in report["checks"]]


def test_the_verdict_is_the_same_with_the_cache_empty_warm_or_removed_mid_run(cache_folder, clip_problem, cache):
    def verdicts(pool=None):
        return [outcomes(judge(clip_problem, source, samples_only=True, cache=cache, limits=ATTACK_LIMITS, pool=pool))
                for source in (PLAIN_CLIP, clip_problem.reference)]

    empty = verdicts()  # expected values are in memory already: no reference run fills the folder
    assert entries(cache_folder) == []
    fill(clip_problem, cache_folder)
    warm = verdicts()
    pool = SandboxPool(1, limits=ATTACK_LIMITS)
    try:
        while not all(pool._ready.values()):  # its zygote and first children have mounted the folder
            time.sleep(0.05)
        shutil.rmtree(cache_folder)  # gone while a warm sandbox holds it mounted
        removed = verdicts(pool)
    finally:
        pool.close()
    assert empty == warm == removed
    assert [row[3] for row in empty[1]] == ["passed"] * len(empty[1])
