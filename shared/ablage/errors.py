"""The service's own failures; ``ablage.api.problems`` turns each into RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any, ClassVar


class AblageError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    retry_after: int | None = None
    """Seconds after which a retry may succeed; sent as ``Retry-After``."""
    headers: dict[str, str] | None = None
    """Further response headers the problem needs (``WWW-Authenticate``, ``RateLimit``)."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross from page processes to the job's worker; the default reduce would call __init__ with the
        # detail alone and drop the fields subclasses add (EngineFallback's reason, Retry-After).
        return (_restore, (type(self), self.detail, dict(self.__dict__)))

    def problem(self) -> dict[str, Any]:
        return {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def _restore(cls: type[AblageError], detail: str, state: dict[str, Any]) -> AblageError:
    error = cls.__new__(cls)
    Exception.__init__(error, detail)
    error.__dict__.update(state)
    return error


class BadRequest(AblageError):
    status = 400
    slug = "bad-request"
    title = "Malformed request"


class InvalidOption(AblageError):
    """A well-formed option that names something this service cannot do (an engine, a language, a page)."""

    status = 422
    slug = "invalid-option"
    title = "Option cannot be honoured"


class DocumentTooLarge(AblageError):
    status = 413
    slug = "document-too-large"
    title = "Upload exceeds MAX_UPLOAD_SIZE"


class UnsupportedMediaType(AblageError):
    status = 415
    slug = "unsupported-media-type"
    title = "Document type not allowed"


class InvalidDocument(AblageError):
    status = 422
    slug = "invalid-document"
    title = "Document cannot be processed"


class EncryptedDocument(InvalidDocument):
    slug = "encrypted-document"
    title = "Document is encrypted"


class TooManyPages(InvalidDocument):
    slug = "too-many-pages"
    title = "Document has too many pages"


class TooManyPixels(InvalidDocument):
    slug = "too-many-pixels"
    title = "Image exceeds the pixel limit"


class ProcessingTimeout(InvalidDocument):
    slug = "processing-timeout"
    title = "Processing exceeded PROCESSING_TIMEOUT"


class PageTooLarge(DocumentTooLarge):
    """A page needed more memory than its process may have; the document, not the service, is the cause."""

    title = "Page needs more memory than PAGE_MEMORY_LIMIT"


class PageProcessDied(InvalidDocument):
    slug = "page-process-died"
    title = "The process reading a page stopped"


class JobCancelled(AblageError):
    """Recorded as the error of a job a client cancelled."""

    status = 409
    slug = "job-cancelled"
    title = "Job was cancelled"


class JobFinished(AblageError):
    status = 409
    slug = "job-finished"
    title = "Job has already finished"


class JobNotFound(AblageError):
    status = 404
    slug = "job-not-found"
    title = "No such job"


class DocumentNotFound(AblageError):
    status = 404
    slug = "document-not-found"
    title = "No such document"


class PageNotFound(AblageError):
    status = 404
    slug = "page-not-found"
    title = "No such page in the job"


class ResultNotReady(AblageError):
    status = 409
    slug = "result-not-ready"
    title = "Job has not finished"


class ResultExpired(AblageError):
    status = 410
    slug = "result-expired"
    title = "Result no longer stored"


class IdempotencyKeyReused(AblageError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key was used for a different request"


class DependencyUnavailable(AblageError):
    """The database or storage is unreachable: nothing was accepted, the client should retry."""

    status = 503
    slug = "dependency-unavailable"
    title = "A backing service is unavailable"


class EngineUnavailable(AblageError):
    status = 503
    slug = "engine-unavailable"
    title = "OCR engine unavailable"

    def __init__(self, detail: str, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class EngineNotInstalled(EngineUnavailable):
    """The engine's libraries are missing from this install: trying again cannot help."""


class EngineFallback(AblageError):
    """The engine cannot read this page (GPU memory exhausted at batch size 1, CUDA unusable): the job should
    run again on a CPU engine instead of failing."""

    status = 503
    slug = "engine-fallback"
    title = "OCR engine handed the job to a fallback engine"

    def __init__(self, detail: str, reason: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.reason = reason


class Backpressure(AblageError):
    status = 503
    slug = "overloaded"
    title = "Service is overloaded"

    def __init__(self, detail: str, retry_after: int = 30, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Unauthorized(AblageError):
    """No credentials, or ones that are not (or no longer) valid. The answer never says which."""

    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str, error: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        # RFC 6750: a request without credentials gets the bare challenge, a rejected token its error code.
        challenge = 'Bearer realm="ablage"' + (f', error="{error}"' if error else "")
        self.headers = {"WWW-Authenticate": challenge}


class TooManyRequests(AblageError):
    """A tenant is over one of its limits; other tenants are not affected."""

    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, retry_after)
        self.headers = headers


class QuotaExceeded(TooManyRequests):
    slug = "quota-exceeded"
    title = "Quota exceeded"
