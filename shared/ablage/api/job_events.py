"""``GET {prefix}/jobs/{id}/events``: a job's progress as Server-Sent Events (sse-starlette).

One ``page`` event per page done (``id`` = pages done), a ``status`` event first and on every change of status,
and ``end`` (``id: end``) when the job has finished, after which the stream closes. Workers notify on every
change, here or through Redis from other replicas; the job's row is read again at least every two seconds, so a
lost notice delays an event but loses none. ``Last-Event-ID: N`` resumes after page N: the events are made from
the row's state, so no event log is needed to replay them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

from ablage.api.job_view import JobView, job_view
from ablage.api.state import AppState
from ablage.db.models import Job

_REREAD_EVERY = 2.0
_PING_EVERY = 15


def _resume_point(last_event_id: str | None) -> int | None:
    """Pages already delivered; None after ``end`` (the stream then repeats only the end)."""
    if last_event_id is None:
        return 0
    if last_event_id.strip() == "end":
        return None
    try:
        return max(0, int(last_event_id))
    except ValueError:
        return 0


def _view(job: Job, prefix: str) -> str:
    view: JobView = job_view(job, prefix)
    return view.model_dump_json()


async def _events(
    state: AppState, job: Job, tenant: str, prefix: str, last_event_id: str | None
) -> AsyncIterator[ServerSentEvent]:
    resumed = _resume_point(last_event_id)
    if resumed is None and job.finished:
        yield ServerSentEvent(_view(job, prefix), event="end", id="end")
        return
    sent = resumed or 0
    yield ServerSentEvent(_view(job, prefix), event="status")
    status = job.status
    while True:
        total = len(job.pages)
        for done in range(sent + 1, min(job.pages_done, total) + 1):
            page = {"job": job.id, "page_number": job.pages[done - 1], "pages_done": done, "pages_total": total}
            yield ServerSentEvent(json.dumps(page), event="page", id=str(done))
            sent = done
        if job.finished:
            yield ServerSentEvent(_view(job, prefix), event="end", id="end")
            return
        if job.status is not status:
            status = job.status
            yield ServerSentEvent(_view(job, prefix), event="status")
        await state.backends.waiters.wait(job.id, _REREAD_EVERY)
        job = await anyio.to_thread.run_sync(state.jobs.get, job.id, tenant)


def job_events(state: AppState, job: Job, tenant: str, prefix: str, last_event_id: str | None) -> EventSourceResponse:
    return EventSourceResponse(
        _events(state, job, tenant, prefix, last_event_id),
        ping=_PING_EVERY,
        # Proxies (nginx) must pass each event on at once rather than buffer the stream.
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
