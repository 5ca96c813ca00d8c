"""Each validator of ``make lint-deploy`` rejects a broken copy of its input, and accepts the intact copy."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import REPO, RunCheck


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer contains {old!r}; update this test"
        path.write_text(text.replace(old, new, 1))

    return breaks


@dataclass(frozen=True)
class Case:
    check: str
    copy: tuple[str, ...]
    breaks: Callable[[Path], None]


CPU_BACKEND = "deploy/k8s/base/cpu-backend.yaml"
STORAGE = "deploy/terraform/modules/storage/main.tf"
CPU_ROLE = "deploy/ansible/roles/cpu_backend/tasks/main.yml"
CASES = {
    "terraform-parse": Case(
        "terraform-parse",
        ("deploy/terraform",),
        _replace("deploy/terraform/modules/cache/main.tf", '"Redis from the application"', '"Redis from the'),
    ),
    "terraform-fmt": Case(
        "terraform-fmt",
        ("deploy/terraform",),
        _replace(
            "deploy/terraform/modules/storage/main.tf", "  bucket   = each.value.name", "bucket = each.value.name"
        ),
    ),
    "terraform-refs": Case(
        "terraform-refs",
        ("deploy/terraform",),
        _replace("deploy/terraform/modules/platform/main.tf", "module.networking.vpc_id", "module.networking.vpc"),
    ),
    "checkov-terraform": Case(
        "checkov-terraform",
        ("deploy/terraform/modules/storage",),
        _replace(
            "deploy/terraform/modules/storage/main.tf", "block_public_policy     = true", "block_public_policy = false"
        ),
    ),
    "kubernetes": Case(
        "kubernetes", ("deploy/k8s",), _replace(CPU_BACKEND, "  selector:\n", "  replicaz: 5\n  selector:\n")
    ),
    "checkov-kubernetes": Case(
        "checkov-kubernetes",
        ("deploy/k8s",),
        _replace(CPU_BACKEND, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
    ),
    "ansible-syntax": Case(
        "ansible-syntax",
        ("deploy/ansible",),
        _replace(CPU_ROLE, "ansible.builtin.apt:", "ansible.builtin.no_such_module:"),
    ),
    "ansible-lint": Case("ansible-lint", ("deploy/ansible",), _replace(CPU_ROLE, "ansible.builtin.apt:", "apt:")),
    "ansible-check": Case(
        "ansible-check", ("deploy/ansible",), _replace(CPU_ROLE, "- libgomp1", "- no-such-package-abl")
    ),
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
        (".github",),
        _replace(".github/workflows/deploy.yml", "${{ github.sha }}", "${{ github.commit }}"),
    ),
    "zizmor": Case(
        "zizmor", (".github",), _replace(".github/workflows/ci.yml", "persist-credentials: false", "fetch-depth: 1")
    ),
    "yamllint": Case("yamllint", ("deploy/k8s",), _replace(CPU_BACKEND, "kind: Deployment\n", "kind: Deployment   \n")),
}


def _copy(case: Case, root: Path) -> None:
    for relative in case.copy:
        source, target = REPO / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_validator_rejects_a_broken_copy(name: str, run_check: RunCheck, tmp_path: Path) -> None:
    case = CASES[name]
    if name == "terraform-fmt" and shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH: terraform fmt is skipped by make lint-deploy too")
    _copy(case, tmp_path)
    intact = run_check(case.check, tmp_path)
    assert intact.returncode == 0, f"the intact copy already fails:\n{intact.stdout[-4000:]}\n{intact.stderr[-4000:]}"
    case.breaks(tmp_path)
    broken = run_check(case.check, tmp_path)
    assert broken.returncode != 0, f"{case.check} accepted a broken copy:\n{broken.stdout[-4000:]}"
