"""One test per attack on the sandbox, each against real bubblewrap.

Each asserts the verdict category, that nothing leaked into the report, that nothing was written or left
running on the host, and that the judge answered within the limit (the wall-clock backstop under load) plus a
small margin. Limits come from
ATTACK_LIMITS (the policy object, lowered for speed). Every attack runs twice: in a fresh sandbox, and in
a child of the zygote (a pool's warm sandbox), which must hold exactly as well.
"""

import ast
import json
import os
import platform
import re
import shutil
import socket
import struct
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from grader import _compile_cache, _runtime, _seccomp, judge, load_problem, sandbox
from grader.judge import SUBMIT_MESSAGE_BUDGET, SUBMIT_MESSAGE_CHARS
from tests.conftest import CLIP, ROOT
from tests.grader.conftest import ATTACK_LIMITS, MARGIN_S, assert_nothing_left_running, processes_with

REFERENCE = (CLIP / "reference.py").read_text()


def solution_after(prelude):
    """A correct submission that first runs `prelude` at import time."""
    return (prelude + "\n\n" + REFERENCE).encode()


@pytest.fixture
def judge_samples(judge_each_way):
    """Every attack runs in a fresh sandbox and in a child of a zygote (tests/grader/conftest.py)."""
    return judge_each_way


@pytest.fixture
def token():
    return "jjattack" + uuid.uuid4().hex[:12]


def judged(judge_samples, source, *verdicts):
    report, seconds = judge_samples(source)
    assert report["verdict"] in verdicts, report["summary"]
    # Within the wall-time limit on an idle machine; a loaded one gives back the time spent waiting for a
    # CPU, up to the backstop.
    assert seconds < ATTACK_LIMITS.backstop_s + MARGIN_S
    assert_nothing_left_running()
    return report


