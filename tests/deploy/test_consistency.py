"""The deployment assets and the application agree: variable names, ports, probe and ingress paths, CLI
commands, bucket names and retention periods, Surya's recognition server, the torch pins, and how the workers
scale, are checked for liveness and fit their page processes."""

from __future__ import annotations

import configparser
import itertools
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dramatiq
import jinja2
import pytest
import yaml
from ablage.cli.main import Service
from ablage.cli.worker import QueueName
from ablage.jobs.redis_queue import QUEUES
from ablage.settings import (
    AuthSettings,
    DatabaseSettings,
    OcrSettings,
    QueueSettings,
    ServiceSettings,
    Settings,
    StorageSettings,
    UploadSettings,
)
from ablage.storage.base import Area
from ablage.storage.retention import RETENTION_DAYS
from ablage_services.cpu_backend.app import CPU_ROUTE
from ablage_services.cpu_backend.app import create_app as create_cpu_app
from ablage_services.gpu_backend.app import create_app as create_gpu_app
from ablage_services.gpu_backend.app import gpu_route
from dramatiq.common import dq_name
from fastapi import FastAPI
from pydantic import ByteSize, TypeAdapter

from tests.deploy.conftest import LINT, REPO

K8S_BASE = REPO / "deploy/k8s/base"
SETTINGS_CLASSES = (
    ServiceSettings,
    UploadSettings,
    OcrSettings,
    DatabaseSettings,
    QueueSettings,
    StorageSettings,
    AuthSettings,
)
SETTINGS_NAMES = {name.upper() for cls in SETTINGS_CLASSES for name in cls.model_fields}
# Read by libraries or the runtime, not by shared/ablage/settings.py.
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
# What the CPU service and its workers set for their engines.
CPU_ENGINES = {"ENABLED_ENGINES", "TORCH_THREADS", "SURYA_MODEL_DIR", "SURYA_INFERENCE_URL", "DOCLING_ARTIFACTS_PATH"}
PORT = 8000
APP_IMAGES = ("ghcr.io/ablage-system/", "ablage-")
SURYA = "surya-recognition"
TORCH_PACKAGES = ("torch", "torchvision")


