"""The worker's liveness: a busy thread silent past its limits fails /live and withholds systemd's watchdog."""

from __future__ import annotations

import pickle
import socket
from pathlib import Path

import httpx
import pytest
from ablage.errors import EngineFallback, EngineUnavailable, PageTooLarge
from ablage.jobs.liveness import Liveness
from ablage.jobs.worker_health import WorkerHealth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_busy_thread_is_stalled_only_when_silent_past_its_allowance() -> None:
    clock = Clock()
    liveness = Liveness(allowed=180, clock=clock)
    assert liveness.stalls() == []
    with liveness.busy("job-1") as step:
        clock.now += 170
        assert liveness.stalls() == []
        step()
        clock.now += 179
        assert liveness.stalls() == []
        clock.now += 2
        [stall] = liveness.stalls()
        assert (stall.job_id, round(stall.silent_for)) == ("job-1", 181)
    # Idle again: a thread waiting for work is not stuck.
    clock.now += 1000
    assert liveness.stalls() == [] and liveness.busy_threads() == 0


def test_live_answers_503_with_the_stalled_job_and_metrics_are_served() -> None:
    clock = Clock()
    liveness = Liveness(allowed=10, clock=clock)
    health = WorkerHealth(liveness)
    port = health.serve("127.0.0.1", 0)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/live").json() == {"status": "alive", "busy_threads": 0}
            with liveness.busy("job-7"):
                clock.now += 11
                stalled = client.get("/live")
                assert stalled.status_code == 503
                assert stalled.headers["content-type"] == "application/problem+json"
                assert "job-7" in stalled.json()["detail"]
            assert client.get("/live").status_code == 200
            metrics = client.get("/metrics")
            assert metrics.status_code == 200 and "ablage_pages_total" in metrics.text
            assert client.get("/other").status_code == 404
    finally:
        health.stop()


def test_systemd_hears_ready_and_the_watchdog_only_while_alive(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    address = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(address))
        server.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(address))
        monkeypatch.setenv("WATCHDOG_USEC", "100000")  # 0.1 s: fed every 0.05 s
        clock = Clock()
        liveness = Liveness(allowed=10, clock=clock)
        health = WorkerHealth(liveness)
        health.notify_systemd()
        try:
            assert server.recv(64) == b"READY=1"
            assert server.recv(64) == b"WATCHDOG=1"
            with liveness.busy("job-9"):
                clock.now += 11
                # Drain what was sent before the stall; after it nothing more comes.
                server.settimeout(0.3)
                with pytest.raises(TimeoutError):
                    while True:
                        server.recv(64)
        finally:
            health.stop()


def test_problems_cross_process_boundaries_with_their_fields() -> None:
    fallback = pickle.loads(pickle.dumps(EngineFallback("no GPU memory", reason="oom")))
    assert (type(fallback), fallback.detail, fallback.reason) == (EngineFallback, "no GPU memory", "oom")
    unavailable = pickle.loads(pickle.dumps(EngineUnavailable("loading", retry_after=5)))
    assert unavailable.retry_after == 5
    too_large = pickle.loads(pickle.dumps(PageTooLarge("page 2 needs more")))
    assert too_large.problem()["type"] == "/problems/document-too-large"
