"""The worker's side of the zygote (grader/sandboxed/zygote.py): one sandboxed process that has imported
JAX, and forks a fresh, isolated interpreter for each submission.

`Zygote.spawn()` returns a `ForkedSandbox`, which behaves like a `Sandbox`: it brings its device up, waits
for one job, is judged through the same `_collect`, and is discarded. Before the child may do anything,
the worker moves it into a cgroup of its own (memory, processes, CPU time), and it holds pidfds for it,
so killing it can never hit a recycled pid. Every child is forked from a process that has run no
submission, before any device is up (JAX must not be forked after), so what the pool saves per verdict
is the interpreter start and `import jax` (about 1 CPU-second here), not only the wait for them.
"""

import logging
import os
import select
import signal
import socket
import struct
import subprocess
import threading

from . import _cgroup, _seccomp
from .sandbox import ZYGOTE_BOOT, Limits, OneJob, SandboxUnavailable, build_command, discard, start_bwrap

log = logging.getLogger("grader.zygote")
# Inside its own user namespace only: to unshare and mount for each child, to empty each child's
# bounding set, and (CAP_SETFCAP) so that each child may map its uid in a user namespace of its own.
ZYGOTE_CAPS = ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP")
SPAWN_TIMEOUT_S = 30.0
# A zygote is replaced after this many children, so no state of its own grows without bound.
MAX_CHILDREN = 500


def supported():
    return _seccomp.supported() and hasattr(os, "pidfd_open")


class Zygote:
    def __init__(self, limits=Limits(), device="cpu"):
        if not supported():
            raise SandboxUnavailable("the zygote needs pidfds and a seccomp filter for this machine")
        self.limits, self.device = limits, device
        self.children = 0
        self._lock = threading.Lock()
        self._control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        seccomp_fd = _seccomp.program_fd()
        child_fds = (child_end.fileno(), seccomp_fd)
        self._cgroup = None
        try:
            command = build_command(limits, device, ZYGOTE_BOOT,
                                    [child_end.fileno(), seccomp_fd, limits.tmpfs_mb << 20], keep_caps=ZYGOTE_CAPS)
            # Its children start in its cgroup and leave it before they do anything.
            self._cgroup = _cgroup.create(limits.memory_mb << 20, limits.max_processes)
            self._popen = start_bwrap(command, limits, device, self._cgroup, child_fds, subprocess.DEVNULL)
        except BaseException as error:
            self._control.close()
            if self._cgroup is not None:
                self._cgroup.kill_and_remove()
            if isinstance(error, OSError):
                raise SandboxUnavailable(f"could not start the zygote: {error}") from error
            raise
        finally:
            child_end.close()
            os.close(seccomp_fd)

    def alive(self):
        return self._popen.poll() is None and self.children < MAX_CHILDREN

    def spawn(self, role="harness"):
        """A child, in its own cgroup and namespaces, bringing its device up as `role` ("harness" or
        "evaluator"); raises SandboxUnavailable."""
        with self._lock:
            self.children += 1
            ours, theirs = _pipes()
            sync, sync_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sync.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
                sync.settimeout(SPAWN_TIMEOUT_S)
                socket.send_fds(self._control, [b"fork:" + role.encode()], [*theirs, sync_child.fileno()])
            except OSError as error:
                for fd in ours:
                    os.close(fd)
                sync.close()
                raise SandboxUnavailable(f"the zygote is gone: {error}") from error
            finally:
                for fd in theirs:
                    os.close(fd)
                sync_child.close()
        child = ForkedSandbox(self.limits, ours, sync, role)
        try:
            child.start()
        except BaseException:
            child.discard()
            raise
        return child

    def close(self):
        self._control.close()  # the zygote exits when it reads the end of the socket
        try:
            self._popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self._popen.pid, signal.SIGKILL)
            self._popen.wait()
        if self._cgroup is not None:
            self._cgroup.kill_and_remove()


def _pipes():
    """(ours, theirs): our ends of stdin/stdout/stderr/result and the child's, in the order it expects."""
    stdin, stdout, stderr, result = os.pipe(), os.pipe(), os.pipe(), os.pipe()
    return (stdin[1], stdout[0], stderr[0], result[0]), (stdin[0], stdout[1], stderr[1], result[1])


def _receive(sync, expected):
    """The next message on the sync socket, which must be `expected`; returns the sender's host pid."""
    size = socket.CMSG_SPACE(struct.calcsize("3i"))
    message, ancillary, _, _ = sync.recvmsg(16, size)
    if message[:1] != expected:
        raise SandboxUnavailable(f"the zygote's child said {message[:16]!r}, not {expected!r}")
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            return struct.unpack("3i", data[:struct.calcsize("3i")])[0], message
    raise SandboxUnavailable("no credentials on the zygote's sync socket")


class ForkedSandbox(OneJob):
    """One child of the zygote: judges one job, like `Sandbox`, then is discarded."""

    def __init__(self, limits, fds, sync, role="harness"):
        stdin, stdout, stderr, result = fds
        self.limits, self.role = limits, role
        self.stdin = os.fdopen(stdin, "wb", buffering=0)
        self.stdout = os.fdopen(stdout, "rb", buffering=0)
        self.stderr = os.fdopen(stderr, "rb", buffering=0)
        self._result_read = result
        self._sync = sync
        self._keeper = self._init = None
        self.root_pid = None
        self._cgroup = None
        self._ended = None

    def start(self):
        keeper_pid, _ = _receive(self._sync, b"c")
        self._keeper = os.pidfd_open(keeper_pid)  # it waits for "g", so the pid is still its own
        self.root_pid = keeper_pid
        self._cgroup = _cgroup.create(self.limits.memory_mb << 20, self.limits.max_processes)
        if self._cgroup is not None:
            for procs in self._cgroup.procs_files():
                with open(procs, "w") as f:
                    f.write(str(keeper_pid))
        self._sync.sendall(b"g")
        init_pid, _ = _receive(self._sync, b"p")
        self._init = os.pidfd_open(init_pid)  # it waits for "k", so the pid is still its own
        self._sync.sendall(b"k")

    # What `_collect` drives: the streams above, and alive/kill/reap.

    def alive(self):
        return self._try_reap(0) is None

    def kill(self):
        for pidfd in (self._init, self._keeper):  # pid 1 first: its whole namespace goes with it
            if pidfd is not None:
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def reap(self, timeout):
        return self._try_reap(timeout)

    def _try_reap(self, timeout):
        """(exit code, CPU seconds) as the keeper reports them, once the child has ended."""
        if self._ended is None:
            if not select.select([self._sync], [], [], timeout)[0]:
                return None
            try:
                message = self._sync.recv(64)
            except OSError:
                message = b""
            if message[:1] == b"x" and len(message) == 1 + struct.calcsize("=id"):
                status, cpu = struct.unpack("=id", message[1:])
                self._ended = (os.waitstatus_to_exitcode(status), cpu)
            else:  # the keeper itself was killed (by us, or with its cgroup)
                self._ended = (-signal.SIGKILL, 0.0)
        return self._ended

    def _process(self):
        return self

    def discard(self):
        if self._result_read is None:
            return
        discard(self, self._result_read, self._cgroup)
        self._result_read = None
        for pidfd in (self._init, self._keeper):
            if pidfd is not None:
                os.close(pidfd)
        self._init = self._keeper = None
        self._sync.close()

