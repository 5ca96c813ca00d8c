"""``ablage db``: schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import Engine

from ablage.settings import Settings

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@contextmanager
def _database() -> Iterator[Engine]:
    from ablage.db.session import make_engine

    settings = Settings()
    engine = make_engine(settings.database_url, settings.database)
    try:
        yield engine
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    from ablage.db.migrate import current_revision, upgrade

    with _database() as engine:
        upgrade(engine, revision)
        typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from ablage.db.migrate import current_revision, downgrade

    with _database() as engine:
        downgrade(engine, revision)
        typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the one this release needs."""
    from ablage.db.migrate import current_revision, head_revision

    with _database() as engine:
        typer.echo(f"database: {current_revision(engine)}  release: {head_revision()}")
