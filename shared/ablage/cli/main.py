"""``ablage serve`` runs the service; ``ablage ocr`` recognises files locally, without a server."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from ablage.cli.db import db_app
from ablage.cli.evaluate import evaluate_command
from ablage.cli.models import LOAD_TIMEOUT, models_app
from ablage.cli.services import app_factory
from ablage.cli.storage import storage_app
from ablage.cli.tenants import keys_app, tenants_app
from ablage.cli.worker import worker
from ablage.documents.selection import parse_pages, select_pages
from ablage.documents.sniff import DocumentKind
from ablage.engines.base import EngineHost, PageEngine
from ablage.engines.scripts import FRAKTUR_ENGINE, Script, fraktur_installed
from ablage.engines.supervisor import EngineSupervisor
from ablage.errors import AblageError
from ablage.executor.page import ReadingOptions
from ablage.executor.pool import PageExecutor
from ablage.jobs.pipeline import ReadRequest, build_result, read_document
from ablage.results.archive_pdf import PdfOutput
from ablage.results.page_image import Optimize
from ablage.results.render import ARTIFACTS, ResultFormat
from ablage.results.spelling import Spelling
from ablage.settings import Settings

app = typer.Typer(help="Ablage-System: OCR for German and English business documents.", no_args_is_help=True)


class Service(StrEnum):
    embedded = "embedded"
    cpu = "cpu"
    gpu = "gpu"


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="BIND_HOST", help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    service: Annotated[Service, typer.Option(help="which prefixes to serve")] = Service.embedded,
) -> None:
    """Serve the HTTP API (embedded defaults: SQLite and local storage under DATA_DIR)."""
    import uvicorn

    # The app (built by uvicorn's factory) reads its settings again: it learns the address from the environment.
    os.environ["BIND_HOST"] = host
    settings = Settings()
    _check_open_access(settings)
    uvicorn.run(
        app_factory(service.value),
        factory=True,
        host=host,
        port=port,
        log_level=settings.service.log_level.value.lower(),
        timeout_graceful_shutdown=30,
        limit_concurrency=settings.service.max_concurrent_requests,
    )


def _check_open_access(settings: Settings) -> None:
    """Before binding: a service without keys or OIDC on a public address stops here, with the reason."""
    from ablage.runtime import build_database
    from ablage.tenancy.identity import Authenticator, OpenAccessRefused
    from ablage.tenancy.keys import KeyStore

    engine, sessions = build_database(settings)
    try:
        Authenticator(settings, KeyStore(sessions)).check_start(settings)
    except OpenAccessRefused as exc:
        typer.echo(f"ablage serve: {exc}", err=True)
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()


@app.command()
def ocr(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="documents to recognise")],
    lang: Annotated[str | None, typer.Option("--lang", help="ISO 639-1 list, e.g. de,en")] = None,
    output_format: Annotated[ResultFormat, typer.Option("--format", help="output format")] = ResultFormat.text,
    output_dir: Annotated[Path | None, typer.Option("-o", "--output-dir", help="write files here")] = None,
    engine_name: Annotated[str, typer.Option("--engine", help="OCR engine")] = "tesseract",
    pages: Annotated[str | None, typer.Option(help="pages to read, e.g. 1-3,5")] = None,
    force_ocr: Annotated[bool, typer.Option(help="OCR pages even when they have a text layer")] = False,
    pdf_output: Annotated[
        PdfOutput, typer.Option(help="--format pdf: auto (PDF/A-2b, PDF/A-3b with an e-invoice XML) or as named")
    ] = PdfOutput.auto,
    pdf_optimize: Annotated[
        int, typer.Option(min=0, max=2, help="--format pdf: page images 0 lossless, 1 by content, 2 smaller")
    ] = 1,
    script: Annotated[
        Script, typer.Option(help="auto: German Fraktur pages found and read with the Fraktur models (tesseract)")
    ] = Script.auto,
    spelling: Annotated[Spelling, typer.Option(help="modern: ſ→s, aͤ→ä, ⸗→- in the text")] = Spelling.printed,
) -> None:
    """Recognise FILES and print the result, or write one file per input into --output-dir."""
    settings = Settings()
    languages = [code.strip() for code in lang.split(",")] if lang else list(settings.ocr.languages)
    reading = _reading(engine_name, script, spelling, languages, settings)
    artifact = ARTIFACTS[output_format]
    if artifact.render is None and output_dir is None:
        raise typer.BadParameter("--format pdf writes files: give --output-dir")
    if output_dir:
        output_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    with EngineSupervisor.running(settings, [engine_name]) as engines:
        engines.wait(engine_name, LOAD_TIMEOUT)
        try:
            engine = engines.pages(engine_name)
        except AblageError as exc:
            raise typer.BadParameter(exc.detail) from None
        executor = PageExecutor(settings)
        if engine.host is EngineHost.page_process:
            executor.start([engine_name])
        try:
            with tqdm(total=len(files), unit="file", desc="files", position=0) as file_bar:
                for path in files:
                    try:
                        _recognize_file(
                            path,
                            executor,
                            settings,
                            engine,
                            languages,
                            output_format,
                            output_dir,
                            pages,
                            force_ocr,
                            (pdf_output, Optimize(pdf_optimize)),
                            reading,
                        )
                    except AblageError as exc:
                        failures += 1
                        tqdm.write(f"{path}: {exc.detail}")
                    file_bar.update()
        finally:
            executor.close()
    if failures:
        raise typer.Exit(code=1)


def _reading(
    engine_name: str, script: Script, spelling: Spelling, languages: list[str], settings: Settings
) -> ReadingOptions:
    """Fraktur is read by Tesseract's Fraktur models: detected per page when Tesseract reads German."""
    if script is Script.fraktur and (engine_name != FRAKTUR_ENGINE or not fraktur_installed()):
        raise typer.BadParameter(
            f"--script fraktur needs --engine {FRAKTUR_ENGINE} and its Fraktur models (Debian: tesseract-ocr-frk, "
            "tesseract-ocr-script-frak)"
        )
    detect = script is Script.auto and engine_name == FRAKTUR_ENGINE and fraktur_installed()
    chosen = Script.fraktur if script is Script.fraktur else Script.auto if detect else Script.latin
    return ReadingOptions(
        script=chosen,
        fraktur_engine=FRAKTUR_ENGINE if chosen is not Script.latin else None,
        spelling=spelling,
        deskew=settings.ocr.deskew,
    )


