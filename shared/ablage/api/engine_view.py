"""An engine's state as ``/ready`` and ``{prefix}/engines`` show it."""

from __future__ import annotations

from typing import Any

from ablage.engines.supervisor import EngineStatus


def engine_view(status: EngineStatus) -> dict[str, Any]:
    info = status.info
    view: dict[str, Any] = {
        "name": status.name,
        "state": status.state.value,
        "version": info.version if info is not None else "",
        "languages": status.languages,
        "loaded": status.available,
        "device": info.device if info is not None else "cpu",
        "detail": status.reason if not status.available else (info.detail if info is not None else None),
        "extra": dict(info.extra) if info is not None else {},
    }
    if status.reads is not None:
        view["reads"] = status.reads.value
    if status.failures:
        view["failures"] = status.failures
    if status.retry_in is not None:
        view["retry_in"] = round(status.retry_in, 1)
    return view
