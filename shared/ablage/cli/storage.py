"""``ablage storage``: setting storage up, and retention on local storage."""

from __future__ import annotations

from typing import Annotated

import typer

from ablage.settings import Settings, StorageBackend

storage_app = typer.Typer(help="Stored documents and results.", no_args_is_help=True)


@storage_app.command("init")
def storage_init() -> None:
    """Create the buckets (versioning, encryption, public access block, retention rules) or the local folders.

    For MinIO, other S3 servers and on-premises installs; on AWS, Terraform creates the buckets. Safe to run again:
    only what differs from the settings is changed."""
    from ablage.storage.base import StorageError
    from ablage.storage.provision import provision_storage

    settings = Settings()
    try:
        reports = provision_storage(settings)
    except (StorageError, OSError) as exc:
        typer.echo(f"storage init failed: {exc}", err=True)
        raise typer.Exit(code=1) from None
    for report in reports:
        typer.echo(str(report))
    changed = sum(len(report.changes) for report in reports)
    summary = f"{changed} change{'' if changed == 1 else 's'}" if changed else "nothing to change"
    typer.echo(f"{settings.storage.backend.value} storage ready: {summary}")


@storage_app.command("prune")
def storage_prune(
    dry_run: Annotated[bool, typer.Option(help="report what would be removed, remove nothing")] = False,
) -> None:
    """Enforce retention on local storage: originals 90 days, results 30, thumbnails 7."""
    from ablage.jobs.retention import apply_retention
    from ablage.runtime import build_database
    from ablage.storage.local import LocalStorage

    settings = Settings()
    if settings.storage.backend is StorageBackend.s3:
        typer.echo("S3 storage: the buckets' lifecycle rules expire objects (deploy/terraform); nothing to do here")
        return
    engine, sessions = build_database(settings)
    counts = apply_retention(LocalStorage(settings.storage_dir), sessions, dry_run=dry_run)
    engine.dispose()
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb}: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
