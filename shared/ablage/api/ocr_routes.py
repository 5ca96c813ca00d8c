"""The v1 OCR contract, mounted once per service prefix (``/api/v1/cpu``, ``/api/v1/ocr``)."""

from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from ablage.api.auth import CallerDep
from ablage.api.engine_view import engine_view
from ablage.api.job_events import job_events
from ablage.api.job_view import JobAccepted, JobList, JobView, job_links, job_view
from ablage.api.problems import problem_response
from ablage.api.responses import LOCATION, Responses, problem, problems
from ablage.api.state import AppState, StateDep
from ablage.api.system_views import EngineList
from ablage.api.upload_form import MAX_IDEMPOTENCY_KEY, check_form, request_body
from ablage.api.uploads import receive_upload
from ablage.engines.base import EngineInput
from ablage.errors import BadRequest
from ablage.jobs.routes import ServiceRoute
from ablage.jobs.service import Submission
from ablage.results.model import OcrResult
from ablage.results.page_preview import PREVIEW_WIDTHS
from ablage.results.render import ARTIFACTS, ResultFormat

_ACCEPTED: dict[str, Any] = {
    "model": JobAccepted,
    "description": "Accepted: poll `Location` for the status",
    "headers": {
        "Location": LOCATION,
        "Idempotent-Replayed": {
            "description": "present when an earlier request with this Idempotency-Key created the job",
            "schema": {"type": "string", "enum": ["true"]},
        },
    },
}
_UPLOAD_PROBLEMS: Responses = problems(400, 401, 413, 415, 429, 500, 503) | problem(
    422,
    "An engine, language or page this service cannot provide, an Idempotency-Key used for another request, or "
    "a document that is encrypted, corrupt, or has too many pages or pixels",
)
_JOB_PROBLEMS: Responses = problems(401, 404, 429, 500, 503)


def _result_content() -> dict[str, Any]:
    """Each format's media type (without parameters such as charset) with the schema of its body."""
    content: dict[str, Any] = {}
    for fmt, artifact in ARTIFACTS.items():
        media_type = artifact.media_type.split(";")[0]
        if fmt is ResultFormat.json:
            continue  # FastAPI fills it from the model
        schema: dict[str, Any] = {"type": "string"}
        if fmt is ResultFormat.pdf:
            schema["contentMediaType"] = media_type
        content[media_type] = {"schema": schema}
    return content


_RESULT_CONTENT = _result_content()

# One event of the stream, as OpenAPI 3.2 describes Server-Sent Events: `data` is JSON (a JobView for `status`
# and `end`, the page counts for `page`).
_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["status", "page", "end"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
    "required": ["event", "data"],
}


async def _submit(request: Request, state: AppState, route: ServiceRoute, tenant: str) -> Submission:
    settings = state.settings
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
    upload, form = await receive_upload(request, settings.upload.max_upload_size, settings.upload_tmp_dir)
    try:
        check_form(form)
        return await anyio.to_thread.run_sync(state.jobs.submit, upload, form, route, tenant, key)
    finally:
        upload.path.unlink(missing_ok=True)


def _accepted(submission: Submission, prefix: str) -> JSONResponse:
    job = submission.job
    links = job_links(prefix, job.id)
    body = JobAccepted.model_validate(
        {
            "id": job.id,
            "status": job.status,
            "links": links,
            "deduplicated": {"original": submission.reused_original, "result": submission.reused_result},
        }
    )
    headers = {"Location": links.self}
    if submission.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers=headers)


