"""The zygote: one process per worker that imports JAX once, inside bubblewrap, and forks a fresh,
isolated interpreter for each submission before any device is touched.

Runs as ``python -I -S -c "...zygote.main()" CONTROL_FD SECCOMP_FD TMPFS_BYTES`` inside a sandbox built
like a fresh one (same mounts, no network), except that it is uid 0 of its user namespace and keeps
CAP_SYS_ADMIN, CAP_SETPCAP and CAP_SETFCAP there (never on the host), so that it can give each child
namespaces of its own (the kernel lets a child map its uid in a user namespace of its own only if its
creator had CAP_SETFCAP). It never runs submitted code, and nothing here trusts what a child says.

For each ``fork:harness`` or ``fork:evaluator`` message on CONTROL_FD (with the child's stdin, stdout,
stderr, result and sync descriptors attached) it forks a keeper, C:

1. C says "c" on the sync socket (the worker reads C's host pid from the socket's credentials) and
   waits for "g": by then the worker has moved C into the run's own cgroup.
2. C unshares mount, pid, IPC, network and UTS namespaces and forks G, pid 1 of the new pid namespace.
   C keeps nothing of the submission's: it waits for G and reports G's exit status and CPU time on
   the sync socket, which G cannot reach.
3. G says "p" (its host pid, for the worker to kill the namespace by), waits for "k" (the worker holds
   a pidfd for it) and closes the sync socket; it
   mounts its own /proc, /tmp and /dev (read-only, with its own /dev/shm); enters a user namespace of its own as uid 65534, where
   no further user namespace can be made (what bwrap's --disable-userns does); drops every capability
   (bounding and ambient sets too), sets no_new_privs, installs the seccomp filter, checks that all of
   that holds, and only then becomes the harness (or the evaluator): device up, hello, one job, exit.

So each submission sees a process tree, files, shared memory, SysV IPC, abstract sockets and module
state that no other submission has touched: what one fresh bubblewrap sandbox gives, minus the
interpreter start and `import jax`, which G inherits.
"""

import ctypes
import os
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
EINVAL = 22
SANDBOX_UID = 65534
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 24, 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE: each set and locked.
SECUREBITS_LOCKED = 0b11101111
LINUX_CAPABILITY_VERSION_3 = 0x20080522

# A child's /dev: bwrap's nodes (and the GPU's, named nvidia*), and bwrap's links.
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}

# What a child becomes, by the fork message: the submission's sandbox, or the evaluator of its programs.
ROLES = {}

# The child's descriptors, in the order the worker attaches them.
STDIN, STDOUT, STDERR, RESULT_FD, SYNC_FD = 0, 1, 2, 3, 4
MAX_FDS = 5
_libc = ctypes.CDLL(None, use_errno=True)


def _call(name, *args):
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}{args[:2]}: {os.strerror(errno)}")


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    with open(int(sys.argv[2]), "rb") as f:
        seccomp_program = f.read()
    tmpfs_bytes = int(sys.argv[3])
    _prepare()
    # Everything a child would import, imported once here; no backend is initialised (JAX must not be
    # forked once its device is up).
    import jax  # noqa: F401
    import jax.numpy  # noqa: F401
    import numpy  # noqa: F401

    import jax.export  # noqa: F401

    from . import evaluator, harness, inputs, wire  # noqa: F401
    ROLES.update({b"fork:harness": harness, b"fork:evaluator": evaluator})
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, MAX_FDS)
        except InterruptedError:
            continue
        if not message:  # the worker closed the socket: the pool is done
            os._exit(0)
        role = ROLES.get(message)
        if role is None or len(fds) != MAX_FDS:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            try:
                _keeper(control, fds, seccomp_program, tmpfs_bytes, role)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)


def _prepare():
    """Once, in the zygote: what the children's own /proc needs."""
    # The kernel lets a new /proc be mounted only where an existing one is fully visible; bwrap's
    # read-only binds over /proc/irq and /proc/bus hide parts of it. Nothing here can write there
    # (that takes capabilities in the host's user namespace), and each child binds them read-only anew.
    for path in (b"/proc/irq", b"/proc/bus"):
        if _libc.umount2(path, MNT_DETACH) != 0 and ctypes.get_errno() != EINVAL:
            _call("umount2", path, MNT_DETACH)  # raises: the zygote cannot work here


