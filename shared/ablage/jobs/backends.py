"""The parts jobs run against, built once per process (``ablage.runtime.build_backends``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ablage.engines.supervisor import EngineSupervisor
from ablage.executor.pool import PageExecutor
from ablage.jobs.completion import CompletionWaiters
from ablage.jobs.lifecycle import JobLifecycle
from ablage.jobs.queue import JobQueue
from ablage.settings import Settings
from ablage.storage.base import Storage
from ablage.tenancy.tenants import TenantDirectory


@dataclass
class Backends:
    settings: Settings
    db: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    queue: JobQueue
    engines: EngineSupervisor
    """Not started: the process starts the engines it serves (``engines.start``)."""
    waiters: CompletionWaiters
    lifecycle: JobLifecycle
    pages: PageExecutor
    """Not started: processes that run jobs start it (``pages.start``); others use it to inspect uploads."""
    tenants: TenantDirectory

    # Topics of the queue's pub/sub between processes.
    COMPLETED = "completed"
    CANCEL = "cancel"

    def close(self) -> None:
        self.queue.stop()
        self.pages.close()
        self.engines.close()
        self.db.dispose()
