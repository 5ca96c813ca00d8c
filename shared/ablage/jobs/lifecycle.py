"""Every change of a job's status, in one place: admitted, claimed, heartbeat and progress, finished, released
for another attempt, moved to another queue, cancelled, and re-queued by start-up recovery or the sweeper.

queued → running → succeeded | failed; queued | running → cancelled; running → queued (a transient failure, a
dead worker, a move to the CPU queue). A worker changes a running job only while it holds the claim (its holder
string in ``worker``), so a job presumed dead and claimed again cannot be finished twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, object_session, sessionmaker

from ablage.db.models import Job, JobStatus, Tenant, utcnow
from ablage.errors import JobCancelled, JobFinished, JobNotFound
from ablage.jobs.cancellation import CancelSignals
from ablage.settings import QueueSettings
from ablage.webhooks.outbox import record_final_event

log = logging.getLogger(__name__)


class JobDeleted(Exception):
    """The job's row went away while it ran (a client deleted it)."""


class JobLost(Exception):
    """The worker no longer holds the job: another worker claimed it, or it was cancelled."""

    def __init__(self, job_id: str, status: JobStatus | None = None) -> None:
        super().__init__(job_id)
        self.status = status

    @property
    def cancelled(self) -> bool:
        return self.status is JobStatus.cancelled


class TenantAtCapacity(Exception):
    """The job's tenant already runs as many jobs as it may; the job waits in the queue."""


