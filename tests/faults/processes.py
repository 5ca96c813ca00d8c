"""Worker processes and a private Redis server for the fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from ablage.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables a separately started process reads."""
    assert settings.database.database_url and settings.queue.redis_url
    storage = settings.storage
    env = {
        "DATA_DIR": str(settings.service.data_dir),
        "DATABASE_URL": settings.database.database_url.get_secret_value(),
        "REDIS_URL": settings.queue.redis_url.get_secret_value(),
        "QUEUE_NAMESPACE": settings.queue.queue_namespace,
        "QUEUE_VISIBILITY_TIMEOUT": str(settings.queue.queue_visibility_timeout),
        "SWEEP_INTERVAL": str(settings.queue.sweep_interval),
        "JOB_MAX_ATTEMPTS": str(settings.queue.job_max_attempts),
        "STORAGE_BACKEND": storage.backend.value,
        "S3_ENDPOINT_URL": storage.s3_endpoint_url or "",
        "S3_BUCKET_ORIGINALS": settings.bucket("originals"),
        "S3_BUCKET_PROCESSED": settings.bucket("processed"),
        "S3_BUCKET_THUMBNAILS": settings.bucket("thumbnails"),
        "ENABLED_ENGINES": ",".join(settings.ocr.enabled_engines),
        "PROCESSING_TIMEOUT": str(settings.ocr.processing_timeout),
        "PAGE_TIMEOUT": str(settings.ocr.page_timeout),
        "PAGE_PROCESSES": str(settings.ocr.page_processes),
        "PAGE_MEMORY_LIMIT": str(int(settings.ocr.page_memory_limit)),
        "WORKER_HEALTH_PORT": str(settings.queue.worker_health_port),
        "LOG_LEVEL": "INFO",
    }
    return os.environ | env


# ``ablage worker`` with the test engines registered, as ``register_engine`` does in the test process.
_WITH_TEST_ENGINES = (
    "import sys; from ablage.engines.registry import register_engine; from tests.fakes.engines import ENGINES; "
    "[register_engine(name, target) for name, target in ENGINES.items()]; "
    "from ablage.cli.main import app; app(sys.argv[1:])"
)


def start_worker(
    settings: Settings, log: Path, threads: int = 1, test_engines: bool = False
) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    launcher = ["-c", _WITH_TEST_ENGINES] if test_engines else ["-m", "ablage.cli.main"]
    return subprocess.Popen(
        [sys.executable, *launcher, "worker", "--queue", "cpu", "--threads", str(threads)],
        env=environment(settings),
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


class PrivateRedis:
    """A Redis server of the test's own, so that stopping it disturbs no other test."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise FileNotFoundError("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
