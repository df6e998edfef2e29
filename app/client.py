"""A client of a jaxjudge server for scripts, terminals and notebooks (imported as `jaxjudge.client`).

    from jaxjudge.client import Judge
    result = Judge("http://127.0.0.1:8000").submit("clip-passthrough", clip_passthrough)
    result          # in Jupyter: the verdict table as HTML; elsewhere: the report as text

`Judge.submit` takes source text or a function: then its source (via `inspect`), with the imports and the
module's functions it uses, and a JVP/VJP rule defined on it, is what is sent. It follows the judging
over the server's event stream (GET /api/submissions/{id}/events) and returns a `Result`. The token comes
from the argument, else `JAXJUDGE_TOKEN`, else what `jaxjudge login` stored for that server; the server
from the argument, else `JAXJUDGE_SERVER`, else the one last logged in to, else http://127.0.0.1:8000.

This module talks HTTP only (httpx, httpx-sse): it never imports the app's database or web code.
"""

import ast
import builtins
import html
import inspect
import json
import os
import sys
import textwrap
import types
from pathlib import Path

import httpx
from httpx_sse import connect_sse

from grader import render_text
from grader.sandboxed.harness import CHECK_LABELS, TRANSFORM_LABELS

DEFAULT_SERVER = "http://127.0.0.1:8000"
ACCEPTED = "ACCEPTED"


class ClientError(Exception):
    """The server refused (with its own words), or cannot be reached."""


def config_dir():
    """The user's config folder for jaxjudge (XDG_CONFIG_HOME, else ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "jaxjudge"


def credentials_path():
    return config_dir() / "credentials.json"


def _stored():
    try:
        return json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return {}


def store_token(server, token):
    """Keep `token` for `server` (and make it the default server), readable by this user alone."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = _stored()
    stored.setdefault("tokens", {})[server] = token
    stored["server"] = server
    path = credentials_path()
    temporary = path.with_suffix(".tmp")
    # Created with mode 600 from the start: a token is never readable by others, not even for a moment.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(stored, file, indent=1)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path


def resolve_server(server=None):
    return (server or os.environ.get("JAXJUDGE_SERVER") or _stored().get("server") or DEFAULT_SERVER).rstrip("/")


def resolve_token(server, token=None):
    return token or os.environ.get("JAXJUDGE_TOKEN") or _stored().get("tokens", {}).get(server)


# -- a function's source, as a submission ------------------------------------------------------------

def source_of(fn, entry_point=None):
    """A submission made of `fn`: the imports and module-level functions it uses (found by name in its
    globals), its source with its decorators, the JVP/VJP rules defined on it, and, when its name is not
    the problem's `entry_point`, an alias under that name."""
    target = inspect.unwrap(fn)
    if not isinstance(target, types.FunctionType):
        raise TypeError(f"expected a function or its source text, not {type(fn).__name__}")
    globals_ = target.__globals__
    imports, blocks, seen = {}, [], set()

    def visit(function):
        """`function`'s dependencies, then its source, then its rules (each with theirs)."""
        code = textwrap.dedent(inspect.getsource(inspect.unwrap(function)))
        for name in sorted(_names_used(code)):
            if name in seen or name not in globals_:
                continue
            seen.add(name)
            value = globals_[name]
            line = _import_line(name, value)
            if line:
                imports[name] = line
            elif _is_constant(value):
                blocks.append(f"{name} = {value!r}")
            elif _defined_here(value, target.__module__):
                visit(value)
        if code not in blocks:
            blocks.append(code)
        for rule in _rules(function):
            visit(rule)

    seen.add(target.__name__)
    visit(fn)
    parts = ["\n".join(sorted(set(imports.values())))] if imports else []
    parts += [block.rstrip() for block in blocks]
    if entry_point and target.__name__ != entry_point:
        parts.append(f"{entry_point} = {target.__name__}")
    return "\n\n\n".join(parts) + "\n"


def _names_used(code):
    return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)} - set(dir(builtins))


