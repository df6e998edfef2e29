"""The in-sandbox side of judging: load the submission, run every check, stream raw results out.

Runs as ``python -I -S -c "...harness.main()" RESULT_FD`` inside bubblewrap. It imports JAX and brings up
the device first, then reads standard input: one JSON line (the job) and the submission's source.
Results go to RESULT_FD as `wire` frames:

- ``hello``: the device JAX came up on, before the job is read and any user code runs;
- ``module_error``: the source did not compile, raised while running, or has no callable entry point;
- ``check``: one (case, check, transform): the output arrays, or the exception it raised;
  the jit and grad_of_jit checks of a case are compiled as one XLA program (unless the job says
  ``"fuse": false``);
- ``done``: every check ran.

Nothing here decides a verdict. A submission shares this process and can forge any frame; the judge
compares the arrays it receives against the reference's and trusts nothing else.
"""

import json
import os
import re
import sys
import traceback

SUBMISSION_FILENAME = "submission.py"
COMPILE_CACHE = "/judge/xla-cache"  # grader._compile_cache.MOUNT
MAX_MESSAGE_CHARS = 4000
_SANDBOX_PATH = re.compile(r"/judge/\S+")

# (check, transform) pairs, in the order they run and are reported.
CHECKS = (
    ("value", "eager"), ("value", "jit"),
    ("grad", "eager"), ("grad", "jit"), ("grad", "grad_of_jit"),
    ("vjp", "eager"), ("vjp", "jit"),
    ("jvp", "eager"), ("jvp", "jit"),
    ("vmap", "eager"), ("vmap", "jit"),
    ("vmap_grad", "eager"), ("vmap_grad", "jit"),
)
# The checks a case's one fused program computes.
FUSED_CHECKS = tuple((c, t) for c, t in CHECKS if t != "eager")


class _Results:
    def __init__(self, fd, wire):
        self._fd = fd
        self._wire = wire

    def send(self, header, arrays=()):
        data = self._wire.encode(header, arrays)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]


def describe_exception(error, hide_traceback=False):
    """Type, message and the traceback lines that point into the submission (never the harness)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == SUBMISSION_FILENAME]
    # Paths inside the sandbox say nothing useful to the submitter; keep messages about their code.
    message = _SANDBOX_PATH.sub("<jax>", str(error))
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + " …"
    described = {"error_type": type(error).__name__, "message": message}
    if not hide_traceback:
        described["traceback"] = "".join(traceback.format_list(frames))
    return described


def main():
    """Entry point of a fresh sandbox: ``... -c "...main()" RESULT_FD``."""
    serve(int(sys.argv[1]))


def serve(result_fd):
    """Bring up the device, say hello, read one job and the source, run every check."""
    os.set_inheritable(result_fd, False)
    from . import inputs, wire
    results = _Results(result_fd, wire)

    # JAX and the device come up before the job is read, so a sandbox can be started ahead of need and
    # wait here, warm, for the one submission it will ever see.
    import jax
    import jax.numpy as jnp
    import numpy as np

    _use_compile_cache(jax)
    device = jax.devices()[0]
    jax.block_until_ready(jax.device_put(np.zeros(1, np.float32), device) + 1)
    results.send({
        "type": "hello",
        "platform": device.platform,
        "device_kind": device.device_kind,
        "jax_version": jax.__version__,
        "python": sys.version.split()[0],
    })

    raw = sys.stdin.buffer.read()
    # The job is read; nothing more should come from the judge, and user code gets an empty stdin.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    job_line, _, source = raw.partition(b"\n")
    job = json.loads(job_line)

    try:
        code = compile(source, SUBMISSION_FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:  # ValueError: NUL bytes in the source
        results.send({"type": "module_error", "kind": "syntax", "error_type": type(error).__name__,
                      "message": _syntax_message(error)})
        return
    module = type(sys)("submission")
    module.__file__ = SUBMISSION_FILENAME
    sys.modules["submission"] = module
    try:
        exec(code, module.__dict__)
    except BaseException as error:  # SystemExit too: the module must not end the run quietly
        results.send({"type": "module_error", "kind": "exception", **describe_exception(error)})
        return
    entry = module.__dict__.get(job["entry"])
    if not callable(entry):
        results.send({"type": "module_error", "kind": "no_entry", "error_type": "NameError",
                      "message": f"the submission defines no callable `{job['entry']}`"})
        return

    runner = _CheckRunner(jax, jnp, np, inputs, entry, job, device)
    for case in job["cases"]:
        fused = runner.run_fused(case) if job.get("fuse", True) else None
        for check, transform in CHECKS:
            header = {"type": "check", "case": case["name"], "check": check, "transform": transform}
            try:
                if fused is not None and (check, transform) in FUSED_CHECKS:
                    outputs = fused[f"{check}/{transform}"]
                else:
                    outputs = runner.run(case, check, transform)
                leaves = jax.tree_util.tree_leaves(outputs)
                header["placement"] = [_placement(jax, leaf) for leaf in leaves]
                arrays = [np.asarray(leaf) for leaf in leaves]
            except BaseException as error:
                header.update(status="error", **describe_exception(error, hide_traceback=not case.get("sample")))
                results.send(header)
                continue
            header["status"] = "ok"
            results.send(header, arrays)
    results.send({"type": "done"})


def _use_compile_cache(jax):
    """JAX's persistent cache at /judge/xla-cache, where the judge mounted it: read-only for a submission,
    which must never write an entry (no compile takes 1e9 s), writable for the trusted reference run."""
    mode = os.environ.get("JAXJUDGE_COMPILE_CACHE")
    if mode not in ("ro", "rw") or not os.path.isdir(COMPILE_CACHE):
        return
    jax.config.update("jax_compilation_cache_dir", COMPILE_CACHE)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0 if mode == "rw" else 1e9)
    jax.config.update("jax_persistent_cache_enable_xla_caches", "none")  # XLA's own (GPU autotune) stay off


def exit_now():
    """End the process without interpreter shutdown, once what the submission printed is flushed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # a submission may have closed or replaced them
            pass
    os._exit(0)


