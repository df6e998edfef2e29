"""Run the harness and a submission inside bubblewrap, with every limit enforced from outside.

`run_harness` is the only way user code is ever run. It builds the bwrap command line, feeds the job and
source on stdin, reads stdout/stderr and the result pipe concurrently with byte caps and a wall-clock
deadline, and leaves nothing running. It decides no verdict: it reports what happened (`SandboxRun`).

What the sandbox sees (DESIGN.md, "The trust boundary"): /usr and the Python runtime read-only, with
every site-packages folder hidden; the files of jax, numpy and their dependencies under /judge/site; the
harness under /judge/sandboxed; its own /proc, a minimal /dev, and a size-capped /tmp. No network peers,
no capabilities, no further user namespaces, a cleared environment, uid 65534.
"""

import dataclasses
import os
import resource
import selectors
import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import _cgroup, _compile_cache, _runtime, _seccomp, _usage

HARNESS_DIR = Path(__file__).resolve().parent / "sandboxed"
SANDBOX_UID = 65534
# What a root worker's sandboxes are on the host: nobody, unless the operator names a uid of its own.
SANDBOX_HOST_UID = 65534
SANDBOX_HOST_UID_ENV = "JAXJUDGE_SANDBOX_HOST_UID"
PYTHON_MOUNT = _runtime.PYTHON_MOUNT
NVIDIA_DEVICES = ("/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools")
_READ_CHUNK = 1 << 16
_CPU_POLL_S = 0.25
# TIME_LIMIT_EXCEEDED is decided on CPU time. The wall clock gives back what the machine's load took (the
# time the run's threads waited, runnable, for a CPU), so a sleeping run stops at its wall-time limit and
# a starved one is not stopped for the load. Past this many of its larger limit (wall or CPU) it stops
# regardless, and that is the judge's fault, not a verdict (`SandboxRun.overloaded`): a run given its
# whole CPU time on a machine loaded this many times over finishes inside it.
WALL_BACKSTOP = 4.0
# Once the harness is done, the process ends at once: tearing JAX down (its threads, the XLA client)
# took ~0.3 s of the verdict's latency, and nothing it would do on the way out is wanted.
_PATHS = "import sys; sys.path[:0] = ['/judge/site', '/judge']; "
HARNESS_BOOT = _PATHS + "from sandboxed.harness import main, exit_now; main(); exit_now()"
EVALUATOR_BOOT = _PATHS + "from sandboxed.harness import exit_now; from sandboxed.evaluator import main; main(); exit_now()"
CHECKER_BOOT = _PATHS + "from sandboxed.harness import exit_now; from sandboxed.checking import main; main(); exit_now()"
BOOTS = {"harness": HARNESS_BOOT, "evaluator": EVALUATOR_BOOT, "checker": CHECKER_BOOT}
ZYGOTE_BOOT = _PATHS + "from sandboxed.zygote import main; main()"
_EXIT_GRACE_S = 1.0  # after its streams close, how long a run may take to exit before it is killed


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here: a judge fault, never the submitter's."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox run. Problems override some of them in problem.toml [limits]."""

    wall_time_s: float = 30.0
    cpu_time_s: float = 60.0          # all threads together; XLA uses several
    memory_mb: int = 2048             # resident memory of the whole run (cgroup)
    address_space_mb: int = 8192      # per process (rlimit); backs `memory_mb` where no cgroup exists
    max_processes: int = 256          # processes and threads together; JAX itself starts ~20
    output_bytes: int = 1 << 20       # stdout and stderr together
    result_bytes: int = 256 << 20     # the result stream
    file_size_mb: int = 16            # largest file it may write
    tmpfs_mb: int = 64                # its /tmp
    open_files: int = 256

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @property
    def backstop_s(self):
        """The longest a run lives on the wall clock, however long it waited for a CPU."""
        return WALL_BACKSTOP * max(self.wall_time_s, self.cpu_time_s)


