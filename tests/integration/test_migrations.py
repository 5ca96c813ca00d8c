"""Migrations: from empty to head, one step down and up again, and models and migrations in agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from ablage.db.migrate import DatabaseNotMigrated, current_revision, downgrade, ensure_migrated, head_revision, upgrade
from ablage.db.models import UNMAPPED, Base
from ablage.settings import DatabaseSettings, Settings
from ablage_services.embedded import create_app
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("empty_postgres_url"))


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    engine = create_engine(empty_database)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert {"documents", "jobs"} <= set(inspect(engine).get_table_names())
    downgrade(engine, "-1")
    assert current_revision(engine) != head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_models_and_migrations_agree(empty_database: str) -> None:
    engine = create_engine(empty_database)
    upgrade(engine)
    with engine.connect() as connection:
        # The search index's tsvector, GIN index and FTS5 tables are made by the migration alone (ablage.search).
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": lambda name, _type, _parents: name not in UNMAPPED},
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_unmigrated_server_database_is_refused(empty_database: str, tmp_path: Path) -> None:
    engine = create_engine(empty_database)
    with pytest.raises(DatabaseNotMigrated, match="ablage db upgrade"):
        ensure_migrated(engine, auto=False)
    engine.dispose()


@pytest.mark.integration
async def test_service_refuses_to_start_on_unmigrated_postgres(empty_postgres_url: str, tmp_path: Path) -> None:
    from asgi_lifespan import LifespanManager

    settings = Settings(database=DatabaseSettings(database_url=empty_postgres_url))
    settings.service.data_dir = tmp_path
    with pytest.raises(DatabaseNotMigrated, match="not migrated"):
        async with LifespanManager(create_app(settings)):
            pass


pytestmark = pytest.mark.anyio


def test_rows_from_before_tenants_belong_to_the_default_tenant(empty_database: str) -> None:
    engine = create_engine(empty_database)
    upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO documents (sha256, kind, content_type, size, page_count, created_at) "
                "VALUES ('ab', 'png', 'image/png', 10, 1, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO jobs (id, document_sha256, service, queue, status, engine, languages, pages, force_ocr, "
                "options_key, pages_done, idempotency_key, attempts, created_at) VALUES ('j1', 'ab', 'cpu', 'cpu', "
                "'succeeded', 'tesseract', '[\"de\"]', '[1]', false, 'k', 1, 'key-1', 1, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT tenant_id, idempotency_key FROM jobs")).all() == [("default", "key-1")]
        assert connection.execute(text("SELECT tenant_id, sha256 FROM documents")).all() == [("default", "ab")]
    downgrade(engine, "0002")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, document_sha256 FROM jobs")).all() == [("j1", "ab")]
    engine.dispose()