class JobLifecycle:
    def __init__(self, settings: QueueSettings, sessions: sessionmaker[Session], cancels: CancelSignals) -> None:
        self._settings = settings
        self._sessions = sessions
        self.cancels = cancels

    # -- admission ----------------------------------------------------------------------------------

    def admit(self, session: Session, job: Job, reused_from: str | None) -> None:
        """Adds the new job in the caller's transaction: succeeded at once when it reuses the result of the
        earlier job ``reused_from`` (already copied), queued otherwise."""
        if reused_from is not None:
            job.status = JobStatus.succeeded
            job.result_from = reused_from
            job.pages_done = len(job.pages)
            job.started_at = job.finished_at = utcnow()
        else:
            job.status = JobStatus.queued
        session.add(job)
        session.flush()
        if job.finished:
            record_final_event(session, job)

    def mark_sent(self, job_ids: Sequence[str], session: Session | None = None) -> None:
        """The queue accepted these jobs (the sweeper resends a queued job that the queue never heard of)."""
        statement = (
            update(Job)
            .where(Job.id.in_(list(job_ids)))
            .values(enqueued_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if session is not None:
            session.execute(statement)
            return
        with self._sessions.begin() as own:
            own.execute(statement)

    def queue_of(self, job_id: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(Job.queue).where(Job.id == job_id))

    def status(self, job_id: str) -> JobStatus | None:
        with self._sessions() as session:
            return session.scalar(select(Job.status).where(Job.id == job_id))

    # -- a worker's hold on a job -------------------------------------------------------------------

    def claim(self, job_id: str, holder: str, max_running: Callable[[str], int] | None = None) -> Job | None:
        """Takes a queued job, or a running one whose worker stopped beating; None if another delivery has it,
        or it finished, was cancelled or deleted. TenantAtCapacity when ``max_running(tenant)`` (0: no limit) of
        the tenant's jobs already run: claims of one tenant are serialised by locking its row."""
        now = utcnow()
        stale = now - timedelta(seconds=self._settings.queue_visibility_timeout)
        claimable = or_(
            Job.status == JobStatus.queued,
            and_(Job.status == JobStatus.running, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale)),
        )
        with self._sessions.begin() as session:
            tenant = session.scalar(select(Job.tenant_id).where(Job.id == job_id))
            if tenant is None:
                return None
            cap = max_running(tenant) if max_running is not None else 0
            if cap:
                session.scalar(select(Tenant.id).where(Tenant.id == tenant).with_for_update())
                running = session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.tenant_id == tenant, Job.status == JobStatus.running, Job.id != job_id)
                )
                if (running or 0) >= cap:
                    raise TenantAtCapacity(tenant)
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Job)
                .where(Job.id == job_id, claimable)
                .values(
                    status=JobStatus.running,
                    attempts=Job.attempts + 1,
                    worker=holder,
                    heartbeat_at=now,
                    started_at=now,
                    pages_done=0,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                return None
            job = session.get(Job, job_id)
            assert job is not None
            session.expunge(job)
            return job

    def _update(self, job_id: str, holder: str, change: Callable[[Job], None]) -> None:
        with self._sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise JobDeleted(job_id)
            if job.worker != holder or job.finished:
                raise JobLost(job_id, job.status)
            change(job)

    def heartbeat(self, job_id: str, holder: str) -> None:
        def touch(job: Job) -> None:
            job.heartbeat_at = utcnow()

        self._update(job_id, holder, touch)

    def progress(self, job_id: str, holder: str, done: int) -> None:
        def advance(job: Job) -> None:
            job.pages_done = done
            job.heartbeat_at = utcnow()

        self._update(job_id, holder, advance)

    def finish(
        self,
        job_id: str,
        holder: str,
        status: JobStatus,
        problem: dict[str, object] | None,
        also: Callable[[Session, Job], None] | None = None,
    ) -> None:
        """``also`` writes what goes with the job's end (its search index entries) in the same transaction."""
        finished: datetime = utcnow()

        def finish(job: Job) -> None:
            job.status = status
            job.error = problem
            job.finished_at = finished
            job.heartbeat_at = None
            # The event joins the transaction that ends the job: both are kept, or neither.
            own = object_session(job)
            assert own is not None
            record_final_event(own, job)
            if also is not None:
                also(own, job)

        self._update(job_id, holder, finish)

    def release(self, job_id: str, holder: str, reason: str) -> None:
        """Back to the queue after a transient failure; the retry claims it again."""

        def release(job: Job) -> None:
            job.status = JobStatus.queued
            job.heartbeat_at = None
            job.error = {"detail": reason}

        self._update(job_id, holder, release)

    def move(self, job_id: str, holder: str, engine: str, queue: str, note: str) -> None:
        """To another engine on another queue, where it starts over (a GPU job falling back to the CPU)."""

        def move(job: Job) -> None:
            job.engine = engine
            job.queue = queue
            job.status = JobStatus.queued
            job.attempts = max(0, job.attempts - 1)  # the GPU's failure is not the document's
            job.pages_done = 0
            job.heartbeat_at = None
            job.error = {"detail": note}

        self._update(job_id, holder, move)

    # -- cancelling ---------------------------------------------------------------------------------

    def cancel(self, job_id: str, reason: str = "cancelled by the client") -> Job:
        """Ends a queued or running job as cancelled and tells its worker, wherever it runs, to stop its pages.
        JobFinished (409) for a job that has already ended."""
        with self._sessions.begin() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise JobNotFound(f"there is no job {job_id}")
            if job.finished:
                raise JobFinished(f"the job has already {job.status}; only queued or running jobs can be cancelled")
            was_running = job.status is JobStatus.running
            job.status = JobStatus.cancelled
            job.finished_at = utcnow()
            job.heartbeat_at = None
            job.error = JobCancelled(f"{reason} after {job.pages_done} of {len(job.pages)} pages").problem()
            record_final_event(session, job)
            session.flush()
            session.expunge(job)
        if was_running:
            self.cancels.request(job_id)
        return job

    def stop_if_running(self, job_id: str) -> None:
        """A running job is about to be deleted: its worker stops at once instead of at its next write."""
        if self.status(job_id) is JobStatus.running:
            self.cancels.request(job_id)

    # -- recovery -----------------------------------------------------------------------------------

    def requeue_unfinished(self) -> list[tuple[str, str]]:
        """At start-up without a shared queue: every job a previous process accepted but did not finish is
        queued again. Returns (id, queue) in the order they came."""
        with self._sessions.begin() as session:
            jobs = session.scalars(
                select(Job).where(Job.status.in_([JobStatus.queued, JobStatus.running])).order_by(Job.created_at)
            ).all()
            for job in jobs:
                job.status = JobStatus.queued
                job.heartbeat_at = None
            return [(job.id, job.queue) for job in jobs]

    def requeue_orphans(self, session: Session) -> int:
        """Running jobs whose worker stopped beating long ago go back to the queue; the count."""
        # Twice the visibility timeout: the queue's own redelivery of a dead worker's job comes first.
        dead_before = utcnow() - timedelta(seconds=2 * self._settings.queue_visibility_timeout)
        orphaned: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.status == JobStatus.running, Job.heartbeat_at < dead_before)
            .values(status=JobStatus.queued, heartbeat_at=None, enqueued_at=None)
            .execution_options(synchronize_session=False)
        )
        if orphaned.rowcount:
            log.warning("%d running job(s) lost their worker; re-queueing", orphaned.rowcount)
        return int(orphaned.rowcount)