@dataclasses.dataclass
class SandboxRun:
    """What one sandbox run did, as seen from outside."""

    result_stream: bytes
    stdout_tail: bytes
    stderr_tail: bytes
    output_bytes: int
    exit_status: int | None           # None when killed by us
    wall_s: float
    cpu_s: float
    wall_exceeded: bool = False
    overloaded: bool = False          # stopped at the backstop, its own time still inside its limits
    cpu_exceeded: bool = False
    memory_exceeded: bool = False
    output_exceeded: bool = False
    result_exceeded: bool = False
    memory_enforced_by: str = "watchdog"  # or "cgroup"


def bwrap_path():
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    return path


def build_command(limits, device, boot, boot_args, seccomp_fd=None, keep_caps=(), compile_cache="ro"):
    """The bwrap argv that runs `python -c boot *boot_args`. Reads the host layout and makes what is
    missing of the runtime tree and the compile cache's folder; starts nothing.

    `compile_cache`: "ro" (a submission's sandbox: it may read entries by key), "rw" (a trusted run: it
    writes them too) or None (no cache).

    A fresh sandbox keeps no capability and cannot make user namespaces. The zygote keeps `keep_caps`
    inside its own user namespace, to give each child namespaces of its own; each child forbids further
    user namespaces in its own, drops every capability and installs the seccomp filter."""
    try:
        runtime = _runtime.runtime_mounts(HARNESS_DIR)
    except OSError as error:
        raise SandboxUnavailable(f"could not gather the sandbox's runtime under {_runtime.runtime_base()}: "
                                 f"{error} (set {_runtime.RUNTIME_DIR_ENV} to a folder of the worker's)") from error
    args = [bwrap_path(), "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL"]
    for cap in keep_caps:
        args += ["--cap-add", cap]
    if not keep_caps:
        args.append("--disable-userns")
    # The zygote is uid 0 of its user namespace: with another uid bwrap would nest a second user
    # namespace, and the mounts it made would be locked for the zygote (its children become 65534).
    uid = "0" if keep_caps else str(SANDBOX_UID)
    args += ["--uid", uid, "--gid", uid, "--hostname", "jaxjudge", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    env = {}
    if runtime.python_outside_usr:
        env["LD_LIBRARY_PATH"] = str(PYTHON_MOUNT / "lib")  # its libpython, which RUNPATH names by host path
    # Of /etc only the dynamic loader's cache (so libcuda is found) and the alternatives links: CUDA
    # images reach /usr/local/cuda, where XLA finds ptxas, through /etc/alternatives/cuda.
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
             "--ro-bind-try", "/etc/alternatives", "/etc/alternatives"]
    # A /dev of its own: bwrap's nodes, its own devpts, and a size-capped /dev/shm; then /dev itself is
    # read-only, so no file written there can outlive the run or reach another one.
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.tmpfs_mb << 20), "--tmpfs", "/dev/shm",
             "--size", str(limits.tmpfs_mb << 20), "--tmpfs", "/tmp"]
    # Every installed package stays out of reach, except what _runtime picks for /judge/site; a Python
    # outside /usr (pyenv, conda, a prefix of its own) is at /judge/python, all of it read-only.
    for host, inside in runtime.binds:
        args += ["--ro-bind", str(host), str(inside)]
    for inside in runtime.hidden:
        args += ["--tmpfs", str(inside), "--remount-ro", str(inside)]
    cache = _compile_cache.prepare(sandbox_host_uid()) if compile_cache else None
    if cache is not None:
        args += ["--bind" if compile_cache == "rw" else "--ro-bind", str(cache), _compile_cache.MOUNT]
        env[_compile_cache.MODE_ENV] = compile_cache
    env.update({"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
                "JAX_PLATFORMS": "cuda" if device == "gpu" else "cpu"})
    if device == "gpu":
        for node in NVIDIA_DEVICES:
            args += ["--dev-bind-try", node, node]
        # Unused GPU memory stays free for the next run and other workers.
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        for name in ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES"):  # the operator's, not a secret
            if os.environ.get(name):
                env[name] = ":".join(filter(None, [env.get(name), os.environ[name]]))
    # The root itself (bwrap's tmpfs, holding /judge and the mount points) becomes read-only too.
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    # The last argument, which nothing reads, names the worker process that started the sandbox, so that
    # its processes can be told from other workers' on the same machine (tests look for what is left).
    args += ["--chdir", "/tmp", "--", str(runtime.interpreter), "-I", "-S", "-c", boot, *map(str, boot_args),
             owner_tag()]
    return args