def build_ocr_router(route: ServiceRoute) -> APIRouter:
    router = APIRouter(prefix=route.prefix, tags=[route.name])

    @router.post(
        "/jobs",
        status_code=202,
        openapi_extra=request_body(route),
        summary="Submit a document",
        responses={202: _ACCEPTED, **_UPLOAD_PROBLEMS},
    )
    async def submit_job(request: Request, state: StateDep, caller: CallerDep) -> JSONResponse:
        return _accepted(await _submit(request, state, route, caller.tenant), route.prefix)

    @router.post(
        "",
        openapi_extra=request_body(route),
        summary="OCR a document and wait for the result",
        responses={
            200: {"model": OcrResult, "description": "The result", "headers": {"Location": LOCATION}},
            202: _ACCEPTED | {"description": "Still running after SYNC_TIMEOUT: poll `Location`"},
            **_UPLOAD_PROBLEMS,
            **problem(409, "The job was cancelled while the request waited"),
        },
    )
    async def recognize(request: Request, state: StateDep, caller: CallerDep) -> Response:
        submission = await _submit(request, state, route, caller.tenant)
        job_id = submission.job.id
        deadline = time.monotonic() + state.settings.ocr.sync_timeout
        while True:
            job = await anyio.to_thread.run_sync(state.jobs.get, job_id, caller.tenant)
            if job.finished or time.monotonic() >= deadline:
                break
            # Workers notify on completion, here or through Redis; re-reading the row every 2 s covers a lost
            # notice (a completion that raced the waiter's registration, or Redis briefly away).
            await state.backends.waiters.wait(job_id, min(2.0, deadline - time.monotonic()))
        if not job.finished:
            return _accepted(submission, route.prefix)
        if job.error is not None:
            return problem_response(job.error | {"instance": job_links(route.prefix, job_id).self})
        body = await anyio.to_thread.run_sync(state.jobs.result, job_id, caller.tenant, ResultFormat.json)
        headers = {"Location": job_links(route.prefix, job_id).self}
        return Response(body, media_type="application/json", headers=headers)

    @router.get(
        "/jobs",
        summary="The caller's jobs, newest first",
        responses={**problems(400, 401, 429, 500, 503), **problem(404, "`before` names no job of the caller's")},
    )
    def list_jobs(
        state: StateDep,
        caller: CallerDep,
        limit: int = Query(50, ge=1, le=200, description="jobs per answer"),
        before: str | None = Query(None, max_length=36, description="the `next` of the previous answer"),
    ) -> JobList:
        jobs, following = state.jobs.list_jobs(caller.tenant, limit, before)
        return JobList(jobs=[job_view(job, route.prefix) for job in jobs], next=following)

    @router.get(
        "/jobs/{job_id}/events",
        summary="Live progress as Server-Sent Events",
        description=(
            "`status` (the job, first and on each change), `page` (one per page done; its `id` is the pages done) "
            "and `end` (the finished job, `id: end`), then the stream closes; comments every 15 s keep it open. "
            "`Last-Event-ID` resumes after that page."
        ),
        response_class=Response,
        responses={
            200: {"description": "The event stream", "content": {"text/event-stream": {"schema": _EVENT_SCHEMA}}},
            **_JOB_PROBLEMS,
            **problem(400, "A Last-Event-ID longer than any event id"),
        },
    )
    def events(
        job_id: str,
        state: StateDep,
        caller: CallerDep,
        last_event_id: str | None = Header(None, max_length=36, description="the last event's id, to resume"),
    ) -> Response:
        job = state.jobs.get(job_id, caller.tenant)
        return job_events(state, job, caller.tenant, route.prefix, last_event_id)

    @router.get(
        "/jobs/{job_id}/pages/{number}/image",
        summary="A page as it was read, for drawing the word boxes on",
        description="WebP of the page of the searchable PDF, upright; the result's boxes scale by width / page.width.",
        response_class=Response,
        responses={
            200: {"description": "The page", "content": {"image/webp": {"schema": {"type": "string"}}}},
            **_JOB_PROBLEMS,
            **problems(400, 409, 410),
            **problem(422, "An office document, which has no page images"),
        },
    )
    def page_image(
        job_id: str,
        state: StateDep,
        caller: CallerDep,
        number: int = Path(ge=1, le=100_000, description="the page's number in the document"),
        width: int = Query(
            1600,
            ge=PREVIEW_WIDTHS.start,
            le=PREVIEW_WIDTHS.stop - 1,
            multiple_of=PREVIEW_WIDTHS.step,
            description="pixels",
        ),
    ) -> Response:
        image = state.jobs.page_image(job_id, caller.tenant, number, width)
        return Response(image, media_type="image/webp", headers={"Cache-Control": "private, max-age=3600"})

    @router.get("/jobs/{job_id}", summary="Job status", response_model_exclude_unset=True, responses=_JOB_PROBLEMS)
    def get_job(job_id: str, state: StateDep, caller: CallerDep) -> JobView:
        return job_view(state.jobs.get(job_id, caller.tenant), route.prefix)

    @router.get(
        "/jobs/{job_id}/result",
        summary="Job result",
        responses={
            200: {"model": OcrResult, "description": "The result in the requested format", "content": _RESULT_CONTENT},
            307: {"description": "A short-lived storage URL for the result", "headers": {"Location": LOCATION}},
            **_JOB_PROBLEMS,
            **problems(400, 409, 410),
            **problem(422, "A searchable PDF asked of an office document"),
        },
    )
    def get_result(
        job_id: str,
        state: StateDep,
        caller: CallerDep,
        format: ResultFormat = Query(ResultFormat.json, description="the result format; each has its media type"),
        redirect: bool = Query(False, description="answer 307 to a short-lived storage URL where there is one"),
    ) -> Response:
        if redirect:
            url = state.jobs.result_url(job_id, caller.tenant, format)
            if url is not None:
                return RedirectResponse(url, status_code=307)
        body = state.jobs.result(job_id, caller.tenant, format)
        return Response(body, media_type=ARTIFACTS[format].media_type)

    @router.get(
        "/jobs/{job_id}/thumbnail",
        summary="WebP thumbnail of page 1",
        response_class=Response,
        responses={
            200: {"description": "The thumbnail", "content": {"image/webp": {"schema": {"type": "string"}}}},
            **_JOB_PROBLEMS,
            **problem(409, "The thumbnail is made when the job starts"),
        },
    )
    def get_thumbnail(job_id: str, state: StateDep, caller: CallerDep) -> Response:
        return Response(state.jobs.thumbnail(job_id, caller.tenant), media_type="image/webp")

    @router.post(
        "/jobs/{job_id}/cancel",
        summary="Cancel a queued or running job",
        description=(
            "Ends the job as `cancelled`; a running job's pages stop within about two seconds, wherever it runs. "
            "Pages already read are discarded: a cancelled job has no result, and its `progress` shows how far it "
            "got. The original stays stored for the document's other jobs (DELETE removes it with the last one)."
        ),
        responses={**_JOB_PROBLEMS, **problem(409, "The job has already finished")},
    )
    def cancel_job(job_id: str, state: StateDep, caller: CallerDep) -> JobView:
        return job_view(state.jobs.cancel(job_id, caller.tenant), route.prefix)

    @router.delete(
        "/jobs/{job_id}",
        status_code=204,
        summary="Delete a job and its stored artifacts",
        description="A running job is cancelled first; its pages stop within about two seconds.",
        response_class=Response,
        responses=_JOB_PROBLEMS,
    )
    def delete_job(job_id: str, state: StateDep, caller: CallerDep) -> Response:
        state.jobs.delete(job_id, caller.tenant)
        return Response(status_code=204)

    @router.get(
        "/engines", summary="Engines offered here", response_model=EngineList, responses=problems(401, 429, 500)
    )
    def engines(state: StateDep, caller: CallerDep) -> dict[str, Any]:
        views = [engine_view(state.backends.engines.status(name)) for name in route.offered()]
        for view in views:
            # What a loaded engine declares wins over the route's expectation (plugins are listed as both).
            documents = view["reads"] == EngineInput.documents if "reads" in view else view["name"] in route.converters
            view |= {"preferred": view["name"] in route.engines, "document_engine": documents}
        return {"engines": views}

    return router
