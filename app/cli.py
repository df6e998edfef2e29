"""jaxjudge serve | worker | db | create-admin | set-role | problems | sets | rejudge"""

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

import grader

from . import migrate
from .config import ConfigurationError, Settings
from .db import make_session_factories
from .models import Problem
from .problems import service as problems
from .progress import ProgressHub
from .queue import Wakeup
from .submissions import service as submissions
from .users import service as users

log = logging.getLogger("jaxjudge")


def _database(settings, workers=0):
    """(sessions that write, sessions that read), with connections for the API and `workers` embedded
    workers. The embedded default (SQLite) migrates itself; with PostgreSQL, migrations are one explicit
    step (`jaxjudge db upgrade`) so that many workers never race to apply them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        migrate.upgrade(settings.resolved_database_url())
    return make_session_factories(settings.resolved_database_url(), pool_size=settings.pool_size_for(workers),
                                  wait_s=settings.db_wait_s)


def import_problem_dirs(session_factory, dirs, *, publish, only_missing=False):
    """Import package folders; `only_missing` skips slugs already stored (serve's start-up)."""
    results = []
    with session_factory() as session:
        for directory in dirs:
            files = grader.read_package(directory)
            slug = grader.problem_from_files(files, Path(directory).name, origin=str(directory)).slug
            if only_missing and session.query(Problem.id).filter_by(slug=slug).first():
                continue
            problem, version, changed = problems.import_package(session, files=files, origin=str(directory))
            if publish and not problem.published:
                # Packages in the repository are validated by its test suite (`grader validate`).
                problem.published = True
            results.append((problem.slug, version.number, changed))
        session.commit()
    return results


def package_dirs(root):
    return sorted(p for p in Path(root).iterdir() if (p / "problem.toml").is_file()) if Path(root).is_dir() else []


def uvicorn_options(settings):
    """How uvicorn treats proxy headers: only from JAXJUDGE_TRUSTED_PROXIES. Left alone, uvicorn takes
    X-Forwarded-For from 127.0.0.1 as the client's address, so any client of a server without a proxy in
    front, or anything on the same host, could name a fresh address for every sign-in guess."""
    proxies = settings.trusted_proxies
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else ""}


