"""What the sandbox may import: the installed files of jax, numpy and what they need, nothing else."""

import dataclasses
import functools
import hashlib
import importlib.metadata
import os
import re
import shutil
import site
import stat
import sys
import tempfile
from pathlib import Path

SANDBOX_ROOTS = ("jax", "jaxlib", "numpy", "flatbuffers")  # flatbuffers: jax.export serializes with it
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


# The sandbox's runtime, gathered under one neutral host folder: the kernel shows a bind mount's source
# path in /proc/self/mountinfo, so binding the virtual environment and a pyenv or /usr/local Python where
# they lie would tell a submission the host's paths (a home folder, the deployment's layout). The tree is
# made of hard links (a copy where the files lie on another filesystem), so it costs no disk space and
# is made once per set of installed files; the sandbox's unprivileged host uid can read it whatever the
# permissions of the folders above the originals (/root is 0700 on most machines). An image whose
# install paths are neutral already (/opt/jaxjudge, /usr/local) sets JAXJUDGE_RUNTIME_DIR=in-place: its
# files are root's, so a worker of another uid could only copy them.
RUNTIME_DIR_ENV = "JAXJUDGE_RUNTIME_DIR"
IN_PLACE = "in-place"
PYTHON_MOUNT = Path("/judge/python")


@dataclasses.dataclass(frozen=True)
class RuntimeMounts:
    """What the sandbox mounts of the runtime: read-only `binds` (host path, path inside), folders to
    hide under an empty tmpfs (paths inside), and the interpreter's path inside."""

    binds: tuple
    hidden: tuple
    interpreter: Path
    python_outside_usr: bool


def runtime_base():
    """$JAXJUDGE_RUNTIME_DIR, else /var/lib/jaxjudge/runtime for root, else /tmp/jaxjudge-runtime-UID."""
    configured = os.environ.get(RUNTIME_DIR_ENV)
    if configured:
        return configured if configured == IN_PLACE else Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/jaxjudge/runtime")
    return Path(tempfile.gettempdir()) / f"jaxjudge-runtime-{os.geteuid()}"


def _walk(path, excluded):
    """(path, lstat) of `path` and everything under it, in a stable order, leaving out `excluded`."""
    stack = [path]
    while stack:
        current = stack.pop()
        if current in excluded:
            continue
        info = current.lstat()
        yield current, info
        if stat.S_ISDIR(info.st_mode):
            stack.extend(sorted(current.iterdir(), reverse=True))


def _digest(sources):
    digest = hashlib.sha256()
    for name, path, excluded in sources:
        for entry, info in _walk(path, excluded):
            digest.update(f"{name}/{entry.relative_to(path)}\0{info.st_mode}\0{info.st_size}\0"
                          f"{info.st_mtime_ns}\0{info.st_ino}\0{info.st_dev}\n".encode())
    return digest.hexdigest()[:24]


def _populate(target, sources):
    for name, path, excluded in sources:
        for entry, info in _walk(path, excluded):
            dest = target / name / entry.relative_to(path)
            if stat.S_ISDIR(info.st_mode):
                dest.mkdir(mode=0o755, parents=True, exist_ok=True)
            elif stat.S_ISLNK(info.st_mode):
                dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                os.symlink(os.readlink(entry), dest)
            elif stat.S_ISREG(info.st_mode):
                dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                try:
                    os.link(entry, dest)
                except OSError:  # another filesystem, or a file we may not link (protected_hardlinks)
                    shutil.copy2(entry, dest)


def _check_owned(path):
    """`path` is a real folder of ours that no one else can write: what the trusted side may reuse."""
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise OSError(f"{path} is not a folder of uid {os.geteuid()} closed to other writers")


def _tree(base, sources):
    """The folder under `base` holding `sources` by name, made (atomically) if missing."""
    base.mkdir(mode=0o755, parents=True, exist_ok=True)
    _check_owned(base)
    root = base / _digest(sources)
    if not root.exists():
        building = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
        try:
            os.chmod(building, 0o755)
            _populate(building, sources)
            os.rename(building, root)
        except OSError:
            shutil.rmtree(building, ignore_errors=True)
            if not root.is_dir():  # not another process winning the same rename
                raise
    _check_owned(root)
    return root


@functools.lru_cache(maxsize=4)
def runtime_mounts(harness_dir):
    """The RuntimeMounts for this Python, its sandbox packages and `harness_dir`; raises OSError when
    the tree cannot be made."""
    interpreter, prefix, hidden_sites = python_runtime()
    outside_usr = not prefix.is_relative_to("/usr")
    if outside_usr and not interpreter.is_relative_to(prefix):
        raise OSError(f"the interpreter {interpreter} lies outside {prefix} and /usr")
    inside = PYTHON_MOUNT / interpreter.relative_to(prefix) if outside_usr else interpreter
    under_usr = tuple(p for p in hidden_sites if p.is_relative_to("/usr"))
    base = runtime_base()
    if base == IN_PLACE:
        binds = [(prefix, PYTHON_MOUNT)] if outside_usr else []
        binds += [(entry, Path("/judge/site") / entry.name) for entry in sandbox_site_entries()]
        binds.append((Path(harness_dir), Path("/judge/sandboxed")))
        hidden = under_usr + tuple(PYTHON_MOUNT / p.relative_to(prefix) for p in hidden_sites
                                   if outside_usr and p.is_relative_to(prefix))
        return RuntimeMounts(tuple(binds), hidden, inside, outside_usr)
    sources = [(f"site/{entry.name}", entry, ()) for entry in sandbox_site_entries()]
    sources.append(("sandboxed", Path(harness_dir), ()))
    if outside_usr:
        sources.append(("python", prefix, tuple(p for p in hidden_sites if p.is_relative_to(prefix))))
    root = _tree(base, sources)
    binds = [(root / "python", PYTHON_MOUNT)] if outside_usr else []
    binds += [(root / "site", Path("/judge/site")), (root / "sandboxed", Path("/judge/sandboxed"))]
    return RuntimeMounts(tuple(binds), under_usr, inside, outside_usr)
