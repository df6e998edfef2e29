"""The submission's side of judging: load it, export its programs, run the eager checks.

Runs as ``python -I -S -c "...harness.main()" RESULT_FD`` inside bubblewrap. It imports JAX and brings up
the device first and says ``hello``; then it reads, on standard input, one JSON line (the job without
any case's values: each case's signature, the shapes and dtypes of its arguments) and the source.

1. ``module_error``: the source did not compile, raised while running, or has no callable entry point.
2. ``program`` frames: per signature, the entry point exported with `jax.export` (serialized StableHLO):
   ``fused``, every jit check of a case as one program of the case's inputs, and ``anchor``, ``jit(f)``
   of the arguments with its VJP (and the VJP's own, where the Hessian under jit is checked); if ``fused`` cannot be exported, one program per jit check, so the
   report can say which failed and why; where the problem has implementation rules, a ``jaxpr``
   frame (the primitives and equation count of the entry point's jaxpr). Then ``exported``.
3. Only once the judge has read ``exported`` does it send the cases (one JSON line, with their values).
   The eager checks run here, on every case: a ``check`` frame each; then ``done``.

Nothing here decides a verdict, and nothing the judge trusts is computed here: a submission shares this
process and can write any frame. The judge compiles and runs the exported programs in a second sandbox
that never runs user Python (evaluator.py), on values this process had not seen when it exported them;
the eager checks are this process's own account, and never all that stands between a verdict and
ACCEPTED.
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

# The registry: every (check, transform) pair a problem may ask for, in the order they run and are
# reported. A job names its own subset ("checks"); a problem that names none asks for all that apply.
CHECKS = (
    ("value", "eager"), ("value", "jit"),
    ("grad", "eager"), ("grad", "jit"), ("grad", "grad_of_jit"),
    ("vjp", "eager"), ("vjp", "jit"),
    ("jvp", "eager"), ("jvp", "jit"),
    ("vmap", "eager"), ("vmap", "jit"),
    ("vmap_grad", "eager"), ("vmap_grad", "jit"),
    ("jacfwd", "eager"), ("jacfwd", "jit"), ("jacrev", "eager"), ("jacrev", "jit"),
    ("hessian", "eager"), ("hessian", "jit"),
)
# How a person reads each check and transform: the pages' verdict table and the notebook client's.
CHECK_LABELS = {"value": "value", "grad": "grad", "vjp": "VJP", "jvp": "JVP", "vmap": "vmap",
                "vmap_grad": "vmap∘grad", "jacfwd": "jacfwd", "jacrev": "jacrev", "hessian": "Hessian"}
TRANSFORM_LABELS = {"eager": "eager", "jit": "jit", "grad_of_jit": "grad(jit)"}
# What a problem without a [checks] table gets (of those that apply): clip-passthrough's 13.
DEFAULT_CHECKS = CHECKS[:13]
# Checks that take derivatives (they need differentiated arguments), and those that map over a batch.
DERIVATIVES = ("grad", "vjp", "jvp", "vmap_grad", "jacfwd", "jacrev", "hessian")
BATCHED = ("vmap", "vmap_grad")
# "anchor/vjp" is only ever an error: why jit(f) could not be exported with its VJP, when it could without
# (a custom rule that fails): the anchor is then sent without one, so it still confirms the values.
PROGRAMS = ("fused", "anchor", "anchor/vjp") + tuple(f"{c}/{t}" for c, t in CHECKS if t == "jit")


def job_checks(job):
    """The job's (check, transform) pairs, in registry order."""
    wanted = {tuple(pair) for pair in job.get("checks", DEFAULT_CHECKS)}
    return tuple(pair for pair in CHECKS if pair in wanted)


def eager_checks(job):
    """Run here, in the submission's process."""
    return tuple((c, t) for c, t in job_checks(job) if t == "eager")


def jit_checks(job):
    """Exported here and computed by the evaluator (grad_of_jit too: grad of the anchor, called eagerly
    there)."""
    return tuple((c, t) for c, t in job_checks(job) if t == "jit")


def differentiates(job):
    return any(c in DERIVATIVES for c, _ in job_checks(job))


