"""Migrations: from empty to head, one step down and up again, and models and migrations in agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from ablage.db.migrate import DatabaseNotMigrated, current_revision, downgrade, ensure_migrated, head_revision, upgrade
from ablage.db.models import Base
from ablage.settings import DatabaseSettings, Settings
from ablage_services.embedded import create_app
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect


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
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
