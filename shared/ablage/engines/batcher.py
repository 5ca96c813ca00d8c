"""Pages from many worker threads, run as one batch through a model.

Worker threads each hold one page; a GPU is fastest with many pages in one ``generate`` call, and a CPU model
with many pages in one forward pass and one round of concurrent server requests. The batcher
owns a single thread that takes what has arrived within ``max_wait`` (up to ``max_batch`` pages and
``max_cost`` tokens), runs it, and hands each page's result back to its thread. When the batch does not fit in
memory it is halved and retried, down to one page; a page that fails alone gets the error.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")

# Successful batches after an out-of-memory split before the batch size may grow again: load changes, and a
# batch that did not fit once is likely not to fit on the next busy moment either.
_RECOVER_AFTER = 32


@dataclass
class _Request(Generic[In, Out]):
    item: In
    cost: int
    future: Future[Out] = field(default_factory=Future)


class MicroBatcher(Generic[In, Out]):
    def __init__(
        self,
        run: Callable[[Sequence[In]], Sequence[Out]],
        *,
        max_batch: int,
        max_cost: int,
        max_wait: float,
        is_oom: Callable[[BaseException], bool],
        on_oom: Callable[[int], None] | None = None,
        name: str = "batcher",
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_cost = max_cost
        self._max_wait = max_wait
        self._is_oom = is_oom
        self._on_oom = on_oom
        self._queue: queue.Queue[_Request[In, Out] | None] = queue.Queue()
        self._held: _Request[In, Out] | None = None
        self.limit = max_batch
        """The current batch size limit: ``max_batch``, or less after running out of memory."""
        self._since_oom = 0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: In, cost: int) -> Future[Out]:
        """``cost``: the page's share of ``max_cost`` (e.g. its prompt and new tokens, or 1 per page)."""
        request: _Request[In, Out] = _Request(item, cost)
        self._queue.put(request)
        return request.future

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _next_batch(self) -> list[_Request[In, Out]] | None:
        first = self._held if self._held is not None else self._queue.get()
        self._held = None
        if first is None:
            return None
        batch, cost = [first], first.cost
        deadline = time.monotonic() + self._max_wait
        while len(batch) < self.limit:
            try:
                request = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if request is None:
                self._queue.put(None)  # stop after this batch
                break
            if cost + request.cost > self._max_cost:
                self._held = request  # it opens the next batch
                break
            batch.append(request)
            cost += request.cost
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            # A page whose thread gave up waiting (timeout) is not worth GPU time.
            live = [request for request in batch if request.future.set_running_or_notify_cancel()]
            if live:
                self._execute(live)

    def _execute(self, batch: list[_Request[In, Out]]) -> None:
        try:
            results = self._run([request.item for request in batch])
        except BaseException as exc:
            if self._is_oom(exc) and len(batch) > 1:
                half = len(batch) // 2
                self.limit = max(1, min(self.limit, half))
                self._since_oom = 0
                log.warning("out of memory at batch size %d; retrying as %d + %d", len(batch), half, len(batch) - half)
                if self._on_oom is not None:
                    self._on_oom(len(batch))
                self._execute(batch[:half])
                self._execute(batch[half:])
                return
            for request in batch:
                request.future.set_exception(exc)
            return
        for request, result in zip(batch, results, strict=True):
            request.future.set_result(result)
        if self.limit < self._max_batch:
            self._since_oom += 1
            if self._since_oom >= _RECOVER_AFTER:
                self.limit = min(self._max_batch, self.limit * 2)
                self._since_oom = 0
