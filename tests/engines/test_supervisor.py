"""The engine supervisor: states, back-off, recovery without a restart, and what it logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from ablage.engines.registry import register_engine, unregister_engine
from ablage.engines.supervisor import Backoff, EngineState, EngineSupervisor
from ablage.errors import EngineNotInstalled, EngineUnavailable
from ablage.settings import OcrSettings, Settings

from tests.engines.fake_engines import Background, Flaky, Slow

LOGGER = "ablage.engines.supervisor"


@pytest.fixture(autouse=True)
def fake_engines() -> Iterator[None]:
    targets = {
        "flaky": "tests.engines.fake_engines:Flaky",
        "slow": "tests.engines.fake_engines:Slow",
        "background": "tests.engines.fake_engines:Background",
        "missing-library": "tests.engines.missing_library_engine:Engine",
    }
    for name, target in targets.items():
        register_engine(name, target)
    Flaky.failures_left, Flaky.unexpected, Flaky.attempts = 0, False, []
    Slow.release.clear()
    Background.release.clear()
    Background.succeed = True
    yield
    Slow.release.set()
    Background.release.set()
    for name in targets:
        unregister_engine(name)


def settings(*enabled: str, initial: float = 0.05, maximum: float = 0.2) -> Settings:
    return Settings(
        ocr=OcrSettings(enabled_engines=list(enabled), engine_retry_initial=initial, engine_retry_max=maximum)
    )


@pytest.fixture
def supervisor_for() -> Iterator[type[EngineSupervisor]]:
    made: list[EngineSupervisor] = []

    class Closing(EngineSupervisor):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    yield Closing
    for supervisor in made:
        supervisor.close()


def wait_until(condition: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial=5, maximum=300)
    assert [backoff.delay(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 300, 300]
    assert backoff.delay(10_000) == 300


def test_defaults_back_off_from_5_s_to_5_min() -> None:
    ocr = OcrSettings()
    assert (ocr.engine_retry_initial, ocr.engine_retry_max) == (5, 300)


def test_a_failing_engine_backs_off_and_recovers_without_a_restart(
    supervisor_for: type[EngineSupervisor], caplog: pytest.LogCaptureFixture
) -> None:
    Flaky.failures_left = 4
    supervisor = supervisor_for(settings("flaky"))
    with caplog.at_level(logging.DEBUG, LOGGER):
        supervisor.start(["flaky"])
        first = supervisor.wait("flaky", 10)
        assert first.state is EngineState.failed and first.reason == "its server does not answer"
        assert first.failures == 1 and first.retry_in is not None and first.retry_in <= 0.05
        with pytest.raises(EngineUnavailable) as unavailable:
            supervisor.get("flaky")
        assert unavailable.value.retry_after == 1 and "its server does not answer" in unavailable.value.detail
        wait_until(lambda: supervisor.is_available("flaky"))
    # Gaps between attempts double from 0.05 s and stop at the 0.2 s cap (timers never fire early).
    gaps = [later - earlier for earlier, later in zip(Flaky.attempts, Flaky.attempts[1:], strict=False)]
    assert len(Flaky.attempts) == 5
    for gap, expected in zip(gaps, [0.05, 0.1, 0.2, 0.2], strict=True):
        assert gap >= expected * 0.95, gaps
    ready = supervisor.status("flaky")
    assert ready.failures == 0 and ready.reason is None and ready.info is not None and ready.info.version == "1"
    # The expected failure is one warning line when it starts, not one per attempt, and none has a traceback.
    records = [r for r in caplog.records if r.name == LOGGER]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "flaky" in warnings[0].getMessage()
    assert all(r.exc_info is None for r in records)
    assert any("ready after 4 failed attempt(s)" in r.getMessage() for r in records)


def test_an_unexpected_exception_logs_its_traceback_once(
    supervisor_for: type[EngineSupervisor], caplog: pytest.LogCaptureFixture
) -> None:
    Flaky.failures_left, Flaky.unexpected = 3, True
    supervisor = supervisor_for(settings("flaky", initial=0.02, maximum=0.05))
    with caplog.at_level(logging.INFO, LOGGER):
        supervisor.start(["flaky"])
        failed = supervisor.wait("flaky", 10)
        # Clients see the type of the failure, not its message.
        assert failed.reason == "RuntimeError while loading"
        wait_until(lambda: supervisor.is_available("flaky"))
    tracebacks = [r for r in caplog.records if r.name == LOGGER and r.exc_info]
    assert len(tracebacks) == 1 and "the model file is corrupt" in caplog.text


def test_a_missing_library_is_reported_once_without_traceback_and_not_retried(
    supervisor_for: type[EngineSupervisor], caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = supervisor_for(settings("missing-library"))
    with caplog.at_level(logging.DEBUG, LOGGER):
        supervisor.start(["missing-library"])
        status = supervisor.wait("missing-library", 10)
        time.sleep(0.3)  # longer than the back-off: a retry would show in the log
    assert status.state is EngineState.not_installed
    assert "ablage_test_library_that_is_not_installed" in (status.reason or "")
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1 and records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert supervisor.status("missing-library").retry_in is None
    with pytest.raises(EngineNotInstalled):
        supervisor.get("missing-library")


def test_states_of_engines_that_are_not_loaded(supervisor_for: type[EngineSupervisor]) -> None:
    supervisor = supervisor_for(settings("flaky", "no-such-engine"))
    supervisor.start(["slow", "no-such-engine"])
    assert supervisor.status("slow").state is EngineState.not_enabled
    missing = supervisor.status("no-such-engine")
    assert missing.state is EngineState.not_installed and "no-such-engine" in (missing.reason or "")
    with pytest.raises(EngineUnavailable, match="not enabled"):
        supervisor.get("slow")
    # Started or not, nothing waits for these.
    assert supervisor.wait_started(0)


def test_a_slow_engine_holds_up_no_other(supervisor_for: type[EngineSupervisor]) -> None:
    supervisor = supervisor_for(settings("slow", "flaky"))
    supervisor.start(["slow", "flaky"])
    assert supervisor.wait("flaky", 10).available
    assert not supervisor.wait_started(0.1)
    started = time.monotonic()
    loading = supervisor.status("slow")
    assert time.monotonic() - started < 0.05
    assert loading.state is EngineState.loading
    with pytest.raises(EngineUnavailable, match="still loading") as unavailable:
        supervisor.get("slow")
    assert unavailable.value.retry_after == 1
    Slow.release.set()
    assert supervisor.wait("slow", 10).available and supervisor.wait_started(1)


def test_background_loading_is_part_of_the_state(supervisor_for: type[EngineSupervisor]) -> None:
    supervisor = supervisor_for(settings("background"))
    supervisor.start(["background"])
    # Built at once, so start-up need not wait; loading until its weights are in.
    assert supervisor.wait_started(5)
    assert supervisor.status("background").state is EngineState.loading
    Background.release.set()
    assert supervisor.wait("background", 10).available


def test_background_load_failure_is_a_failure_with_retries(
    supervisor_for: type[EngineSupervisor], caplog: pytest.LogCaptureFixture
) -> None:
    Background.succeed = False
    Background.release.set()
    supervisor = supervisor_for(settings("background", initial=0.05, maximum=0.05))
    with caplog.at_level(logging.INFO, LOGGER):
        supervisor.start(["background"])
        failed = supervisor.wait("background", 10)
        assert failed.state is EngineState.failed and failed.reason == "MemoryError while loading"
        wait_until(lambda: supervisor.status("background").failures >= 3)
        Background.succeed = True
        wait_until(lambda: supervisor.is_available("background"))
    assert len([r for r in caplog.records if r.exc_info]) == 1


def test_close_stops_the_threads_and_closes_the_engines(supervisor_for: type[EngineSupervisor]) -> None:
    Flaky.failures_left = 1_000
    supervisor = supervisor_for(settings("flaky", "background", initial=0.01, maximum=0.01))
    supervisor.start(["flaky", "background"])
    Background.release.set()
    assert supervisor.wait("background", 10).available
    engine = supervisor.get("background")
    supervisor.close()
    attempts = len(Flaky.attempts)
    time.sleep(0.1)
    assert len(Flaky.attempts) == attempts
    assert engine.closed  # type: ignore[attr-defined]
    with pytest.raises(EngineUnavailable, match="closed"):
        supervisor.get("background")
