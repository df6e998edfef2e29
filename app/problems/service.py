"""Problems: packages in, immutable versions, visibility, statistics, hints, solutions, validation.

Functions flush and never commit: the request or command that calls them commits.
"""

import hashlib
import io
import logging
import tomllib
import zipfile
import zlib

import grader
from pydantic import BaseModel
from sqlalchemy import case, func, select

from ..db import json_safe, restore_nonfinite
from ..errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ServiceUnavailable, Unprocessable
from ..models import (HintReveal, Problem, ProblemVersion, SolutionView, Submission, SubmissionMode,
                      SubmissionStatus)
from ..queue import QUEUED, RUNNING, announce_new_submissions, queued_count
from .schemas import LIMIT_BOUNDS

log = logging.getLogger("jaxjudge.problems")
MAX_ZIP_BYTES = 8 << 20
MAX_UNZIPPED_BYTES = 16 << 20
_ZIP_CHUNK_BYTES = 64 << 10
# Slugs that name an API route where a slug could stand (POST /api/admin/problems/import).
RESERVED_SLUGS = frozenset({"import"})


def package_digest(files):
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def import_package(session, *, files, origin="package"):
    """Store a package as the problem's new current version (a new problem if the slug is new).

    Returns (problem, version, changed); an identical package adds no version."""
    try:
        checked = grader.problem_from_files(files, origin=origin)
    except grader.ProblemError as error:
        raise Unprocessable(str(error)) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        # A package the grader's checks did not foresee (e.g. `[tolerance] float32 = 5`): the grader's bug
        # to mend, logged as one, but the answer to the author is still "this package is wrong".
        log.exception("%s: the grader's package check raised instead of refusing", origin)
        raise Unprocessable(f"{origin}: the package could not be read ({type(error).__name__}: {error})") from None
    if checked.slug in RESERVED_SLUGS:
        raise Unprocessable(f"{origin}: the slug {checked.slug!r} is reserved (it names an API route)")
    try:
        texts = {name: data.decode("utf-8") for name, data in files.items()}
    except UnicodeDecodeError:
        raise Unprocessable(f"{origin}: every file of a package must be UTF-8 text") from None
    for name, text in [*texts.items(), ("problem.toml: title", checked.title)]:
        if "\0" in text:  # PostgreSQL's text type cannot hold one; SQLite would, so both refuse it
            raise Unprocessable(f"{origin}/{name}: contains a NUL byte")
    for name, bound in LIMIT_BOUNDS.items():
        if getattr(checked.limits, name) > bound:
            raise Unprocessable(f"{origin}/problem.toml: limits.{name} is over its bound of {bound}")
    digest = package_digest(files)
    problem = session.scalar(select(Problem).where(Problem.slug == checked.slug))
    if problem is None:
        problem = Problem(slug=checked.slug, title=checked.title, difficulty=checked.difficulty,
                          tags=list(checked.tags), prerequisites=list(checked.prerequisites), published=False)
        session.add(problem)
        session.flush()
    elif problem.current_version is not None and problem.current_version.digest == digest:
        return problem, problem.current_version, False
    number = 1 + (session.scalar(select(func.max(ProblemVersion.number))
                                 .where(ProblemVersion.problem_id == problem.id)) or 0)
    version = ProblemVersion(
        problem_id=problem.id, number=number, files=texts,
        statement=checked.statement, hints=list(checked.hints), starter=checked.starter,
        reference=checked.reference.decode(), cases=json_safe([c.to_json() for c in checked.cases]),
        limits={"wall_time_s": checked.limits.wall_time_s, "cpu_time_s": checked.limits.cpu_time_s,
                "memory_mb": checked.limits.memory_mb},
        examples=[{"name": e.name, "expected": e.expected.value} for e in checked.examples],
        device=checked.device, digest=digest)
    session.add(version)
    session.flush()
    problem.title, problem.difficulty, problem.tags = checked.title, checked.difficulty, list(checked.tags)
    problem.prerequisites = list(checked.prerequisites)
    problem.current_version_id = version.id
    session.flush()
    return problem, version, True


