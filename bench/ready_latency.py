"""Latency of ``/ready`` against ``/health`` while an engine keeps failing to load, on the real service.

    python -m bench.ready_latency [--requests 500] [--server silent|closed]

Starts ``ablage serve`` on a free loopback port with a temporary DATA_DIR and ENABLED_ENGINES=tesseract,surya.
Surya's detector folder is present, and SURYA_INFERENCE_URL points at a loopback port that either accepts
connections and never answers (``silent``, the default: every load attempt waits out the full probe timeout) or
refuses them (``closed``). The back-off is held at 0.5–1 s so that attempts keep running throughout. Then it
calls ``/ready`` and ``/health`` alternately, one request at a time, and prints p50/p95/p99 and the slowest of
each, and the ratio of their p99s, taken in the same run. The target is ``/ready`` p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.serve import free_port, served

MAX_REQUESTS = 5000
TARGET_P99_MS = 50.0
_START_TIMEOUT = 120


@contextmanager
def recognition_server(kind: str) -> Iterator[int]:
    """A port where Surya's recognition server is not working: silent (never answers) or closed."""
    if kind == "closed":
        yield free_port()
        return
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)  # the kernel completes handshakes into the backlog; nothing ever reads them
        yield int(listener.getsockname()[1])


def surya_folder(root: Path) -> Path:
    """The files the engine checks for before it probes its server (placeholders: it never gets to read them)."""
    detection = root / "text_detection"
    detection.mkdir(parents=True)
    for name in ("config.json", "preprocessor_config.json"):
        (detection / name).write_text("{}")
    (detection / "model.safetensors").write_bytes(b"")
    return root


@contextmanager
def service(data_dir: Path, inference_port: int) -> Iterator[str]:
    env = os.environ | {
        "DATA_DIR": str(data_dir / "data"),
        "ENABLED_ENGINES": "tesseract,surya",
        "SURYA_MODEL_DIR": str(surya_folder(data_dir / "surya")),
        "SURYA_INFERENCE_URL": f"http://127.0.0.1:{inference_port}/v1",
        "ENGINE_RETRY_INITIAL": "0.5",
        "ENGINE_RETRY_MAX": "1",
        "WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    with served(env, data_dir / "serve.log", timeout=_START_TIMEOUT) as app:
        yield app.base


def percentile(samples: list[float], p: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def measure(base: str, requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"/health": [], "/ready": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in timings:  # connection and first-call costs stay out of the figures
            client.get(path)
        for _ in range(requests):
            for path, samples in timings.items():
                started = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                if response.status_code not in (200, 503):
                    raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return timings


def surya_state(base: str) -> dict[str, object]:
    engines = httpx.get(f"{base}/api/v1/cpu/engines", timeout=30).json()["engines"]
    return next(entry for entry in engines if entry["name"] == "surya")


def report(timings: dict[str, list[float]], before: dict[str, object], after: dict[str, object]) -> str:
    health_p = {p: percentile(timings["/health"], p) for p in (50, 95, 99)}
    lines = [f"{'endpoint':<10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99 / health':>14}"]
    for path, samples in timings.items():
        p = {q: percentile(samples, q) for q in (50, 95, 99)}
        ratio = p[99] / health_p[99] if health_p[99] else float("nan")
        lines.append(
            f"{path:<10}{len(samples):>9}{p[50]:>9.2f}{p[95]:>9.2f}{p[99]:>9.2f}{max(samples):>9.2f}{ratio:>13.2f}x"
        )
    ready_p99 = percentile(timings["/ready"], 99)
    attempts = int(str(after.get("failures", 0))) - int(str(before.get("failures", 0)))
    lines.append(
        f"surya: {after.get('state', 'unavailable')} ({after.get('detail')}); "
        f"{attempts} more failed load attempt(s) during the run"
    )
    verdict = "met" if ready_p99 < TARGET_P99_MS else "NOT met"
    lines.append(f"target /ready p99 < {TARGET_P99_MS:.0f} ms: {verdict} ({ready_p99:.2f} ms)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help=f"calls of each endpoint (1 to {MAX_REQUESTS})")
    parser.add_argument("--server", choices=("silent", "closed"), default="silent")
    args = parser.parse_args()
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be between 1 and {MAX_REQUESTS}")
    with (
        tempfile.TemporaryDirectory(prefix="ablage-bench-ready-") as scratch,
        recognition_server(args.server) as inference_port,
        service(Path(scratch), inference_port) as base,
    ):
        before = surya_state(base)
        timings = measure(base, args.requests)
        after = surya_state(base)
    print(report(timings, before, after))


if __name__ == "__main__":
    main()