def _import_line(name, value):
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if module == name:
            return f"import {module}"
        parent, _, leaf = module.rpartition(".")
        return f"from {parent} import {leaf} as {name}" if parent and leaf == name else f"import {module} as {name}"
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if module and qualname and module != "__main__" and "." not in qualname and not _is_user_module(module):
        return f"from {module} import {qualname}" + ("" if qualname == name else f" as {name}")
    return None


def _is_user_module(module):
    """A module of the user's own (the submission must carry its code), not an installed library."""
    found = sys.modules.get(module)
    path = getattr(found, "__file__", None) or ""
    return not ("site-packages" in path or "dist-packages" in path or path.startswith(sys.base_prefix))


def _is_constant(value):
    """A module-level constant that its repr rebuilds (a tolerance, a bound, a tuple of them)."""
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return True
    return isinstance(value, tuple) and all(_is_constant(v) for v in value)


def _defined_here(value, module):
    target = inspect.unwrap(value) if callable(value) else value
    return isinstance(target, types.FunctionType) and target.__module__ == module


def _rules(fn):
    """The rules a `jax.custom_jvp` (`.jvp`) or `jax.custom_vjp` (`.fwd`, `.bwd`) holds, whose source must
    go along (they are defined apart, under their own decorator)."""
    rules = []
    for attribute in ("jvp", "fwd", "bwd"):
        rule = getattr(fn, attribute, None)
        if isinstance(rule, types.FunctionType):
            try:
                inspect.getsource(rule)
            except (OSError, TypeError):
                raise TypeError(f"the source of {fn.__name__}'s {attribute} rule cannot be found "
                                "(a lambda? defjvps?); pass the source text instead") from None
            rules.append(rule)
    return rules


# -- results -----------------------------------------------------------------------------------------

class Result:
    """A judged submission: `verdict`, `report` (as GET /api/submissions/{id} gives it), `accepted`;
    shown as the verdict table in Jupyter (`_repr_html_`) and as `python -m grader grade`'s text."""

    def __init__(self, submission_id, server, verdict, report):
        self.id, self.server, self.verdict, self.report = submission_id, server, verdict, report or {}

    @property
    def accepted(self):
        return self.verdict == ACCEPTED

    @property
    def url(self):
        return f"{self.server}/submissions/{self.id}"

    def __str__(self):
        return render_text({"verdict": self.verdict, **self.report})

    def __repr__(self):
        return f"<Result {self.id}: {self.verdict}>"

    def _repr_html_(self):
        return verdict_html(self.verdict, self.report, url=self.url)


_CELL = {"passed": ("✓", "#1a7f37", "#dafbe1"), "pending": ("·", "#5f6b7a", "#ffffff")}
_FAIL = ("✗", "#b42318", "#ffebe9")


