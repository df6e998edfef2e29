"""The judge's side of a submission's exported programs: compile and run them where no user Python runs.

Runs as ``python -I -S -c "...evaluator.main()" RESULT_FD`` in a sandbox of its own, locked down like the
submission's (it compiles and runs programs the submission wrote), which shares no process, file
descriptor or namespace with it. It brings the device up and says ``hello``, then reads standard input
to its end: one JSON line (the job, every case's values included) and the programs as `wire` frames
(``{"type": "program", "signature", "program"}``, the serialized bytes as one uint8 array), copied by
the judge from the submission's stream before the submission was sent any case's values.

It never imports or runs the submission's code: `jax.export.deserialize` reads StableHLO and pytree
structures of lists, tuples, dicts and None, no Python. A program is refused (`admit`) unless it runs on
this platform on one device, has no effects and no disabled safety check, and calls no custom call
outside the targets jax.export keeps stable (host callbacks are custom calls) and no host transfer.

For each case it sends a ``check`` frame per jit check (from ``fused``, or from the check's own program),
``grad_of_jit`` (the anchor's grad, called eagerly, as a user calls ``jax.grad(jax.jit(f))``), and
``witness`` frames: what the anchor ``jit(f)`` gives for the same check (`WITNESSES`), which the judge
holds against the check's result; then ``done``.
"""

import json
import re
import sys

from . import harness

# What the anchor (jit(f), with its VJP) says each jit check should give, computed here eagerly.
WITNESSES = {
    ("value", "jit"): "jit(f)",
    ("grad", "jit"): "grad(jit(f))",
    ("vjp", "jit"): "vjp(jit(f))",
    ("vmap", "jit"): "jit(f) row by row",
    ("vmap_grad", "jit"): "grad(jit(f)) row by row",
    # The Jacobian from the anchor's VJP, one basis cotangent at a time (an exported call can be
    # differentiated in reverse mode only, and has no batching rule, so neither jacfwd nor vmap); the
    # Hessian from the VJP of that VJP (the anchor is exported with both where it is checked).
    ("jacfwd", "jit"): "the VJP of jit(f), row by row",
    ("jacrev", "jit"): "the VJP of jit(f), row by row",
    ("hessian", "jit"): "the VJP of the VJP of jit(f), row by row",
}
_PLATFORMS = {"cpu": ("cpu",), "gpu": ("cuda", "rocm")}
_CUSTOM_CALL = re.compile(r'custom_call\s*@([\w.$-]+)|call_target_name\s*=\s*"([^"]*)"')
_HOST_TRANSFER = re.compile(r'\b(?:stablehlo|mhlo)\.(send|recv|infeed|outfeed)\b')


class RefusedProgram(Exception):
    """A program the evaluator will not compile: its message says why."""


def main():
    serve(int(sys.argv[1]))


def serve(result_fd):
    from . import inputs, wire
    results = harness._Results(result_fd, wire)
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import export

    harness.configure(jax)
    device = jax.devices()[0]
    jax.block_until_ready(jax.device_put(np.zeros(1, np.float32), device) + 1)
    results.send({"type": "hello", "role": "evaluator", "platform": device.platform,
                  "device_kind": device.device_kind, "jax_version": jax.__version__,
                  "python": sys.version.split()[0]})

    job_line, _, stream = sys.stdin.buffer.read().partition(b"\n")
    job = json.loads(job_line)
    frames, _ = wire.decode(stream)  # the judge wrote it; the bytes inside are the submission's
    programs = {}
    for header, arrays in frames:
        key = (header["signature"], header["program"])
        try:
            exported = export.deserialize(bytearray(arrays[0].tobytes()))
            admit(exported, device.platform)
            programs[key] = exported
        except Exception as error:
            refused = error if isinstance(error, RefusedProgram) else RefusedProgram(
                f"the exported program could not be read: {type(error).__name__}: {error}")
            programs[key] = refused
    runner = _Runner(jax, jnp, np, inputs, job, device)
    for case in job["cases"]:
        for header, outputs in runner.case(case, programs):
            if isinstance(outputs, BaseException):
                results.send({**header, "status": "error", **harness.describe_exception(outputs, hide_traceback=True)})
                continue
            described, arrays = harness.describe_outputs(jax, np, outputs)
            results.send({**header, "status": "ok", **described}, arrays)
    results.send({"type": "done"})


def admit(exported, platform):
    """Raise RefusedProgram unless `exported` (and its VJP, if it has one) is fit to compile here."""
    wanted = _PLATFORMS.get(platform, (platform,))
    if not set(wanted) & set(exported.platforms):
        raise RefusedProgram(f"the program was exported for {', '.join(exported.platforms)}, not {platform}")
    if exported.nr_devices != 1:
        raise RefusedProgram(f"the program is for {exported.nr_devices} devices, not one")
    if exported.ordered_effects or exported.unordered_effects:
        raise RefusedProgram("the program has side effects")
    if exported.disabled_safety_checks:
        raise RefusedProgram("the program was exported with safety checks disabled")
    text = exported.mlir_module()
    targets = {a or b for a, b in _CUSTOM_CALL.findall(text)} - _stable_targets()
    if targets:
        raise RefusedProgram(f"the program calls {', '.join(sorted(targets))}, which jax.export does not "
                             "keep stable (a host callback is one)")
    transfer = _HOST_TRANSFER.search(text)
    if transfer:
        raise RefusedProgram(f"the program transfers data to or from the host ({transfer.group(1)})")
    if exported.has_vjp():
        admit(exported.vjp(), platform)