def owner_tag(pid=None):
    """The argument that marks a sandbox's processes as started by worker process `pid` (this one)."""
    return f"jaxjudge-owner={pid or os.getpid()}."  # the dot ends it: 12 is not 123


def start_bwrap(command, limits, device, cgroup, pass_fds, stdio):
    """Popen bwrap in its own session with an empty environment, joined to `cgroup` and rlimited.

    `stdio`: what stdin, stdout and stderr are (subprocess.PIPE or DEVNULL)."""
    procs = cgroup.procs_files() if cgroup else []
    host_uid = sandbox_host_uid()
    # RLIMIT_NPROC counts every task of the host uid, other sandboxes' too, so it is set above what
    # already runs; where a cgroup's pids.max bounds this run alone, the rlimit is not needed at all.
    nproc_limit = (resource.getrlimit(resource.RLIMIT_NPROC)[1] if cgroup is not None
                   else limits.max_processes + _tasks_of_user(host_uid))
    return subprocess.Popen(
        command, stdin=stdio, stdout=stdio, stderr=stdio, pass_fds=pass_fds, start_new_session=True,
        # bwrap's own processes (its pid 1 inside the sandbox among them) get no environment either, so
        # /proc/1/environ holds no secret of the worker's.
        env={},
        preexec_fn=lambda: _limit_child(limits, device, procs, nproc_limit, host_uid))


def sandbox_host_uid():
    """The host uid every sandbox process has: the worker's own, or SANDBOX_HOST_UID for a root worker.

    bubblewrap maps the sandbox's uid to the uid that starts it. Started by root, the sandbox would be
    root on the host: the owner of the nodes bound into its /dev, so setxattr (an ACL) and utime on
    /dev/null reached the host's node. Started as an unprivileged uid, it owns nothing outside."""
    if os.geteuid() != 0:
        return os.geteuid()
    return int(os.environ.get(SANDBOX_HOST_UID_ENV, SANDBOX_HOST_UID))


def _limit_child(limits, device, cgroup_procs, nproc_limit, host_uid):
    """Runs in the forked child before exec: join the cgroup, set the rlimits, become `host_uid`."""
    pid = str(os.getpid())
    for procs in cgroup_procs:
        with open(procs, "w") as f:
            f.write(pid)
    cpu = int(limits.cpu_time_s + 0.999)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc_limit,) * 2)
    if device != "gpu":
        # CUDA reserves far more address space than it uses, so on a GPU only the cgroup limits memory.
        resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_mb << 20,) * 2)
    if os.geteuid() != host_uid:  # last: joining the cgroup and raising limits took root
        os.setgroups([])
        os.setgid(host_uid)
        os.setuid(host_uid)


class OneJob:
    """What every started sandbox shares: `run` sends its one job, collects, and discards it.

    A subclass has `limits`, `_result_read`, `_cgroup`, `discard()`, and `_process()`: what `_collect`
    drives (streams, alive, kill, reap)."""

    def run(self, stdin_bytes, limits=None, on_result=None, hold_stdin=False):
        """Send `stdin_bytes` (the job); collect; clean up.

        `limits` may tighten wall time, CPU time and memory for this job; the other limits are the ones
        the sandbox was started with. `on_result`, if given, is called with each chunk of the result
        stream as it arrives. With `hold_stdin`, standard input stays open after `stdin_bytes` until
        `on_result` first returns bytes, which are written after them before it is closed."""
        limits = limits or self.limits
        if self._cgroup is not None:
            self._cgroup.set_memory(limits.memory_mb << 20)
        try:
            run = _collect(self._process(), self._result_read, stdin_bytes, limits,
                           time.monotonic(), self._cgroup, on_result, hold_stdin)
        finally:
            oom = self._cgroup.oom_killed() if self._cgroup is not None else False
            self.discard()
        run.memory_exceeded = run.memory_exceeded or oom
        return run


