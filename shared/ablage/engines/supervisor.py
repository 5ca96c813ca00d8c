"""Loads the enabled engines in the background, one thread each, and keeps their state: loading, ready, failed
(with the reason and the next attempt, backing off exponentially), not installed, not enabled.

Requests, ``/ready`` and ``/engines`` only read that state; nothing outside the loader threads builds or probes
an engine. A slow engine (a recognition server that does not answer, torch being imported) holds up only its
own thread, and a failed one joins without a restart once what it lacked is there.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from ablage.engines.base import Engine, EngineInfo, EngineInput, PageEngine, page_engine
from ablage.engines.registry import Registration, enabled_engines, registrations
from ablage.errors import EngineNotInstalled, EngineUnavailable
from ablage.settings import Settings

log = logging.getLogger(__name__)

# How long close() waits for a loader thread in the middle of an attempt; they are daemons, so a load that
# cannot be interrupted (weights being read) does not keep the process alive.
_JOIN_TIMEOUT = 5.0


class EngineState(StrEnum):
    loading = "loading"
    ready = "ready"
    failed = "failed"
    not_installed = "not_installed"
    not_enabled = "not_enabled"


@dataclass(frozen=True)
class Backoff:
    initial: float
    maximum: float

    def delay(self, failures: int) -> float:
        """Seconds before the next attempt after ``failures`` failures in a row (1 or more)."""
        # The exponent is capped so that a long-failing engine cannot overflow the float.
        return min(self.maximum, self.initial * 2 ** min(max(failures, 1) - 1, 64))


@dataclass(frozen=True)
class EngineStatus:
    name: str
    state: EngineState
    reason: str | None = None
    """Why the engine is not ready (the last failure while it is retried)."""
    failures: int = 0
    """Failed attempts since it was last ready."""
    retry_in: float | None = None
    """Seconds until the next attempt of a failed engine; None when none is planned."""
    info: EngineInfo | None = None
    reads: EngineInput | None = None

    @property
    def available(self) -> bool:
        return self.state is EngineState.ready

    @property
    def languages(self) -> list[str]:
        return list(self.info.languages) if self.info is not None and self.available else []

    def next_attempt_in(self, retry_initial: float) -> float | None:
        """Seconds until this engine may be ready: its next attempt, or the first back-off while it loads."""
        if self.state is EngineState.loading:
            return retry_initial
        return self.retry_in

    def unavailable(self, retry_initial: float) -> EngineUnavailable:
        """The problem for a request that needs this engine now."""
        name = repr(self.name)
        if self.state is EngineState.not_installed:
            return EngineNotInstalled(f"engine {name} is not installed here: {self.reason}")
        if self.state is EngineState.not_enabled:
            return EngineUnavailable(f"engine {name} is not enabled here: {self.reason}")
        if self.state is EngineState.loading:
            why = f"; its last attempt failed: {self.reason}" if self.reason else ""
            return EngineUnavailable(f"engine {name} is still loading{why}", retry_after=math.ceil(retry_initial))
        retry_after = max(1, math.ceil(self.retry_in)) if self.retry_in is not None else None
        return EngineUnavailable(f"engine {name} is unavailable: {self.reason}", retry_after=retry_after)


@dataclass
class _Slot:
    """One engine's state; the supervisor's condition guards every field."""

    name: str
    state: EngineState
    reason: str | None = None
    failures: int = 0
    retry_at: float | None = None
    engine: Engine | None = None
    attempted: bool = False
    """Its first attempt has finished (the factory returned or raised)."""
    thread: threading.Thread | None = field(default=None, repr=False)


class EngineSupervisor:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self.backoff = Backoff(settings.ocr.engine_retry_initial, settings.ocr.engine_retry_max)
        self._registrations = registrations()
        self.enabled = tuple(enabled_engines(settings))
        self._slots: dict[str, _Slot] = {}
        self._changed = threading.Condition()
        self._stopping = threading.Event()

    @classmethod
    @contextmanager
    def running(cls, settings: Settings, names: Iterable[str]) -> Iterator[EngineSupervisor]:
        """For commands: the engines ``names`` start loading; all are closed at the end."""
        supervisor = cls(settings)
        supervisor.start(names)
        try:
            yield supervisor
        finally:
            supervisor.close()

    def registration(self, name: str) -> Registration | None:
        return self._registrations.get(name)

    def registered(self) -> list[str]:
        return list(self._registrations)

    # -- starting ---------------------------------------------------------------------------------------

    def start(self, names: Iterable[str]) -> None:
        """Each enabled engine of ``names`` starts loading in a thread of its own; the others get their state."""
        for name in dict.fromkeys(names):
            with self._changed:
                if name in self._slots:
                    continue
                registration = self._registrations.get(name)
                if registration is None or name not in self.enabled:
                    unstarted = self._unstarted(name)
                    self._slots[name] = _Slot(name, unstarted.state, unstarted.reason, attempted=True)
                    if registration is None and name in self.enabled:
                        log.warning("engine %s is not installed: %s", name, unstarted.reason)
                    continue
                slot = _Slot(name, EngineState.loading)
                slot.thread = threading.Thread(
                    target=self._keep_loading, args=(slot, registration), name=f"engine-{name}", daemon=True
                )
                self._slots[name] = slot
            slot.thread.start()

    def wait_started(self, timeout: float) -> bool:
        """Waits until every started engine's first attempt has finished; False if some still run after
        ``timeout`` s (they go on in the background). GPU engines count once built: their weights load on."""
        with self._changed:
            return self._changed.wait_for(lambda: all(slot.attempted for slot in self._slots.values()), timeout)

    def wait(self, name: str, timeout: float | None) -> EngineStatus:
        """Waits until ``name`` is no longer loading (ready, failed, not installed or not enabled), at most
        ``timeout`` s, and returns its state. For commands and workers, never for requests."""
        with self._changed:
            slot = self._slots.get(name)
            if slot is not None:
                self._changed.wait_for(
                    lambda: slot.state is not EngineState.loading or self._stopping.is_set(), timeout
                )
        return self.status(name)

    # -- reading ----------------------------------------------------------------------------------------

    def status(self, name: str) -> EngineStatus:
        with self._changed:
            slot = self._slots.get(name)
            if slot is None:
                return self._unstarted(name)
            state, reason, failures, retry_at, engine = (
                slot.state,
                slot.reason,
                slot.failures,
                slot.retry_at,
                slot.engine,
            )
        info = engine.info() if engine is not None else None
        reads = engine.reads if engine is not None else None
        if state is EngineState.ready and info is not None and not info.loaded:
            # A GPU engine whose CUDA context broke says so itself; it stays out until the process is replaced.
            return EngineStatus(name, EngineState.failed, info.detail, failures, None, info, reads)
        retry_in = max(0.0, retry_at - self._clock()) if state is EngineState.failed and retry_at else None
        return EngineStatus(name, state, reason, failures, retry_in, info, reads)

    def _unstarted(self, name: str) -> EngineStatus:
        if name not in self._registrations:
            reason = f"no installed package declares an engine named {name!r} (entry points ablage.engines)"
            return EngineStatus(name, EngineState.not_installed, reason)
        if name not in self.enabled:
            return EngineStatus(name, EngineState.not_enabled, "not in ENABLED_ENGINES")
        return EngineStatus(name, EngineState.not_enabled, "enabled, but this process does not load it")

    def is_available(self, name: str) -> bool:
        return self.status(name).available

    def get(self, name: str) -> Engine:
        """The ready engine, or EngineUnavailable with the reason and, where known, when to try again."""
        status = self.status(name)
        if not status.available:
            raise status.unavailable(self.backoff.initial)
        with self._changed:
            engine = self._slots[name].engine
        if engine is None:
            raise EngineUnavailable(f"engine {name!r} has been closed: the process is stopping")
        return engine

    def pages(self, name: str) -> PageEngine:
        """The ready engine ``name`` as a reader of page images (EngineUnavailable otherwise)."""
        return page_engine(self.get(name))

    # -- loading ----------------------------------------------------------------------------------------

    def _keep_loading(self, slot: _Slot, registration: Registration) -> None:
        while not self._stopping.is_set():
            self._attempt(slot, registration)
            with self._changed:
                if slot.state is not EngineState.failed or slot.retry_at is None:
                    return
                delay = slot.retry_at - self._clock()
            if self._stopping.wait(max(0.0, delay)):
                return

    def _attempt(self, slot: _Slot, registration: Registration) -> None:
        self._update(slot, EngineState.loading)
        try:
            try:
                factory = registration.load()
                engine = factory(self._settings)
            except ImportError as exc:
                if (exc.name or "").split(".")[0] in ("ablage", "ablage_services"):
                    raise  # a bug of this project's, not a missing library
                raise EngineNotInstalled(f"{exc} ({registration.install_hint()})") from exc
            with self._changed:
                slot.engine = engine
                slot.attempted = True
                self._changed.notify_all()
            # GPU engines read their weights in a thread of their own; this one waits for it.
            wait_loaded = getattr(engine, "wait_loaded", None)
            if wait_loaded is not None and not wait_loaded(None):
                reason = engine.info().detail or "failed to load"
                error = getattr(engine, "load_error", None)
                self._discard(slot)
                self._failed(slot, reason, error)
                return
            if self._stopping.is_set():
                self._discard(slot)
                return
            self._ready(slot)
        except EngineNotInstalled as exc:
            self._update(slot, EngineState.not_installed, exc.detail)
            log.warning("engine %s is not installed: %s", slot.name, exc.detail)
        except EngineUnavailable as exc:
            self._failed(slot, exc.detail, None)
        except Exception as exc:
            # Clients see the exception's type only; the log keeps the traceback.
            self._failed(slot, f"{type(exc).__name__} while loading", exc)
        finally:
            with self._changed:
                slot.attempted = True
                self._changed.notify_all()

    def _update(self, slot: _Slot, state: EngineState, reason: str | None = None) -> None:
        with self._changed:
            slot.state = state
            if reason is not None:
                slot.reason = reason
            self._changed.notify_all()

    def _ready(self, slot: _Slot) -> None:
        with self._changed:
            failures = slot.failures
            slot.state, slot.reason, slot.failures, slot.retry_at = EngineState.ready, None, 0, None
            self._changed.notify_all()
        again = f" after {failures} failed attempt(s)" if failures else ""
        log.info("engine %s ready%s", slot.name, again)

    def _failed(self, slot: _Slot, reason: str, error: BaseException | None) -> None:
        with self._changed:
            new = slot.failures == 0 or reason != slot.reason
            slot.failures += 1
            delay = self.backoff.delay(slot.failures)
            slot.state, slot.reason, slot.retry_at = EngineState.failed, reason, self._clock() + delay
            self._changed.notify_all()
        if not new:
            log.debug("engine %s still unavailable: %s; next attempt in %.0f s", slot.name, reason, delay)
        elif error is not None:
            log.error("engine %s failed to load; next attempt in %.0f s", slot.name, delay, exc_info=error)
        else:
            log.warning("engine %s is unavailable: %s; next attempt in %.0f s", slot.name, reason, delay)

    def _discard(self, slot: _Slot) -> None:
        with self._changed:
            engine, slot.engine = slot.engine, None
        if engine is not None:
            engine.close()

    # -- stopping ---------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stops the loader threads and closes every engine built."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
            slots = list(self._slots.values())
        for slot in slots:
            if slot.thread is not None and slot.thread is not threading.current_thread():
                slot.thread.join(_JOIN_TIMEOUT)
        for slot in slots:
            try:
                self._discard(slot)
            except Exception:
                log.exception("closing engine %s failed", slot.name)
