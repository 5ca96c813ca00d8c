.PHONY: run test lint contract bench bench-gpu bench-queue bench-ready bench-pages bench-capacity bench-archive bench-archive-speed bench-search accuracy clean lint-deploy

run:  ## serve the API on embedded defaults at http://localhost:8000
	scripts/run

test:  ## install test dependencies and run the test suite
	scripts/test

lint:
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

contract:  ## schemathesis (every check) against the running service and its OpenAPI document
	scripts/contract

bench:  ## API vs direct-engine throughput, text layer vs OCR
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.throughput

bench-gpu:  ## GOT-OCR2 and Janus-Pro pages/s by batch size on CUDA, and the engine's overhead over generate
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.gpu_throughput

bench-queue:  ## jobs/s and p95 latency: API + 2 workers on PostgreSQL/Redis vs embedded
	scripts/bootstrap dev,cpu,gpu
	scripts/services
	.venv/bin/python -m bench.queue

bench-ready:  ## /ready vs /health latency (p50/p95/p99) while an engine keeps failing to load
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.ready_latency

bench-pages:  ## searchable-PDF pages/min and word F1 vs raw tesseract and OCRmyPDF; /health under load; upload RSS
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.pages

bench-capacity:  ## pages/s per core of each CPU engine; nodes of the Terraform instance types for 1M pages a day
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.capacity

bench-archive:  ## archive copy (PDF/A) size and time vs OCRmyPDF's default PDF/A output on a colour, grey, bilevel scan
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.archive_size

bench-archive-speed:  ## archive copy size and pages/min vs OCRmyPDF on 6-page colour, grey, bilevel scans (page executor)
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.archive_speed

bench-search:  ## search p50/p99 over 100,000 pages on PostgreSQL and SQLite; indexing cost per page vs OCR's
	scripts/bootstrap dev,cpu,gpu
	scripts/services
	.venv/bin/python -m bench.search_speed

accuracy:  ## engine accuracy on the documents with ground truth
	scripts/bootstrap dev,cpu,gpu
	.venv/bin/python -m bench.accuracy

clean:
	rm -rf .venv data .pytest_cache .ruff_cache .mypy_cache .import_linter_cache

lint-deploy:  ## offline validators of docker/, docker-compose.yml, deploy/ and .github/ (tools in .venv-deploy)
	scripts/deploy-tools
	.venv-deploy/bin/python deploy/lint.py
