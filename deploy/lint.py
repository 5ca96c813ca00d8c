"""Offline validators of the deployment assets, run by ``make lint-deploy`` with .venv-deploy's Python.

``python deploy/lint.py`` runs every check on this repository; ``python deploy/lint.py CHECK --root DIR`` runs one
check on a copy laid out like the repository (the tests break such copies to prove each check can fail).
Configuration (.hadolint.yaml, .yamllint, .ansible-lint) always comes from this repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from terraform_refs import check_tree, load_hcl

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The cluster version of deploy/terraform/modules/eks (variable kubernetes_version).
KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ("dev", "staging", "prod")
YAML_PATHS = (".github", "docker-compose.yml", "deploy/k8s", "deploy/ansible")


def _run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> int:
    print("$", " ".join(str(part) for part in command), flush=True)
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, check=False).returncode


def _tool_env() -> dict[str, str]:
    # actionlint finds shellcheck, and ansible-lint finds ansible, on PATH.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def terraform_parse(root: Path) -> int:
    failures = 0
    files = sorted((root / "deploy/terraform").rglob("*.tf"))
    for path in files:
        try:
            load_hcl(path)
        except Exception as exc:
            print(f"{path}: does not parse: {exc}")
            failures += 1
    print(f"{len(files)} files, {failures} unparsable")
    return 1 if failures or not files else 0


def terraform_fmt(root: Path) -> int:
    terraform = shutil.which("terraform")
    if terraform is None:
        print("skipped: no terraform binary on PATH (python-hcl2 still parses every file)")
        return 0
    return _run(terraform, "fmt", "-check", "-recursive", "-diff", root / "deploy/terraform")


def terraform_refs(root: Path) -> int:
    problems = check_tree(root / "deploy/terraform")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} unresolved references or undocumented declarations")
    return 1 if problems else 0


def _checkov(directory: Path, framework: str) -> int:
    # --skip-download: no Prisma Cloud look-ups; every skip is a #checkov:skip or checkov.io/skip with its reason.
    return _run(BIN / "checkov", "-d", directory, "--framework", framework, "--quiet", "--compact", "--skip-download")


def checkov_terraform(root: Path) -> int:
    return _checkov(root / "deploy/terraform", "terraform")


def _render(root: Path, target: Path) -> int:
    for overlay in OVERLAYS:
        rendered = subprocess.run(
            [str(BIN / "kubectl"), "kustomize", str(root / "deploy/k8s/overlays" / overlay)],
            capture_output=True,
            text=True,
            check=False,
        )
        if rendered.returncode != 0:
            print(f"kubectl kustomize {overlay} failed:\n{rendered.stderr}")
            return rendered.returncode
        (target / f"{overlay}.yaml").write_text(rendered.stdout)
    return 0


def kubernetes(root: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rendered = Path(tmp)
        status = _render(root, rendered)
        if status:
            return status
        for overlay in OVERLAYS:
            status |= _run(
                BIN / "kubernetes-validate",
                "--strict",
                "--quiet",
                "--kubernetes-version",
                KUBERNETES_VERSION,
                rendered / f"{overlay}.yaml",
            )
        return status


def _custom_schema(root: Path, resource: dict) -> Path | None:
    """The schema of a custom resource in kubeconform's -schema-location layout,
    ``deploy/k8s/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json``; None for a group without one."""
    group, _, version = str(resource.get("apiVersion", "")).rpartition("/")
    directory = root / "deploy/k8s/schemas" / group
    if not group or not directory.is_dir():
        return None
    return directory / f"{str(resource.get('kind', '')).lower()}_{version}.json"


def kubernetes_custom(root: Path) -> int:
    """The custom resources of the groups in deploy/k8s/schemas (KEDA's), which kubernetes-validate has no schema
    for, against those schemas: every resource of such a group needs one."""
    import jsonschema
    import yaml

    failures = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        rendered = Path(tmp)
        status = _render(root, rendered)
        if status:
            return status
        for overlay in OVERLAYS:
            for resource in yaml.safe_load_all((rendered / f"{overlay}.yaml").read_text()):
                schema_path = _custom_schema(root, resource or {})
                if schema_path is None:
                    continue
                name = f"{overlay}: {resource['kind']}/{resource.get('metadata', {}).get('name')}"
                if not schema_path.is_file():
                    print(f"{name}: no schema {schema_path.relative_to(root)}")
                    failures += 1
                    continue
                schema = json.loads(schema_path.read_text())
                validator = jsonschema.validators.validator_for(schema)(schema)
                errors = sorted(validator.iter_errors(resource), key=lambda error: list(error.absolute_path))
                for error in errors:
                    print(f"{name}: {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
                failures += bool(errors)
                checked += 1
    print(f"{checked} custom resources checked, {failures} invalid")
    return 1 if failures or not checked else 0


def checkov_kubernetes(root: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        status = _render(root, Path(tmp))
        return status or _checkov(Path(tmp), "kubernetes")


def _ansible_env(root: Path) -> dict[str, str]:
    return {**_tool_env(), "ANSIBLE_CONFIG": str(root / "deploy/ansible/ansible.cfg")}


def ansible_syntax(root: Path) -> int:
    ansible = root / "deploy/ansible"
    return _run(
        BIN / "ansible-playbook",
        "--syntax-check",
        "-i",
        ansible / "inventory/production.ini",
        ansible / "playbooks/site.yml",
        cwd=ansible,
        env=_ansible_env(root),
    )


def ansible_lint(root: Path) -> int:
    ansible = root / "deploy/ansible"
    config = REPO / "deploy/ansible/.ansible-lint"
    return _run(BIN / "ansible-lint", "--offline", "-c", config, cwd=ansible, env=_ansible_env(root))


def ansible_check(root: Path) -> int:
    """The CPU role in check mode against this machine: changes nothing, but runs every task that can."""
    ansible = root / "deploy/ansible"
    with tempfile.TemporaryDirectory() as tmp:
        # The real wheel is built on the controller; check mode only needs a file to compare against.
        wheel = Path(tmp) / "ablage_system-0.1.0-py3-none-any.whl"
        wheel.touch()
        return _run(
            BIN / "ansible-playbook",
            "--check",
            "-i",
            ansible / "inventory/check.ini",
            ansible / "playbooks/cpu_backend.yml",
            "-e",
            f"ablage_app_wheel={wheel}",
            cwd=ansible,
            env=_ansible_env(root),
        )


def hadolint(root: Path) -> int:
    dockerfiles = sorted((root / "docker").glob("Dockerfile.*"))
    if not dockerfiles:
        print("no Dockerfiles found")
        return 1
    return _run(BIN / "hadolint", "--config", REPO / ".hadolint.yaml", *dockerfiles)


def compose(root: Path) -> int:
    """Each profile of docker-compose.yml, with placeholders for the passwords it requires (``${VAR:?}``) and which
    a developer's .env holds: every variable of .env.example."""
    names = [
        line.partition("=")[0]
        for line in (REPO / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    env = {**os.environ, **{name: f"lint-placeholder-{name.lower()}" for name in names}}
    status = 0
    for profile in ((), ("--profile", "gpu"), ("--profile", "surya")):
        command = (BIN / "docker-compose", "-f", root / "docker-compose.yml", *profile, "config", "--quiet")
        status |= _run(*command, env=env)
    return status


def actionlint(root: Path) -> int:
    workflows = sorted((root / ".github/workflows").glob("*.yml"))
    return _run(BIN / "actionlint", *workflows, cwd=root, env=_tool_env()) if workflows else 1


def zizmor(root: Path) -> int:
    return _run(BIN / "zizmor", "--offline", root / ".github/workflows")


def yamllint(root: Path) -> int:
    paths = [root / path for path in YAML_PATHS if (root / path).exists()]
    return _run(BIN / "yamllint", "--strict", "-c", REPO / ".yamllint", *paths) if paths else 1


def hcl_json(path: Path) -> int:
    """Print a .tf file as JSON (for the consistency tests, which run without python-hcl2)."""
    print(json.dumps(load_hcl(path)))
    return 0


CHECKS: dict[str, Callable[[Path], int]] = {
    "terraform-parse": terraform_parse,
    "terraform-fmt": terraform_fmt,
    "terraform-refs": terraform_refs,
    "checkov-terraform": checkov_terraform,
    "kubernetes": kubernetes,
    "kubernetes-custom": kubernetes_custom,
    "checkov-kubernetes": checkov_kubernetes,
    "ansible-syntax": ansible_syntax,
    "ansible-lint": ansible_lint,
    "ansible-check": ansible_check,
    "hadolint": hadolint,
    "compose": compose,
    "actionlint": actionlint,
    "zizmor": zizmor,
    "yamllint": yamllint,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("check", nargs="?", choices=[*CHECKS, "all", "hcl-json"], default="all")
    parser.add_argument("--root", type=Path, default=REPO, help="a tree laid out like the repository")
    parser.add_argument("--file", type=Path, help="the .tf file for hcl-json")
    args = parser.parse_args()
    if args.check == "hcl-json":
        return hcl_json(args.file)
    names = list(CHECKS) if args.check == "all" else [args.check]
    results: dict[str, tuple[int, float]] = {}
    for name in names:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        results[name] = (CHECKS[name](args.root.resolve()), time.monotonic() - started)
    if len(names) > 1:
        print("\n== summary")
        for name, (status, seconds) in results.items():
            print(f"{'ok    ' if status == 0 else 'FAILED'} {name} ({seconds:.0f} s)")
    return 1 if any(status for status, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