def _documents(directory: Path) -> list[dict[str, Any]]:
    return [doc for path in sorted(directory.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kind(kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        doc for doc in _documents(K8S_BASE) if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def _containers() -> dict[str, dict[str, Any]]:
    """The application's containers (not the third-party surya-recognition server), by Deployment."""
    return {
        deployment["metadata"]["name"]: container
        for deployment in _kind("Deployment")
        if (container := deployment["spec"]["template"]["spec"]["containers"][0])["image"].startswith(APP_IMAGES)
    }


def _environment(container: dict[str, Any]) -> dict[str, str]:
    """A container's variables: its ConfigMaps (envFrom) and its own env, literal values only."""
    names: dict[str, str] = {}
    for source in container.get("envFrom", []):
        names |= _kind("ConfigMap", source["configMapRef"]["name"])[0]["data"]
    for variable in container.get("env", []):
        names[variable["name"]] = variable.get("value", "")
    return names


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
    for config_map in _kind("ConfigMap"):
        assert set(config_map["data"]) - SETTINGS_NAMES - FOREIGN_NAMES == set(), config_map["metadata"]["name"]
    for name, container in _containers().items():
        names = set(_environment(container))
        assert names - SETTINGS_NAMES - FOREIGN_NAMES == set(), name
        assert names >= CONTRACT, name


def test_ansible_uses_the_settings_names() -> None:
    names = _ansible_env_names()
    assert names - SETTINGS_NAMES - FOREIGN_NAMES == set()
    assert names >= CONTRACT


def test_the_cpu_service_enables_every_engine_with_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    environments = {f"k8s {name}": _environment(_containers()[name]) for name in ("cpu-backend", "cpu-worker")}
    environments |= {f"compose {name}": _app_services()[name]["environment"] for name in ("cpu-api", "cpu-worker")}
    for where, environment in environments.items():
        assert set(environment) >= CPU_ENGINES, where
        for name in CPU_ENGINES:
            monkeypatch.setenv(name, str(environment[name]))
        ocr = OcrSettings()
        assert set(ocr.enabled_engines) == set(CPU_ROUTE.offered()), where
        assert ocr.torch_threads == 1, where
        assert ocr.surya_model_dir is not None and ocr.surya_model_dir.is_relative_to("/models"), where
        assert ocr.docling_artifacts_path is not None and ocr.docling_artifacts_path.is_relative_to("/models"), where
    assert _ansible_env_names() >= CPU_ENGINES
    dockerfile = (REPO / "docker/Dockerfile.cpu").read_text()
    assert "ENABLED_ENGINES=surya,docling,rapidocr,tesseract" in dockerfile


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
    for name, value in _kind("ConfigMap", "cpu-engine-config")[0]["data"].items():
        monkeypatch.setenv(name, value)
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
        elif command[0] == "keys":
            # A first-start key: repeated starts must not mint a new key each time.
            assert command[:2] == ["keys", "create"] and "--tenant" in command and "--if-none" in command, command
        else:
            assert command[:2] in (["db", "upgrade"], ["storage", "init"]), command
    assert seen >= {"serve", "worker", "db", "storage"}
    assert seen <= {"serve", "worker", "db", "storage", "keys"}


def test_images_and_health_checks_use_the_service_port() -> None:
    for dockerfile in (REPO / "docker").glob("Dockerfile.*"):
        text = dockerfile.read_text()
        assert f"EXPOSE {PORT}" in text
        assert f"http://127.0.0.1:{PORT}/health" in text
        assert f'"--port", "{PORT}"' in text
    target_group = (REPO / "deploy/terraform/modules/cpu_compute/main.tf").read_text()
    assert re.search(r'path\s+=\s+"/ready"', target_group)
    assert re.search(rf"port\s+=\s+{PORT}\b", target_group)


# -- Surya's recognition server


def _arguments(args: list[str]) -> dict[str, str]:
    """llama-server's options with a value (``--name value``)."""
    return {name: value for name, value in itertools.pairwise(args) if name.startswith("--")}


def _check_llama_server(args: list[str], model_dir: str) -> int:
    """The options the Surya engine relies on; returns the port."""
    options = _arguments(args)
    assert "--jinja" in args
    assert options["--alias"] == OcrSettings.model_fields["surya_model_name"].default
    assert options["--model"] == f"{model_dir}/surya-2.gguf"
    assert options["--mmproj"] == f"{model_dir}/surya-2-mmproj.gguf"
    assert options["--host"] == "0.0.0.0"
    return int(options["--port"])


def test_the_kubernetes_surya_url_is_the_surya_recognition_service() -> None:
    url = urlsplit(_kind("ConfigMap", "cpu-engine-config")[0]["data"]["SURYA_INFERENCE_URL"])
    model_dir = _kind("ConfigMap", "cpu-engine-config")[0]["data"]["SURYA_MODEL_DIR"]
    assert url.scheme == "http" and url.path.rstrip("/") == "/v1"
    service = _kind("Service", url.hostname)[0]
    assert service["metadata"]["name"] == SURYA
    port = next(port for port in service["spec"]["ports"] if port["port"] == url.port)
    deployment = _kind("Deployment", service["spec"]["selector"]["app"])[0]
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    container_port = next(item for item in container["ports"] if item["name"] == port["targetPort"])
    assert _check_llama_server(container["args"], model_dir) == container_port["containerPort"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": port["targetPort"]}
    # The Surya engine probes {url without /v1}/health, and Prometheus scrapes what --metrics serves.
    assert "--metrics" in container["args"]
    assert int(pod["metadata"]["annotations"]["prometheus.io/port"]) == container_port["containerPort"]
    # The weights come from the model cache the CPU pods mount, read-only.
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    assert mounts["model-cache"]["mountPath"] == "/models" and mounts["model-cache"]["readOnly"] is True
    for name in ("cpu-backend", "cpu-worker"):
        cpu_mounts = {mount["name"]: mount for mount in _containers()[name]["volumeMounts"]}
        assert cpu_mounts["model-cache"]["mountPath"] == "/models", name


def test_the_network_policies_let_only_the_cpu_pods_reach_surya() -> None:
    policies = {policy["metadata"]["name"]: policy["spec"] for policy in _kind("NetworkPolicy")}
    port = _kind("Service", SURYA)[0]["spec"]["ports"][0]["port"]
    ingress = policies["surya-recognition-ingress"]
    assert ingress["podSelector"] == {"matchLabels": {"app": SURYA}}
    pods = [rule for rule in ingress["ingress"] if "podSelector" in rule["from"][0]]
    assert [rule["from"][0]["podSelector"]["matchExpressions"][0]["values"] for rule in pods] == [
        ["cpu-backend", "cpu-worker"]
    ]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": port}] for rule in ingress["ingress"])
    egress = policies["surya-recognition-egress"]
    assert egress["podSelector"]["matchExpressions"][0]["values"] == ["cpu-backend", "cpu-worker"]
    assert egress["egress"] == [
        {"to": [{"podSelector": {"matchLabels": {"app": SURYA}}}], "ports": [{"protocol": "TCP", "port": port}]}
    ]


def test_the_compose_surya_url_is_the_surya_recognition_service() -> None:
    services = _compose()["services"]
    for name in ("cpu-api", "cpu-worker"):
        environment = services[name]["environment"]
        url = urlsplit(environment["SURYA_INFERENCE_URL"])
        assert url.scheme == "http" and url.path.rstrip("/") == "/v1", name
        assert url.hostname == SURYA, name
        server = services[url.hostname]
        assert _check_llama_server(server["command"], environment["SURYA_MODEL_DIR"]) == url.port, name
        assert f"http://127.0.0.1:{url.port}/health" in server["healthcheck"]["test"], name
    assert "models:/models:ro" in services[SURYA]["volumes"]
    # One llama.cpp build everywhere: compose and every overlay.
    image, tag = services[SURYA]["image"].split(":")
    for overlay in (REPO / "deploy/k8s/overlays").glob("*/kustomization.yaml"):
        images = {entry["name"]: entry["newTag"] for entry in yaml.safe_load(overlay.read_text())["images"]}
        assert images[image] == tag, overlay
    assert _kind("Deployment", SURYA)[0]["spec"]["template"]["spec"]["containers"][0]["image"] == image


def test_the_ansible_surya_url_is_the_local_server() -> None:
    defaults = yaml.safe_load((REPO / "deploy/ansible/roles/cpu_backend/defaults/main.yml").read_text())
    assert defaults["cpu_backend_surya_server"] is False
    url = defaults["cpu_backend_surya_inference_url"].replace(
        "{{ cpu_backend_surya_port }}", str(defaults["cpu_backend_surya_port"])
    )
    assert urlsplit(url).port == defaults["cpu_backend_surya_port"]
    assert urlsplit(url).path.rstrip("/") == "/v1"
    unit = (REPO / "deploy/ansible/roles/cpu_backend/templates/surya-recognition.service.j2").read_text()
    assert "--port {{ cpu_backend_surya_port }}" in unit
    assert f"--alias {OcrSettings.model_fields['surya_model_name'].default}" in unit


# -- torch pins


def _pins() -> dict[str, str]:
    """torch and torchvision as pyproject.toml pins them, the same in every extra that names them."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins: dict[str, set[str]] = {}
    for requirements in extras.values():
        for requirement in requirements:
            match = re.fullmatch(r"(torch|torchvision)==([\w.]+)", requirement)
            if match:
                pins.setdefault(match[1], set()).add(match[2])
    assert set(pins) == set(TORCH_PACKAGES)
    assert all(len(versions) == 1 for versions in pins.values()), pins
    return {name: versions.pop() for name, versions in pins.items()}


def test_the_images_install_the_pinned_torch() -> None:
    pins = _pins()
    wanted = " ".join(f"{name}=={pins[name]}" for name in TORCH_PACKAGES)
    cpu = (REPO / "docker/Dockerfile.cpu").read_text()
    torch_line = f"pip install --index-url https://download.pytorch.org/whl/cpu {wanted}"
    # The CPU builds first, so that installing the project finds them satisfied and keeps them.
    assert torch_line in cpu
    assert cpu.index(torch_line) < cpu.index('pip install ".[cpu]"')
    assert cpu.count("download.pytorch.org") == 1
    gpu = (REPO / "docker/Dockerfile.gpu").read_text()
    assert f"pip install {wanted}" in gpu
    assert gpu.index(f"pip install {wanted}") < gpu.index('pip install ".[cpu,gpu]"')
    assert "download.pytorch.org" not in gpu


def test_ansible_installs_the_pinned_torch() -> None:
    pins = _pins()
    app = yaml.safe_load((REPO / "deploy/ansible/roles/ablage_app/defaults/main.yml").read_text())
    assert app["ablage_app_torch_version"] == pins["torch"]
    assert app["ablage_app_torchvision_version"] == pins["torchvision"]
    cpu = yaml.safe_load((REPO / "deploy/ansible/roles/cpu_backend/defaults/main.yml").read_text())
    assert cpu["cpu_backend_torch_index"] == "https://download.pytorch.org/whl/cpu"
    tasks = yaml.safe_load((REPO / "deploy/ansible/roles/ablage_app/tasks/main.yml").read_text())
    install = next(task for task in tasks if task["name"] == "Install torch and torchvision")
    assert install["ansible.builtin.pip"]["name"] == [
        "torch=={{ ablage_app_torch_version }}",
        "torchvision=={{ ablage_app_torchvision_version }}",
    ]


# -- Terraform environments

TERRAFORM = REPO / "deploy/terraform"
ENVIRONMENTS = ("dev", "staging", "prod")
_LOAD_HCL = (
    "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); from terraform_refs import load_hcl;"
    " print(json.dumps({path: load_hcl(Path(path)) for path in sys.argv[2:]}))"
)


def _unquote(value: str) -> str:
    return value.strip('"')


def _blocks(parsed: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The labelled blocks of one kind (``module``, ``output``, ...) of the files of a directory, by label."""
    return {_unquote(label): body for tree in parsed for block in tree.get(kind, []) for label, body in block.items()}


@pytest.fixture(scope="module")
def terraform_files(deploy_tools: Path) -> dict[Path, dict[str, Any]]:
    paths = sorted(TERRAFORM.rglob("*.tf"))
    parsed = subprocess.run(
        [str(deploy_tools), "-c", _LOAD_HCL, str(REPO / "deploy"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {Path(path): tree for path, tree in json.loads(parsed.stdout).items()}


def _directory(files: dict[Path, dict[str, Any]], directory: Path) -> list[dict[str, Any]]:
    return [tree for path, tree in files.items() if path.parent == directory]


def test_each_environment_has_a_root() -> None:
    roots = {path.name for path in (TERRAFORM / "environments").iterdir() if path.is_dir()}
    assert roots == set(ENVIRONMENTS)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_environment_root_deploys_its_own_environment(
    environment: str, terraform_files: dict[Path, dict[str, Any]]
) -> None:
    root = _directory(terraform_files, TERRAFORM / "environments" / environment)
    platform = _directory(terraform_files, TERRAFORM / "modules/platform")
    assert _unquote(_blocks(root, "variable")["environment"]["default"]) == environment
    (terraform,) = [block for tree in root for block in tree.get("terraform", [])]
    backend = terraform["backend"][0]['"s3"']
    assert _unquote(backend["key"]) == f"{environment}/terraform.tfstate"
    assert _unquote(backend["bucket"]) == "ablage-system-terraform-state"
    assert _unquote(backend["dynamodb_table"]) == "terraform-state-lock"
    assert backend["encrypt"] is True
    tags = _blocks(root, "provider")["aws"]["default_tags"][0]["tags"]
    assert tags["Environment"] == "${var.environment}"
    assert {_unquote(tags[name]) for name in ("Project", "ManagedBy", "CostCenter", "Owner")} == {
        "Ablage-System",
        "Terraform",
        "Engineering",
        "platform-team",
    }
    # The root calls the platform with its environment and nothing else; the platform wires the modules.
    calls = _blocks(root, "module")
    assert set(calls) == {"platform"}
    assert _unquote(calls["platform"]["source"]) == "../../modules/platform"
    assert calls["platform"]["environment"] == "${var.environment}"
    assert not _blocks(platform, "provider")
    # The root outputs are the platform's, under the same names.
    outputs = _blocks(root, "output")
    assert set(outputs) == set(_blocks(platform, "output"))
    assert all(output["value"] == f"${{module.platform.{name}}}" for name, output in outputs.items())


def test_every_module_pins_the_same_terraform_and_providers(terraform_files: dict[Path, dict[str, Any]]) -> None:
    versions = [tree for path, tree in terraform_files.items() if path.name == "versions.tf"]
    assert len(versions) == len({path.parent for path in terraform_files})
    pins: dict[str, set[tuple[str, str]]] = {}
    for tree in versions:
        (terraform,) = tree["terraform"]
        pins.setdefault("terraform", set()).add((terraform["required_version"], ""))
        for provider, spec in terraform["required_providers"][0].items():
            if not provider.startswith("__"):
                pins.setdefault(provider, set()).add((spec["source"], spec["version"]))
    assert all(len(found) == 1 for found in pins.values()), pins


# -- buckets and retention


@pytest.fixture(scope="module")
def storage_locals(deploy_tools: Path) -> dict[str, Any]:
    main = REPO / "deploy/terraform/modules/storage/main.tf"
    parsed = subprocess.run(
        [str(deploy_tools), str(LINT), "hcl-json", "--file", str(main)], capture_output=True, text=True, check=True
    )
    return json.loads(parsed.stdout)["locals"][0]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
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


def test_compose_sets_up_the_buckets_with_the_cli_before_the_apps_start() -> None:
    services = _compose()["services"]
    init = services["storage-init"]
    assert init["command"] == ["storage", "init"]
    # The same environment as the apps: the same buckets, endpoint and encryption.
    assert init["environment"] == services["migrate"]["environment"]
    for name, spec in _app_services().items():
        if name not in ("storage-init", "migrate", "api-key"):
            assert spec["depends_on"]["storage-init"] == {"condition": "service_completed_successfully"}, name


def test_compose_creates_the_first_key_after_the_migrations_and_before_the_apis() -> None:
    # The APIs bind 0.0.0.0 in their containers: without a key they refuse to start.
    services = _compose()["services"]
    key = services["api-key"]
    assert key["command"][:2] == ["keys", "create"] and "--if-none" in key["command"]
    assert key["environment"] == services["migrate"]["environment"]
    assert key["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    apis = [name for name, spec in _app_services().items() if spec["command"][0] == "serve"]
    assert apis
    for name in apis:
        assert services[name]["depends_on"]["api-key"] == {"condition": "service_completed_successfully"}, name


# -- worker scaling, liveness and memory

LIVE = "/live"
HEALTH_PORT = QueueSettings.model_fields["worker_health_port"].default
# What a worker process needs besides its page processes: engines, job threads, the health server.
WORKER_RESERVE = 4 * 1024**3
_QUANTITY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "": 1}


def _bytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|)", quantity)
    assert match, quantity
    return int(match[1]) * _QUANTITY[match[2]]


def _workers() -> dict[str, dict[str, Any]]:
    """The worker Deployments (``ablage worker``), by name."""
    return {
        deployment["metadata"]["name"]: deployment
        for deployment in _kind("Deployment")
        if deployment["spec"]["template"]["spec"]["containers"][0]["args"][0] == "worker"
    }


def _queue(container: dict[str, Any]) -> str:
    args = container["args"]
    return QueueName(args[args.index("--queue") + 1]).value


def _scaled_objects() -> dict[str, dict[str, Any]]:
    return {scaled["spec"]["scaleTargetRef"]["name"]: scaled for scaled in _kind("ScaledObject")}


def test_dramatiq_keeps_a_queue_in_the_list_the_scalers_read() -> None:
    # The Redis broker pushes a queue's message ids onto <namespace>:<queue>, delayed ones onto <queue>.DQ.
    lua = (Path(dramatiq.__file__).parent / "brokers/redis/dispatch.lua").read_text()
    assert 'local queue_full_name = namespace .. ":" .. queue_name' in lua
    assert 'redis.call("rpush", queue_full_name, message_id)' in lua
    assert {queue.value for queue in QueueName} == set(QUEUES)


def test_every_worker_scales_on_the_list_of_the_queue_it_consumes() -> None:
    namespace = _kind("ConfigMap", "app-config")[0]["data"].get(
        "QUEUE_NAMESPACE", QueueSettings.model_fields["queue_namespace"].default
    )
    scaled_objects = _scaled_objects()
    assert set(scaled_objects) == set(_workers())
    authentications = {auth["metadata"]["name"]: auth["spec"] for auth in _kind("TriggerAuthentication")}
    for name, deployment in _workers().items():
        scaled = scaled_objects[name]
        assert scaled["metadata"]["name"] == name
        assert scaled["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        # KEDA owns the count: a replicas field would be reset on every apply.
        assert "replicas" not in deployment["spec"], name
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        queue = _queue(container)
        lists = [trigger["metadata"]["listName"] for trigger in scaled["spec"]["triggers"]]
        assert all(trigger["type"] == "redis" for trigger in scaled["spec"]["triggers"]), name
        assert lists[0] == f"{namespace}:{queue}", name
        # A worker holds WORKERS messages outside the list; that many more waiting is one more pod's work.
        assert scaled["spec"]["triggers"][0]["metadata"]["listLength"] == _environment(container)["WORKERS"], name
        assert set(lists) <= {f"{namespace}:{queue}", f"{namespace}:{dq_name(queue)}"}, name
        # The scaler reaches the Redis server of the worker's REDIS_URL, through the same secret.
        redis_secret = next(item for item in container["env"] if item["name"] == "REDIS_URL")
        secret = redis_secret["valueFrom"]["secretKeyRef"]["name"]
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["metadata"]["enableTLS"] == "true", name
            auth = authentications[trigger["authenticationRef"]["name"]]
            refs = {ref["parameter"]: ref for ref in auth["secretTargetRef"]}
            assert set(refs) == {"address", "password"}
            assert all(ref["name"] == secret and ref["key"] == parameter for parameter, ref in refs.items())
    external = _kind("ExternalSecret", secret)[0]["spec"]
    keys = {item["secretKey"]: item["remoteRef"] for item in external["data"]}
    assert {"url", "address", "password"} <= set(keys)
    assert len({ref["key"] for ref in keys.values()}) == 1
    vault = (TERRAFORM / "modules/cache/outputs.tf").read_text()
    assert re.search(r"address\s+=\s+local.redis_address", vault) and "password =" in vault


def test_the_gpu_workers_scale_to_zero_and_the_cpu_workers_keep_a_floor() -> None:
    scaled_objects = _scaled_objects()
    gpu = scaled_objects["gpu-worker"]["spec"]
    assert gpu["minReplicaCount"] == 0
    assert gpu["cooldownPeriod"] >= OcrSettings.model_fields["processing_timeout"].default
    # With no worker left, retries waiting out their back-off must wake one as well.
    assert {trigger["metadata"]["listName"].rpartition(":")[2] for trigger in gpu["triggers"]} == {"gpu", "gpu.DQ"}
    cpu = scaled_objects["cpu-worker"]["spec"]
    # The seed guide's CPU autoscaler: 3 to 20.
    assert (cpu["minReplicaCount"], cpu["maxReplicaCount"]) == (3, 20)
    for name, scaled in scaled_objects.items():
        assert 0 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"], name


def test_no_hpa_targets_a_worker() -> None:
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in _kind("HorizontalPodAutoscaler")}
    assert targets == {"cpu-backend"}
    assert not targets & set(_workers())
    assert not targets & set(_scaled_objects())


def test_worker_probes_and_scrapes_use_the_worker_health_port() -> None:
    for name, deployment in _workers().items():
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        environment = _environment(container)
        assert environment["WORKER_HEALTH_HOST"] == "0.0.0.0", name
        port = int(environment.get("WORKER_HEALTH_PORT", HEALTH_PORT))
        assert port > 0, name
        ports = {item["name"]: item["containerPort"] for item in container["ports"]}
        for probe in ("startupProbe", "livenessProbe"):
            check = container[probe]["httpGet"]
            assert check["path"] == LIVE, (name, probe)
            assert ports.get(check["port"], check["port"]) == port, (name, probe)
        # /live fails only after a stall of its page limits plus WORKER_STALL_TIMEOUT; the probe adds no hurry.
        assert container["livenessProbe"]["failureThreshold"] * container["livenessProbe"]["periodSeconds"] >= 60
        startup = container["startupProbe"]
        assert (
            startup["failureThreshold"] * startup["periodSeconds"]
            > OcrSettings.model_fields["engine_start_wait"].default
        )
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == "/metrics", name
        assert int(annotations["prometheus.io/port"]) == port, name
    policy = _kind("NetworkPolicy", "worker-ingress")[0]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"component": "worker"}}
    assert all(
        deployment["spec"]["template"]["metadata"]["labels"]["component"] == "worker"
        for deployment in _workers().values()
    )
    assert policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": HEALTH_PORT}]


def test_a_worker_pod_holds_its_page_processes() -> None:
    adapter = TypeAdapter(ByteSize)
    for name, deployment in _workers().items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        environment = _environment(container)
        processes = int(environment["PAGE_PROCESSES"])
        page_memory = int(adapter.validate_python(environment["PAGE_MEMORY_LIMIT"]))
        assert page_memory > 0, name
        resources = container["resources"]
        # One page process per requested CPU.
        assert processes == int(resources["requests"]["cpu"]), name
        # The pages' ceiling is scheduled, and the pod's limit holds it and the worker: a page past its limit
        # fails itself instead of the kernel killing the whole pod.
        assert _bytes(resources["requests"]["memory"]) >= processes * page_memory, name
        assert _bytes(resources["limits"]["memory"]) >= processes * page_memory + WORKER_RESERVE, name


def test_compose_workers_are_checked_on_live() -> None:
    for name, spec in _app_services().items():
        if spec["command"][0] != "worker":
            continue
        port = int(spec["environment"].get("WORKER_HEALTH_PORT", HEALTH_PORT))
        assert f"http://127.0.0.1:{port}{LIVE}" in " ".join(spec["healthcheck"]["test"]), name
        assert int(spec["environment"]["PAGE_PROCESSES"]) > 0, name
        assert {"PAGE_TIMEOUT", "PAGE_MEMORY_LIMIT", "INSPECT_TIMEOUT"} <= set(spec["environment"]), name


def _unit(args: str) -> configparser.SectionProxy:
    """The [Service] of ablage.service.j2 as Ansible renders it for one service (trim_blocks, as its template
    module), with the role's defaults."""
    role = REPO / "deploy/ansible/roles/ablage_app"
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
    # Defaults that refer to others (ablage_app_venv) are rendered with them first.
    loose = jinja2.Environment()
    values = {
        name: loose.from_string(value).render(defaults) if isinstance(value, str) else value
        for name, value in defaults.items()
    }
    strict = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    template = strict.from_string((role / "templates/ablage.service.j2").read_text())
    text = template.render(values | {"ansible_managed": "managed", "item": {"name": "unit", "args": args}})
    unit = configparser.ConfigParser(interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    return unit["Service"]


def test_every_worker_unit_speaks_sd_notify_under_a_watchdog() -> None:
    roles = " ".join(path.read_text() for path in (REPO / "deploy/ansible/roles").rglob("tasks/main.yml"))
    for queue in QueueName:
        command = f"worker --queue {queue.value}"
        assert command in roles, command
        service = _unit(command)
        assert service["Type"] == "notify" and service["NotifyAccess"] == "main", command
        assert service["Restart"] in ("always", "on-failure"), command
        assert int(service["WatchdogSec"]) >= 60, command
        # READY=1 comes after the engines' first load attempts and the model reads.
        assert int(service["TimeoutStartSec"]) > OcrSettings.model_fields["engine_start_wait"].default, command
    api = _unit("serve --service cpu --host 0.0.0.0 --port 8000")
    assert "Type" not in api and "WatchdogSec" not in api
    assert {"PAGE_TIMEOUT", "PAGE_MEMORY_LIMIT", "PAGE_PROCESSES", "INSPECT_TIMEOUT"} <= _ansible_env_names()


# -- exposure and credentials

_INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(:?[-?+])?([^}]*)\}")


def test_compose_publishes_ports_on_the_loopback_only() -> None:
    published = 0
    for name, spec in _compose()["services"].items():
        for port in spec.get("ports", []):
            # The short syntax only: a long-syntax mapping would need its host_ip checked instead.
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), (name, port)
            published += 1
    assert published


def test_compose_takes_every_password_from_the_env_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    variables = _INTERPOLATION.findall(text)
    assert variables
    # No literal default for any variable: a missing password stops compose, it never falls back to a known one.
    assert [name for name, operator, _ in variables if operator != ":?"] == []
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=$", example, re.MULTILINE))
    assert {name for name, _, _ in variables} == listed
    # The root credentials appear nowhere else as literals.
    assert "ablage-local" not in text
    for spec in _compose()["services"].values():
        for name, value in dict(spec.get("environment", {})).items():
            if re.search(r"PASSWORD|SECRET|KMS", name):
                assert str(value).startswith("${") and str(value).endswith("}"), name
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


ANSIBLE_ROLES = REPO / "deploy/ansible/roles"
# Variables and settings that carry a password, a key or a token.
_SECRET = re.compile(r"database_url|redis_url|password|passwd|secret|token|private_key|api_key|vault", re.IGNORECASE)


def _tasks(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every task of a task list, those inside blocks (and their rescue and always) included."""
    found = []
    for task in tasks or []:
        found.append(task)
        for section in ("block", "rescue", "always"):
            found += _tasks(task.get(section, []))
    return found


def test_every_task_that_handles_a_secret_logs_nothing() -> None:
    secret_templates = {path.name for path in ANSIBLE_ROLES.glob("*/templates/*") if _SECRET.search(path.read_text())}
    assert "ablage.env.j2" in secret_templates
    handled = []
    for path in sorted(ANSIBLE_ROLES.glob("*/tasks/*.yml")):
        for task in _tasks(yaml.safe_load(path.read_text())):
            body = {key: value for key, value in task.items() if key not in ("name", "block", "rescue", "always")}
            text = json.dumps(body)
            source = [
                str(args.get("src", ""))
                for key, args in body.items()
                if key.endswith((".template", ".copy")) and isinstance(args, dict)
            ]
            if _SECRET.search(text) or any(Path(src).name in secret_templates for src in source):
                handled.append(task["name"])
                assert task.get("no_log") is True, f"{path.relative_to(REPO)}: {task['name']}"
    assert {"Write the settings", "Apply database migrations"} <= set(handled)


def _pod_containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    pod = workload["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def _database_keys(container: dict[str, Any]) -> dict[str, str]:
    """The database-credentials keys a container reads, by variable."""
    return {
        variable["name"]: ref["key"]
        for variable in container.get("env", [])
        if (ref := variable.get("valueFrom", {}).get("secretKeyRef")) and ref["name"] == "database-credentials"
    }


def test_the_services_connect_as_the_app_role_and_only_the_migrations_as_the_master_user() -> None:
    for deployment in _kind("Deployment"):
        for container in _pod_containers(deployment):
            keys = _database_keys(container)
            assert set(keys.values()) <= {"url"}, deployment["metadata"]["name"]
    for name in ("cpu-backend", "cpu-worker", "gpu-backend", "gpu-worker"):
        assert _database_keys(_containers()[name]) == {"DATABASE_URL": "url"}, name
    (job,) = _kind("Job", "db-migrate")
    pod = job["spec"]["template"]["spec"]
    # The migrations first (init containers run in order), then the grants on the tables they made.
    (upgrade,) = pod["initContainers"]
    (grants,) = pod["containers"]
    assert upgrade["args"] == ["db", "upgrade"]
    assert _database_keys(upgrade) == {"DATABASE_URL": "migrate-url"}
    assert grants["command"] == ["python", "/etc/db-grants/db-grants.py"]
    assert _database_keys(grants) == {
        "DATABASE_URL": "migrate-url",
        "APP_DATABASE_USER": "app-username",
        "APP_DATABASE_PASSWORD": "app-password",
    }
    # No other workload of any kind reads a key of database-credentials but url.
    workloads = [doc for doc in _documents(K8S_BASE) if doc["kind"] in ("Deployment", "StatefulSet", "Job")]
    for workload in workloads:
        if workload["metadata"]["name"] != "db-migrate":
            assert all(set(_database_keys(c).values()) <= {"url"} for c in _pod_containers(workload))
    (external,) = _kind("ExternalSecret", "database-credentials")
    properties = {item["secretKey"]: item["remoteRef"]["property"] for item in external["spec"]["data"]}
    assert properties == {
        "url": "url",
        "migrate-url": "migrate_url",
        "app-username": "app_username",
        "app-password": "app_password",
    }
    generator = yaml.safe_load((K8S_BASE / "kustomization.yaml").read_text())["configMapGenerator"]
    assert {"name": "db-grants", "files": ["db-grants.sql", "db-grants.py"]} in generator


def test_terraform_gives_the_services_the_app_role_and_the_migrations_the_master_user(
    terraform_files: dict[Path, dict[str, Any]],
) -> None:
    database = _directory(terraform_files, TERRAFORM / "modules/database")
    locals_ = {name: value for tree in database for block in tree.get("locals", []) for name, value in block.items()}
    connection = locals_["connection"]
    assert _unquote(locals_["app_username"]) == "ablage_app"
    assert "${local.app_username}:${urlencode(random_password.app_password.result)}@" in connection["url"]
    assert "aws_db_instance.postgres.username" not in connection["url"]
    assert "random_password.db_password" not in connection["url"]
    assert (
        "${aws_db_instance.postgres.username}:${urlencode(random_password.db_password.result)}@"
        in connection["migrate_url"]
    )
    assert connection["app_username"] == "${local.app_username}"
    assert connection["app_password"] == "${random_password.app_password.result}"
    # Vault gets every field the ExternalSecret reads.
    variables = _blocks(_directory(terraform_files, TERRAFORM / "modules/secrets"), "variable")
    fields = set(re.findall(r"(\w+)\s*=", variables["database_connection"]["type"]))
    assert {"url", "migrate_url", "app_username", "app_password"} <= fields


def test_the_apis_read_the_metrics_token_from_vault() -> None:
    for name, container in _containers().items():
        if container["args"][0] != "serve":
            continue
        refs = {item["name"]: item.get("valueFrom", {}).get("secretKeyRef") for item in container["env"]}
        assert refs["METRICS_TOKEN"] == {"name": "metrics-token", "key": "token"}, name
    (external,) = _kind("ExternalSecret", "metrics-token")
    assert external["spec"]["target"]["name"] == "metrics-token"
    assert [(item["secretKey"], item["remoteRef"]) for item in external["spec"]["data"]] == [
        ("token", {"key": "ablage-system/metrics", "property": "token"})
    ]
    secrets = (TERRAFORM / "modules/secrets/main.tf").read_text()
    assert re.search(r'name\s+=\s+"metrics"', secrets)
    assert "jsonencode({ token = random_password.metrics_token.result })" in secrets


def test_ansible_creates_the_first_key_after_the_migrations_and_before_the_services() -> None:
    tasks = yaml.safe_load((ANSIBLE_ROLES / "ablage_app/tasks/main.yml").read_text())
    names = [task["name"] for task in tasks]
    key = tasks[names.index("Create the first API key")]
    command = " ".join(key["ansible.builtin.command"]["cmd"].split())
    assert "/bin/ablage keys create --tenant " in command and command.endswith(" --if-none")
    assert key["no_log"] is True and key["run_once"] is True
    assert names.index("Apply database migrations") < names.index("Create the first API key")
    assert names.index("Create the first API key") < names.index("Enable and start the services")
    stored = tasks[names.index("Store the first API key's token for the operator")]["ansible.builtin.copy"]
    assert (stored["owner"], stored["mode"]) == ("root", "0600")


def test_the_app_role_may_change_rows_but_no_schema() -> None:
    text = (K8S_BASE / "db-grants.sql").read_text()
    statements = [" ".join(part.split()) for part in re.sub(r"--[^\n]*", "", text).split(";") if part.strip()]
    grants = {
        (match[1], match[2])
        for statement in statements
        if (
            match := re.fullmatch(
                r"(?:ALTER DEFAULT PRIVILEGES IN SCHEMA public )?GRANT (.+) ON (.+) TO \{role\}", statement
            )
        )
    }
    assert grants == {
        ("CONNECT", "DATABASE {database}"),
        ("USAGE", "SCHEMA public"),
        ("SELECT, INSERT, UPDATE, DELETE", "ALL TABLES IN SCHEMA public"),
        ("USAGE", "ALL SEQUENCES IN SCHEMA public"),
        ("SELECT, INSERT, UPDATE, DELETE", "TABLES"),
        ("USAGE", "SEQUENCES"),
    }
    # Every GRANT is one of those; nothing gives ownership, a role attribute beyond LOGIN, or another role's rights.
    assert sum(re.search(r"\bGRANT\b", statement) is not None for statement in statements) == len(grants)
    assert not re.search(r"\bOWNER\b|\bALL PRIVILEGES\b|\bGRANT OPTION\b|\bIN ROLE\b|GRANT \S+ TO", text)
    (alter,) = [statement for statement in statements if statement.startswith("ALTER ROLE")]
    assert alter == "ALTER ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {password}"


WORKFLOWS = REPO / ".github/workflows"


def _workflow(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def test_deploy_runs_only_after_ci_passed_on_main() -> None:
    deploy, ci = _workflow("deploy.yml"), _workflow("ci.yml")
    assert deploy["on"] == {"workflow_run": {"workflows": [ci["name"]], "types": ["completed"], "branches": ["main"]}}
    assert "main" in ci["on"]["push"]["branches"]
    jobs = deploy["jobs"]
    for name, job in jobs.items():
        needs = job.get("needs", [])
        if not needs:
            # A job that waits for no other checks the CI run itself; the others inherit its skip.
            condition = " ".join(job["if"].split())
            assert "github.event.workflow_run.conclusion == 'success'" in condition, name
            assert "github.event.workflow_run.event == 'push'" in condition, name
            assert "github.event.workflow_run.head_repository.full_name == github.repository" in condition, name
        else:
            assert set([needs] if isinstance(needs, str) else needs) <= set(jobs), name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", name
    # The commit built is CI's, never the workflow's own github.sha (the default branch's head at trigger time).
    assert "github.sha" not in (WORKFLOWS / "deploy.yml").read_text()


def test_deploy_sets_the_images_by_the_digests_it_pushed() -> None:
    jobs = _workflow("deploy.yml")["jobs"]
    images, deploy = jobs["images"], jobs["deploy"]
    flavours = images["strategy"]["matrix"]["flavour"]
    steps = {step.get("id"): step for step in images["steps"]}
    assert steps["build"]["uses"].startswith("docker/build-push-action@")
    assert steps["build"]["with"]["push"] is True
    assert steps["digest"]["env"]["DIGEST"] == "${{ steps.build.outputs.digest }}"
    assert images["outputs"] == {
        f"{flavour}-digest": f"${{{{ steps.digest.outputs.{flavour} }}}}" for flavour in flavours
    }
    (set_images,) = [step for step in deploy["steps"] if "kustomize edit set image" in step.get("run", "")]
    assert set_images["working-directory"] == "deploy/k8s/overlays/prod"
    for flavour in flavours:
        variable = f"{flavour.upper()}_DIGEST"
        assert set_images["env"][variable] == f"${{{{ needs.images.outputs.{flavour}-digest }}}}"
        assert f"ablage-{flavour}@${{{variable}}}" in set_images["run"], flavour
    # Every image the overlay names for the application is one the step replaces by digest.
    overlay = yaml.safe_load((REPO / "deploy/k8s/overlays/prod/kustomization.yaml").read_text())
    app_images = {image["name"] for image in overlay["images"] if image["name"].startswith(APP_IMAGES)}
    assert app_images == {f"ghcr.io/ablage-system/ablage-{flavour}" for flavour in flavours}
    assert re.findall(r"kustomize edit set image \"([^=]+)=", set_images["run"]) == sorted(app_images)
    apply = next(index for index, step in enumerate(deploy["steps"]) if "kubectl apply -k" in step.get("run", ""))
    assert deploy["steps"].index(set_images) < apply
