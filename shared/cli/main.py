"""``ablage serve`` runs the service; ``ablage ocr`` recognises files locally, without a server."""

from __future__ import annotations

import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from tqdm import tqdm

from shared.documents.selection import parse_pages, select_pages
from shared.documents.sniff import DocumentKind, check_allowed, sniff
from shared.documents.source import open_document
from shared.engines.base import OcrEngine
from shared.engines.registry import EngineRegistry
from shared.errors import AblageError
from shared.jobs.pipeline import build_result, recognize_pages
from shared.results.render import ARTIFACTS, ResultFormat
from shared.results.searchable_pdf import SearchablePdfWriter
from shared.settings import Settings

app = typer.Typer(help="Ablage-System: OCR for German and English business documents.", no_args_is_help=True)


class Service(StrEnum):
    embedded = "embedded"
    cpu = "cpu"
    gpu = "gpu"


_FACTORIES = {
    Service.embedded: "services.embedded:create_app",
    Service.cpu: "services.cpu_backend.app:create_app",
    Service.gpu: "services.gpu_backend.app:create_app",
}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    service: Annotated[Service, typer.Option(help="which prefixes to serve")] = Service.embedded,
) -> None:
    """Serve the HTTP API (embedded defaults: SQLite and local storage under DATA_DIR)."""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        _FACTORIES[service],
        factory=True,
        host=host,
        port=port,
        log_level=settings.service.log_level.value.lower(),
        timeout_graceful_shutdown=30,
    )


@app.command()
def ocr(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="documents to recognise")],
    lang: Annotated[str | None, typer.Option("--lang", help="ISO 639-1 list, e.g. de,en")] = None,
    output_format: Annotated[ResultFormat, typer.Option("--format", help="output format")] = ResultFormat.text,
    output_dir: Annotated[Path | None, typer.Option("-o", "--output-dir", help="write files here")] = None,
    engine_name: Annotated[str, typer.Option("--engine", help="OCR engine")] = "tesseract",
    pages: Annotated[str | None, typer.Option(help="pages to read, e.g. 1-3,5")] = None,
    force_ocr: Annotated[bool, typer.Option(help="OCR pages even when they have a text layer")] = False,
) -> None:
    """Recognise FILES and print the result, or write one file per input into --output-dir."""
    settings = Settings()
    languages = [code.strip() for code in lang.split(",")] if lang else list(settings.ocr.languages)
    artifact = ARTIFACTS[output_format]
    if artifact.render is None and output_dir is None:
        raise typer.BadParameter("--format pdf writes files: give --output-dir")
    if output_dir:
        output_dir.mkdir(parents=True, exist_ok=True)
    engines = EngineRegistry(settings)
    failures = 0
    try:
        engine = engines.get(engine_name)
        with tqdm(total=len(files), unit="file", desc="files", position=0) as file_bar:
            for path in files:
                try:
                    _recognize_file(path, settings, engine, languages, output_format, output_dir, pages, force_ocr)
                except AblageError as exc:
                    failures += 1
                    tqdm.write(f"{path}: {exc.detail}")
                file_bar.update()
    except AblageError as exc:
        raise typer.BadParameter(exc.detail) from None
    finally:
        engines.close()
    if failures:
        raise typer.Exit(code=1)


def _recognize_file(
    path: Path,
    settings: Settings,
    engine: OcrEngine,
    languages: list[str],
    output_format: ResultFormat,
    output_dir: Path | None,
    pages: str | None,
    force_ocr: bool,
) -> None:
    artifact = ARTIFACTS[output_format]
    kind = sniff(path)
    check_allowed(kind, settings.upload.allowed_extensions)
    source = open_document(path, kind, settings.upload)
    pdf = SearchablePdfWriter() if artifact.render is None else None
    try:
        selected = select_pages(parse_pages(pages), source.page_count)
        with tqdm(total=len(selected), unit="page", desc=path.name, position=1, leave=False) as page_bar:
            recognized = recognize_pages(
                source,
                selected,
                engine,
                languages=languages,
                force_ocr=force_ocr,
                detect_orientation=settings.ocr.detect_orientation,
                deadline=time.monotonic() + settings.ocr.processing_timeout,
                on_page=lambda _done, _page: page_bar.update(),
                searchable_pdf=pdf,
                original_pdf=path if kind is DocumentKind.pdf else None,
            )
        target = output_dir / f"{path.stem}{Path(artifact.filename).suffix}" if output_dir else None
        if pdf is not None:
            assert target is not None
            pdf.save(target)
            return
    finally:
        if pdf is not None:
            pdf.close()
        source.close()
    assert artifact.render is not None
    rendered = artifact.render(build_result(str(uuid.uuid4()), engine, languages, recognized))
    if target is not None:
        target.write_text(rendered, encoding="utf-8")
    else:
        tqdm.write(rendered)


