"""JAX's persistent compilation cache, shared by the sandboxes of a machine, written by trusted runs only.

JAX trusts its cache: an entry is compiled code that the reader runs, and an entry compiled from the
reference solution is the reference in compiled form. So:

- only trusted runs (the reference, which is also the warm-up: its eager primitives and fused programs
  on every case's shape and dtype are what submissions compile most) mount it writable; a submission's
  sandbox, zygote children included, mounts it read-only and is told never to write (a minimum compile
  time no compile reaches);
- the folder has no read permission for anyone (mode 0300, owned by the sandboxes' host uid): a sandbox
  can open an entry by its key — the hash of a computation it traced itself — but can never list the
  folder, so it learns nothing it did not already have. No sandbox can chmod it (seccomp, and the mount
  is read-only for submissions);
- writers and readers mount it at the same path, because JAX's key depends on it.

The trusted side never opens an entry: it only makes the folder and checks what it made. A fault of the
cache (an entry cut short, the folder removed while a run uses it) costs a compile, never a verdict.
"""

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("grader.compile_cache")

CACHE_DIR_ENV = "JAXJUDGE_COMPILE_CACHE_DIR"
OFF = "off"
MOUNT = "/judge/xla-cache"
MODE_ENV = "JAXJUDGE_COMPILE_CACHE"  # inside the sandbox: "ro" or "rw", for the harness
FOLDER_MODE = 0o300


def cache_dir():
    """The host folder: $JAXJUDGE_COMPILE_CACHE_DIR ("off" for none), else /var/lib/jaxjudge/xla-cache for
    root, else /tmp/jaxjudge-xla-cache-UID."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured == OFF:
        return None
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/jaxjudge/xla-cache")
    return Path("/tmp") / f"jaxjudge-xla-cache-{os.geteuid()}"


def prepare(host_uid):
    """The cache folder, made if missing and checked: a real folder of `host_uid`, mode 0300. None when
    the cache is off or cannot be had here (logged: a run without it is slower, not different)."""
    path = cache_dir()
    if path is None:
        return None
    try:
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        try:
            os.mkdir(path, FOLDER_MODE)
            if os.geteuid() != host_uid:
                os.chown(path, host_uid, host_uid)
            os.chmod(path, FOLDER_MODE)  # whatever the umask took away
        except FileExistsError:
            pass
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != host_uid or stat.S_IMODE(info.st_mode) != FOLDER_MODE:
            raise OSError(f"{path} is not a folder of uid {host_uid} with mode {FOLDER_MODE:o}")
        parent = path.parent.lstat()
        if parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX:
            raise OSError(f"{path.parent} is writable by others")
        for folder in path.parents:  # bwrap, as the sandboxes' uid, must reach it to mount it
            info = folder.stat()
            if not info.st_mode & (stat.S_IXUSR if info.st_uid == host_uid else stat.S_IXOTH):
                raise OSError(f"uid {host_uid} cannot reach {path} ({folder} is closed to it)")
    except OSError as error:
        log.warning("no compile cache: %s", error)
        return None
    return path
