"""The event stream of one submission (GET /api/submissions/{id}/events), as server-sent events.

Each poll reads the database on a worker thread with a session of its own, held for that one query: an
open stream holds no connection, no thread and no database turn while it waits. The wait is the
`ProgressHub`'s (rung by a worker in this process) or `POLL_S`, whichever comes first.
"""

import json

import anyio
import anyio.to_thread

from .. import progress
from ..deps import MAX_ID
from ..errors import NotFound, Unprocessable
from ..models import Submission

# Polls of all open streams of this process share these many threads (and connections) at a time.
STREAM_POLL_CONCURRENCY = 4


def parse_last_event_id(value):
    """The `Last-Event-ID` a reconnecting client sends: an event id we gave, so 0 … MAX_ID."""
    if value is None or value.strip() == "":
        return 0
    value = value.strip()
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise Unprocessable(f"Last-Event-ID must be an event id (an integer from 0 to {MAX_ID}).")
    return int(value)


def check_may_stream(session, *, user, submission_id):
    """Owner and admins only; anyone else, and a missing id, get the same 404."""
    submission = session.get(Submission, submission_id)
    if submission is None or not (user.is_admin or submission.user_id == user.id):
        raise NotFound(f"No submission {submission_id}.")


def _limiter(app):
    if getattr(app.state, "stream_poll_limiter", None) is None:
        app.state.stream_poll_limiter = anyio.CapacityLimiter(STREAM_POLL_CONCURRENCY)
    return app.state.stream_poll_limiter


async def submission_events(app, *, submission_id, after_id):
    """Events until the verdict: `queued` {position} while waiting (again when it changes), `running`
    {attempt}, one `check` per check, then `verdict` {verdict, summary, report}, after which the stream
    ends. Stored events carry their id; a client that reconnects with it as Last-Event-ID gets the rest."""
    hub, factory, limiter = app.state.progress, app.state.read_session_factory, _limiter(app)
    sent_position, position_asked_at = None, -progress.POSITION_POLL_S

    def poll(with_position):
        with factory() as session:
            return progress.poll(session, submission_id=submission_id, after_id=after_id,
                                 with_position=with_position)

    app.state.open_streams = getattr(app.state, "open_streams", 0) + 1
    try:
        while True:
            now = anyio.current_time()
            with_position = now - position_asked_at >= progress.POSITION_POLL_S
            status, position, events, verdict, more = await anyio.to_thread.run_sync(
                poll, with_position, limiter=limiter)
            if with_position:
                position_asked_at = now
            if position is not None and position != sent_position:
                sent_position = position
                yield {"event": "queued", "data": json.dumps({"status": status, "position": position})}
            for event_id, kind, data in events:
                after_id = event_id
                yield {"event": kind, "id": str(event_id), "data": json.dumps(data)}
            if verdict is not None:
                yield {"event": "verdict", "data": json.dumps(verdict)}
                return
            if not more:
                await hub.wait(submission_id, progress.POLL_S)
    finally:
        app.state.open_streams -= 1
