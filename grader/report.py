"""The report: its types, as the judge builds it, and as text for a terminal.

`judge` builds a `Report` of `CheckResult`s and returns `Report.to_json()`, the JSON-able dict that the
API stores and the pages, the CLI and the client read: a key whose value is unset is left out.
"""

import dataclasses

_MAX_LISTED = 20


def _set_fields(instance):
    """The fields that are set (not None, not an unset flag), in declaration order."""
    return {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)
            if getattr(instance, f.name) is not None and getattr(instance, f.name) is not False
            or f.name in _ALWAYS}


_ALWAYS = {"sample", "trusted", "samples_only"}  # booleans a reader relies on, false or not


@dataclasses.dataclass
class CheckResult:
    """One check of one case: a cell of the verdict table. `status`: passed, wrong, error or not_run.
    Details (expected, got, traceback, plot) only where the case is shown: a sample, or to its author."""

    case: str
    sample: bool
    check: str
    transform: str
    trusted: bool  # computed by the evaluator (jit and grad_of_jit), not the submission's own account
    status: str = "passed"
    verdict: str = "ACCEPTED"
    message: str = ""
    hint: str | None = None
    expected: list | None = None
    got: list | None = None
    traceback: str | None = None
    plot: dict | None = None

    LIVE = ("case", "sample", "check", "transform", "status", "verdict", "trusted")

    def live(self):
        """What a live check event carries: never a message or a value."""
        return {name: getattr(self, name) for name in self.LIVE}

    def to_json(self):
        return _set_fields(self)


@dataclasses.dataclass
class Report:
    """One judgement. Made with what is known before anything runs; the assessment fills the rest."""

    problem: str
    samples_only: bool
    device: dict        # {requested, platform, kind}: platform and kind once the sandbox has said hello
    limits: dict        # {wall_time_s, cpu_time_s, memory_mb}
    score: dict         # {points, max_points, groups: [{name, points, max_points}]}
    show_hidden: bool = False
    verdict: str | None = None
    summary: str = ""
    jax_version: str | None = None
    timings: dict = dataclasses.field(default_factory=dict)
    memory_limit_by: str | None = None
    output: dict | None = None        # {bytes, shown, stdout_tail?, stderr_tail?}
    module_error: dict | None = None  # {kind, error_type, message, traceback}
    cases: list | None = None         # [{name, sample, description?, inputs?}]
    checks: list = dataclasses.field(default_factory=list)  # [CheckResult]
    rules: list | None = None         # [{rule, status, message}]
    hints: list = dataclasses.field(default_factory=list)
    retry: bool = False               # the machine was too busy: a worker judges it again

    def to_json(self):
        out = _set_fields(self)
        out["checks"] = [check.to_json() for check in self.checks]
        return out


def render_text(report):
    lines = [f"Verdict: {report['verdict']}", report.get("summary", "")]
    score = report.get("score")
    if score and score.get("max_points"):
        groups = ", ".join(f"{g['name']} {g['points']}/{g['max_points']}" for g in score.get("groups", []))
        lines.append(f"Score: {score['points']}/{score['max_points']}" + (f" ({groups})" if len(score.get("groups", [])) > 1 else ""))
    device = report.get("device", {})
    if device.get("platform"):
        lines.append(f"Device: {device['platform']} ({device.get('kind')}), jax {report.get('jax_version')}")
    timings = report.get("timings", {})
    if timings:
        lines.append("Time: " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    module_error = report.get("module_error")
    if module_error:
        lines += ["", f"{module_error['error_type']}: {module_error['message']}"]
        if module_error.get("traceback"):
            lines.append(module_error["traceback"].rstrip())
    checks = report.get("checks", [])
    if checks:
        passed = sum(c["status"] == "passed" for c in checks)
        lines += ["", f"Checks: {passed}/{len(checks)} passed"]
        failed = [c for c in checks if c["status"] not in ("passed", "not_run")]
        not_run = [c for c in checks if c["status"] == "not_run"]
        # Each distinct failure once (as the page lists them): the same error on every check of a case
        # is one line naming the first check, with how many more.
        distinct = {}
        for check in failed:
            key = (check["status"], check["message"], tuple(check.get("expected", ())), tuple(check.get("got", ())))
            distinct.setdefault(key, []).append(check)
        for check, *same in list(distinct.values())[:_MAX_LISTED]:
            hidden = "" if check["sample"] else " [hidden]"
            more = f" and {len(same)} more check{'s' if len(same) > 1 else ''}" if same else ""
            lines.append(f"  ✗ {check['case']}{hidden} · {check['check']} ({check['transform']}){more}: "
                         f"{check['message']}")
            for label in ("expected", "got"):
                for text in check.get(label, []):
                    lines.append(f"      {label:8} {text}")
        if len(distinct) > _MAX_LISTED:
            lines.append(f"  … and {len(distinct) - _MAX_LISTED} more")
        if not_run:
            lines.append(f"  ✗ {len(not_run)} checks {not_run[0]['message']}")
    if report.get("rules"):
        lines += ["", "Rules:"] + [f"  {'✓' if r['status'] == 'passed' else '✗'} {r['rule']}"
                                   + (f": {r['message']}" if r["message"] else "") for r in report["rules"]]
    if report.get("hints"):
        lines += ["", "Hints:"] + [f"  • {hint}" for hint in report["hints"]]
    output = report.get("output", {})
    if output.get("shown") and (output.get("stdout_tail") or output.get("stderr_tail")):
        lines += ["", "Output (tail):", output.get("stdout_tail", "") + output.get("stderr_tail", "")]
    return "\n".join(lines).rstrip() + "\n"
