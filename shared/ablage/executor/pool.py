"""The page processes of one service process, shared by all its jobs (``PageExecutor``).

A pebble ``ProcessPool`` runs each page in a child process with a memory limit (PAGE_MEMORY_LIMIT) and
kills the child when the page passes PAGE_TIMEOUT, when its job passes PROCESSING_TIMEOUT or is cancelled; a
child that dies (out of memory, a crash in a C library) fails only its page. The pool replaces every child it
loses, so the worker and its other jobs go on.

Children are forked from a fork server that imports only this package's document code, never from the service
process itself: its threads (HTTP, heartbeats, the queue's consumers) and their locks do not leak into them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessFuture, ProcessPool

from ablage.engines.registry import registered_in_code
from ablage.errors import (
    AblageError,
    EngineUnavailable,
    PageProcessDied,
    PageTooLarge,
    ProcessingTimeout,
)
from ablage.executor import child
from ablage.executor.page import PageOutcome, PageWork
from ablage.metrics import PAGES_STOPPED
from ablage.results.model import Page
from ablage.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a waiting job looks at its cancel flag and deadline; well inside the 2 s a cancel may take.
_POLL = 0.1
_STOP_WAIT = 5.0
_CONTEXT_LOCK = threading.Lock()
_CONTEXT: Any = None


class Cancelled(Exception):
    """The job was cancelled while its pages ran; their processes have been stopped."""


def _context() -> Any:
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["ablage.executor.child"])
            _CONTEXT = context
        return _CONTEXT


def _problem(error: BaseException, what: str, settings: Settings) -> BaseException:
    """The problem a page's failure in its process stands for."""
    if isinstance(error, CancelledError):
        PAGES_STOPPED.labels("cancelled").inc()
        return Cancelled(what)
    if isinstance(error, TimeoutError) and error.args[:1] == ("Task timeout",):
        # pebble's own: the child was killed at the limit.
        PAGES_STOPPED.labels("timeout").inc()
        return ProcessingTimeout(
            f"{what} took longer than PAGE_TIMEOUT ({settings.ocr.page_timeout:g} s); its process was stopped"
        )
    if isinstance(error, ProcessExpired):
        PAGES_STOPPED.labels("died").inc()
        code = error.exitcode or 0
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            likely = ", most often by the kernel's out-of-memory killer" if -code == signal.SIGKILL else ""
            how = f"was killed by {name}{likely}"
        else:
            how = f"exited with status {code}"
        return PageProcessDied(f"the process reading {what} {how}; the page cannot be read here")
    if isinstance(error, PageTooLarge):
        PAGES_STOPPED.labels("memory").inc()
        return error
    if isinstance(error, MemoryError):
        # Raised outside the page's own work (handing its result back): the child's own answer, all the same.
        PAGES_STOPPED.labels("memory").inc()
        return child.memory_problem(what, settings)
    if isinstance(error, AblageError):
        return error
    log.error("%s failed in its page process: %r\n%s", what, error, getattr(error, "traceback", ""))
    return AblageError(f"reading {what} failed unexpectedly; the error has been logged")


