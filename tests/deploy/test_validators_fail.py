"""Each validator of ``make lint-deploy`` accepts the repository's deployment assets and rejects a broken copy.

The intact run is on a copy of the validator's whole input, so it is the repository's own check: CI runs these
tests instead of ``make lint-deploy`` (which stays the developer's command), and each validator runs once on
the real assets and once on a broken copy."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import LINT, REPO, RunCheck


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}; update this test"
        path.write_text(text.replace(old, new, 1))

    return breaks


# What each validator of deploy/lint.py reads under its root.
TERRAFORM = ("deploy/terraform",)
KUBERNETES = ("deploy/k8s",)
ANSIBLE = ("deploy/ansible",)
GITHUB = (".github",)
YAML = (".github", "docker-compose.yml", "deploy/k8s", "deploy/ansible")  # lint.py's YAML_PATHS


@dataclass(frozen=True)
class Case:
    check: str
    copy: tuple[str, ...]
    breaks: Callable[[Path], None]
    broken_copy: tuple[str, ...] | None = None
    """A part of ``copy`` that suffices to show the break, where the whole is slow to check again."""


CPU_BACKEND = "deploy/k8s/base/cpu-backend.yaml"
SCALED_OBJECTS = "deploy/k8s/base/scaledobjects.yaml"
STORAGE = "deploy/terraform/modules/storage/main.tf"
CPU_ROLE = "deploy/ansible/roles/cpu_backend/tasks/main.yml"
CASES = {
    "terraform-parse": Case(
        "terraform-parse",
        TERRAFORM,
        _replace("deploy/terraform/modules/cache/main.tf", '"Redis from the application"', '"Redis from the'),
    ),
    "terraform-fmt": Case(
        "terraform-fmt",
        TERRAFORM,
        _replace(
            "deploy/terraform/modules/storage/main.tf", "  bucket   = each.value.name", "bucket = each.value.name"
        ),
    ),
    "terraform-refs": Case(
        "terraform-refs",
        TERRAFORM,
        _replace("deploy/terraform/modules/platform/main.tf", "module.networking.vpc_id", "module.networking.vpc"),
    ),
    "checkov-terraform": Case(
        "checkov-terraform",
        TERRAFORM,
        _replace(
            "deploy/terraform/modules/storage/main.tf", "block_public_policy     = true", "block_public_policy = false"
        ),
        # checkov judges each resource on its own: the module passes wherever the whole tree does.
        broken_copy=("deploy/terraform/modules/storage",),
    ),
    "kubernetes": Case(
        "kubernetes", KUBERNETES, _replace(CPU_BACKEND, "  selector:\n", "  replicaz: 5\n  selector:\n")
    ),
    "kubernetes-custom": Case(
        "kubernetes-custom", KUBERNETES, _replace(SCALED_OBJECTS, "  minReplicaCount: 3\n", '  minReplicaCount: "3"\n')
    ),
    "checkov-kubernetes": Case(
        "checkov-kubernetes",
        KUBERNETES,
        _replace(CPU_BACKEND, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
    ),
    "ansible-syntax": Case(
        "ansible-syntax",
        ANSIBLE,
        _replace(CPU_ROLE, "ansible.builtin.apt:", "ansible.builtin.no_such_module:"),
    ),
    "ansible-lint": Case("ansible-lint", ANSIBLE, _replace(CPU_ROLE, "ansible.builtin.apt:", "apt:")),
    "ansible-check": Case("ansible-check", ANSIBLE, _replace(CPU_ROLE, "- libgomp1", "- no-such-package-abl")),
    "hadolint": Case(
        "hadolint",
        ("docker",),
        _replace("docker/Dockerfile.cpu", "FROM python:3.11.11-slim-bookworm AS build", "FROM python:latest AS build"),
    ),
    "compose": Case(
        "compose",
        ("docker-compose.yml",),
        _replace("docker-compose.yml", "  migrate:\n    condition:", "  migrations:\n    condition:"),
    ),
    "actionlint": Case(
        "actionlint",
        GITHUB,
        _replace(
            ".github/workflows/deploy.yml",
            "${{ needs.images.outputs.cpu-digest }}",
            "${{ needs.image.outputs.cpu-digest }}",
        ),
    ),
    "zizmor": Case(
        "zizmor", GITHUB, _replace(".github/workflows/ci.yml", "persist-credentials: false", "fetch-depth: 1")
    ),
    "yamllint": Case("yamllint", YAML, _replace(CPU_BACKEND, "kind: Deployment\n", "kind: Deployment   \n")),
}


def _copy(paths: tuple[str, ...], root: Path) -> None:
    for relative in paths:
        source, target = REPO / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


def test_every_validator_has_a_case(deploy_tools: Path) -> None:
    listed = subprocess.run(
        [
            str(deploy_tools),
            "-c",
            f"import sys; sys.path.insert(0, {str(LINT.parent)!r}); import lint; print(*lint.CHECKS)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(listed.stdout.split()) == set(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_validator_accepts_the_assets_and_rejects_a_broken_copy(name: str, run_check: RunCheck, tmp_path: Path) -> None:
    case = CASES[name]
    if name == "terraform-fmt" and shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH: terraform fmt is skipped by make lint-deploy too")
    intact_root, broken_root = tmp_path / "intact", tmp_path / "broken"
    _copy(case.copy, intact_root)
    intact = run_check(case.check, intact_root)
    assert intact.returncode == 0, (
        f"{case.check} fails on the repository:\n{intact.stdout[-4000:]}\n{intact.stderr[-4000:]}"
    )
    if case.broken_copy is None:
        broken_root = intact_root
    else:
        _copy(case.broken_copy, broken_root)
    case.breaks(broken_root)
    broken = run_check(case.check, broken_root)
    assert broken.returncode != 0, f"{case.check} accepted a broken copy:\n{broken.stdout[-4000:]}"


# More ways to break a ScaledObject or its TriggerAuthentication, each of which the KEDA schemas reject.
KEDA_BREAKS = {
    "no scaleTargetRef": _replace(
        SCALED_OBJECTS,
        "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: cpu-worker\n",
        "",
    ),
    "an unknown trigger field": _replace(SCALED_OBJECTS, "      authenticationRef:\n", "      authRef:\n"),
    "an unknown spec field": _replace(SCALED_OBJECTS, "  cooldownPeriod: 900\n", "  cooldownPeriods: 900\n"),
    "a misspelt redis scaler key": _replace(
        SCALED_OBJECTS, "        listName: ablage:cpu\n", "        list: ablage:cpu\n"
    ),
    "a number in the scaler metadata": _replace(SCALED_OBJECTS, '        listLength: "2"\n', "        listLength: 2\n"),
    "a secret reference without its key": _replace(SCALED_OBJECTS, "      key: password\n", ""),
    "a kind without a schema": _replace(SCALED_OBJECTS, "kind: TriggerAuthentication\n", "kind: ClusterTriggerAuth\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(KEDA_BREAKS))
def test_the_keda_schemas_reject(name: str, run_check: RunCheck, tmp_path: Path) -> None:
    _copy(KUBERNETES, tmp_path)
    KEDA_BREAKS[name](tmp_path)
    broken = run_check("kubernetes-custom", tmp_path)
    assert broken.returncode != 0, f"kubernetes-custom accepted {name}:\n{broken.stdout[-4000:]}"
