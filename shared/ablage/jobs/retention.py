"""Retention for embedded storage, kept consistent with the database: an original stays while a job from
the last 90 days uses it, and jobs whose results have expired leave the database with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from ablage.db.models import Document, Job
from ablage.storage.base import Area
from ablage.storage.local import LocalStorage
from ablage.storage.retention import RETENTION_DAYS, prune


def apply_retention(
    storage: LocalStorage, sessions: sessionmaker[Session], now: datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    moment = now or datetime.now(UTC)

    def recent_documents(area: Area) -> set[str]:
        since = moment - timedelta(days=RETENTION_DAYS[area])
        with sessions() as session:
            return set(session.scalars(select(Job.document_sha256).where(Job.created_at >= since)))

    needed = {Area.originals: recent_documents(Area.originals), Area.thumbnails: recent_documents(Area.thumbnails)}

    def in_use(area: Area, key: str) -> bool:
        return area in needed and key.split("/", 1)[0] in needed[area]

    counts = {str(area): count for area, count in prune(storage, moment, dry_run, in_use).items()}
    if dry_run:
        return counts
    expired = moment - timedelta(days=RETENTION_DAYS[Area.processed])
    with sessions.begin() as session:
        gone = session.execute(delete(Job).where(Job.finished_at < expired).returning(Job.id)).all()
        orphans = session.scalars(select(Document).where(~Document.jobs.any())).all()
        for document in orphans:
            session.delete(document)
        session.flush()
        # The bytes are stored once by hash: they go with the last tenant's document that holds them.
        for sha256 in {document.sha256 for document in orphans}:
            if session.scalar(select(Document.sha256).where(Document.sha256 == sha256).limit(1)) is None:
                storage.delete(Area.originals, sha256)
                storage.delete_prefix(Area.thumbnails, sha256)
    counts["jobs"] = len(gone)
    counts["documents"] = len(orphans)
    return counts
