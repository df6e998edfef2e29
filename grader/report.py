"""The report as text for a terminal: verdict, failing checks, hints, device and timings."""

_MAX_LISTED = 20


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
