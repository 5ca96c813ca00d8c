"""A document's versions under ``/api/v1/documents/{sha256}``: list them, read the stored original again with other
options, compare two, choose the one that is searched, delete the document with all of them."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ablage.api.auth import CallerDep
from ablage.api.job_view import JobAccepted, JobView, job_links, job_view
from ablage.api.responses import LOCATION, problem, problems
from ablage.api.state import AppState, StateDep
from ablage.api.upload_form import LANGUAGES_PATTERN, PAGES_PATTERN
from ablage.engines.scripts import Script
from ablage.errors import InvalidOption
from ablage.jobs.routes import ServiceRoute
from ablage.jobs.service import SubmitForm
from ablage.jobs.versions import DocumentVersions
from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize
from ablage.results.spelling import Spelling

# Not pattern-checked: a string that is no document's hash names no document of the caller's (404), like one
# that is another tenant's.
Sha256 = Annotated[str, Path(description="the document's SHA-256, as its jobs show it")]
JobId = Annotated[str, Query(min_length=1, max_length=36)]


class PageConfidence(BaseModel):
    number: int
    confidence: float


class VersionView(BaseModel):
    job: JobView
    current: bool = Field(description="the version the search finds")
    pages: list[PageConfidence] | None = Field(description="mean word confidence per page; null until succeeded")


class VersionList(BaseModel):
    sha256: str
    versions: list[VersionView] = Field(description="newest first")


class VersionRequest(BaseModel):
    """How to read the stored original this time; what is left out is chosen as for an upload."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(
        None, pattern=r"^[a-z]+$", description="the service that reads it (cpu, ocr); default: the newest job's"
    )
    languages: str | None = Field(None, max_length=200, pattern=LANGUAGES_PATTERN, examples=["de,en"])
    engine: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    pages: str | None = Field(None, max_length=200, pattern=PAGES_PATTERN, examples=["1-3,5"])
    force_ocr: bool = False
    script: Script = Script.auto
    spelling: Spelling = Spelling.printed
    pdf_output: PdfOutput = PdfOutput.auto
    pdf_optimize: Optimize = Optimize.standard


class PageDifference(BaseModel):
    number: int
    confidence_a: float | None
    confidence_b: float | None
    words_a: int
    words_b: int


class VersionComparison(BaseModel):
    a: str
    b: str
    similarity: float = Field(description="0..1: how much of the text the two versions share")
    diff: list[str] = Field(description="unified diff of the texts, a to b")
    pages: list[PageDifference]


def _route(state: AppState, name: str | None, fallback: str | None) -> ServiceRoute:
    wanted = name or fallback
    for route in state.routes:
        if route.name == wanted:
            return route
    if name is not None:
        raise InvalidOption(
            f"service: {name!r} is not served here; it serves {', '.join(r.name for r in state.routes)}"
        )
    return state.routes[0]


def _prefix(state: AppState, service: str) -> str:
    return next((route.prefix for route in state.routes if route.name == service), state.routes[0].prefix)


def build_version_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/documents", tags=["documents"])
    not_found = problem(404, "No such document of the caller's")

    @router.get(
        "/{sha256}/versions",
        summary="The document's versions, newest first",
        responses={**problems(401, 429, 500, 503), **not_found},
    )
    def list_versions(state: StateDep, caller: CallerDep, sha256: Sha256) -> VersionList:
        _, versions = DocumentVersions(state.backends, state.jobs).list(caller.tenant, sha256)
        return VersionList(
            sha256=sha256,
            versions=[
                VersionView(
                    job=job_view(version.job, _prefix(state, version.job.service)),
                    current=version.current,
                    pages=None
                    if version.confidences is None
                    else [PageConfidence(number=n, confidence=c) for n, c in version.confidences],
                )
                for version in versions
            ],
        )

    @router.post(
        "/{sha256}/versions",
        status_code=202,
        summary="Read the stored original again, as a new version",
        responses={
            202: {"model": JobAccepted, "description": "Accepted: poll `Location`", "headers": {"Location": LOCATION}},
            **problems(400, 401, 429, 500, 503),
            **not_found,
            **problem(422, "An engine, language, page or service this service cannot provide"),
        },
    )
    async def read_again(state: StateDep, caller: CallerDep, sha256: Sha256, body: VersionRequest) -> JSONResponse:
        versions = DocumentVersions(state.backends, state.jobs)
        newest = await anyio.to_thread.run_sync(versions.list, caller.tenant, sha256)
        route = _route(state, body.service, newest[1][0].job.service if newest[1] else None)
        form = SubmitForm(
            languages=body.languages,
            engine=body.engine,
            pages=body.pages,
            force_ocr=body.force_ocr,
            pdf_output=body.pdf_output,
            pdf_optimize=body.pdf_optimize,
            script=body.script,
            spelling=body.spelling,
        )
        submission = await anyio.to_thread.run_sync(versions.read_again, caller.tenant, sha256, form, route)
        links = job_links(route.prefix, submission.job.id)
        accepted = JobAccepted.model_validate(
            {
                "id": submission.job.id,
                "status": submission.job.status,
                "links": links,
                "deduplicated": {"original": True, "result": False},
            }
        )
        return JSONResponse(accepted.model_dump(mode="json"), status_code=202, headers={"Location": links.self})

    @router.get(
        "/{sha256}/versions/compare",
        summary="Two versions side by side: text diff and per-page confidence",
        responses={**problems(400, 401, 429, 500, 503), **not_found, **problem(422, "A version without a result")},
    )
    def compare(state: StateDep, caller: CallerDep, sha256: Sha256, a: JobId, b: JobId) -> VersionComparison:
        found = DocumentVersions(state.backends, state.jobs).compare(caller.tenant, sha256, a, b)
        return VersionComparison(
            a=found.a,
            b=found.b,
            similarity=found.similarity,
            diff=found.diff,
            pages=[PageDifference(**vars(page)) for page in found.pages],
        )

    @router.put(
        "/{sha256}/versions/{job_id}/current",
        status_code=204,
        summary="Make this version the one the search finds",
        responses={**problems(401, 429, 500, 503), **not_found, **problem(422, "A version without a result")},
    )
    def make_current(state: StateDep, caller: CallerDep, sha256: Sha256, job_id: str) -> Response:
        DocumentVersions(state.backends, state.jobs).make_current(caller.tenant, sha256, job_id)
        return Response(status_code=204)

    @router.delete(
        "/{sha256}",
        status_code=204,
        summary="Delete the document: every version, its results and search entries, and the original",
        responses={**problems(401, 429, 500, 503), **not_found},
    )
    def delete_document(state: StateDep, caller: CallerDep, sha256: Sha256) -> Response:
        DocumentVersions(state.backends, state.jobs).delete(caller.tenant, sha256)
        return Response(status_code=204)

    return router
