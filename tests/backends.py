"""Real PostgreSQL and Redis for the tests: databases cloned from a migrated template, and Redis key prefixes.

Every name carries this process's RUN_ID, so pytest-xdist workers (one process each) never share a database,
namespace or bucket. A server that is unreachable skips its tests with the reason, except under ``CI=true``:
there the production half must run, so it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
import redis
from ablage.db.migrate import upgrade
from sqlalchemy import create_engine

PG_ADMIN = os.environ.get("ABLAGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ABLAGE_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:8]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``; under CI=true fail, because CI must test the production parts."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the production tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _database_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)


def _admin_or_skip() -> psycopg.Connection:
    try:
        return _admin()
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable at {PG_ADMIN}: {exc}".splitlines()[0])


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    connection = _admin_or_skip()
    template = f"ablage_test_{RUN_ID}_template"
    with connection:
        connection.execute(f'CREATE DATABASE "{template}"')
    engine = create_engine(_database_url(template))
    upgrade(engine)
    engine.dispose()
    try:
        yield template
    finally:
        # A fresh connection: the fault tests restart the server under a long-lived one.
        with _admin() as connection:
            leftovers = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"ablage_test_{RUN_ID}_%",)
            ).fetchall()
            for (name,) in leftovers:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(template: str | None = None) -> Iterator[str]:
    """A database of its own, migrated when cloned from ``template``; dropped afterwards."""
    name = f"ablage_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _admin_or_skip() as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _database_url(name)
    finally:
        # A fresh connection: a fault test may have restarted the server meanwhile.
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A migrated database of this test's own."""
    with scratch_database(postgres_template) as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """An empty database, for the migration tests."""
    with scratch_database() as url:
        yield url


@contextmanager
def scratch_namespace() -> Iterator[str]:
    """A Redis key prefix of its own; its keys are removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    namespace = f"ablage-test-{RUN_ID}-{uuid.uuid4().hex[:8]}"
    try:
        yield namespace
    finally:
        keys = list(client.scan_iter(f"{namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    with scratch_namespace() as namespace:
        yield namespace