def _syntax_message(error):
    if isinstance(error, SyntaxError):
        return f"line {error.lineno}: {error.msg}"
    return str(error)


def _placement(jax, leaf):
    """Where an output lives: the platform of a jax.Array, else its Python type."""
    if isinstance(leaf, jax.Array):
        return sorted({d.platform for d in leaf.devices()})[0]
    return type(leaf).__module__ + "." + type(leaf).__qualname__


class _CheckRunner:
    """Builds and runs each (check, transform) for the entry point.

    jax.jit/grad/vjp/jvp/vmap are bound here, before the submission runs, so that a submission which
    reassigns them on the jax module does not change what the checks call.
    """

    def __init__(self, jax, jnp, np, inputs, entry, job, device):
        self.jnp, self.np, self.inputs, self.device = jnp, np, inputs, device
        self.jit, self.grad, self.vjp, self.jvp, self.vmap = jax.jit, jax.grad, jax.vjp, jax.jvp, jax.vmap
        self.device_put, self.eval_shape = jax.device_put, jax.eval_shape
        self.f = entry
        self.diff = tuple(job["diff_argnums"])
        self.batch = tuple(job["batch_argnums"])
        self._jitted = {}

    def _on_device(self, value):
        if isinstance(value, self.np.ndarray):
            return self.device_put(value, self.device)
        return value

    def _grad_of_sum(self, f):
        return self.grad(lambda *a: self.jnp.sum(f(*a)), argnums=self.diff)

    def _partial(self, f, args):
        """f as a function of the differentiated arguments alone, the others fixed."""
        def g(*diff_values):
            full = list(args)
            for i, v in zip(self.diff, diff_values):
                full[i] = v
            return f(*full)
        return g

    def _vjp(self, args, cotangent):
        _, pullback = self.vjp(self._partial(self.f, args), *[args[i] for i in self.diff])
        return pullback(cotangent)

    def _jvp(self, args, tangents):
        return self.jvp(self._partial(self.f, args), tuple(args[i] for i in self.diff), tuple(tangents))

    def _jit(self, key, fn):
        # One jitted wrapper per check, so cases of the same shape and dtype reuse compiles.
        if key not in self._jitted:
            self._jitted[key] = self.jit(fn)
        return self._jitted[key]

    def _inputs(self, case, checks):
        """What `checks` take, on the device: args, cotangent, tangents, batched (only those needed).

        Python scalars stay Python scalars, so under jit they are traced and weakly typed."""
        np, inputs = self.np, self.inputs
        host = inputs.build_args(case)
        x = {"args": [self._on_device(a) for a in host]}
        if "vjp" in checks:
            out = self.eval_shape(self.f, *x["args"])
            x["cotangent"] = self._on_device(inputs.random_like(case, "cotangent", out.shape, out.dtype))
        if "jvp" in checks:
            x["tangents"] = [self._on_device(inputs.random_like(case, f"tangent{i}", np.shape(host[i]), host[i].dtype))
                             for i in self.diff]
        if "vmap" in checks or "vmap_grad" in checks:
            x["batched"] = [self._on_device(inputs.build_batch(a)) if i in self.batch else x["args"][i]
                            for i, a in enumerate(host)]
        return x

    def _program(self, check):
        """The computation of one check, as a function of the inputs dict (eager, or inside jit)."""
        f = self.f

        def vmapped(fn, x):
            in_axes = tuple(0 if i in self.batch else None for i in range(len(x["batched"])))
            return self.vmap(fn, in_axes=in_axes)(*x["batched"])

        return {
            "value": lambda x: f(*x["args"]),
            "grad": lambda x: self._grad_of_sum(f)(*x["args"]),
            "vjp": lambda x: self._vjp(x["args"], x["cotangent"]),
            "jvp": lambda x: self._jvp(x["args"], x["tangents"]),
            "vmap": lambda x: vmapped(f, x),
            "vmap_grad": lambda x: vmapped(self._grad_of_sum(f), x),
        }[check]

    def _grad_of_jit(self, x):
        return self._grad_of_sum(self._jit("f", self.f))(*x["args"])

    def run(self, case, check, transform):
        x = self._inputs(case, (check,))
        if transform == "grad_of_jit":
            return self._grad_of_jit(x)
        if transform == "jit":
            return self._jit(check, self._program(check))(x)
        return self._program(check)(x)

    def run_fused(self, case):
        """Every jit and grad_of_jit check of a case as one XLA program: {"check/transform": outputs}, or
        None if anything fails (the checks then run one by one, so the report still says exactly which
        failed and why). grad(jit(f)) traced inside the program goes through jit's own differentiation
        rule, as it does eagerly."""
        def program(x):
            return {f"{c}/{t}": self._grad_of_jit(x) if t == "grad_of_jit" else self._program(c)(x)
                    for c, t in FUSED_CHECKS}
        try:
            x = self._inputs(case, {c for c, _ in FUSED_CHECKS})
            return self._jit("fused", program)(x)
        except Exception:
            return None