class Sandbox(OneJob):
    """One sandboxed harness process, started now: JAX imported and the device up, it waits for the one
    job it will ever run. `run` sends the job and returns what happened; afterwards nothing of it is left.
    """

    def __init__(self, limits=Limits(), device="cpu", compile_cache="ro", role="harness"):
        self.limits, self.device, self.role = limits, device, role
        self._result_read, result_write = os.pipe()
        seccomp_fd = _seccomp.program_fd() if _seccomp.supported() else None
        child_fds = (result_write,) + ((seccomp_fd,) if seccomp_fd is not None else ())
        try:
            command = build_command(limits, device, BOOTS[role], [result_write], seccomp_fd,
                                    compile_cache=compile_cache)
        except BaseException:
            for fd in (self._result_read,) + child_fds:
                os.close(fd)
            raise
        self._cgroup = _cgroup.create(limits.memory_mb << 20, limits.max_processes)
        try:
            popen = start_bwrap(command, limits, device, self._cgroup, child_fds, subprocess.PIPE)
        except OSError as error:
            os.close(self._result_read)
            self._remove_cgroup()
            raise SandboxUnavailable(f"could not start bubblewrap: {error}") from error
        finally:
            for fd in child_fds:
                os.close(fd)
        self._proc = _BwrapProcess(popen)

    def alive(self):
        return self._proc.alive()

    def _process(self):
        return self._proc

    def discard(self):
        """End the sandbox, whatever it is doing, and release its pipes and cgroup."""
        discard(self._proc, self._result_read, self._cgroup)
        self._result_read = None

    def _remove_cgroup(self):
        if self._cgroup is not None:
            self._cgroup.kill_and_remove()


def discard(proc, result_read, cgroup):
    proc.kill()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream and not stream.closed:
            stream.close()
    if result_read is not None:
        os.close(result_read)
    if cgroup is not None:
        cgroup.kill_and_remove()
    proc.reap(timeout=5)


