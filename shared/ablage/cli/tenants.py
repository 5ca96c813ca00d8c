"""``ablage keys`` and ``ablage tenants``: API keys and the limits of each tenant, in the service's database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from limits import parse_many
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import Tenant
from ablage.runtime import build_database
from ablage.settings import Settings
from ablage.tenancy.keys import KeyInfo, KeyStore
from ablage.tenancy.tenants import InvalidTenantName, TenantDirectory, check_tenant_name, ensure_tenant

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenants and their rate limits and quotas.", no_args_is_help=True)

_JSON = typer.Option("--json", help="print JSON")


@contextmanager
def _sessions() -> Iterator[sessionmaker[Session]]:
    engine, sessions = build_database(Settings())
    try:
        yield sessions
    finally:
        engine.dispose()


def _tenant(name: str) -> str:
    try:
        return check_tenant_name(name)
    except InvalidTenantName as exc:
        raise typer.BadParameter(str(exc)) from None


def _key_row(key: KeyInfo) -> dict[str, str | None]:
    return {
        "id": key.id,
        "tenant": key.tenant,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@keys_app.command("create")
def create_key(
    tenant: Annotated[str, typer.Option(help="the tenant the key acts for; created if new")],
    name: Annotated[str | None, typer.Option(help="a label, e.g. the client that uses it")] = None,
    if_none: Annotated[
        bool, typer.Option("--if-none", help="only if the tenant has no active key (for first-start scripts)")
    ] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Create a key and print its token once: only its hash is stored."""
    with _sessions() as sessions:
        store = KeyStore(sessions)
        if if_none and store.list(_tenant(tenant)):
            typer.echo(f"tenant {tenant} already has an active key; none created", err=True)
            return
        info, token = store.create(_tenant(tenant), name)
    if as_json:
        typer.echo(json.dumps(_key_row(info) | {"token": token}))
        return
    typer.echo(token)
    typer.echo(f"key {info.id} for tenant {info.tenant}: the token above is shown only now", err=True)


@keys_app.command("list")
def list_keys(
    tenant: Annotated[str | None, typer.Option(help="only this tenant's keys")] = None,
    revoked: Annotated[bool, typer.Option("--revoked", help="include revoked keys")] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """List keys (never their tokens)."""
    with _sessions() as sessions:
        keys = KeyStore(sessions).list(tenant, include_revoked=revoked)
    if as_json:
        typer.echo(json.dumps([_key_row(key) for key in keys]))
        return
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        typer.echo(f"{key.id}  {key.tenant:<24} {state:<24} {key.created_at:%Y-%m-%d %H:%M}  {key.name or ''}")


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="the key's id (from `ablage keys list`)")]) -> None:
    """Revoke a key; every replica refuses it within KEY_CACHE_SECONDS."""
    with _sessions() as sessions:
        info = KeyStore(sessions).revoke(key_id)
    if info is None:
        typer.echo(f"there is no key {key_id}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"key {info.id} of tenant {info.tenant} revoked")


@tenants_app.command("list")
def list_tenants(as_json: Annotated[bool, _JSON] = False) -> None:
    """Tenants with their effective limits (0: none)."""
    settings = Settings()
    with _sessions() as sessions, sessions() as session:
        directory = TenantDirectory(settings.auth, sessions)
        rows = [
            {"tenant": tenant.id} | vars(directory.effective(tenant))
            for tenant in session.query(Tenant).order_by(Tenant.id)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(
            f"{row['tenant']:<24} rate {row['rate_limit']}, queued {row['max_queued_jobs']}, "
            f"running {row['max_running_jobs']}, pages/month {row['monthly_pages']}"
        )


@tenants_app.command("limits")
def set_limits(
    tenant: Annotated[str, typer.Argument(help="the tenant; created if new")],
    rate_limit: Annotated[str | None, typer.Option(help="requests, e.g. 20/second;600/minute")] = None,
    max_queued: Annotated[int | None, typer.Option(min=0, help="queued jobs at most; 0: none")] = None,
    max_running: Annotated[int | None, typer.Option(min=0, help="jobs running at once; 0: none")] = None,
    monthly_pages: Annotated[int | None, typer.Option(min=0, help="pages per calendar month; 0: none")] = None,
    review_threshold: Annotated[
        float | None,
        typer.Option(min=0.01, max=1.0, help="share of doubtful words at which a page is flagged for review"),
    ] = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="back to the service's defaults")] = False,
) -> None:
    """Set a tenant's own limits and review threshold; unset options keep their value."""
    name = _tenant(tenant)
    if rate_limit is not None:
        try:
            parse_many(rate_limit)
        except ValueError as exc:
            raise typer.BadParameter(f"--rate-limit {rate_limit!r}: {exc}") from None
    with _sessions() as sessions:
        with sessions.begin() as session:
            ensure_tenant(session, name)
            row = session.get(Tenant, name)
            assert row is not None
            if defaults:
                row.rate_limit = row.max_queued_jobs = row.max_running_jobs = row.monthly_pages = None
                row.review_threshold = None
            if rate_limit is not None:
                row.rate_limit = rate_limit
            if max_queued is not None:
                row.max_queued_jobs = max_queued
            if max_running is not None:
                row.max_running_jobs = max_running
            if monthly_pages is not None:
                row.monthly_pages = monthly_pages
            if review_threshold is not None:
                row.review_threshold = review_threshold
            threshold = row.review_threshold
        settings = Settings()
        effective = TenantDirectory(settings.auth, sessions).limits(name)
    shown = vars(effective) | {
        "review_threshold": threshold if threshold is not None else settings.ocr.review_threshold
    }
    typer.echo(f"{name}: {shown}")


@tenants_app.command("webhook")
def set_webhook(
    tenant: Annotated[str, typer.Argument(help="the tenant; created if new")],
    url: Annotated[str | None, typer.Option(help="where job events go when a job names no callback_url")] = None,
    clear_url: Annotated[bool, typer.Option("--clear-url", help="no default URL: only jobs' own")] = False,
    rotate_secret: Annotated[
        bool, typer.Option("--rotate-secret", help="a new signing secret; the old one stops at once")
    ] = False,
) -> None:
    """Set a tenant's default webhook URL and signing secret. A new secret is printed once; it is stored as it
    is, because signing needs it."""
    from ablage.webhooks.targets import MalformedTarget, TargetRefused, resolve
    from ablage.webhooks.tenant_config import configure

    name = _tenant(tenant)
    settings = Settings()
    if url is not None:
        try:
            resolve(url, settings.webhook.webhook_allowed_targets)
        except (MalformedTarget, TargetRefused) as exc:
            raise typer.BadParameter(str(exc)) from None
    with _sessions() as sessions, sessions.begin() as session:
        changed = configure(session, name, url, clear_url, rotate_secret)
    if changed.new_secret is not None:
        typer.echo(changed.new_secret)
        typer.echo(f"tenant {name}: the signing secret above is shown only now", err=True)
    typer.echo(f"tenant {name}: webhook URL {changed.url or '(none)'}", err=True)
