"""Judging on an NVIDIA GPU: the device nodes are bound into the sandbox and the report names the GPU."""

import pytest

from grader import ExpectedCache, judge

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu_cache(tmp_path_factory):
    return ExpectedCache(tmp_path_factory.mktemp("gpu-expected"))


def test_accepted_on_the_gpu(clip_problem, gpu_cache):
    report = judge(clip_problem, clip_problem.reference, device="gpu", cache=gpu_cache)
    assert report["verdict"] == "ACCEPTED", report["summary"]
    assert report["device"]["platform"] == "gpu"
    assert report["device"]["kind"]  # e.g. "NVIDIA H100 80GB HBM3"


def test_plain_clip_is_wrong_on_the_gpu(clip_problem, gpu_cache):
    source = b"import jax.numpy as jnp\ndef clip_passthrough(x, lo, hi):\n    return jnp.clip(x, lo, hi)\n"
    report = judge(clip_problem, source, device="gpu", samples_only=True, cache=gpu_cache)
    assert report["verdict"] == "WRONG_ANSWER"
    assert any(c["check"] == "grad" and c["status"] == "wrong" for c in report["checks"])