# Which inputs each check takes (all of them: the fused program's).
CHECK_INPUTS = {"value": (), "grad": (), "vjp": ("cotangent",), "jvp": ("tangents",),
                "vmap": ("batched",), "vmap_grad": ("batched",), "jacfwd": (), "jacrev": (), "hessian": ()}


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
    """Bring up the device, say hello, read the job and the source, export, then run the eager checks."""
    os.set_inheritable(result_fd, False)
    from . import inputs, wire
    results = _Results(result_fd, wire)

    # JAX and the device come up before the job is read, so a sandbox can be started ahead of need and
    # wait here, warm, for the one submission it will ever see.
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import export

    configure(jax)
    device = jax.devices()[0]
    jax.block_until_ready(jax.device_put(np.zeros(1, np.float32), device) + 1)
    results.send({
        "type": "hello",
        "platform": device.platform,
        "device_kind": device.device_kind,
        "jax_version": jax.__version__,
        "python": sys.version.split()[0],
    })

    stdin = sys.stdin.buffer
    job = json.loads(stdin.readline())
    source = stdin.read(int(job["source_bytes"]))
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
    for index, signature in enumerate(job["signatures"]):
        shown = any(c["sample"] for c in job["cases"] if c["signature"] == index)
        for name, exported in runner.export(export, signature):
            header = {"type": "program", "signature": index, "program": name}
            if isinstance(exported, BaseException):
                results.send({**header, "status": "error", **describe_exception(exported, hide_traceback=not shown)})
            else:
                results.send({**header, "status": "ok"}, [np.frombuffer(exported, np.uint8)])
        if job.get("rules"):
            results.send({"type": "jaxpr", "signature": index, **runner.jaxpr_summary(signature)})
    results.send({"type": "exported"})

    # The cases' values arrive only now; user code reads an empty stdin from here on.
    cases = json.loads(stdin.readline())["cases"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for case in cases:
        for check, transform in eager_checks(job):
            header = {"type": "check", "case": case["name"], "check": check, "transform": transform}
            try:
                described, arrays = describe_outputs(jax, np, runner.run(case, check))
                header.update(described)
            except BaseException as error:
                header.update(status="error", **describe_exception(error, hide_traceback=not case.get("sample")))
                results.send(header)
                continue
            header["status"] = "ok"
            results.send(header, arrays)
    results.send({"type": "done"})


def configure(jax):
    """JAX's settings in every sandbox of a judgement: float32 matrix products in full float32 (GPUs
    otherwise take TF32, about 1e-3 relative, so a verdict would depend on the device where the
    tolerances were measured), and the compile cache."""
    jax.config.update("jax_default_matmul_precision", "highest")
    _use_compile_cache(jax)


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


def describe_outputs(jax, np, outputs):
    """(header fields, arrays) of a check's outputs: each leaf's placement and path, the tree's structure."""
    with_paths, tree = jax.tree_util.tree_flatten_with_path(outputs)

    def data(leaf):  # a typed key goes as its key data (uint32), which is what it holds
        if jax.dtypes.issubdtype(getattr(leaf, "dtype", None), jax.dtypes.prng_key):
            return np.asarray(jax.random.key_data(leaf))
        return np.asarray(leaf)
    return ({"placement": [_placement(jax, leaf) for _, leaf in with_paths], "structure": str(tree),
             "paths": [jax.tree_util.keystr(path) for path, _ in with_paths]},
            [data(leaf) for _, leaf in with_paths])


def _placement(jax, leaf):
    """Where an output lives: the platform of a jax.Array, else its Python type."""
    if isinstance(leaf, jax.Array):
        return sorted({d.platform for d in leaf.devices()})[0]
    return type(leaf).__module__ + "." + type(leaf).__qualname__


def sum_leaves(jax, jnp, tree):
    """The sum of every element of every leaf: what grad differentiates when the output is a pytree."""
    sums = [jnp.sum(leaf) for leaf in jax.tree_util.tree_leaves(tree)]
    total = sums[0]
    for more in sums[1:]:
        total = total + more
    return total


def grad_of_sum(grad, jax, jnp, f, diff):
    """grad (jax.grad, as bound before user code ran) of the sum of every leaf of f, in `diff`."""
    return grad(lambda *a: sum_leaves(jax, jnp, f(*a)), argnums=diff)


def partial_in(f, args, diff):
    """f as a function of the differentiated arguments alone, the others fixed."""
    def g(*diff_values):
        full = list(args)
        for i, v in zip(diff, diff_values):
            full[i] = v
        return f(*full)
    return g


def vjp_at(vjp, f, args, diff, cotangent):
    """The VJP of f at `args`, in the differentiated arguments, of `cotangent`."""
    _, pullback = vjp(partial_in(f, args, diff), *[args[i] for i in diff])
    return pullback(cotangent)


def cotangent_like(jax, inputs, case, out):
    """Seeded values shaped like the output `out` (a pytree of shapes and dtypes), leaf by leaf."""
    leaves, tree = jax.tree_util.tree_flatten(out)
    purposes = ["cotangent"] if len(leaves) == 1 else [f"cotangent{k}" for k in range(len(leaves))]
    return jax.tree_util.tree_unflatten(tree, [inputs.random_like(case, purpose, leaf.shape, leaf.dtype)
                                               for purpose, leaf in zip(purposes, leaves)])


def structs(jax, jnp, inputs, signature):
    """The abstract arguments of a signature (inputs.signature): what exporting traces with."""
    scalar = {"bool": (jnp.bool_, False), "int": (jnp.int32, True), "float": (jnp.float32, True)}

    def leaf(arg):
        if "scalar" in arg:
            dtype, weak = scalar[arg["scalar"]]
            return jax.ShapeDtypeStruct((), dtype, weak_type=weak)
        if "static" in arg:
            return None  # no leaf: the value is closed over (`with_statics`), as jax.jit's static args are
        if "key" in arg:
            return jax.eval_shape(lambda: jax.random.key(0, impl=arg["key"]))
        return jax.ShapeDtypeStruct(tuple(arg["shape"]), jnp.dtype(arg["dtype"]))
    return [inputs.map_signature(leaf, arg) for arg in signature]


def _with_axis(shape, axis, size):
    """`shape` with a batch axis of `size` inserted at `axis` (negative counts from the end, as vmap's)."""
    axis = axis if axis >= 0 else len(shape) + 1 + axis
    return tuple(shape[:axis]) + (size,) + tuple(shape[axis:])


def with_statics(f, signature):
    """f with its static arguments (those of `signature`) filled in: called with None in their places."""
    from . import inputs
    statics = {i: inputs.static_value(arg["static"]) for i, arg in enumerate(signature)
               if isinstance(arg, dict) and "static" in arg}
    if not statics:
        return f

    def called(*args):
        return f(*[statics[i] if i in statics else a for i, a in enumerate(args)])
    return called


def make_key(jax):
    return lambda seed, impl: jax.random.key(seed, impl=impl)


class _CheckRunner:
    """Builds each check's computation for the entry point: exported (jit) or run here (eager).

    jax.jit/grad/vjp/jvp/vmap are bound here, before the submission runs, so that a submission which
    reassigns them on the jax module does not change what the checks call. (It can still replace this
    runner's methods: nothing computed here is trusted.)
    """

    def __init__(self, jax, jnp, np, inputs, entry, job, device):
        self.jnp, self.np, self.inputs, self.device = jnp, np, inputs, device
        self.jit, self.grad, self.vjp, self.jvp, self.vmap = jax.jit, jax.grad, jax.vjp, jax.jvp, jax.vmap
        self.jacfwd, self.jacrev, self.hessian = jax.jacfwd, jax.jacrev, jax.hessian
        self.device_put, self.eval_shape, self.struct = jax.device_put, jax.eval_shape, jax.ShapeDtypeStruct
        self._jax = jax
        self.f = entry
        self.diff = tuple(job["diff_argnums"])
        self.batch = tuple(job["batch_argnums"])
        # Each batched argument's batch axis (an int for every leaf, or a pytree of them, None: not mapped),
        # and where vmap puts the output's.
        self.axes = {i: inputs.axes_of(a) for i, a in zip(self.batch, job.get("batch_axes") or [0] * len(self.batch))}
        self.out_axes = job.get("out_axes", 0)
        self.jit_checks = jit_checks(job)
        # The anchor's derivatives the witnesses take: the Hessian's is the VJP of its VJP.
        self.vjp_order = 2 if ("hessian", "jit") in self.jit_checks else 1 if differentiates(job) else 0

    def _on_device(self, value):
        if isinstance(value, self.np.ndarray):
            return self.device_put(value, self.device)
        return value

    def _grad_of_sum(self, f):
        return grad_of_sum(self.grad, self._jax, self.jnp, f, self.diff)

    def _vjp(self, f, args, cotangent):
        return vjp_at(self.vjp, f, args, self.diff, cotangent)

    def _jvp(self, f, args, tangents):
        return self.jvp(partial_in(f, args, self.diff), tuple(args[i] for i in self.diff), tuple(tangents))

    def _input_structs(self, signature):
        """The abstract inputs dict of a signature: args, cotangent, tangents, batched."""
        args = structs(self._jax, self.jnp, self.inputs, signature)
        out = self.eval_shape(with_statics(self.f, signature), *args)
        batch = len(self.inputs.BATCH_SCALES)
        like = self._jax.tree_util.tree_map
        return {"args": args,
                "cotangent": like(lambda o: self.struct(o.shape, o.dtype), out),
                "tangents": [like(lambda a: self.struct(a.shape, a.dtype), args[i]) for i in self.diff],
                "batched": [self.inputs.zip_axes(lambda a, ax: a if ax is None else self.struct(
                                _with_axis(a.shape, ax, batch), a.dtype), arg, self.axes[i])
                            if i in self.batch else arg for i, arg in enumerate(args)]}

    def _inputs(self, case, check):
        """What `check` takes, on the device. Python scalars stay Python scalars, so that traced under
        jit they are weakly typed."""
        inputs = self.inputs
        host = inputs.build_args(case, make_key(self._jax))
        put = lambda tree: inputs.tree_map(lambda leaf, _: self._on_device(leaf), tree)  # noqa: E731
        x = {"args": [None if inputs.is_static(spec) else put(a) for spec, a in zip(case["args"], host)]}
        wanted = CHECK_INPUTS[check]
        if "cotangent" in wanted:
            # Shaped like the output of an eager call, as a user's jax.vjp(f, x) computes it: tracing f
            # abstractly here (eval_shape) would fail a Python `if` on a bound that eager mode allows.
            primal_out = with_statics(self.f, inputs.signature(case))(*x["args"])
            out = self.eval_shape(lambda: primal_out)
            x["cotangent"] = self._jax.tree_util.tree_map(self._on_device, cotangent_like(self._jax, inputs, case, out))
        if "tangents" in wanted:
            x["tangents"] = [put(inputs.tangent_like(case, i, host[i])) for i in self.diff]
        if "batched" in wanted:
            x["batched"] = [put(inputs.batch_like(a, self.axes[i])) if i in self.batch else x["args"][i]
                            for i, a in enumerate(host)]
        return x

    def _program(self, check, f=None):
        """The computation of one check, as a function of the inputs dict (eager, or inside jit)."""
        f = f or self.f

        def vmapped(fn, x):
            in_axes = tuple(self.axes.get(i) for i in range(len(x["batched"])))
            return self.vmap(fn, in_axes=in_axes, out_axes=self.out_axes)(*x["batched"])

        return {
            "value": lambda x: f(*x["args"]),
            "grad": lambda x: self._grad_of_sum(f)(*x["args"]),
            "vjp": lambda x: self._vjp(f, x["args"], x["cotangent"]),
            "jvp": lambda x: self._jvp(f, x["args"], x["tangents"]),
            "vmap": lambda x: vmapped(f, x),
            "vmap_grad": lambda x: vmapped(self._grad_of_sum(f), x),
            "jacfwd": lambda x: self.jacfwd(f, argnums=self.diff)(*x["args"]),
            "jacrev": lambda x: self.jacrev(f, argnums=self.diff)(*x["args"]),
            "hessian": lambda x: self.hessian(f, argnums=self.diff)(*x["args"]),
        }[check]

    def run(self, case, check):
        """An eager check on a case's values."""
        return self._program(check, with_statics(self.f, self.inputs.signature(case)))(self._inputs(case, check))

    def export(self, export, signature):
        """[(program name, serialized bytes or the exception)] for one signature: the fused program and
        the anchor, or, where the fused one fails, each jit check's own program."""
        try:
            x = self._input_structs(signature)
        except BaseException as error:
            return [(name, error) for name in ("anchor",) + tuple(f"{c}/{t}" for c, t in self.jit_checks)]
        f = with_statics(self.f, signature)
        anchor = self._export(export, f, x["args"], vjp_order=self.vjp_order)
        values_only = (self._export(export, f, x["args"]) if isinstance(anchor, BaseException) and self.vjp_order
                       else anchor)
        exported = ([("anchor", anchor)] if values_only is anchor or isinstance(values_only, BaseException)
                    else [("anchor", values_only), ("anchor/vjp", anchor)])

        def fused(x):
            return {f"{c}/{t}": self._program(c, f)(x) for c, t in self.jit_checks}
        program = self._export(export, fused, [x])
        if not isinstance(program, BaseException):
            return [("fused", program)] + exported
        return exported + [(f"{c}/{t}", self._export(export, self._program(c, f), [x])) for c, t in self.jit_checks]

    def jaxpr_summary(self, signature):
        """{"primitives": the primitive names in the entry point's jaxpr (sub-jaxprs included),
        "equations": how many equations it has} for a problem's implementation rules; {} if it fails."""
        try:
            closed = self._jax.make_jaxpr(with_statics(self.f, signature))(*structs(self._jax, self.jnp, self.inputs, signature))
        except BaseException:
            return {}
        names, count, pending = set(), 0, [closed.jaxpr]
        while pending:
            jaxpr = pending.pop()
            for equation in jaxpr.eqns:
                count += 1
                names.add(equation.primitive.name)
                for value in equation.params.values():
                    for inner in value if isinstance(value, (tuple, list)) else (value,):
                        inner = getattr(inner, "jaxpr", inner)
                        if hasattr(inner, "eqns"):
                            pending.append(inner)
        return {"primitives": sorted(names), "equations": count}

    def _export(self, export, fn, args, vjp_order=0):
        try:
            return export.export(self.jit(fn))(*args).serialize(vjp_order=vjp_order)
        except BaseException as error:
            return error