def files_from_zip(data):
    """{path: bytes} of an uploaded package zip; a single top folder is stripped."""
    if len(data) > MAX_ZIP_BYTES:
        raise PayloadTooLarge(f"The zip is over {MAX_ZIP_BYTES >> 20} MiB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:  # a zip bomb stops here, unread
            raise PayloadTooLarge(f"The package unpacks to over {MAX_UNZIPPED_BYTES >> 20} MiB.")
        names = [i.filename for i in infos]
        tops = {n.split("/", 1)[0] for n in names}
        strip = len(tops) == 1 and all("/" in n for n in names)
        files, unpacked = {}, 0
        for info in infos:
            name = info.filename.split("/", 1)[1] if strip else info.filename
            if name.startswith("/") or ".." in name.split("/"):
                raise Unprocessable(f"unsafe path in zip: {info.filename!r}")
            if not grader.problem.is_package_file(name):  # anything else (READMEs, caches) is left out
                continue
            # The sizes above are what the zip says. The bytes are counted as they come out, in chunks:
            # archive.read() inflates with a 2 GiB output bound, so one lying entry cost +2 GiB at once.
            chunks = []
            with archive.open(info) as entry:
                while chunk := entry.read(_ZIP_CHUNK_BYTES):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNZIPPED_BYTES:
                        raise PayloadTooLarge(f"The package unpacks to over {MAX_UNZIPPED_BYTES >> 20} MiB.")
                    chunks.append(chunk)
            files[name] = b"".join(chunks)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, KeyError,
            ValueError, zlib.error) as error:  # RuntimeError: an encrypted entry
        raise Unprocessable(f"not a readable zip: {error}") from None
    return files


MODEL_TABLES = ("checks", "rules", "groups", "checker")  # ProblemIn carries them as problem.toml has them


def files_from_fields(fields):
    """A package ({path: bytes}) from a ProblemIn."""
    meta = {"slug": fields.slug, "title": fields.title, "difficulty": fields.difficulty, "tags": fields.tags,
            "prerequisites": fields.prerequisites, "device": fields.device, "hints": fields.hints, "entry": fields.entry.model_dump()}
    tables = {"limits": fields.limits.model_dump(),
              "tolerance": {key: spec.model_dump() if isinstance(spec, BaseModel) else
                            {dtype: inner.model_dump() for dtype, inner in spec.items()}
                            for key, spec in fields.tolerance.items()},
              "wrong_answer_hints": fields.wrong_answer_hints}
    meta.update({name: table for name, table in tables.items() if table})
    meta.update({name: getattr(fields, name) for name in MODEL_TABLES if getattr(fields, name) is not None})
    # JSON has no NaN or infinity: case values may spell them "nan", "inf", "-inf".
    meta["cases"] = [{k: restore_nonfinite(v) if k == "args" else v for k, v in case.items()}
                     for case in fields.cases]
    try:
        toml = grader.problem.dump_toml(meta)
    except grader.ProblemError as error:
        raise Unprocessable(str(error)) from None
    files = {"problem.toml": toml.encode(), "statement.md": fields.statement.encode(),
             "starter.py": fields.starter.encode(), "reference.py": fields.reference.encode()}
    if fields.checker_source is not None:
        files["checker.py"] = fields.checker_source.encode()
    for example in fields.examples:
        name = example.name if example.name.endswith(".py") else example.name + ".py"
        files[f"submissions/{example.expected}/{name}"] = example.source.encode()
    return files


def fields_of_version(version):
    """The current version as ProblemIn fields (the inverse of files_from_fields): what the authoring page
    edits and GET /api/admin/problems/{slug} returns, ready to change and PUT back."""
    meta = tomllib.loads(version.files["problem.toml"])
    examples = [{"name": e["name"].rsplit("/", 1)[-1].removesuffix(".py"), "expected": e["expected"].lower(),
                 "source": version.files[e["name"]]} for e in version.examples]
    return json_safe({
        "slug": meta["slug"], "title": meta["title"], "difficulty": meta["difficulty"],
        "tags": meta.get("tags", []), "prerequisites": meta.get("prerequisites", []),
        "device": meta.get("device", "any"), "hints": meta.get("hints", []),
        "entry": meta["entry"], "limits": meta.get("limits", {}), "tolerance": meta.get("tolerance", {}),
        "wrong_answer_hints": meta.get("wrong_answer_hints", {}), "cases": meta["cases"],
        "statement": version.statement, "starter": version.starter, "reference": version.reference,
        "examples": examples, **{name: meta[name] for name in MODEL_TABLES if name in meta},
        **({"checker_source": version.files["checker.py"]} if "checker.py" in version.files else {})})


