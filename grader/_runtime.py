"""What the sandbox may import: the installed files of jax, numpy and what they need, nothing else."""

import functools
import importlib.metadata
import re
import site
import sys
from pathlib import Path

SANDBOX_ROOTS = ("jax", "jaxlib", "numpy")
_ACCELERATOR = ("jax", "cuda")
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(name):
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _wanted(owner, requirement):
    """Whether a Requires-Dist line of `owner` belongs in the sandbox (if it is installed at all).

    Plain requirements do. Optional ones (``extra == ...``) only where jax and CUDA name their
    accelerator plugins and CUDA wheels (``jax[cuda13]`` → jax-cuda13-plugin → cuda-toolkit[nvcc] →
    nvidia-cuda-nvcc, which brings ptxas); other extras pull in test and doc tools (scipy[test] names
    pytest) that submissions have no business importing.
    """
    match = _NAME.match(requirement)
    if not match:
        return None
    name = _normalise(match.group(1))
    if "extra" in requirement.partition(";")[2]:
        if not (_normalise(owner).startswith(_ACCELERATOR) and name.startswith(_ACCELERATOR + ("nvidia",))):
            return None
    return name


@functools.lru_cache(maxsize=1)
def sandbox_distributions():
    """Installed distributions reachable from SANDBOX_ROOTS, by normalised name."""
    found = {}
    pending = list(SANDBOX_ROOTS)
    while pending:
        name = _normalise(pending.pop())
        if name in found:
            continue
        dist = _installed(name)
        if dist is None:
            continue
        found[name] = dist
        for requirement in dist.requires or ():
            wanted = _wanted(dist.metadata["Name"], requirement)
            if wanted and wanted not in found:
                pending.append(wanted)
    return found


@functools.lru_cache(maxsize=1)
def sandbox_site_entries():
    """Top-level files and folders of site-packages that the sandbox sees, as absolute host paths."""
    entries = set()
    for dist in sandbox_distributions().values():
        for file in dist.files or ():
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            path = Path(dist.locate_file(top)).resolve()
            if path.exists():
                entries.add(path)
    return sorted(entries)


def python_runtime():
    """(interpreter, prefix, site folders to hide) of the Python that runs the sandboxed harness."""
    interpreter = Path(sys.executable).resolve()
    prefix = Path(sys.base_prefix).resolve()
    hidden = {Path(p) for p in site.getsitepackages() + site.getsitepackages([sys.base_prefix])}
    hidden.update(Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return interpreter, prefix, sorted(p.resolve() for p in hidden if p.is_dir())