def _keeper(control, fds, seccomp_program, tmpfs_bytes, role):
    """C: in the run's cgroup, then new namespaces, then G; reports how G ended."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(MAX_FDS, os.sysconf("SC_OPEN_MAX"))
    sync = socket.socket(fileno=SYNC_FD)
    sync.send(b"c")
    if sync.recv(1) != b"g":  # the worker gave up on this child
        os._exit(0)
    _call("unshare", CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS)
    pid = os.fork()
    if pid == 0:
        try:
            _isolate(sync, seccomp_program, tmpfs_bytes)
            from . import harness
            role.serve(RESULT_FD)
            harness.exit_now()
        except BaseException as error:  # before any user code: a judge fault, said on stderr
            os.write(STDERR, f"jaxjudge: could not isolate the child: {error!r}\n".encode())
        os._exit(71)
    for fd in (STDIN, STDOUT, STDERR, RESULT_FD):
        os.close(fd)  # only G holds the streams, so they close when G's tree is gone
    _, status, usage = os.wait4(pid, 0)
    sync.send(b"x" + struct.pack("=id", status, usage.ru_utime + usage.ru_stime))
    os._exit(0)


def _isolate(sync, seccomp_program, tmpfs_bytes):
    """G, pid 1 of its own namespace: private mounts, then no privilege of any kind."""
    sync.send(b"p")
    if sync.recv(1) != b"k":  # the worker holds a pidfd for us now, so our pid cannot be mistaken
        os._exit(0)
    sync.close()
    _call("mount", b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    _call("mount", b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    for path in (b"/proc/irq", b"/proc/bus", b"/proc/sysrq-trigger"):
        if os.path.exists(path):
            _call("mount", path, path, None, MS_BIND | MS_REC, None)
            _call("mount", None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    size = f"size={tmpfs_bytes},mode=1777".encode()
    _call("mount", b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, size)
    _own_dev(size)
    os.chdir("/tmp")
    # uid 65534 in a user namespace of its own, which may have no user namespace below it. Its mounts
    # are now locked: even with capabilities it could not unmount what hides the zygote's.
    _call("unshare", CLONE_NEWUSER)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{SANDBOX_UID} 0 1"), ("gid_map", f"{SANDBOX_UID} 0 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")
    _drop_privileges(seccomp_program)


def _own_dev(shm_options):
    """A /dev of this child's own, as bwrap makes one: the zygote's nodes bound in, the usual links, a
    size-capped /dev/shm, and /dev itself read-only. The zygote's /dev (and its devpts, where children
    running at once could open each other's terminals) is out of reach below it."""
    zygote_dev = os.open("/dev", os.O_PATH | os.O_DIRECTORY)
    nodes = [name for name in os.listdir("/dev") if name in DEV_NODES or name.startswith("nvidia")]
    _call("mount", b"tmpfs", b"/dev", b"tmpfs", MS_NOSUID | MS_NOEXEC, b"size=65536,mode=755")
    for name in nodes:
        os.close(os.open(f"/dev/{name}", os.O_CREAT | os.O_WRONLY, 0o644))
        # The source is the zygote's node, reached through the descriptor of the /dev now hidden.
        _call("mount", f"/proc/self/fd/{zygote_dev}/{name}".encode(), f"/dev/{name}".encode(), None, MS_BIND, None)
    os.close(zygote_dev)
    for name, target in DEV_LINKS.items():
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm")
    _call("mount", b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, shm_options)
    _call("mount", None, b"/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, None)


def _drop_privileges(seccomp_program):
    _call("prctl", PR_SET_SECUREBITS, SECUREBITS_LOCKED, 0, 0, 0)
    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last_cap + 1):
        _call("prctl", PR_CAPBSET_DROP, cap, 0, 0, 0)
    _call("prctl", PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("=Ii", LINUX_CAPABILITY_VERSION_3, 0)
    _call("capset", ctypes.c_char_p(header), ctypes.c_char_p(bytes(24)))
    _call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    program = ctypes.create_string_buffer(seccomp_program, len(seccomp_program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fprog = SockFprog(len(seccomp_program) // 8, ctypes.addressof(program))
    _call("prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)
    # Fail closed: every set empty, no_new_privs on, a filter in place.
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if int(status[field], 16) != 0:
            raise RuntimeError(f"{field} is {status[field]} after dropping every capability")
    if status.get("NoNewPrivs", "").strip() != "1" or status.get("Seccomp", "").strip() != "2":
        raise RuntimeError("no_new_privs or the seccomp filter did not take")