class _BwrapProcess:
    """bwrap as `_collect` drives it: its streams, and alive/kill/reap without losing its rusage."""

    def __init__(self, popen):
        self.popen = popen
        self.root_pid = popen.pid
        self.stdin, self.stdout, self.stderr = popen.stdin, popen.stdout, popen.stderr
        self._ended = None

    def _try_reap(self):
        if self._ended is None:
            try:
                pid, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status, usage = self.popen.pid, 0, None
            if pid == 0:
                return None
            cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
            self._ended = (os.waitstatus_to_exitcode(status), cpu)
            self.popen.returncode = self._ended[0]
        return self._ended

    def alive(self):
        return self._try_reap() is None

    def kill(self):
        if self._try_reap() is None:  # once reaped, its process group id may belong to another
            _kill_group(self.popen)

    def reap(self, timeout):
        """(exit code, CPU seconds from rusage) once it has exited, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (ended := self._try_reap()) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return ended


def _collect(proc, result_read, stdin_bytes, limits, started, cgroup, on_result=None, hold_stdin=False):
    limit_at, backstop = started + limits.wall_time_s, started + limits.backstop_s
    # A sandbox started ahead of need has already spent CPU on `import jax`; only the job's counts.
    cpu_before = cgroup.cpu_seconds() if cgroup is not None else 0.0
    usage = _usage.RunUsage(proc.root_pid, cgroup.pids if cgroup is not None else None)
    sampled_at, resident = time.monotonic(), 0
    tails = {"stdout": bytearray(), "stderr": bytearray()}
    result = bytearray()
    flags = {}
    output_total = 0
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
    selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
    selector.register(result_read, selectors.EVENT_READ, "result")
    pending_input = memoryview(stdin_bytes)
    os.set_blocking(proc.stdin.fileno(), False)
    selector.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    writing = True  # stdin is registered for writing
    open_streams = 3
    while open_streams and not flags:
        now = time.monotonic()
        if now - sampled_at >= _CPU_POLL_S:
            resident, sampled_at = usage.sample(memory=cgroup is None), now
        own_limit_at = limit_at + usage.starved_seconds()
        timeout = min(backstop, own_limit_at) - now
        if timeout <= 0:
            flags["overloaded" if now < own_limit_at else "wall_exceeded"] = True
            break
        # RLIMIT_CPU counts one process; the cgroup (or the process tree) counts every thread and child.
        cpu_used = cgroup.cpu_seconds() - cpu_before if cgroup is not None else usage.cpu_seconds()
        if cpu_used > limits.cpu_time_s:
            flags["cpu_exceeded"] = True
            break
        # Without a cgroup, the watchdog stands in for memory.max: the resident memory of every process.
        if cgroup is None and resident > limits.memory_mb << 20:
            flags["memory_exceeded"] = True
            break
        for key, _ in selector.select(min(timeout, _CPU_POLL_S)):
            name = key.data
            if name == "stdin":
                try:
                    pending_input = pending_input[os.write(proc.stdin.fileno(), pending_input[:_READ_CHUNK]):]
                except (BrokenPipeError, BlockingIOError) as error:
                    if isinstance(error, BlockingIOError):
                        continue
                    pending_input = pending_input[:0]
                if not pending_input:
                    selector.unregister(proc.stdin)
                    writing = False
                    if not hold_stdin:
                        proc.stdin.close()
                continue
            fd = key.fd
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            if name == "result":
                result += chunk
                if len(result) > limits.result_bytes:
                    flags["result_exceeded"] = True
                elif on_result is not None and (more := on_result(chunk)) is not None and hold_stdin:
                    hold_stdin = False
                    pending_input = memoryview(bytes(pending_input) + more)
                    if not pending_input:
                        proc.stdin.close()
                    elif not writing:
                        selector.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
                        writing = True
            else:
                output_total += len(chunk)
                tail = tails[name]
                tail += chunk
                del tail[:-limits.output_bytes]
                if output_total > limits.output_bytes:
                    flags["output_exceeded"] = True
    selector.close()
    usage.sample()  # its last CPU time, before it is killed or reaped
    # A limit was hit, or the streams closed while the process lives on: end it, whatever is inside.
    ended = None if flags else proc.reap(_EXIT_GRACE_S)
    if ended is None:
        proc.kill()
        ended = proc.reap(5.0) or (-signal.SIGKILL, 0.0)
    returncode, cpu = ended
    wall = time.monotonic() - started
    # rusage misses what was not waited for in order (a container's bwrap reported 0.005 s of 2.4).
    cpu = max(0.0, cgroup.cpu_seconds() - cpu_before) if cgroup is not None else max(cpu, usage.cpu_seconds())
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream and not stream.closed:
            stream.close()
    killed_by_us = bool(flags)
    exit_status = None if killed_by_us else returncode
    cpu_exceeded = (flags.get("cpu_exceeded", False) or cpu >= limits.cpu_time_s
                    or returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU))
    return SandboxRun(
        result_stream=bytes(result), stdout_tail=bytes(tails["stdout"]), stderr_tail=bytes(tails["stderr"]),
        output_bytes=output_total, exit_status=exit_status, wall_s=wall, cpu_s=cpu,
        wall_exceeded=flags.get("wall_exceeded", False), overloaded=flags.get("overloaded", False),
        cpu_exceeded=cpu_exceeded,
        memory_exceeded=flags.get("memory_exceeded", False), memory_enforced_by="cgroup" if cgroup else "watchdog",
        output_exceeded=flags.get("output_exceeded", False),
        result_exceeded=flags.get("result_exceeded", False))


def _tasks_of_user(uid):
    """Tasks (processes and threads) whose real uid is `uid`: what RLIMIT_NPROC counts."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return count


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
