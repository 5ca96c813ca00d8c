"""Every reference in a Terraform module resolves inside that module, without terraform init or a provider.

Per directory of .tf files: each ``var.X`` has a ``variable "X"``, each ``local.X`` a local, each ``module.M`` a
module block, each ``module.M.O`` an ``output "O"`` in M's directory (local sources; registry modules are not
fetched offline), each ``TYPE.NAME`` and ``data.TYPE.NAME`` a resource or data block. A module call passes every
variable without a default and no unknown one. Every variable has a type and a description, every output a
description, and every module has main.tf, variables.tf, outputs.tf and versions.tf. A ``moved`` block moves a
module call that this module no longer makes to one that a module it calls makes (``module.A.module.B``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# python-hcl2 lives apart from checkov's fork of it, which installs a package of the same name.
_HCL2 = Path(sys.executable).parent.parent / "python-hcl2"
if _HCL2.is_dir():
    sys.path.insert(0, str(_HCL2))

import hcl2  # noqa: E402

PROVIDER_PREFIXES = ("aws_", "random_", "vault_")
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}

_COMMENT = re.compile(r"(^\s*(#|//).*$)|(\s+#(?![{]).*$)", re.MULTILINE)
_VAR = re.compile(r"(?<![\w.])var\.(\w+)")
_LOCAL = re.compile(r"(?<![\w.])local\.(\w+)")
_MODULE = re.compile(r"(?<![\w.])module\.(\w+)(?:\.(\w+))?")
_DATA = re.compile(r"(?<![\w.])data\.(\w+)\.(\w+)")
_MOVED_BLOCK = re.compile(r"^moved\s*\{[^}]*\}", re.MULTILINE)
_MOVED_MODULE = re.compile(r"\$\{(module\.\w+(?:\.module\.\w+)*)\}")
_RESOURCE = re.compile(r"(?<![\w.\"/:-])((?:" + "|".join(PROVIDER_PREFIXES) + r")\w+)\.(\w+)")


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def _name(label: str) -> str:
    return label.strip('"')


@dataclass
class Module:
    directory: Path
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: set[str] = field(default_factory=set)
    resources: set[tuple[str, str]] = field(default_factory=set)
    data: set[tuple[str, str]] = field(default_factory=set)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    moved: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""


def read_module(directory: Path) -> Module:
    module = Module(directory)
    for path in sorted(directory.glob("*.tf")):
        parsed = load_hcl(path)
        # Moved blocks name addresses, not values: check_moved resolves them.
        module.text += _MOVED_BLOCK.sub("", _COMMENT.sub("", path.read_text(encoding="utf-8"))) + "\n"
        module.moved += parsed.get("moved", [])
        for block in parsed.get("variable", []):
            module.variables.update({_name(key): value for key, value in block.items()})
        for block in parsed.get("output", []):
            module.outputs.update({_name(key): value for key, value in block.items()})
        for block in parsed.get("locals", []):
            module.locals.update(key for key in block if not key.startswith("__"))
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                module.resources.update((_name(kind), _name(name)) for name in named)
        for block in parsed.get("data", []):
            for kind, named in block.items():
                module.data.update((_name(kind), _name(name)) for name in named)
        for block in parsed.get("module", []):
            module.calls.update({_name(key): value for key, value in block.items()})
    return module


def _source(call: dict[str, Any]) -> str:
    source = call.get("source", "")
    return _name(source[0] if isinstance(source, list) else source)


def _module_path(address: Any) -> list[str] | None:
    """``${module.a.module.b}`` as ``["a", "b"]``; None for anything but a module address."""
    found = _MOVED_MODULE.fullmatch(address) if isinstance(address, str) else None
    return found.group(1).split(".")[1::2] if found else None


def check_moved(module: Module, modules: dict[Path, Module]) -> list[str]:
    where = module.directory
    problems: list[str] = []
    for block in module.moved:
        source, target = _module_path(block.get("from")), _module_path(block.get("to"))
        if source is None or target is None:
            problems.append(f"{where}: moved {block.get('from')} -> {block.get('to')} is not a move of a module call")
            continue
        if source[0] in module.calls:
            problems.append(f"{where}: moved from module.{source[0]}, which is still called here")
        current: Module | None = module
        for name in target:
            if current is None:  # a registry module, not read offline
                break
            call = current.calls.get(name)
            if call is None:
                problems.append(f"{where}: moved to {block['to']}, but {current.directory} calls no module {name}")
                break
            current = modules.get((current.directory / _source(call)).resolve())
    return problems


def check_module(module: Module, modules: dict[Path, Module]) -> list[str]:
    where = module.directory
    undeclared = set(_VAR.findall(module.text)) - module.variables.keys()
    problems = [f"{where}: var.{name} is not declared" for name in undeclared]
    problems += [f"{where}: local.{name} is not defined" for name in set(_LOCAL.findall(module.text)) - module.locals]
    for kind, name in set(_DATA.findall(module.text)) - module.data:
        problems.append(f"{where}: data.{kind}.{name} is not declared")
    for kind, name in set(_RESOURCE.findall(module.text)) - module.resources:
        problems.append(f"{where}: {kind}.{name} is not declared")
    for name, output in set(_MODULE.findall(module.text)):
        if name not in module.calls:
            problems.append(f"{where}: module.{name} is not declared")
            continue
        target = modules.get((where / _source(module.calls[name])).resolve())
        if output and target is not None and output not in target.outputs:
            problems.append(f"{where}: module.{name}.{output} is not an output of {target.directory}")
    for name, call in module.calls.items():
        source = _source(call)
        if not source.startswith("."):
            continue
        target = modules.get((where / source).resolve())
        if target is None:
            problems.append(f"{where}: module {name}'s source {source} has no .tf files")
            continue
        arguments = {key for key in call if not key.startswith("__")} - META_ARGUMENTS
        for unknown in sorted(arguments - target.variables.keys()):
            problems.append(f"{where}: module {name} passes {unknown}, which {target.directory} does not declare")
        required = {key for key, spec in target.variables.items() if "default" not in spec}
        for missing in sorted(required - arguments):
            problems.append(f"{where}: module {name} does not pass the required variable {missing}")
    problems += check_moved(module, modules)
    for name, spec in module.variables.items():
        for attribute in ("type", "description"):
            if attribute not in spec:
                problems.append(f"{where}: variable {name} has no {attribute}")
    for name, spec in module.outputs.items():
        if "description" not in spec:
            problems.append(f"{where}: output {name} has no description")
    return problems


def check_tree(root: Path) -> list[str]:
    directories = sorted({path.parent.resolve() for path in root.rglob("*.tf")})
    if not directories:
        return [f"{root}: no Terraform files"]
    modules = {directory: read_module(directory) for directory in directories}
    problems: list[str] = []
    for directory, module in modules.items():
        problems += check_module(module, modules)
        if directory.parent.name == "modules" or directory.parent.name == "environments":
            problems += [f"{directory}: {name} is missing" for name in MODULE_FILES if not (directory / name).exists()]
    return problems


if __name__ == "__main__":
    found = check_tree(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("deploy/terraform"))
    print("\n".join(found))
    sys.exit(1 if found else 0)
