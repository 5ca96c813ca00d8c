"""Prometheus metrics. Defined once per process; every app in it reports into the default registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "ablage_http_requests_total", "HTTP requests by route template and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "ablage_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
JOBS = Counter("ablage_jobs_total", "Job status transitions", ["status"])
PAGES = Counter("ablage_pages_total", "Pages processed by engine and source", ["engine", "source"])
PROCESSING_SECONDS = Histogram(
    "ablage_job_processing_seconds",
    "Wall time from a job's start to its end",
    ["engine"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200),
)
QUEUE_DEPTH = Gauge("ablage_queue_depth", "Jobs waiting in the queue", ["queue"])

# The GPU engines: what the accelerator holds and how well batching works.
GPU_MEMORY = Gauge("ablage_gpu_memory_bytes", "GPU memory held by the engine's process", ["engine", "kind"])
BATCH_SIZE = Histogram(
    "ablage_engine_batch_size", "Pages per generate call", ["engine"], buckets=(1, 2, 4, 8, 16, 32, 64)
)
TOKENS_GENERATED = Counter("ablage_engine_generated_tokens_total", "Tokens generated", ["engine"])
PAGE_SECONDS = Histogram(
    "ablage_engine_page_seconds",
    "Seconds from a page's submission to its text, batching wait included",
    ["engine"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)
OOM_SPLITS = Counter("ablage_engine_oom_splits_total", "Batches halved after the GPU ran out of memory", ["engine"])
FALLBACKS = Counter("ablage_engine_fallbacks_total", "Jobs handed to a CPU engine, by reason", ["engine", "reason"])
PAGES_STOPPED = Counter(
    "ablage_pages_stopped_total",
    "Pages whose process was stopped or died: timeout, memory, died (crash or kill), cancelled",
    ["reason"],
)