def _recognize_file(
    path: Path,
    executor: PageExecutor,
    settings: Settings,
    engine: PageEngine,
    languages: list[str],
    output_format: ResultFormat,
    output_dir: Path | None,
    pages: str | None,
    force_ocr: bool,
    archive: tuple[PdfOutput, Optimize],
    reading: ReadingOptions,
) -> None:
    artifact = ARTIFACTS[output_format]
    found, page_count = executor.inspect(str(path))
    kind = DocumentKind(found)
    selected = select_pages(parse_pages(pages, settings.upload.max_pages), page_count)
    target = output_dir / f"{path.stem}{Path(artifact.filename).suffix}" if output_dir else None
    with (
        tempfile.TemporaryDirectory() as scratch,
        tqdm(total=len(selected), unit="page", desc=path.name, position=1, leave=False) as page_bar,
    ):
        request = ReadRequest(
            path=path.resolve(),
            kind=kind,
            pages=selected,
            engine=engine,
            languages=languages,
            force_ocr=force_ocr,
            detect_orientation=settings.ocr.detect_orientation,
            searchable_pdf=target.resolve() if artifact.render is None and target is not None else None,
            pdf_output=archive[0],
            pdf_optimize=archive[1],
            reading=reading,
        )
        recognized = read_document(
            executor,
            request,
            scratch=Path(scratch),
            deadline=time.monotonic() + settings.ocr.processing_timeout,
            on_page=lambda _done, _page: page_bar.update(),
        )
    if artifact.render is None:
        return
    rendered = artifact.render(build_result(str(uuid.uuid4()), engine, languages, recognized.pages))
    if target is not None:
        target.write_text(rendered, encoding="utf-8")
    else:
        tqdm.write(rendered)


app.add_typer(db_app, name="db")
app.add_typer(storage_app, name="storage")
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")
app.add_typer(tenants_app, name="tenants")
app.command()(worker)
app.command("eval")(evaluate_command)


if __name__ == "__main__":
    app()