def test_tcp_connect_to_a_host_listener_fails(judge_samples):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted = []

    def accept():
        for _ in range(100):
            try:
                accepted.append(listener.accept())
            except OSError:
                pass
            if stop.is_set():
                return

    stop = threading.Event()
    thread = threading.Thread(target=accept)
    thread.start()
    try:
        report = judged(judge_samples, solution_after(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"), "RUNTIME_ERROR")
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert accepted == []
    assert report["module_error"]["error_type"] in ("OSError", "ConnectionRefusedError", "TimeoutError")


def test_host_files_reference_and_other_data_are_not_visible(judge_samples, tmp_path):
    secret_problem = tmp_path / "other-problem.toml"
    secret_problem.write_text("hidden = 'other problems data'\n")
    paths = ["/etc/shadow", "/etc/passwd", "/etc/hostname", "/root", str(CLIP / "reference.py"),
             str(ROOT / "problems"), str(ROOT), str(secret_problem), "/work", "/home", "/var"]
    probe = (f"import os\nfor p in {paths!r}:\n"
             "    try:\n        os.listdir(p) if os.path.isdir(p) else open(p).read()\n        print('READ', p)\n"
             "    except OSError:\n        print('BLOCKED', p)\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    out = report["output"]["stdout_tail"]
    assert "READ" not in out
    assert out.count("BLOCKED") == len(paths)
    assert "_clip_passthrough_jvp" not in json.dumps(report)  # the reference's text


def test_environment_and_other_processes_hold_no_secrets(judge_samples, monkeypatch, token):
    monkeypatch.setenv("JAXJUDGE_SECRET_KEY", token)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://judge:{token}@127.0.0.1/jaxjudge")
    probe = ("import os\nprint(sorted(os.environ))\nfor pid in os.listdir('/proc'):\n"
             "    if pid.isdigit():\n"
             "        for what in ('environ', 'cmdline'):\n"
             "            try:\n                print(pid, what, open(f'/proc/{pid}/{what}', 'rb').read())\n"
             "            except OSError as e:\n                print(pid, what, 'denied', e.errno)\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    text = json.dumps(report)
    assert token not in text
    assert "DATABASE_URL" not in text and "JAXJUDGE_SECRET_KEY" not in text
    assert "PATH" in report["output"]["stdout_tail"]  # the probe did run and print


def test_writes_outside_the_sandbox_do_not_reach_the_host(judge_samples, token):
    targets = [f"/tmp/{token}", f"/dev/shm/{token}", str(ROOT / token), f"/judge/site/{token}",
               f"/{token}", str(Path.home() / token)]
    probe = (f"for p in {targets!r}:\n    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n"
             "    except OSError:\n        print('BLOCKED', p)\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    out = report["output"]["stdout_tail"]
    assert f"WROTE /tmp/{token}" in out  # its own scratch /tmp, discarded with the sandbox
    for target in targets:
        assert not Path(target).exists()
    for target in targets[2:]:
        assert f"BLOCKED {target}" in out


def test_fork_bomb(judge_samples):
    judged(judge_samples, solution_after("import os\nwhile True:\n    os.fork()"),
           "RUNTIME_ERROR", "TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED")


def test_ten_thousand_threads(judge_samples):
    report = judged(judge_samples, solution_after(
        "import threading, time\nfor _ in range(10000):\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"), "RUNTIME_ERROR")
    assert "thread" in report["module_error"]["message"]


def test_memory_bomb(judge_samples):
    report = judged(judge_samples, solution_after(
        "import numpy as np\nhoard = []\nwhile True:\n    hoard.append(np.ones(1 << 24))"),
        "MEMORY_LIMIT_EXCEEDED")
    assert report["verdict"] == "MEMORY_LIMIT_EXCEEDED"


def test_busy_loop(judge_samples):
    source = REFERENCE.replace("    return jnp.clip(x, lo, hi)", "    while True:\n        pass").encode()
    report = judged(judge_samples, source, "TIME_LIMIT_EXCEEDED")
    assert all(c["status"] == "not_run" for c in report["checks"])


def test_sleep_forever(judge_samples):
    report = judged(judge_samples, solution_after("import time\ntime.sleep(10 ** 6)"), "TIME_LIMIT_EXCEEDED")
    assert "wall-time" in report["summary"]


def test_four_gib_output_flood(judge_samples):
    report = judged(judge_samples, solution_after(
        "import os\nchunk = b'A' * (1 << 20)\nfor i in range(4096):\n    os.write(1 + i % 2, chunk)"),
        "OUTPUT_LIMIT_EXCEEDED")
    assert report["output"]["bytes"] <= ATTACK_LIMITS.output_bytes + (1 << 20)
    assert len(report["output"]["stdout_tail"]) <= 4000


def test_filling_the_disk(judge_samples, token):
    report = judged(judge_samples, solution_after(
        f"chunk = b'x' * (1 << 20)\nwith open('/tmp/{token}', 'wb') as f:\n    while True:\n        f.write(chunk)"),
        "RUNTIME_ERROR")
    assert report["module_error"]["error_type"] == "OSError"
    assert not Path(f"/tmp/{token}").exists()


def test_killing_the_parent_and_pid_1(judge_samples):
    report = judged(judge_samples, solution_after(
        "import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "        print('sent', pid)\n    except OSError as e:\n        print('refused', pid, e.errno)"),
        "ACCEPTED")
    # Both were tried, one outcome each, and the run lived on to be judged ACCEPTED: inside its own pid
    # namespace, pid 1 ignores signals it has no handler for.
    tried = [line.split() for line in report["output"]["stdout_tail"].splitlines()
             if line.startswith(("sent ", "refused "))]
    assert len(tried) == 2 and tried[1][1] == "1", tried


def test_planted_symlinks_are_never_read_back(judge_samples, token):
    names = ["result.json", "report.json", "stdout", "output", "expected.stream", token]
    probe = ("import os\nfor name in %r:\n    for d in ('/tmp', '.'):\n        try:\n"
             "            os.symlink('/etc/shadow', os.path.join(d, name))\n        except OSError:\n"
             "            pass\nprint('planted')\n") % names
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    assert "planted" in report["output"]["stdout_tail"]
    assert not Path(f"/tmp/{token}").exists() and not Path(f"/tmp/{token}").is_symlink()
    assert "root:" not in json.dumps(report)


def test_double_forked_daemon_does_not_outlive_the_run(judge_samples, token):
    daemon = (
        "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', '{token}'])\n"
        "    os._exit(0)\nos.wait()\n")
    judged(judge_samples, solution_after(daemon), "ACCEPTED")
    assert_nothing_left_running(token)
    assert processes_with(token) == []


def test_verdict_json_on_every_fd_then_exit_zero(judge_samples):
    forged = json.dumps({"verdict": "ACCEPTED", "status": "ok", "type": "done"}).encode()
    report = judged(judge_samples, (
        "import os\nfor fd in range(1024):\n    try:\n"
        f"        os.write(fd, {forged!r} + b'\\n')\n    except OSError:\n        pass\nos._exit(0)\n").encode(),
        "RUNTIME_ERROR")
    assert "written by the submission" in report["summary"] or "ended" in json.dumps(report["checks"])


def test_forged_frames_cannot_replace_real_results(judge_samples):
    # The submission finds the harness's result channel and writes a "passed" frame for every check,
    # then a done frame, before the real checks run. Duplicates and early 'done' are tampering.
    forge = (
        "import sys, os, numpy as np\nwire = sys.modules['sandboxed.wire']\nfor fd in range(3, 64):\n"
        "    try:\n        os.fstat(fd)\n    except OSError:\n        continue\n"
        "    for case in ('worked-example', 'random-shifted-bounds'):\n"
        "        for check, tr in sys.modules['sandboxed.harness'].CHECKS:\n"
        "            try:\n                os.write(fd, wire.encode({'type': 'check', 'case': case, "
        "'check': check, 'transform': tr, 'status': 'ok', 'placement': ['cpu']}, [np.ones(8, np.float32)]))\n"
        "            except OSError:\n                pass\n")
    plain = "import jax.numpy as jnp\ndef clip_passthrough(x, lo, hi):\n    return jnp.clip(x, lo, hi)\n"
    report = judged(judge_samples, (forge + plain).encode(), "RUNTIME_ERROR", "WRONG_ANSWER")
    assert report["verdict"] != "ACCEPTED"


# The attacks on the results themselves. Each is a plain jnp.clip (wrong derivatives) that uses all the
# submission's process can reach: the harness's module and runner, its result channel, its stdin, and a
# correct twin (the reference) to compute what the checks should say.
PLAIN = "\ndef clip_passthrough(x, lo, hi):\n    return jnp.clip(x, lo, hi)\n"
WITH_TWIN = f"""
import json, os, sys
import jax, jax.numpy as jnp, numpy as np
harness, wire = sys.modules['sandboxed.harness'], sys.modules['sandboxed.wire']
twin = {{}}
exec({REFERENCE!r}, twin)
correct = twin['clip_passthrough']
"""
# Every eager check answered by the twin: the harness's runner is swapped for one that calls it.
FORGE_EAGER = WITH_TWIN + """
real_run = harness._CheckRunner.run
def forged_run(self, case, check):
    plain, self.f = self.f, correct
    try:
        return real_run(self, case, check)
    finally:
        self.f = plain
harness._CheckRunner.run = forged_run
"""


def trusted_and_own(report):
    """(statuses of the checks the evaluator computed, those of the submission's own account)."""
    return ({c["status"] for c in report["checks"] if c["trusted"]},
            {c["status"] for c in report["checks"] if not c["trusted"]})


def test_forged_eager_results_then_the_harness_goes_on(judge_samples):
    report = judged(judge_samples, (FORGE_EAGER + PLAIN).encode(), "WRONG_ANSWER")
    trusted, own = trusted_and_own(report)
    assert own == {"passed"} and "wrong" in trusted
    wrong = {(c["check"], c["transform"]) for c in report["checks"] if c["status"] == "wrong"}
    assert ("grad", "jit") in wrong and ("grad", "grad_of_jit") in wrong and ("vjp", "jit") in wrong


def test_forged_results_then_done_and_exit(judge_samples):
    # Once the values arrive it sends every eager check as the twin computes it, then `done`, and exits:
    # a stream in which nothing at all looks wrong.
    ending = FORGE_EAGER + """
def forge_all(self, case, check):
    serve = sys._getframe(1).f_locals
    for case in serve['cases']:
        for check, transform in harness.eager_checks(serve['job']):
            described, arrays = harness.describe_outputs(jax, np, forged_run(self, case, check))
            serve['results'].send({'type': 'check', 'case': case['name'], 'check': check, 'transform': transform,
                                   'status': 'ok', **described}, arrays)
    serve['results'].send({'type': 'done'})
    sys.stdout.flush()
    os._exit(0)
harness._CheckRunner.run = forge_all
"""
    report = judged(judge_samples, (ending + PLAIN).encode(), "WRONG_ANSWER")
    trusted, own = trusted_and_own(report)
    assert own == {"passed"} and "wrong" in trusted
    assert "written by the submission" not in report["summary"]  # nothing in the stream gave it away


def test_a_replaced_send_that_gets_the_values_before_exporting(judge_samples):
    # Its own `exported` goes first, so the judge sends the cases' values; it reads them, and only then
    # lets the harness's programs out. Programs after `exported` are never evaluated.
    source = WITH_TWIN + """
real_send, early = harness._Results.send, {}
def send(self, header, arrays=()):
    if header.get('type') == 'program' and not early:
        real_send(self, {'type': 'exported'})
        early['cases'] = json.loads(sys.stdin.buffer.readline())['cases']
    if header.get('type') != 'exported':
        real_send(self, header, arrays)
harness._Results.send = send
""" + PLAIN
    report = judged(judge_samples, source.encode(), "RUNTIME_ERROR")
    assert "written by the submission" in report["summary"]
    assert "an unexpected 'program' message" in report["summary"]
    assert not any(c["status"] == "passed" for c in report["checks"] if c["trusted"])


def test_a_lookup_table_of_the_inputs_it_was_shown(judge_samples, clip_problem):
    # It exports a program that gives the twin's answers on the worked example's inputs, which the
    # statement shows, and plain clip's elsewhere: right on that sample (but for vmap, whose rows it was
    # not shown), wrong on the hidden cases.
    shown = [float(v) for v in clip_problem.sample_cases[0].to_json()["args"][0]["values"]]
    source = WITH_TWIN + f"""
SHOWN = np.asarray({shown!r}, np.float32)
real_export = harness._CheckRunner.export
def lookup_export(self, export, signature):
    plain = self.f
    def lookup(x, lo, hi):
        if x.shape != SHOWN.shape:
            return plain(x, lo, hi)
        return jax.lax.cond(jnp.all(x == SHOWN), correct, plain, x, lo, hi)
    self.f = lookup
    return real_export(self, export, signature)
harness._CheckRunner.export = lookup_export
""" + PLAIN
    samples, _ = judge_samples(source.encode())
    sample_checks = [c for c in samples["checks"] if c["trusted"] and c["case"] == "worked-example"
                     and c["check"] not in ("vmap", "vmap_grad")]
    assert sample_checks and all(c["status"] == "passed" for c in sample_checks)
    report, _ = judge_samples(source.encode(), samples_only=False)
    assert report["verdict"] == "WRONG_ANSWER", report["summary"]
    hidden = [c for c in report["checks"] if c["trusted"] and not c["sample"]]
    assert any(c["status"] == "wrong" and c["check"] == "grad" for c in hidden)
    assert_nothing_left_running()


def test_jacobians_from_another_function_disagree_with_the_anchors_vjp(tmp_path, cache):
    # A problem that checks Jacobians and the Hessian only (no grad, no VJP): the submission's programs
    # for them, eager and exported, come from the right function, while its own has twice the right
    # derivative. The anchor's VJP (and the VJP's VJP), row by row, is the witness that gives it away.
    package = tmp_path / "logsumexp-hessian"
    shutil.copytree(ROOT / "tests" / "problems" / "logsumexp-hessian", package)
    toml = package / "problem.toml"
    text = toml.read_text()
    start, end = text.index("[checks]"), text.index("[limits]")
    toml.write_text(text[:start] + '[checks]\nvalue = ["eager", "jit"]\njacfwd = ["eager", "jit"]\n'
                    'jacrev = ["eager", "jit"]\nhessian = ["eager", "jit"]\n\n' + text[end:])
    problem = load_problem(package)
    judge(problem, problem.reference, samples_only=True, cache=cache)
    source = """
import sys
import jax, jax.numpy as jnp
harness = sys.modules['sandboxed.harness']
real_program = harness._CheckRunner._program
def other_program(self, check, f=None):
    return real_program(self, check, jax.nn.logsumexp if check in ('jacfwd', 'jacrev', 'hessian') else f)
harness._CheckRunner._program = other_program

@jax.custom_jvp
def logsumexp(x):
    return jax.nn.logsumexp(x)

@logsumexp.defjvp
def _jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return logsumexp(x), 2 * jnp.dot(jax.nn.softmax(x), t)
"""
    report = judge(problem, source.encode(), samples_only=True, cache=cache, limits=ATTACK_LIMITS)
    assert report["verdict"] == "WRONG_ANSWER", report["summary"]
    status = {(c["check"], c["transform"]): (c["status"], c["message"]) for c in report["checks"]}
    assert {status[(c, "eager")][0] for c in ("value", "jacfwd", "jacrev", "hessian")} == {"passed"}
    for check, witness in (("jacfwd", "the VJP of jit(f)"), ("jacrev", "the VJP of jit(f)"),
                           ("hessian", "the VJP of the VJP of jit(f)")):
        verdict, message = status[(check, "jit")]
        assert verdict == "wrong" and f"but {witness}, row by row, the same function, gives another" in message


def test_an_exported_program_with_a_host_callback(judge_samples):
    # jax.export refuses host callbacks; the submission switches that check off in its own process and
    # clears the record of it, so only the evaluator's own reading of the program stands in the way.
    source = WITH_TWIN + """
import dataclasses
from jax._src.export import _export
_export._check_lowering = lambda lowering: None
CALLBACKS = ['xla_ffi_python_cpu_callback', 'xla_python_cpu_callback', 'xla_ffi_partitioned_python_cpu_callback']
def export_with_callback(self, export, fn, args, vjp_order=0):
    try:
        exported = export.export(self.jit(fn), disabled_checks=[export.DisabledSafetyCheck.custom_call(n)
                                                                for n in CALLBACKS])(*args)
        return dataclasses.replace(exported, disabled_safety_checks=()).serialize(vjp_order=vjp_order)
    except Exception as error:
        return error
harness._CheckRunner._export = export_with_callback
def clip_passthrough(x, lo, hi):
    seen = jax.pure_callback(lambda a: np.asarray(a), jax.ShapeDtypeStruct(x.shape, x.dtype),
                             jax.lax.stop_gradient(x), vmap_method='sequential')
    return correct(x, lo, hi) + 0 * jax.lax.stop_gradient(seen)
"""
    report = judged(judge_samples, source.encode(), "RUNTIME_ERROR")
    trusted = [c for c in report["checks"] if c["trusted"]]
    assert all(c["status"] == "error" for c in trusted)
    assert "xla_ffi_python_cpu_callback" in trusted[0]["message"] and "RefusedProgram" in trusted[0]["message"]


@pytest.mark.parametrize("program", ["malformed", "oversized"])
def test_malformed_or_oversized_programs(judge_samples, program):
    # Oversized: the first program exported (the first sample's anchor) is over the cap on its own; the
    # rest are malformed (as many 65 MiB programs would stop at the result stream's limit instead).
    payload = "b'JJ1' * 1000" if program == "malformed" else "bytes(65 << 20) if not calls.append(1) and len(calls) == 1 else b'JJ1'"
    source = WITH_TWIN + f"""
calls = []
harness._CheckRunner._export = lambda self, export, fn, args, vjp_order=0: {payload}
""" + REFERENCE
    report = judged(judge_samples, source.encode(), "RUNTIME_ERROR")
    trusted = [c for c in report["checks"] if c["trusted"]]
    assert trusted and all(c["status"] == "error" for c in trusted)
    messages = {c["message"] for c in trusted}
    assert any(("could not be read" if program == "malformed" else "MiB together") in m for m in messages), messages


def test_ndarray_subclass_that_equals_everything(judge_samples):
    source = (
        "import numpy as np\nclass Liar(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
        "    __ne__ = lambda self, other: False\n"
        "def clip_passthrough(x, lo, hi):\n    return np.zeros(np.shape(x), np.float32).view(Liar)\n").encode()
    report = judged(judge_samples, source, "WRONG_ANSWER", "RUNTIME_ERROR")
    assert not any(c["status"] == "passed" and c["check"] == "value" for c in report["checks"])


def test_monkeypatched_comparisons_around_plain_clip(judge_samples):
    source = (
        "import numpy as np, jax, jax.numpy as jnp\nyes = lambda *a, **k: True\n"
        "np.allclose = np.array_equal = np.array_equiv = yes\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\njnp.allclose = jnp.array_equal = yes\n"
        "def clip_passthrough(x, lo, hi):\n    return jnp.clip(x, lo, hi)\n").encode()
    report = judged(judge_samples, source, "WRONG_ANSWER")
    wrong = {c["check"] for c in report["checks"] if c["status"] == "wrong"}
    assert "grad" in wrong


def test_xla_compile_time_bomb(judge_samples):
    source = (REFERENCE.replace("    return jnp.clip(x, lo, hi)",
                                "    for _ in range(200_000):\n        x = x + 0.0\n    return jnp.clip(x, lo, hi)")
              ).encode()
    report = judged(judge_samples, source, "TIME_LIMIT_EXCEEDED")
    assert report["verdict"] == "TIME_LIMIT_EXCEEDED"


def kernel_syscall_numbers(*names):
    """{name: number} on this machine, from the kernel's uapi headers (linux-libc-dev)."""
    header = {"x86_64": "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
              "aarch64": "/usr/include/asm-generic/unistd.h"}[platform.machine()]
    defined = dict(re.findall(r"#define __NR3?2?_(\w+)\s+(\d+)", Path(header).read_text()))
    return {name: int(defined[name]) for name in names}


needs_seccomp_table = pytest.mark.skipif(not _seccomp.supported(), reason=f"no seccomp table for {platform.machine()}")


@needs_seccomp_table
def test_kernel_interfaces_outside_the_allow_list_answer_eperm(judge_samples):
    # Each call would do something without the filter: unshare(0) and ptrace(PTRACE_TRACEME) succeed,
    # io_uring_setup and perf_event_open fail with EFAULT on a NULL pointer, setns(-1) with EBADF.
    # The numbers come from the kernel's own headers, not from the filter's table: a wrong entry there
    # would otherwise deny some other call and pass.
    table = kernel_syscall_numbers("unshare", "ptrace", "io_uring_setup", "perf_event_open", "setns", "keyctl",
                                   "bpf", "userfaultfd", "mount")
    calls = {"unshare": (0,), "ptrace": (0, 0, 0, 0), "io_uring_setup": (1, 0), "perf_event_open": (0, 0, -1, -1, 0),
             "setns": (-1, 0), "keyctl": (0, -3, 0), "bpf": (0, 0, 0), "userfaultfd": (0,), "mount": (0, 0, 0, 0, 0)}
    probe = ("import ctypes, platform\nlibc = ctypes.CDLL(None, use_errno=True)\n"
             f"for name, nr, args in {[(n, table[n], calls[n]) for n in table]!r}:\n"
             "    result = libc.syscall(nr, *args)\n"
             "    print('SYSCALL', name, result, ctypes.get_errno())\n"
             "if platform.machine() == 'x86_64':\n"
             "    print('SYSCALL x32_getpid', libc.syscall(0x40000000 | 39), ctypes.get_errno())\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    lines = [line.split() for line in report["output"]["stdout_tail"].splitlines() if line.startswith("SYSCALL")]
    outcomes = {name: (int(result), int(errno)) for _, name, result, errno in lines}
    expected = set(table) | ({"x32_getpid"} if platform.machine() == "x86_64" else set())
    assert set(outcomes) == expected
    assert all(outcome == (-1, 1) for outcome in outcomes.values()), outcomes  # -1, EPERM


@needs_seccomp_table
def test_seccomp_program_denies_exactly_the_listed_numbers():
    # Run the classic-BPF program by hand: a check on the filter itself, independent of any kernel.
    import struct

    machine = platform.machine()
    column, audit_arch = _seccomp._ARCHES[machine]
    code = _seccomp.program()
    insns = [struct.unpack("=HBBI", code[i:i + 8]) for i in range(0, len(code), 8)]

    def run(nr, arch=audit_arch):
        pc, acc = 0, 0
        while True:
            op, jt, jf, k = insns[pc]
            if op == 0x20:
                acc = nr if k == 0 else arch
            elif op == 0x15:
                pc += jt if acc == k else jf
            elif op == 0x35:
                pc += jt if acc >= k else jf
            elif op == 0x06:
                return k
            pc += 1

    denied = {pair[column] for pair in _seccomp.DENIED_SYSCALLS.values() if pair[column] is not None}
    for nr in range(0, 600):
        assert run(nr) == (0x00050001 if nr in denied else 0x7FFF0000), nr
    assert run(39, arch=0x40000003) == 0x00050001  # i386 is refused whatever the number
    if machine == "x86_64":
        assert run(0x40000000 | 39) == 0x00050001


# The nodes bwrap binds into every sandbox's /dev are the host's own: a sandbox that owned them (a root
# worker's did) changed their ACL and times on the host, for every process on the machine.
HOST_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
# An ACL that grants nobody anything (struct posix_acl_xattr_header, then USER_OBJ, GROUP_OBJ, OTHER).
EMPTY_ACL = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, 0, 0xFFFFFFFF) for tag in (1, 4, 0x20))


def node_metadata(path):
    info = os.stat(path)
    try:
        acl = os.getxattr(path, "system.posix_acl_access")
    except OSError as error:
        acl = error.errno
    return info.st_mode, info.st_uid, info.st_gid, info.st_ctime_ns, info.st_mtime_ns, acl, os.listxattr(path)


def test_host_device_nodes_keep_mode_acl_owner_and_times(judge_samples):
    before = {path: node_metadata(path) for path in HOST_NODES}
    attacks = {
        "chmod": "os.chmod(p, 0o600)",
        "acl": f"os.setxattr(p, 'system.posix_acl_access', {EMPTY_ACL!r})",
        "user_xattr": "os.setxattr(p, 'user.jaxjudge', b'1')",
        "remove_xattr": "os.removexattr(p, 'system.posix_acl_access')",
        "touch": "os.utime(p)",
        "set_times": "os.utime(p, (0, 0))",
        "chown": "os.chown(p, 65534, 65534)",
        "lchown": "os.lchown(p, 65534, 65534)",
    }
    probe = (f"import os\nfor p in {HOST_NODES!r}:\n    for name, attack in {attacks!r}.items():\n"
             "        try:\n            exec(attack)\n            print('ALLOWED', name, p)\n"
             "        except OSError as error:\n            print('REFUSED', name, p, error.errno)\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    out = report["output"]["stdout_tail"]
    assert "ALLOWED" not in out
    assert out.count("REFUSED") == len(HOST_NODES) * len(attacks)
    assert {path: node_metadata(path) for path in HOST_NODES} == before


def test_sandbox_processes_are_an_unprivileged_host_uid(judge_samples, token):
    # While the submission sleeps, its processes are looked up from the host side.
    seen = {}
    stop = threading.Event()

    def watch():
        while not stop.is_set() and not seen:
            for entry in Path("/proc").iterdir():
                try:
                    if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes():
                        status = (entry / "status").read_text()
                        seen[entry.name] = [int(v) for v in status.split("Uid:")[1].split()[:4]]
                except (OSError, IndexError):
                    continue
            time.sleep(0.05)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        judged(judge_samples, solution_after(
            f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import time; time.sleep(3)', '{token}'])"),
            "ACCEPTED")
    finally:
        stop.set()
        thread.join()
    assert seen, "the submission's process was never seen from the host"
    for uids in seen.values():
        assert uids == [sandbox.sandbox_host_uid()] * 4  # real, effective, saved, filesystem
        if os.geteuid() == 0:
            assert 0 not in uids


def test_dev_is_minimal_read_only_and_every_writable_mount_is_bounded(judge_samples, token):
    probe = (
        "import os, stat\n"
        f"for p in ('/dev/{token}', '/dev/pts/{token}'):\n"
        "    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n"
        "    except OSError as error:\n        print('REFUSED', p, error.errno)\n"
        "print('DEV', sorted(os.listdir('/dev')))\n"
        "for line in open('/proc/self/mountinfo'):\n"
        "    fields = line.split()\n"
        "    point, options, kind, source_options = fields[4], fields[5], fields[-3], fields[-1]\n"
        "    if 'rw' in options.split(',') and kind not in ('proc', 'devpts') \\\n"
        "            and not stat.S_ISCHR(os.stat(point).st_mode):\n"
        "        print('WRITABLE', point, kind, source_options)\n")
    report = judged(judge_samples, solution_after(probe), "ACCEPTED")
    out = report["output"]["stdout_tail"]
    assert "WROTE" not in out
    nodes = {"null", "zero", "full", "random", "urandom", "tty", "shm", "fd", "stdin", "stdout", "stderr"}
    listed = set(ast.literal_eval(next(line for line in out.splitlines() if line.startswith("DEV "))[4:]))
    assert nodes <= listed <= nodes | {"pts", "ptmx", "core"}  # bwrap's own devpts in a fresh sandbox
    writable = [line.split()[1:] for line in out.splitlines() if line.startswith("WRITABLE")]
    assert {point for point, _, _ in writable} == {"/tmp", "/dev/shm"}
    for point, kind, options in writable:
        assert kind == "tmpfs" and f"size={ATTACK_LIMITS.tmpfs_mb << 10}k" in options.split(","), (point, options)


def test_mountinfo_shows_no_host_path(judge_samples):
    probe = "print(open('/proc/self/mountinfo').read())"
    report = judge_samples(solution_after(probe))[0]
    assert report["verdict"] == "ACCEPTED"
    roots = {line.split()[3] for line in report["output"]["stdout_tail"].splitlines() if len(line.split()) > 4}
    assert roots, "no mountinfo came back"
    host_paths = {str(ROOT), sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent), str(Path.home())}
    for root in roots:
        assert not any(root == p or root.startswith(p.rstrip("/") + "/") for p in host_paths if p != "/"), root
        assert root == "/" or root.startswith(("/usr", "/etc/", "/newroot", "/null", "/zero", "/full", "/random",
                                               "/urandom", "/tty", "/irq", "/bus", str(_runtime.runtime_base()),
                                               str(_compile_cache.cache_dir()))), root


# Every object of the submission's process, searched for a hidden case's values (a case spec with its
# seed): before it has exported, there is none to find; once the eager checks run, there is.
SEARCH_HIDDEN_VALUES = """
import gc
def hidden_values():
    return [o for o in gc.get_objects() if isinstance(o, dict) and 'seed' in o and 'args' in o
            and not o.get('sample')]
"""


@pytest.mark.parametrize("when", ["at load", "while exporting", "in the eager checks"])
def test_hidden_values_are_out_of_reach_until_the_programs_are_exported(judge_samples, when):
    search = {"at load": "assert not hidden_values(), 'FOUND'\n" + REFERENCE,
              "while exporting": REFERENCE.replace(  # traced for jit, as only exporting does
                  "    return jnp.clip(x, lo, hi)",
                  "    if isinstance(x, jax._src.interpreters.partial_eval.DynamicJaxprTracer):\n"
                  "        assert not hidden_values(), 'FOUND'\n    return jnp.clip(x, lo, hi)"),
              "in the eager checks": REFERENCE.replace(
                  "    return jnp.clip(x, lo, hi)",
                  "    if not isinstance(x, jax.core.Tracer):\n        assert not hidden_values(), 'FOUND'\n"
                  "    return jnp.clip(x, lo, hi)")}[when]
    report, _ = judge_samples((SEARCH_HIDDEN_VALUES + search).encode(), samples_only=False)
    if when == "in the eager checks":  # the search works: the values are there once they were sent
        assert report["verdict"] == "RUNTIME_ERROR"
        assert all(c["status"] == "passed" for c in report["checks"] if c["trusted"])
        assert any(c["status"] == "error" for c in report["checks"] if not c["trusted"])
    else:
        assert report["verdict"] == "ACCEPTED", report["summary"]


# After exporting, a submit run holds the hidden cases in the harness's memory. This submission finds
# them and tries to carry them out in what the report repeats: its exceptions' class names and messages,
# chunk by chunk.
FIND_HIDDEN_CASES = """
import json, sys
def secret():
    frame, cases = sys._getframe(), None
    while frame is not None:
        cases = frame.f_locals.get('cases') if isinstance(frame.f_locals.get('cases'), list) else cases
        frame = frame.f_back
    return json.dumps([c for c in cases or [] if not c.get('sample')]).encode().hex()
"""
LEAK_IN_CHECKS = FIND_HIDDEN_CASES + """
calls = [0]
def clip_passthrough(x, lo, hi):
    chunk = secret()[calls[0] * 150:(calls[0] + 1) * 150]  # 26 sample checks would carry it all
    calls[0] += 1
    raise type('LEAK' + chunk[:40], (ValueError,), {})('LEAK' + chunk)
"""
LEAK_AT_LOAD = FIND_HIDDEN_CASES + "raise ValueError('LEAK' + secret())\n"


@pytest.mark.parametrize("source", [LEAK_IN_CHECKS, LEAK_AT_LOAD], ids=["in-checks", "at-load"])
def test_hidden_cases_do_not_leave_through_messages(judge_samples, clip_problem, source):
    report, _ = judge_samples(source.encode(), samples_only=False)
    assert report["verdict"] == "RUNTIME_ERROR", report["summary"]
    text = json.dumps(report)
    hidden = json.dumps([c.to_json() for c in clip_problem.cases if not c.sample]).encode().hex()
    leaked = sum(len(chunk) for chunk in re.findall(r"LEAK([0-9a-f]*)", text))
    assert len(hidden) > 3 * SUBMIT_MESSAGE_BUDGET  # there was much to carry out
    assert leaked <= SUBMIT_MESSAGE_BUDGET
    hidden_errors = [c["message"] for c in report["checks"] if not c["sample"] and c["status"] == "error"]
    if source is LEAK_AT_LOAD:
        assert len(report["module_error"]["message"]) <= SUBMIT_MESSAGE_CHARS + 2
        assert hidden_errors == []
    else:  # a class named after the data is shown as a plain Exception
        assert hidden_errors == ["Exception (details are hidden)"] * (11 * 13)


def frame_for_every_pipe(header_expression):
    """A prelude that writes one frame, whose header is `header_expression` (Python source giving bytes),
    on every pipe the submission holds."""
    return ("import json, os, stat, struct\n"
            f"head = {header_expression}\n"
            "frame = b'JJ1\\n' + struct.pack('<I', len(head)) + head\n"
            "for fd in range(3, 64):\n    try:\n        if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
            "            os.write(fd, frame)\n    except OSError:\n        pass\n")


CHECK_FRAME = "{'type': 'check', 'case': 'worked-example', 'check': 'value', 'transform': 'eager', 'status': 'ok', 'arrays': []"


@pytest.mark.parametrize("header", [
    "b'[' * 300_000 + b']' * 300_000",
    "json.dumps(%s, 'case': ['worked-example']}).encode()" % CHECK_FRAME,
    "json.dumps(%s, 'placement': 7}).encode()" % CHECK_FRAME,
    "json.dumps({'type': {'nested': True}, 'arrays': []}).encode()",
], ids=["nested-300000-deep", "case-is-a-list", "placement-is-a-number", "type-is-an-object"])
def test_malformed_frames_are_the_submissions_fault_not_a_judge_crash(judge_samples, header):
    report = judged(judge_samples, solution_after(frame_for_every_pipe(header)), "RUNTIME_ERROR")
    assert "written by the submission" in report["summary"]