db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    from shared.db.migrate import current_revision, upgrade
    from shared.db.session import make_engine

    settings = Settings()
    engine = make_engine(settings.database_url, settings.database)
    upgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from shared.db.migrate import current_revision, downgrade
    from shared.db.session import make_engine

    settings = Settings()
    engine = make_engine(settings.database_url, settings.database)
    downgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the one this release needs."""
    from shared.db.migrate import current_revision, head_revision
    from shared.db.session import make_engine

    settings = Settings()
    engine = make_engine(settings.database_url, settings.database)
    typer.echo(f"database: {current_revision(engine)}  release: {head_revision()}")
    engine.dispose()


storage_app = typer.Typer(help="Stored documents and results.", no_args_is_help=True)
app.add_typer(storage_app, name="storage")


@storage_app.command("prune")
def storage_prune(
    dry_run: Annotated[bool, typer.Option(help="report what would be removed, remove nothing")] = False,
) -> None:
    """Enforce retention on local storage: originals 90 days, results 30, thumbnails 7."""
    from shared.jobs.retention import apply_retention
    from shared.runtime import build_database
    from shared.settings import StorageBackend
    from shared.storage.local import LocalStorage

    settings = Settings()
    if settings.storage.backend is StorageBackend.s3:
        typer.echo("S3 storage: the buckets' lifecycle rules expire objects (deploy/terraform); nothing to do here")
        return
    engine, sessions = build_database(settings)
    counts = apply_retention(LocalStorage(settings.storage_dir), sessions, dry_run=dry_run)
    engine.dispose()
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb}: " + ", ".join(f"{count} {what}" for what, count in counts.items()))


class QueueName(StrEnum):
    cpu = "cpu"
    gpu = "gpu"


@app.command()
def worker(
    queue: Annotated[QueueName, typer.Option(help="the queue to consume")] = QueueName.cpu,
    threads: Annotated[int | None, typer.Option(help="worker threads (default: WORKERS)")] = None,
) -> None:
    """Run OCR workers on the Redis queue (needs REDIS_URL) until SIGTERM or SIGINT."""
    import signal
    import threading

    from shared.jobs.processor import JobProcessor
    from shared.jobs.sweeper import Sweeper
    from shared.runtime import build_backends

    settings = Settings()
    if not settings.queue.uses_redis:
        raise typer.BadParameter("a separate worker needs REDIS_URL; without it the API runs its own workers")
    engines_for_queue = _queue_engines(queue)
    backends = build_backends(settings)
    processor = JobProcessor(
        settings, backends.sessions, backends.storage, backends.engines, backends.waiters, engines_for_queue
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    backends.queue.start_workers(processor, [queue.value], threads or settings.ocr.workers, processor.warm_up)
    sweeper = Sweeper(settings.queue, backends.sessions, backends.queue)
    sweeper.start()
    typer.echo(f"worker {processor.worker_id} consuming {queue.value} with engines {', '.join(engines_for_queue)}")
    stop.wait()
    sweeper.stop()
    backends.close()


def _queue_engines(queue: QueueName) -> tuple[str, ...]:
    from services.cpu_backend.app import CPU_ROUTE
    from services.gpu_backend.app import GPU_ROUTE

    return CPU_ROUTE.candidates() if queue is QueueName.cpu else GPU_ROUTE.engines


if __name__ == "__main__":
    app()