def verdict_html(verdict, report, *, url=None, checks=None):
    """The verdict and a table of cases × checks, each cell green or red (the page's table, in HTML)."""
    checks = report.get("checks", []) if checks is None else checks
    columns = list(dict.fromkeys((c["check"], c["transform"]) for c in checks))
    cases = list(dict.fromkeys((c["case"], c["sample"]) for c in checks))
    by_key = {(c["case"], c["check"], c["transform"]): c for c in checks}
    colour = "#1a7f37" if verdict == ACCEPTED else "#b42318"
    out = [f'<div class="jaxjudge-verdict"><p><strong style="color:{colour}">{html.escape(verdict or "")}</strong>'
           f' {html.escape(report.get("summary", ""))}'
           + (f' <a href="{html.escape(url)}">details</a>' if url else "") + "</p>"]
    if checks:
        out.append('<table style="border-collapse:collapse"><thead><tr><th>Case</th>')
        out += [f'<th>{html.escape(CHECK_LABELS.get(check, check))}<br><small>{html.escape(TRANSFORM_LABELS.get(transform, transform))}'
                '</small></th>' for check, transform in columns]
        out.append("</tr></thead><tbody>")
        for name, sample in cases:
            out.append(f'<tr><th style="text-align:left">{html.escape(name)}{"" if sample else " <small>hidden</small>"}</th>')
            for check, transform in columns:
                c = by_key.get((name, check, transform))
                if c is None:
                    out.append("<td></td>")
                    continue
                mark, fg, bg = _CELL.get(c["status"], _FAIL)
                title = html.escape(c.get("message") or c["status"], quote=True)
                out.append(f'<td data-status="{html.escape(c["status"])}" title="{title}" '
                           f'style="text-align:center;color:{fg};background:{bg}">{mark}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    return "".join(out)


# -- the client ---------------------------------------------------------------------------------------

class Judge:
    """A jaxjudge server, seen from a script or a notebook."""

    def __init__(self, url=None, token=None, *, timeout=60.0):
        self.server = resolve_server(url)
        self.token = resolve_token(self.server, token)
        self._http = httpx.Client(base_url=self.server, timeout=timeout)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _headers(self):
        if not self.token:
            raise ClientError(f"Not signed in to {self.server}: run `jaxjudge login --server {self.server}` "
                              "or set JAXJUDGE_TOKEN.")
        return {"Authorization": f"Bearer {self.token}"}

    def _request(self, method, path, **kwargs):
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ClientError(f"{self.server} cannot be reached: {error}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:300]
            raise ClientError(f"{method} {path}: {response.status_code} {detail}")
        return response.json()

    def login(self, username, password, *, store=True):
        """A token for `username`, kept in the config folder (mode 600) unless `store` is False."""
        body = self._request("POST", "/api/auth/token", data={"username": username, "password": password})
        self.token = body["access_token"]
        if store:
            store_token(self.server, self.token)
        return self.token

    def problem(self, slug):
        return self._request("GET", f"/api/problems/{slug}", headers=self._headers() if self.token else {})

    def submit(self, problem, fn_or_source, *, run=False, on_event=None, show=None, show_hidden=False):
        """Judge a function or source text on `problem` (every case; `run=True`: the samples only) and
        wait for the verdict; a `Result`. `on_event(kind, data)` sees each event of the stream as it
        comes. In a notebook the table is shown and updated live unless `show` is False. `show_hidden`
        (admins only) shows hidden cases like samples."""
        if isinstance(fn_or_source, str):
            source = fn_or_source
        else:
            source = source_of(fn_or_source, entry_point=self.problem(problem).get("entry_point"))
        created = self._request("POST", f"/api/problems/{problem}/submissions", headers=self._headers(),
                                json={"source": source, "mode": "run" if run else "submit",
                                      "show_hidden": show_hidden})
        display = _NotebookDisplay() if show is not False and _in_notebook() else None
        if display is not None:
            user_callback = on_event

            def on_event(kind, data):
                display.update(kind, data)
                if user_callback:
                    user_callback(kind, data)
        return self.follow(created["id"], on_event=on_event)

    def follow(self, submission_id, *, on_event=None):
        """Follow a submission's event stream to its verdict (reconnecting after a dropped connection
        from the last event seen); a `Result`."""
        last_id = None
        for _ in range(10):
            headers = self._headers() | ({"Last-Event-ID": last_id} if last_id else {})
            try:
                with connect_sse(self._http, "GET", f"/api/submissions/{submission_id}/events",
                                 headers=headers, timeout=httpx.Timeout(30.0, read=60.0)) as source:
                    if source.response.status_code >= 400:
                        source.response.read()
                        raise ClientError(f"the event stream: {source.response.status_code} "
                                          f"{source.response.json().get('detail')}")
                    for sse in source.iter_sse():
                        if not sse.data:  # a keep-alive comment
                            continue
                        last_id = sse.id or last_id
                        data = json.loads(sse.data)
                        if on_event:
                            on_event(sse.event, data)
                        if sse.event == "verdict":
                            return Result(submission_id, self.server, data["verdict"], data["report"])
            except httpx.TransportError:
                continue
        body = self._request("GET", f"/api/submissions/{submission_id}", headers=self._headers())
        if body["status"] != "judged":
            raise ClientError(f"submission {submission_id}: the event stream kept failing; see {self.server}"
                              f"/submissions/{submission_id}")
        return Result(submission_id, self.server, body["verdict"], body["report"])


def _in_notebook():
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _NotebookDisplay:
    """The verdict table in a notebook cell, redrawn as events arrive."""

    def __init__(self):
        from IPython.display import HTML, display

        self._html, self._checks, self._status = HTML, [], "queued"
        self._handle = display(HTML("<p>Queued…</p>"), display_id=True)

    def update(self, kind, data):
        if kind == "queued":
            self._status = f"Queued (position {data['position']})…"
        elif kind == "running":
            self._checks = [{"case": c["name"], "sample": c["sample"], **k, "status": "pending"}
                            for c in data["cases"] for k in data["checks"]]
            self._status = "Judging…"
        elif kind == "check":
            for i, c in enumerate(self._checks):
                if (c["case"], c["check"], c["transform"]) == (data["case"], data["check"], data["transform"]):
                    self._checks[i] = data
        elif kind == "verdict":
            self._handle.update(self._html(verdict_html(data["verdict"], data["report"])))
            return
        self._handle.update(self._html(verdict_html(self._status, {}, checks=self._checks)))


# -- the terminal: jaxjudge submit, jaxjudge login ------------------------------------------------------

class TerminalProgress:
    """One status line, redrawn in place on a terminal: the queue position, then a bar of checks judged
    (✓ and ✗ counted). Off a terminal, one line per change of state."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.tty = stream, stream.isatty()
        self.total = self.done = self.failed = 0
        self.statuses, self._last = {}, None

    def __call__(self, kind, data):
        if kind == "queued":
            self._line(f"queued: position {data['position']}")
        elif kind == "running":
            self.total = len(data.get("cases", [])) * len(data.get("checks", []))
            self.statuses = {}
            self._line(self._bar())
        elif kind == "check":  # a check may come twice: the report's word after the live one
            self.statuses[(data["case"], data["check"], data["transform"])] = data["status"]
            self.done = len(self.statuses)
            self.failed = sum(status != "passed" for status in self.statuses.values())
            if self.tty:
                self._line(self._bar())
        elif kind == "verdict":
            if not self.tty and self.done:
                self._line(self._bar())
            if self.tty:
                self.stream.write("\r\033[K")
                self.stream.flush()

    def _bar(self, width=30):
        filled = int(width * self.done / self.total) if self.total else 0
        return (f"judging [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} checks"
                + (f", {self.failed} failed" if self.failed else ""))

    def _line(self, text):
        if text == self._last:
            return
        self._last = text
        if self.tty:
            self.stream.write("\r\033[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _fail(message):
    """Exit status 2: the client or the server failed (1 is a verdict other than ACCEPTED)."""
    print(f"jaxjudge: {message}", file=sys.stderr)
    raise SystemExit(2)


def cmd_submit(args):
    """jaxjudge submit PROBLEM FILE [--run] [--show-hidden] [--server URL]: exit 0 only on ACCEPTED, 1 on another
    verdict, 2 when it could not be judged (a refusal, the server out of reach)."""
    try:
        source = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {args.file}: {error}")
    try:
        with Judge(args.server) as judge:
            result = judge.submit(args.problem, source, run=args.run, on_event=TerminalProgress(), show=False,
                                  show_hidden=args.show_hidden)
    except ClientError as error:
        _fail(error)
    sys.stdout.write(str(result))
    print(f"\n{result.url}")
    return 0 if result.accepted else 1


def cmd_login(args):
    """jaxjudge login [--server URL] [--username U]: asks for the password (or reads it from stdin when
    that is not a terminal) and stores the token."""
    import getpass

    username = args.username or input("Username: ")
    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        with Judge(args.server) as judge:
            judge.login(username, password)
    except ClientError as error:
        _fail(error)
    print(f"Signed in to {judge.server} as {username}; the token is in {credentials_path()}")
    return 0
