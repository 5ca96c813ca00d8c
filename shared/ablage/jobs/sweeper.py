"""Finds jobs the queue no longer holds and sends them again; the database row is the record.

Covers: an upload accepted while Redis was down (the row exists, ``enqueued_at`` is NULL), a queue that lost
its data (Redis restarted without persistence), and a worker that died with no redelivery following. A job
sent twice is harmless: the worker's claim lets one delivery run it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import Job, JobStatus, utcnow
from ablage.jobs.lifecycle import JobLifecycle
from ablage.jobs.queue import JobQueue, QueueUnavailable
from ablage.settings import QueueSettings

log = logging.getLogger(__name__)

_BATCH = 500


class Sweeper:
    def __init__(
        self, settings: QueueSettings, sessions: sessionmaker[Session], queue: JobQueue, lifecycle: JobLifecycle
    ) -> None:
        self._lifecycle = lifecycle
        self._settings = settings
        self._sessions = sessions
        self._queue = queue
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep_once(self) -> int:
        """Returns how many jobs were sent to the queue."""
        now = utcnow()
        resend_before = now - timedelta(seconds=self._settings.requeue_after)
        with self._sessions.begin() as session:
            self._lifecycle.requeue_orphans(session)
            waiting = session.execute(
                select(Job.id, Job.queue)
                .where(
                    Job.status == JobStatus.queued,
                    or_(Job.enqueued_at.is_(None), Job.enqueued_at < resend_before),
                )
                .order_by(Job.created_at)
                .limit(_BATCH)
                # Replicas sweep at the same time; each takes different rows.
                .with_for_update(skip_locked=True)
            ).all()
            sent: list[str] = []
            for job_id, queue_name in waiting:
                try:
                    self._queue.enqueue(job_id, queue_name)
                except QueueUnavailable:
                    break
                sent.append(job_id)
            if sent:
                self._lifecycle.mark_sent(sent, session)
        if sent:
            log.info("sent %d waiting job(s) to the queue", len(sent))
        return len(sent)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="job-sweeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._settings.sweep_interval):
            try:
                self.sweep_once()
            except Exception:
                # Database or Redis down: the next round tries again.
                log.warning("job sweep failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