def cmd_serve(args, settings):
    import uvicorn

    from .api import create_app
    from .worker import start_embedded_workers

    if not settings.is_sqlite:  # _database migrates the embedded default itself
        migrate.upgrade(settings.resolved_database_url())
    session_factory, read_session_factory = _database(settings, workers=args.workers)
    imported = import_problem_dirs(session_factory, package_dirs(settings.problems_dir), publish=True,
                                   only_missing=True)
    for slug, version, _ in imported:
        log.info("imported %s (version %d)", slug, version)
    wakeup, stop, progress_hub = Wakeup(), threading.Event(), ProgressHub()
    app = create_app(settings=settings, session_factory=session_factory,
                     read_session_factory=read_session_factory, wakeup=wakeup, progress_hub=progress_hub)
    workers = start_embedded_workers(args.workers, session_factory=session_factory, settings=settings,
                                     wakeup=wakeup, stop=stop, progress_hub=progress_hub)
    print(f"jaxjudge on http://{args.host}:{args.port}  (API docs: /docs; {args.workers} embedded workers; "
          f"database: {settings.resolved_database_url().split('@')[-1]})", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", **uvicorn_options(settings))
    finally:
        # Let each worker store the submission in hand and discard its warm sandboxes before we exit.
        stop.set()
        wakeup.notify()
        for thread in workers:
            thread.join(timeout=60)


def cmd_worker(args, settings):
    from .worker import Worker

    session_factory, _ = _database(settings)
    stop = threading.Event()

    def _stop(signum, _frame):
        # The submission in hand is finished and stored; then the loop ends.
        log.info("signal %d: finishing the current submission, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Worker(session_factory=session_factory, settings=settings, device=args.device).run(stop)


def cmd_db(args, settings):
    url = settings.resolved_database_url()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if args.action == "upgrade":
        migrate.upgrade(url, args.revision or "head")
    else:
        migrate.downgrade(url, args.revision or "-1")
    print(f"database {args.action}d")


def cmd_create_admin(args, settings):
    from pydantic import ValidationError

    from .users.schemas import RegisterIn

    try:  # the rules of sign-up, so that the admin can sign in (sign-in refuses longer passwords)
        RegisterIn(username=args.username, password=args.password)
    except ValidationError as error:
        sys.exit("jaxjudge: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors()))
    session_factory, _ = _database(settings)
    with session_factory() as session:
        user = users.set_admin(session, username=args.username, password=args.password)
        session.commit()
        print(f"admin {user.username} (id {user.id})")


def cmd_problems(args, settings):
    session_factory, _ = _database(settings)
    if args.action == "import":
        for slug, version, changed in import_problem_dirs(session_factory, args.dirs, publish=not args.draft):
            print(f"{slug}: version {version}{'' if changed else ' (unchanged)'}")
        return
    with session_factory() as session:
        problem = session.query(Problem).filter_by(slug=args.slug).first()
        if problem is None or problem.current_version is None:
            sys.exit(f"no problem {args.slug!r}")
        target = Path(args.dir)
        for name, text in problem.current_version.files.items():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        print(f"{args.slug} version {problem.current_version.number} → {target}")


def cmd_set_role(args, settings):
    from .models import User

    session_factory, _ = _database(settings)
    with session_factory() as session:
        user = session.query(User).filter_by(username_key=args.username.lower()).first()
        if user is None:
            sys.exit(f"jaxjudge: no user {args.username!r}")
        user.role = args.role
        session.commit()
        print(f"{user.username}: {user.role}")


def _iso_datetime(text):
    import datetime as dt

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset: write it as UTC (…Z or +00:00) or with one")
    return value


def cmd_sets(args, settings):
    import json

    from pydantic import ValidationError

    from .errors import AppError
    from .models import ProblemSet
    from .sets import service as sets
    from .sets.schemas import ProblemSetIn

    session_factory, _ = _database(settings)
    with session_factory() as session:
        try:
            if args.action == "create":
                slugs = [s for s in args.problems.split(",") if s]
                points = [int(p) for p in args.points.split(",")] if args.points else [1] * len(slugs)
                if len(points) != len(slugs):
                    sys.exit("jaxjudge: --points needs one number per problem")
                fields = ProblemSetIn(slug=args.slug, title=args.title, description=args.description,
                                      problems=[{"problem": s, "points": p} for s, p in zip(slugs, points)],
                                      opens_at=args.opens, closes_at=args.closes, late_policy=args.late_policy,
                                      late_penalty_percent=args.late_penalty, scoreboard=args.scoreboard,
                                      hidden_details=args.hidden_details)
                problem_set = sets.create_set(session, creator=None, fields=fields)
                session.commit()
                print(f"{problem_set.slug}: {len(slugs)} problems, invite code {problem_set.invite_code}")
                return
            problem_set = session.query(ProblemSet).filter_by(slug=args.slug).first()
            if problem_set is None:
                sys.exit(f"jaxjudge: no problem set {args.slug!r}")
            if args.action == "enroll":
                rows = sets.enroll(session, problem_set=problem_set, usernames=args.usernames, role=args.role)
                session.commit()
                print(f"{problem_set.slug}: {len(rows)} enrolled as {args.role}")
            elif args.format == "json":
                print(json.dumps(sets.grades(session, problem_set=problem_set), indent=2))
            else:
                sys.stdout.write(sets.grades_csv(session, problem_set=problem_set))
        except ValidationError as error:
            sys.exit("jaxjudge: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
        except AppError as error:
            sys.exit(f"jaxjudge: {error.detail}")


def cmd_rejudge(args, settings):
    session_factory, _ = _database(settings)
    with session_factory() as session:
        if args.problem:
            problem = session.query(Problem).filter_by(slug=args.problem).first()
            if problem is None:
                sys.exit(f"no problem {args.problem!r}")
            ids = submissions.problem_submission_ids(session, problem=problem)
        else:
            ids = args.submission
        count = submissions.rejudge(session, submission_ids=ids)
        session.commit()
    print(f"{count} submissions queued again")


def build_parser():
    parser = argparse.ArgumentParser(prog="jaxjudge", description="An online judge for JAX.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="the API and pages, with embedded workers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="embedded workers (0: API only)")
    serve.set_defaults(run=cmd_serve)
    worker = commands.add_parser("worker", help="a standalone worker against DATABASE_URL")
    worker.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    worker.set_defaults(run=cmd_worker)
    db = commands.add_parser("db", help="apply or roll back migrations")
    db.add_argument("action", choices=("upgrade", "downgrade"))
    db.add_argument("revision", nargs="?", help="default: head for upgrade, -1 for downgrade")
    db.set_defaults(run=cmd_db)
    admin = commands.add_parser("create-admin", help="create an admin, or make a user admin")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    admin.set_defaults(run=cmd_create_admin)
    probs = commands.add_parser("problems", help="import or export problem packages")
    actions = probs.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="store package folders (a new version when changed)")
    imp.add_argument("dirs", nargs="+", type=Path)
    imp.add_argument("--draft", action="store_true", help="do not publish")
    exp = actions.add_parser("export", help="write a problem's current version as a package folder")
    exp.add_argument("slug")
    exp.add_argument("dir", type=Path)
    probs.set_defaults(run=cmd_problems)
    role = commands.add_parser("set-role", help="make a user course staff, an admin, or a plain user")
    role.add_argument("username")
    role.add_argument("role", choices=("user", "staff", "admin"))
    role.set_defaults(run=cmd_set_role)
    psets = commands.add_parser("sets", help="problem sets (courses): create, enroll, export grades")
    set_actions = psets.add_subparsers(dest="action", required=True)
    create = set_actions.add_parser("create", help="a new set of published problems with a window")
    create.add_argument("slug")
    create.add_argument("--title", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--problems", required=True, help="problem slugs in order, comma-separated")
    create.add_argument("--points", help="points per problem, comma-separated (default: 1 each)")
    create.add_argument("--opens", required=True, type=_iso_datetime, help="ISO 8601 with an offset")
    create.add_argument("--closes", required=True, type=_iso_datetime, help="ISO 8601 with an offset")
    create.add_argument("--late-policy", choices=("not_counted", "penalty"), default="not_counted")
    create.add_argument("--late-penalty", type=int, default=0, help="percent off a late ACCEPTED")
    create.add_argument("--scoreboard", choices=("public", "enrolled"), default="enrolled")
    create.add_argument("--hidden-details", choices=("never", "after_close"), default="never")
    enroll = set_actions.add_parser("enroll", help="enroll users by username")
    enroll.add_argument("slug")
    enroll.add_argument("usernames", nargs="+")
    enroll.add_argument("--role", choices=("student", "staff"), default="student")
    export = set_actions.add_parser("export", help="the grades, to stdout")
    export.add_argument("slug")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    psets.set_defaults(run=cmd_sets)
    rejudge = commands.add_parser("rejudge", help="queue submissions again")
    group = rejudge.add_mutually_exclusive_group(required=True)
    group.add_argument("--submission", type=int, nargs="+")
    group.add_argument("--problem")
    rejudge.set_defaults(run=cmd_rejudge)
    # The client: talks to a server over HTTP, needs no database, data folder or secret of its own.
    submit = commands.add_parser("submit", help="judge a file on a server, with the verdict table live")
    submit.add_argument("problem", help="the problem's slug, e.g. clip-passthrough")
    submit.add_argument("file", type=Path)
    submit.add_argument("--run", action="store_true", help="the sample cases only, with full feedback")
    submit.add_argument("--show-hidden", action="store_true",
                        help="admins only: show hidden cases' inputs, expected and got, like samples")
    submit.add_argument("--server", help="default: JAXJUDGE_SERVER, else the one logged in to last")
    submit.set_defaults(client=client_command("cmd_submit"))
    login = commands.add_parser("login", help="sign in to a server and store the token (mode 600)")
    login.add_argument("--server", help="default: JAXJUDGE_SERVER, else http://127.0.0.1:8000")
    login.add_argument("--username")
    login.set_defaults(client=client_command("cmd_login"))
    return parser


def client_command(name):
    def run(args):
        from . import client

        return getattr(client, name)(args)

    return run


def main(argv=None):
    args = build_parser().parse_args(argv)
    if getattr(args, "client", None):
        sys.exit(args.client(args))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
        settings.resolved_secret_key()  # refuse to start with a missing or example secret
        args.run(args, settings)
    except ConfigurationError as error:
        sys.exit(f"jaxjudge: {error}")
    except grader.ProblemError as error:
        sys.exit(f"jaxjudge: {error}")


if __name__ == "__main__":
    main()
