"""The /ready latency benchmark runs end to end in a tiny mode; its timings are reported, never asserted."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("surya", reason="surya-ocr is not installed (the surya extra): the bench's failing engine")


@pytest.mark.slow
def test_the_bench_reports_both_endpoints_and_the_failing_engine() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ready_latency", "--requests", "5", "--server", "closed"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].split() == [
        *("endpoint", "requests", "p50", "ms", "p95", "ms", "p99", "ms", "max", "ms", "p99", "/", "health")
    ]
    assert [line.split()[:2] for line in lines[1:3]] == [["/health", "5"], ["/ready", "5"]]
    # Between two attempts it is failed, during one loading; either way with the reason of its last failure.
    assert lines[3].startswith(("surya: failed (", "surya: loading (")) and "does not answer /health" in lines[3]
    assert lines[4].startswith("target /ready p99 < 50 ms:")