def get_problem(session, *, slug, user):
    """The problem, if it exists and this user may see it (published, or an admin); else 404."""
    problem = session.scalar(select(Problem).where(Problem.slug == slug))
    if problem is None or problem.current_version is None or not (problem.published or (user and user.is_admin)):
        raise NotFound(f"No problem {slug!r}.")
    return problem


def _stats(session, problem_ids):
    judged = (Submission.status == SubmissionStatus.JUDGED.value) & (Submission.mode == SubmissionMode.SUBMIT.value)
    rows = session.execute(
        select(Submission.problem_id, func.count(), func.sum(case((Submission.verdict == "ACCEPTED", 1), else_=0)))
        .where(judged, Submission.problem_id.in_(problem_ids)).group_by(Submission.problem_id))
    return {pid: (total, accepted or 0) for pid, total, accepted in rows}


def _marks(session, user, problem_ids):
    if user is None:
        return {}
    # Solved: an ACCEPTED Submit. A Run judges only the samples, so passing it solves nothing (issue 16:
    # a passing Run showed "You solved it" and the reference solution).
    accepted_submit = (Submission.verdict == "ACCEPTED") & (Submission.mode == SubmissionMode.SUBMIT.value)
    rows = session.execute(
        select(Submission.problem_id, func.max(case((accepted_submit, 1), else_=0)))
        .where(Submission.user_id == user.id, Submission.problem_id.in_(problem_ids),
               Submission.mode != SubmissionMode.VALIDATE.value)
        .group_by(Submission.problem_id))
    return {pid: bool(solved) for pid, solved in rows}


def summaries(session, *, problems, user):
    ids = [p.id for p in problems]
    stats, marks = _stats(session, ids), _marks(session, user, ids)
    out = []
    for p in problems:
        total, accepted = stats.get(p.id, (0, 0))
        out.append({"slug": p.slug, "title": p.title, "difficulty": p.difficulty, "tags": p.tags,
                    "prerequisites": p.prerequisites, "published": p.published, "submissions": total,
                    "acceptance_rate": round(accepted / total, 4) if total else None,
                    "solved": marks.get(p.id, False) if user else None,
                    "attempted": (p.id in marks) if user else None})
    return out


def list_problems(session, *, user, include_drafts=False):
    """The problems in the suggested order (`suggested_order`)."""
    query = select(Problem).where(Problem.current_version_id.is_not(None)).order_by(Problem.id)
    if not include_drafts:
        query = query.where(Problem.published.is_(True))
    return summaries(session, problems=suggested_order(session.scalars(query).all()), user=user)


def suggested_order(problems):
    """Each problem after the listed ones it names as prerequisites, and otherwise easiest first, then
    oldest first. A prerequisite that is not listed (unpublished, say) orders nothing; in a cycle, the
    problem reached first goes first."""
    rank = {d: i for i, d in enumerate(grader.problem.DIFFICULTIES)}
    pending = sorted(problems, key=lambda p: (rank.get(p.difficulty, len(rank)), p.id))
    by_slug = {p.slug: p for p in pending}
    placed, order = set(), []

    def place(problem, path):
        if problem.slug in placed or problem.slug in path:
            return
        for slug in problem.prerequisites:
            if slug in by_slug:
                place(by_slug[slug], path | {problem.slug})
        placed.add(problem.slug)
        order.append(problem)

    for problem in pending:
        place(problem, frozenset())
    return order


def grader_problem(version):
    return grader.problem_from_files({k: v.encode() for k, v in version.files.items()},
                                     origin=f"{version.problem.slug} v{version.number}")


def problem_detail(session, *, problem, user):
    version = problem.current_version
    checked = grader_problem(version)
    detail = summaries(session, problems=[problem], user=user)[0]
    detail.update(statement=version.statement, signature=checked.entry.signature, entry_point=checked.entry.name,
                  starter=version.starter, samples=grader.describe_samples(checked), limits=version.limits,
                  device=version.device, version=version.number, hints_total=len(version.hints),
                  hints_revealed=revealed_hints(session, user=user, problem=problem) if user else [])
    return detail


def _reveal_row(session, user, problem):
    return session.scalar(select(HintReveal).where(HintReveal.user_id == user.id,
                                                   HintReveal.problem_id == problem.id))


def revealed_hints(session, *, user, problem):
    row = _reveal_row(session, user, problem)
    return list(problem.current_version.hints[: row.revealed if row else 0])


