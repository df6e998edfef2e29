"""python -m grader grade PROBLEM_DIR SUBMISSION.py [--json] [--device cpu|gpu] [--samples] [--show-hidden]
python -m grader validate PROBLEM_DIR [--device cpu|gpu] [--json] [--jobs N]"""

import argparse
import json
import logging
import sys
from pathlib import Path

from . import ProblemError, judge, load_problem, render_text, validate_problem


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Judge JAX submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="judge one submission and print its report")
    grade.add_argument("problem_dir", type=Path)
    grade.add_argument("submission", type=Path)
    grade.add_argument("--json", action="store_true", help="print the report as one JSON object")
    grade.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    grade.add_argument("--samples", action="store_true",
                       help="judge the sample cases only, with full feedback and printed output")
    grade.add_argument("--show-hidden", action="store_true",
                       help="for the problem's authors: show hidden cases' inputs, messages, expected and got")
    validate = commands.add_parser("validate", help="check that every example gets its folder's verdict")
    validate.add_argument("problem_dir", type=Path)
    validate.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    validate.add_argument("--json", action="store_true")
    validate.add_argument("--jobs", type=int, default=None,
                          help="examples judged at once (default: the cores, at most 4); verdicts do not depend on it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        problem = load_problem(args.problem_dir)
    except ProblemError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "grade":
        try:
            source = args.submission.read_bytes()
        except OSError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        report = judge(problem, source, device=args.device, samples_only=args.samples, show_hidden=args.show_hidden)
        print(json.dumps(report, indent=2) if args.json else render_text(report), end="\n" if args.json else "")
        return 0
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    results = validate_problem(problem, device=args.device, workers=args.jobs)
    failures = [(name, expected, got) for name, expected, got, _ in results if expected is not got]
    if args.json:
        print(json.dumps([{"submission": n, "expected": e.value, "got": g.value, "summary": r["summary"]}
                          for n, e, g, r in results], indent=2))
    else:
        for name, expected, got, report in results:
            mark = "ok  " if expected is got else "FAIL"
            print(f"{mark} {name}: expected {expected.value}, got {got.value}")
            if expected is not got:
                print(f"     {report['summary']}")
        print(f"{len(results) - len(failures)}/{len(results)} example submissions got their expected verdict")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
