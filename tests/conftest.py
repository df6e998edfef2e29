import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "problems" / "clip-passthrough"


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    """Expected values go to a folder of this test session, not the user's cache."""
    os.environ["JAXJUDGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("expected-cache"))


def pytest_collection_modifyitems(config, items):
    has_gpu = Path("/dev/nvidiactl").exists() and shutil.which("nvidia-smi") is not None
    skip_gpu = pytest.mark.skip(reason="no NVIDIA GPU on this machine (/dev/nvidiactl, nvidia-smi)")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)
