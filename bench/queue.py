"""Job throughput and submit-to-done latency: API + two worker processes on PostgreSQL and Redis, against
the embedded mode (SQLite, in-process queue, two worker threads), with the same small jobs in the same run.

    python -m bench.queue [--jobs 200] [--clients 16]

Needs PostgreSQL and Redis (ABLAGE_BENCH_POSTGRES, ABLAGE_BENCH_REDIS; defaults on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import redis
from PIL import Image, ImageDraw, ImageFont

PG_ADMIN = os.environ.get("ABLAGE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ABLAGE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
ABLAGE = [sys.executable, "-m", "ablage.cli.main"]


def small_job(number: int) -> bytes:
    font = ImageFont.load_default(size=40)
    image = Image.new("L", (640, 120), 255)
    ImageDraw.Draw(image).text((30, 35), f"Beleg Nr. {100000 + number}", fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def processes(commands: list[tuple[list[str], dict[str, str]]], log_dir: Path) -> Iterator[None]:
    started = []
    try:
        for index, (command, env) in enumerate(commands):
            log = (log_dir / f"process-{index}.log").open("wb")
            started.append(subprocess.Popen(command, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT))
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(30)


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not become ready")


async def load(base: str, jobs: list[bytes], clients: int) -> dict[str, float]:
    latencies: list[float] = []
    pending = list(enumerate(jobs))

    async def client_loop(client: httpx.AsyncClient) -> None:
        while pending:
            number, data = pending.pop()
            started = time.perf_counter()
            # Tesseract: the fastest engine, so that the queue's and database's share of the time shows.
            fields = {"engine": "tesseract"}
            response = await client.post("/api/v1/cpu", files={"file": (f"{number}.png", data)}, data=fields)
            if response.status_code != 200:
                raise RuntimeError(response.text)
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=base, timeout=600, limits=httpx.Limits(max_connections=clients)) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - began
    latencies.sort()
    return {
        "jobs_per_s": round(len(jobs) / wall, 2),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
    }


def run(base: str, jobs: list[bytes], clients: int) -> dict[str, float]:
    wait_ready(base)
    asyncio.run(load(base, [small_job(900_000 + i) for i in range(4)], 4))  # warm every worker
    return asyncio.run(load(base, jobs, clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    run_id = uuid.uuid4().hex[:8]
    embedded_jobs = [small_job(i) for i in range(args.jobs)]
    production_jobs = [small_job(args.jobs + i) for i in range(args.jobs)]
    report: dict[str, object] = {"jobs": args.jobs, "clients": args.clients}

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {"DATA_DIR": f"{tmp}/embedded", "WORKERS": "2", "LOG_LEVEL": "warning", "SYNC_TIMEOUT": "600"}
        serve = [*ABLAGE, "serve", "--service", "cpu", "--port", str(port)]
        with processes([(serve, env)], Path(tmp)):
            report["embedded"] = run(f"http://127.0.0.1:{port}", embedded_jobs, args.clients)

        database = f"ablage_bench_{run_id}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"
        namespace = f"ablage-bench-{run_id}"
        env = {
            "DATA_DIR": f"{tmp}/production",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "QUEUE_NAMESPACE": namespace,
            "EMBEDDED_WORKERS": "false",
            "LOG_LEVEL": "warning",
            "SYNC_TIMEOUT": "600",
        }
        try:
            subprocess.run([*ABLAGE, "db", "upgrade"], env=os.environ | env, check=True, capture_output=True)
            port = free_port()
            worker = [*ABLAGE, "worker", "--queue", "cpu", "--threads", "1"]
            serve = [*ABLAGE, "serve", "--service", "cpu", "--port", str(port)]
            with processes([(serve, env), (worker, env), (worker, env)], Path(tmp)):
                report["postgres_redis"] = run(f"http://127.0.0.1:{port}", production_jobs, args.clients)
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(f"{namespace}*"))
            if keys:
                client.delete(*keys)
    embedded, production = report["embedded"], report["postgres_redis"]
    assert isinstance(embedded, dict) and isinstance(production, dict)
    report["throughput_ratio"] = round(production["jobs_per_s"] / embedded["jobs_per_s"], 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
