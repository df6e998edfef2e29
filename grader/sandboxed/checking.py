"""A package's trusted checker (checker.py), run in a sandbox of its own, never beside user code.

Runs as ``python -I -S -c "...checking.main()" RESULT_FD`` inside bubblewrap, like the other sandboxes.
Standard input: one JSON line ``{"source_bytes": N}``, the checker's N bytes of source, then `wire` frames,
one per result to decide (``{"type": "pair", "index": i, "expected": k}``, whose first k arrays are the
reference's and the rest what was received). The checker defines

    def check(expected, got, check, transform):
        return passed, message      # a bool and a short text

with `expected` and `got` lists of NumPy arrays (an output's leaves). For each pair this sends
``{"type": "checked", "index": i, "passed": bool, "message": str}`` (or ``"error"``: what the checker
raised), then ``done``. The checker sees arrays only: no case's inputs, no source of the submission.
"""

import json
import sys
import traceback

MAX_MESSAGE_CHARS = 4000  # harness.MAX_MESSAGE_CHARS


def main():
    serve(int(sys.argv[1]))


def serve(result_fd):
    from . import harness, wire
    results = harness._Results(result_fd, wire)
    results.send({"type": "hello"})
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    source = stdin.read(int(header["source_bytes"]))
    frames, _ = wire.decode(stdin.read())
    module = {"__name__": "checker"}
    try:
        exec(compile(source, "checker.py", "exec", dont_inherit=True), module)
        check = module["check"]
    except BaseException as error:
        results.send({"type": "checker_error", "message": _described(error)})
        return
    for pair, arrays in frames:
        count = int(pair["expected"])
        answer = {"type": "checked", "index": pair["index"]}
        try:
            passed, message = check(arrays[:count], arrays[count:], pair["check"], pair["transform"])
            answer.update(passed=bool(passed), message=str(message)[:MAX_MESSAGE_CHARS])
        except BaseException as error:
            answer.update(error=_described(error))
        results.send(answer)
    results.send({"type": "done"})


def _described(error):
    return "".join(traceback.format_exception_only(type(error), error)).strip()[:MAX_MESSAGE_CHARS]