class PageExecutor:
    def __init__(self, settings: Settings, *, processes: int | None = None) -> None:
        self._settings = settings
        self.processes = processes or settings.ocr.page_processes
        self._warm: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self._pools: dict[str, ProcessPool] = {}
        self._closed = False

    # -- pools --------------------------------------------------------------------------------------

    def _pool(self, name: str) -> ProcessPool:
        """``pages``: the page processes; ``inspect``: one small process for uploads, so that opening an upload
        never waits behind the pages of running jobs."""
        with self._lock:
            if self._closed:
                raise EngineUnavailable("the page processes are stopping", retry_after=5)
            pool = self._pools.get(name)
            # Not ``pool.active``: a pool is inactive until its first task starts it, and replacing it then
            # would drop a running pool (its semaphores go with the object, and its next process cannot start).
            if pool is None:
                pages = name == "pages"
                config = child.ChildConfig(self._settings, registered_in_code(), self._warm if pages else ())
                pool = ProcessPool(
                    max_workers=self.processes if pages else 1,
                    initializer=child.start,
                    initargs=(config,),
                    context=_context(),
                )
                self._pools[name] = pool
            return pool

    def _schedule(
        self, pool_name: str, function: Callable[..., Any], args: Sequence[Any], timeout: float | None
    ) -> ProcessFuture[Any]:
        pool = self._pool(pool_name)
        try:
            return pool.schedule(function, args=list(args), timeout=timeout)
        except RuntimeError:
            # The pool broke (all its processes failed at once): a fresh one takes over.
            with self._lock:
                if self._pools.get(pool_name) is pool:
                    del self._pools[pool_name]
            pool.stop()
            log.warning("the %s processes failed; starting new ones", pool_name)
            return self._pool(pool_name).schedule(function, args=list(args), timeout=timeout)

    def start(self, warm: Iterable[str] = ()) -> None:
        """Starts the page processes now, each building and warming the engines ``warm``, instead of with the
        first page."""
        self._warm = tuple(warm)
        for _ in range(self.processes):
            self._schedule("pages", child.ping, (), None)
        self._schedule("inspect", child.ping, (), None)

    # -- calls --------------------------------------------------------------------------------------

    def _check(
        self, future: ProcessFuture[Any], what: str, deadline: float | None, cancelled: threading.Event | None
    ) -> None:
        if cancelled is not None and cancelled.is_set():
            future.cancel()
            PAGES_STOPPED.labels("cancelled").inc()
            raise Cancelled(what)
        if deadline is not None and time.monotonic() >= deadline:
            future.cancel()
            PAGES_STOPPED.labels("timeout").inc()
            raise ProcessingTimeout(f"{what} was stopped when the processing timeout ran out")

    def _outcome(self, future: ProcessFuture[Any], what: str) -> Any:
        try:
            return future.result()
        except BaseException as exc:
            raise _problem(exc, what, self._settings) from None

    def _await(
        self, future: ProcessFuture[Any], what: str, deadline: float | None, cancelled: threading.Event | None
    ) -> Any:
        while not future.done():
            self._check(future, what, deadline, cancelled)
            wait([future], timeout=_POLL)
        return self._outcome(future, what)

    def call(
        self,
        function: Callable[..., T],
        *args: Any,
        what: str,
        timeout: float,
        cancelled: threading.Event | None = None,
    ) -> T:
        """``function(*args)`` in a page process, killed after ``timeout`` s or when ``cancelled`` is set."""
        future = self._schedule("pages", function, args, timeout)
        result: T = self._await(future, what, time.monotonic() + timeout, cancelled)
        return result

    def inspect(self, path: str) -> tuple[str, int]:
        """An upload's kind and page count, sniffed, checked and opened in a process of its own within
        INSPECT_TIMEOUT; raises the problems of ``ablage.documents`` (415, 422)."""
        timeout = self._settings.ocr.inspect_timeout
        future = self._schedule("inspect", child.inspect, (path,), timeout)
        try:
            found: tuple[str, int] = self._await(future, "the upload", None, None)
        except ProcessingTimeout:
            raise ProcessingTimeout(
                f"opening the upload took longer than INSPECT_TIMEOUT ({timeout:g} s); it was stopped"
            ) from None
        return found

    def preview(self, pdf_path: str, index: int, width: int) -> bytes:
        """A page of a job's searchable PDF as WebP, in the small process that also opens uploads (an API process
        starts no page processes of its own), within INSPECT_TIMEOUT."""
        future = self._schedule("inspect", child.preview, (pdf_path, index, width), self._settings.ocr.inspect_timeout)
        image: bytes = self._await(future, f"page {index + 1}", None, None)
        return image

    def read_pages(
        self, works: Sequence[PageWork], *, deadline: float, cancelled: threading.Event | None = None
    ) -> Iterator[PageOutcome]:
        """The pages' outcomes in order. Up to ``processes`` pages of this job run at once (a page that finishes
        early makes room for the next at once, even while an earlier one still runs), so a long document uses
        every process, and the pages of concurrent jobs interleave instead of queueing behind it. Whatever ends
        the iteration early (a failed page, the deadline, a cancel, the caller) stops the job's pages."""
        page_timeout = self._settings.ocr.page_timeout
        futures: dict[int, ProcessFuture[Any]] = {}
        submitted = 0
        try:
            for index, work in enumerate(works):
                while True:
                    running = [future for future in futures.values() if not future.done()]
                    while submitted < len(works) and len(running) < self.processes:
                        limit = max(0.001, min(page_timeout, deadline - time.monotonic()))
                        future = self._schedule("pages", child.read, (works[submitted], limit), page_timeout)
                        futures[submitted] = future
                        running.append(future)
                        submitted += 1
                    head = futures[index]
                    self._check(head, f"page {work.number}", deadline, cancelled)
                    if head.done():
                        break
                    wait([head, *running], timeout=_POLL, return_when=FIRST_COMPLETED)
                del futures[index]
                yield self._outcome(head, f"page {work.number}")
        finally:
            for future in futures.values():
                future.cancel()

    def convert(
        self,
        engine: str,
        path: str,
        kind: str,
        *,
        pages: Sequence[int],
        languages: Sequence[str],
        deadline: float,
        cancelled: threading.Event | None = None,
    ) -> list[Page]:
        """A document engine's conversion in a page process, under the job's deadline and the memory limit."""
        remaining = max(0.001, deadline - time.monotonic())
        future = self._schedule(
            "pages", child.convert, (engine, path, kind, list(pages), list(languages), remaining), remaining
        )
        converted: list[Page] = self._await(future, "the document", deadline, cancelled)
        return converted

    # -- stopping -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Stops every page process (a page still running is killed: its job is redelivered)."""
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.stop()
        for pool in pools:
            pool.join(_STOP_WAIT)
