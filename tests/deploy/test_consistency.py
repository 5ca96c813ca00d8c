"""The deployment assets and the application agree: variable names, ports, probe and ingress paths, CLI
commands, bucket names and retention periods."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI

from services.cpu_backend.app import CPU_ROUTE
from services.cpu_backend.app import create_app as create_cpu_app
from services.gpu_backend.app import create_app as create_gpu_app
from services.gpu_backend.app import gpu_route
from shared.cli.main import Service
from shared.cli.worker import QueueName
from shared.settings import (
    DatabaseSettings,
    OcrSettings,
    QueueSettings,
    ServiceSettings,
    Settings,
    StorageSettings,
    UploadSettings,
)
from shared.storage.base import Area
from shared.storage.retention import RETENTION_DAYS
from tests.deploy.conftest import LINT, REPO

K8S_BASE = REPO / "deploy/k8s/base"
SETTINGS_CLASSES = (ServiceSettings, UploadSettings, OcrSettings, DatabaseSettings, QueueSettings, StorageSettings)
SETTINGS_NAMES = {name.upper() for cls in SETTINGS_CLASSES for name in cls.model_fields}
# Read by libraries or the runtime, not by shared/settings.py.
FOREIGN_NAMES = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "CUDA_VISIBLE_DEVICES",
    "PYTORCH_CUDA_ALLOC_CONF",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "PYTHONUNBUFFERED",
    "PATH",
}
# What every deployment must set for a server database, the Redis queue and S3.
CONTRACT = {"ENVIRONMENT", "DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND", "MAX_UPLOAD_SIZE", "PROCESSING_TIMEOUT"}
PORT = 8000


def _documents(directory: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(directory.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kind(kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        doc for doc in _documents(K8S_BASE) if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def _containers() -> dict[str, dict[str, Any]]:
    return {
        deployment["metadata"]["name"]: deployment["spec"]["template"]["spec"]["containers"][0]
        for deployment in _kind("Deployment")
    }


def _compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _app_services() -> dict[str, dict[str, Any]]:
    return {
        name: spec for name, spec in _compose()["services"].items() if str(spec.get("image", "")).startswith("ablage-")
    }


def _ansible_env_names() -> set[str]:
    template = (REPO / "deploy/ansible/roles/ablage_app/templates/ablage.env.j2").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", template, re.MULTILINE))


def _paths(app: FastAPI) -> set[str]:
    # The OpenAPI schema lists every route, however the routers are nested.
    return set(app.openapi()["paths"])


# -- variable names


def test_compose_uses_the_settings_names() -> None:
    for name, spec in _app_services().items():
        names = set(spec["environment"])
        assert names - SETTINGS_NAMES - FOREIGN_NAMES == set(), name
        assert names >= CONTRACT, name


def test_kubernetes_uses_the_settings_names() -> None:
    config = set(_kind("ConfigMap", "app-config")[0]["data"])
    assert config - SETTINGS_NAMES - FOREIGN_NAMES == set()
    for name, container in _containers().items():
        names = config | {variable["name"] for variable in container.get("env", [])}
        assert names - SETTINGS_NAMES - FOREIGN_NAMES == set(), name
        assert names >= CONTRACT, name


def test_ansible_uses_the_settings_names() -> None:
    names = _ansible_env_names()
    assert names - SETTINGS_NAMES - FOREIGN_NAMES == set()
    assert names >= CONTRACT


def test_dockerfiles_set_only_known_names() -> None:
    for dockerfile in (REPO / "docker").glob("Dockerfile.*"):
        names = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", dockerfile.read_text(), re.MULTILINE))
        assert names, dockerfile
        assert names - SETTINGS_NAMES - FOREIGN_NAMES - {"PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"} == set()


def test_configmap_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _kind("ConfigMap", "app-config")[0]["data"]
    for name, value in data.items():
        monkeypatch.setenv(name, value)
    # The two secrets come from External Secrets at run time.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ablage:secret@db:5432/ablage_system")
    monkeypatch.setenv("REDIS_URL", "rediss://:token@cache:6379/0")
    settings = Settings()
    assert settings.upload.max_upload_size == UploadSettings.model_fields["max_upload_size"].default
    assert settings.ocr.processing_timeout == OcrSettings.model_fields["processing_timeout"].default
    assert settings.upload.allowed_extensions == ["pdf", "png", "jpg", "jpeg", "tiff"]
    assert settings.queue.runs_embedded_workers is False
    assert settings.environment_suffix == "prod"


# -- ports, probes, ingress and commands


def test_probes_and_scrape_paths_are_routes_of_the_app_they_probe() -> None:
    apps = {"gpu": _paths(create_gpu_app()), "cpu": _paths(create_cpu_app())}
    for deployment in _kind("Deployment"):
        name = deployment["metadata"]["name"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        if "serve" not in container["args"]:
            continue
        paths = apps[container["args"][container["args"].index("--service") + 1]]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health" in paths, name
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready" in paths, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] in paths, name
        assert int(annotations["prometheus.io/port"]) == PORT, name
        assert container["ports"][0]["containerPort"] == PORT, name
        assert container["args"][container["args"].index("--port") + 1] == str(PORT), name


def test_ingress_sends_each_prefix_to_the_service_that_serves_it() -> None:
    services = {service["metadata"]["name"]: service for service in _kind("Service")}
    deployments = {deployment["metadata"]["name"]: deployment for deployment in _kind("Deployment")}
    expected = {gpu_route(Settings()).prefix: ("gpu", create_gpu_app()), CPU_ROUTE.prefix: ("cpu", create_cpu_app())}
    paths = _kind("Ingress", "ablage-ingress")[0]["spec"]["rules"][0]["http"]["paths"]
    assert {path["path"] for path in paths} == set(expected)
    for path in paths:
        flavour, app = expected[path["path"]]
        service = services[path["backend"]["service"]["name"]]
        selected = service["spec"]["selector"]["app"]
        args = deployments[selected]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[args.index("--service") + 1] == flavour
        assert any(route.startswith(path["path"]) for route in _paths(app))


def test_ingress_limits_match_the_settings() -> None:
    annotations = _kind("Ingress", "ablage-ingress")[0]["metadata"]["annotations"]
    body = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.removesuffix("m")) * 1024 * 1024 >= UploadSettings.model_fields["max_upload_size"].default
    timeout = OcrSettings.model_fields["processing_timeout"].default
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= timeout


def test_commands_are_commands_of_the_cli() -> None:
    commands = [container["args"] for container in _containers().values()]
    commands += [spec["command"] for spec in _app_services().values()]
    services = (REPO / "deploy/ansible/roles").rglob("*.yml")
    commands += [
        line.split() for path in services for line in re.findall(r"args: \"?([a-z][^\"{\n]*)", path.read_text())
    ]
    seen = set()
    for command in commands:
        seen.add(command[0])
        if command[0] == "serve":
            assert Service(command[command.index("--service") + 1])
        elif command[0] == "worker":
            assert QueueName(command[command.index("--queue") + 1])
        else:
            assert command[:2] == ["db", "upgrade"], command
    assert seen == {"serve", "worker", "db"}


def test_images_and_health_checks_use_the_service_port() -> None:
    for dockerfile in (REPO / "docker").glob("Dockerfile.*"):
        text = dockerfile.read_text()
        assert f"EXPOSE {PORT}" in text
        assert f"http://127.0.0.1:{PORT}/health" in text
        assert f'"--port", "{PORT}"' in text
    target_group = (REPO / "deploy/terraform/modules/cpu_compute/main.tf").read_text()
    assert re.search(r'path\s+=\s+"/ready"', target_group)
    assert re.search(rf"port\s+=\s+{PORT}\b", target_group)


# -- buckets and retention


@pytest.fixture(scope="module")
def storage_locals(deploy_tools: Path) -> dict[str, Any]:
    main = REPO / "deploy/terraform/modules/storage/main.tf"
    parsed = subprocess.run(
        [str(deploy_tools), str(LINT), "hcl-json", "--file", str(main)], capture_output=True, text=True, check=True
    )
    return json.loads(parsed.stdout)["locals"][0]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_terraform_buckets_are_the_ones_the_code_names(
    environment: str, storage_locals: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://ablage@db/ablage")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    for name in ("S3_BUCKET_ORIGINALS", "S3_BUCKET_PROCESSED", "S3_BUCKET_THUMBNAILS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    buckets = storage_locals["buckets"]
    assert set(buckets) == {area.value for area in Area}
    for area, bucket in buckets.items():
        name = bucket["name"].strip('"').replace("${var.environment}", environment)
        assert name == settings.bucket(area)


def test_terraform_retention_is_the_code_retention(storage_locals: dict[str, Any]) -> None:
    for area, bucket in storage_locals["buckets"].items():
        assert bucket["retention_days"] == RETENTION_DAYS[Area(area)], area


def test_compose_buckets_and_retention_match_the_code() -> None:
    script = "\n".join(_compose()["services"]["buckets"]["command"])
    pairs = dict(re.findall(r"([a-z-]+):(\d+)", script.split("for pair in", 1)[1].split(";", 1)[0]))
    settings = Settings()
    for area in Area:
        suffix = settings.bucket(area).removeprefix("ablage-").removesuffix("-dev")
        assert int(pairs[suffix]) == RETENTION_DAYS[area], area
