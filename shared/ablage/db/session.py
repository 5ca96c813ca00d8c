"""Engine and session factory; SQLite gets the pragmas that make it safe for concurrent workers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from ablage.settings import DatabaseSettings


def make_engine(url: str, settings: DatabaseSettings | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    pool = settings or DatabaseSettings()
    # pre_ping replaces connections a database restart has broken, so a restart costs no request.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool.db_pool_size,
        max_overflow=pool.db_max_overflow,
        pool_timeout=pool.db_pool_timeout,
        pool_recycle=pool.db_pool_recycle,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
