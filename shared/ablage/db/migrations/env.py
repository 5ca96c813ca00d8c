"""Alembic environment: the URL and connection come from ``ablage.db.migrate``, never from an ini file."""

from __future__ import annotations

from ablage.db.models import UNMAPPED, Base
from alembic import context
from sqlalchemy import Connection

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=lambda name, _type, _parents: name not in UNMAPPED,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ablage db upgrade`, which supplies the connection")
run_with(connection)