def reveal_next_hint(session, *, user, problem):
    hints = problem.current_version.hints
    row = _reveal_row(session, user, problem)
    if row is None:
        row = HintReveal(user_id=user.id, problem_id=problem.id, revealed=0)
        session.add(row)
    row.revealed = min(len(hints), row.revealed + 1)
    session.flush()
    return list(hints[: row.revealed])


def has_accepted(session, *, user, problem):
    return session.scalar(select(Submission.id).where(
        Submission.user_id == user.id, Submission.problem_id == problem.id, Submission.verdict == "ACCEPTED",
        Submission.mode == SubmissionMode.SUBMIT.value).limit(1)) is not None


def solution(session, *, user, problem, ask):
    """The reference solution: for a user with an ACCEPTED submission, or who asks for it (recorded)."""
    if has_accepted(session, user=user, problem=problem):
        return {"source": problem.current_version.reference, "reason": "accepted"}
    viewed = session.scalar(select(SolutionView).where(SolutionView.user_id == user.id,
                                                       SolutionView.problem_id == problem.id))
    if viewed is None and not ask:
        raise Forbidden("Solve the problem first, or ask for the solution with POST (it is recorded).")
    if viewed is None:
        session.add(SolutionView(user_id=user.id, problem_id=problem.id))
        session.flush()
    return {"source": problem.current_version.reference, "reason": "asked"}


def start_validation(session, *, admin, problem, max_queue):
    """Queue the reference and every example of the current version; returns the matrix so far.

    One validation of a version at a time: while one is queued or running, asking again returns its
    matrix and queues nothing (28 requests once queued 597 jobs)."""
    version = problem.current_version
    # On PostgreSQL, two requests at once must not both see "none running": the version's row is the
    # lock. SQLite serialises writers anyway (and has no FOR UPDATE).
    session.execute(select(ProblemVersion.id).where(ProblemVersion.id == version.id).with_for_update())
    in_flight = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.problem_version_id == version.id, Submission.mode == SubmissionMode.VALIDATE.value,
        Submission.status.in_((QUEUED, RUNNING))))
    if in_flight:
        return validation_matrix(session, problem=problem)
    entries = [("reference.py", "ACCEPTED", version.reference)]
    entries += [(e["name"], e["expected"], version.files[e["name"]]) for e in version.examples]
    if queued_count(session) + len(entries) > max_queue:
        raise ServiceUnavailable("The judging queue is full; validate again shortly.", retry_after_s=30)
    for name, expected, source in entries:
        session.add(Submission(user_id=admin.id, problem_id=problem.id, problem_version_id=version.id,
                               source=source, mode=SubmissionMode.VALIDATE.value, example_name=name,
                               expected_verdict=expected, requires_gpu=version.device == "gpu",
                               show_hidden=True))  # why an example failed a hidden case, for its author
    announce_new_submissions(session)
    session.flush()
    return validation_matrix(session, problem=problem)


def validation_matrix(session, *, problem):
    """The latest validation of the current version: one row per example, newest run."""
    version = problem.current_version
    rows = session.scalars(select(Submission).where(
        Submission.problem_version_id == version.id, Submission.mode == SubmissionMode.VALIDATE.value)
        .order_by(Submission.id.desc())).all()
    latest = {}
    for row in rows:
        latest.setdefault(row.example_name, row)
    out = [{"submission_id": s.id, "example": name, "expected": s.expected_verdict, "verdict": s.verdict,
            "status": s.status, "ok": (s.verdict == s.expected_verdict) if s.verdict else None}
           for name, s in sorted(latest.items())]
    expected_names = {"reference.py"} | {e["name"] for e in version.examples}
    complete = expected_names <= set(latest) and all(r["verdict"] for r in out)
    return {"slug": problem.slug, "version": version.number, "complete": complete,
            "passed": complete and all(r["ok"] for r in out), "rows": out}


def set_published(session, *, problem, published):
    if published:
        matrix = validation_matrix(session, problem=problem)
        if not matrix["passed"]:
            failing = [r["example"] for r in matrix["rows"] if r["ok"] is False]
            why = (f"examples with the wrong verdict: {', '.join(failing)}" if failing else
                   "validation has not run to completion on the current version (POST …/validate)")
            raise Conflict(f"Publishing is refused until validation passes: {why}.")
    problem.published = published
    session.flush()
    return problem
