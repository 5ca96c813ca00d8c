"""Builds the parts a process needs from the settings: embedded defaults, or the production services."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.migrate import ensure_migrated
from ablage.db.session import make_engine, make_sessionmaker
from ablage.engines.supervisor import EngineSupervisor
from ablage.executor.pool import PageExecutor
from ablage.jobs.backends import Backends
from ablage.jobs.cancellation import CancelSignals
from ablage.jobs.completion import CompletionWaiters
from ablage.jobs.lifecycle import JobLifecycle
from ablage.jobs.queue import InProcessQueue, JobQueue
from ablage.settings import Settings
from ablage.storage.build import build_storage
from ablage.tenancy.tenants import TenantDirectory

log = logging.getLogger(__name__)


def build_queue(settings: Settings) -> JobQueue:
    if not settings.queue.uses_redis:
        return InProcessQueue()
    from ablage.jobs.redis_queue import RedisQueue

    return RedisQueue(settings.queue, settings.ocr.processing_timeout)


def build_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    settings.service.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, settings.database)
    auto = settings.database.db_auto_migrate
    ensure_migrated(engine, auto if auto is not None else engine.dialect.name == "sqlite")
    return engine, make_sessionmaker(engine)


def build_backends(settings: Settings) -> Backends:
    settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    db, sessions = build_database(settings)
    try:
        storage = build_storage(settings)
        queue = build_queue(settings)
    except Exception:
        db.dispose()
        raise
    waiters = CompletionWaiters()
    cancels = CancelSignals()
    if settings.queue.uses_redis:
        waiters.attach_publisher(lambda job_id: queue.publish(Backends.COMPLETED, job_id))
        cancels.attach_publisher(lambda job_id: queue.publish(Backends.CANCEL, job_id))
    return Backends(
        settings,
        db,
        sessions,
        storage,
        queue,
        EngineSupervisor(settings),
        waiters,
        JobLifecycle(settings.queue, sessions, cancels),
        PageExecutor(settings),
        TenantDirectory(settings.auth, sessions),
    )