def _stable_targets():
    from jax._src.export import _export
    return set(_export._CUSTOM_CALL_TARGETS_GUARANTEED_STABLE) | {"shape_assertion"}


class _Runner:
    """A case's jit checks and witnesses, from the programs of its signature."""

    def __init__(self, jax, jnp, np, inputs, job, device):
        self.jax, self.jnp, self.np, self.inputs, self.device = jax, jnp, np, inputs, device
        self.diff = tuple(job["diff_argnums"])
        self.batch = tuple(job["batch_argnums"])
        self.axes = {i: inputs.axes_of(a) for i, a in zip(self.batch, job.get("batch_axes") or [0] * len(self.batch))}
        self.out_axes = job.get("out_axes", 0)
        self.checks = harness.job_checks(job)
        self.jit_checks = harness.jit_checks(job)
        self.grad_of_jit = ("grad", "grad_of_jit") in self.checks
        # The witnesses this job's checks are held against (jvp's is the anchor's VJP).
        wanted = {c for c, _ in self.jit_checks} | ({"vjp"} if ("jvp", "jit") in self.jit_checks else set())
        self.witnesses = {key: name for key, name in WITNESSES.items() if key[0] in wanted}
        self._programs = {}

    def _put(self, value):
        return self.jax.device_put(value, self.device) if isinstance(value, self.np.ndarray) else value

    def _template(self, programs, signature):
        """The inputs dict the x-taking programs declare (cotangent's shape and dtype), or None."""
        for name in harness.PROGRAMS:
            program = programs.get((signature, name))
            if name != "anchor" and program is not None and not isinstance(program, BaseException):
                (x,), _ = self.jax.tree_util.tree_unflatten(program.in_tree, program.in_avals)
                if isinstance(x, dict) and "cotangent" in x:
                    return x
        return None

    def _inputs(self, case, template, anchor):
        inputs = self.inputs
        host = inputs.build_args(case, harness.make_key(self.jax))
        put = lambda tree: inputs.tree_map(lambda leaf, _: self._put(leaf), tree)  # noqa: E731
        # A static argument is part of the programs; its place in their arguments is None.
        x = {"args": [None if inputs.is_static(spec) else put(a) for spec, a in zip(case["args"], host)]}
        if template is not None:
            out = template["cotangent"]
        elif anchor is None:
            raise RefusedProgram("no program was exported for this case")
        else:
            out = self.jax.eval_shape(anchor.call, *x["args"])
        x["cotangent"] = self.jax.tree_util.tree_map(self._put, harness.cotangent_like(self.jax, inputs, case, out))
        x["tangents"] = [put(inputs.tangent_like(case, i, host[i])) for i in self.diff]
        x["batched"] = [put(inputs.batch_like(a, self.axes[i])) if i in self.batch else x["args"][i]
                        for i, a in enumerate(host)]
        return x

    def case(self, case, programs):
        """[(frame header, outputs or exception)] for one case."""
        signature = case["signature"]
        anchor = programs.get((signature, "anchor"), RefusedProgram("jit(f) was not exported"))
        fused = programs.get((signature, "fused"))
        header = {"type": "check", "case": case["name"]}
        sent = []
        template = self._template(programs, signature)
        try:
            x = self._inputs(case, template, None if isinstance(anchor, BaseException) else anchor)
        except Exception as error:
            # Say why each check's own program could not run, where it could not; else what failed here.
            for check, transform in self.jit_checks + ((("grad", "grad_of_jit"),) if self.grad_of_jit else ()):
                own = anchor if transform == "grad_of_jit" else (fused or programs.get((signature, f"{check}/jit")))
                sent.append(({**header, "check": check, "transform": transform},
                             own if isinstance(own, BaseException) else error))
            return sent
        # The jit checks: one compiled program of every check, or the checks' own programs.
        if fused is None:
            computed = None
        elif isinstance(fused, BaseException):
            computed = fused
        else:
            computed = self._call(fused, x)
            if not isinstance(computed, (dict, BaseException)):
                computed = RefusedProgram("the fused program does not return a dict of the checks")
        for check, transform in self.jit_checks:
            name = f"{check}/{transform}"
            if computed is None:
                outputs = self._call(programs.get((signature, name), RefusedProgram(f"{name} was not exported")), x)
            elif isinstance(computed, BaseException):
                outputs = computed
            else:
                outputs = computed.get(name, RefusedProgram(f"the fused program has no {name}"))
            sent.append(({**header, "check": check, "transform": transform}, outputs))
        # grad(jit(f)) called eagerly, and what the anchor says each jit check should give.
        grad_of_jit = None
        if self.grad_of_jit or ("grad", "jit") in self.witnesses:
            grad_of_jit = self._from_anchor(anchor, lambda a: self._grad_of_sum(a.call)(*x["args"]))
        if self.grad_of_jit:
            sent.append(({**header, "check": "grad", "transform": "grad_of_jit"}, grad_of_jit))
        # The other witnesses as one compiled program of the anchor (one compile per signature); if it
        # fails, one by one, so each says what failed.
        together = self._from_anchor(anchor, lambda a: self._witness_program(signature, a)(x))
        for (check, transform), name in self.witnesses.items():
            if (check, transform) == ("grad", "jit"):
                outputs = grad_of_jit
            elif not isinstance(together, BaseException):
                outputs = together[check]
            else:
                outputs = self._from_anchor(anchor, lambda a: self._witnesses(a, x, only=check))
            sent.append(({"type": "witness", "case": case["name"], "check": check, "transform": transform,
                          "witness": name}, outputs))
        return sent

    def _witnesses(self, anchor, x, only=None):
        every = {
            "value": lambda: anchor.call(*x["args"]),
            "vjp": lambda: self._vjp(anchor.call, x["args"], x["cotangent"]),
            "vmap": lambda: self._rows(anchor.call, x),
            "vmap_grad": lambda: self._rows(self._grad_of_sum(anchor.call), x),
            "jacfwd": lambda: self._jacobian(anchor.call, x["args"], forward=True),
            "jacrev": lambda: self._jacobian(anchor.call, x["args"], forward=False),
            # jax.hessian is jacfwd(jacrev(f)): the Jacobian of the Jacobian, laid out and typed as that.
            "hessian": lambda: self._jacobian(lambda *a: self._jacobian(anchor.call, list(a), forward=False),
                                              x["args"], forward=True),
        }
        compute = {check: fn for check, fn in every.items() if (check, "jit") in self.witnesses}
        if only is not None:
            return compute[only]()
        return {check: fn() for check, fn in compute.items()}

    def _witness_program(self, signature, anchor):
        if signature not in self._programs:
            self._programs[signature] = self.jax.jit(lambda x: self._witnesses(anchor, x))
        return self._programs[signature]

    def _call(self, program, x):
        if isinstance(program, BaseException):
            return program
        try:
            return self.jax.block_until_ready(program.call(x))
        except Exception as error:
            return error

    def _from_anchor(self, anchor, compute):
        if isinstance(anchor, BaseException):
            return anchor
        try:
            outputs = compute(anchor)
            if isinstance(outputs, BaseException):
                return outputs
            return self.jax.block_until_ready(outputs)
        except Exception as error:
            return error

    def _grad_of_sum(self, f):
        return harness.grad_of_sum(self.jax.grad, self.jax, self.jnp, f, self.diff)

    def _vjp(self, f, args, cotangent):
        return harness.vjp_at(self.jax.vjp, f, args, self.diff, cotangent)

    def _jacobian(self, f, args, forward):
        """jax.jacfwd(f, argnums=diff) (`forward`) or jax.jacrev's, from f's VJP alone: its pullback of
        each basis cotangent (lax.map) is a row. Laid out as they are: for each output leaf, per
        differentiated argument, a leaf of shape output + argument; jacfwd's in the output's dtype (a
        tangent's), jacrev's in the argument's (a cotangent's)."""
        jax, jnp = self.jax, self.jnp
        outs, tree = jax.tree_util.tree_flatten(jax.eval_shape(f, *args))
        sizes = [int(self.np.prod(o.shape, dtype=int)) for o in outs]
        _, pullback = jax.vjp(harness.partial_in(f, args, self.diff), *[args[i] for i in self.diff])
        starts = self.np.cumsum([0] + sizes)

        def row(k):
            basis = [(jnp.arange(size) == k - start).astype(o.dtype).reshape(o.shape)
                     for o, size, start in zip(outs, sizes, starts)]
            return pullback(jax.tree_util.tree_unflatten(tree, basis))

        rows = jax.lax.map(row, jnp.arange(sum(sizes)))
        blocks, start = [], 0
        for o, size in zip(outs, sizes):
            blocks.append(jax.tree_util.tree_map(
                lambda r, o=o, start=start, size=size: r[start:start + size].reshape(o.shape + r.shape[1:])
                .astype(o.dtype if forward else r.dtype), rows))
            start += size
        return jax.tree_util.tree_unflatten(tree, blocks)

    def _rows(self, f, x):
        """f on each row of the vmap batch, stacked: what vmap(f) must equal."""
        rows = []
        for k in range(len(self.inputs.BATCH_SCALES)):
            rows.append(f(*[self.inputs.zip_axes(lambda leaf, ax: leaf if ax is None else self.jnp.take(leaf, k, axis=ax),
                                                 b, self.axes[i])
                            if i in self.batch else b for i, b in enumerate(x["batched"])]))
        return self.jax.tree_util.tree_map(lambda *leaves: self.jnp.stack(leaves, axis=self.out_axes), *rows)
