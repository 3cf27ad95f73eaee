"""The layers' import rules (docs/ARCHITECTURE.md), read from the source with `ast`.

- core imports no other layer; ir imports only core;
- frontend and engine never import each other;
- the engine imports no torch and no CAM notion: not the SYCAM vocabulary (`core.logic`), no
  backend, and no terminal or metric name written as a string;
- backends import only core, the IR (the examples backend evaluates terms), the engine's port
  and themselves;
- nothing outside app imports app (but the `python -m sycam_sygus` entry point);
- there is no import cycle among the package's modules.

`test_the_rules_catch_a_deliberate_violation` shows each rule failing on a planted import
(`import torch` in the engine, the front end importing the engine, ...).
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from sycam_sygus.core import logic

ROOT = Path(__file__).resolve().parents[1]
EVERY_LAYER = {"core", "ir", "frontend", "engine", "engine.port", "backends", "api", "app"}
ALLOWED = {  # layer -> the layers it may import
    "core": {"core"},
    "ir": {"core", "ir"},
    "frontend": {"core", "ir", "frontend"},
    "engine": {"core", "ir", "engine", "engine.port"},
    "engine.port": {"core", "ir", "engine", "engine.port"},
    "backends": {"core", "ir", "engine.port", "backends"},  # ir: the examples backend evaluates terms
    "api": EVERY_LAYER - {"app"},  # the public Python API (explain, score)
    "app": EVERY_LAYER,
    "main": {"app"},  # `python -m sycam_sygus`
}
CAM_WORDS = set(logic.TERMINALS) | set(logic.METRICS) | {"masks", "mask"}


def module_name(path: Path) -> str:
    """The import name of a source file (backends/ installs as sycam_sygus.backends)."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "backends":
        parts = ["sycam_sygus", *parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources() -> dict[str, str]:
    """Every installed module's source by import name (backends/tools/ is not installed)."""
    files = [*ROOT.joinpath("sycam_sygus").rglob("*.py"), *ROOT.joinpath("backends").rglob("*.py")]
    return {module_name(f): f.read_text() for f in files if "tools" not in f.relative_to(ROOT).parts}


@functools.lru_cache(maxsize=None)  # every test reads the same sources; a planted one is new
def imports(module: str, source: str) -> frozenset[str]:
    """The absolute names `module` imports at run time (imports under `if TYPE_CHECKING:` are left out)."""
    tree = ast.parse(source)
    guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", "") == "TYPE_CHECKING" for node in ast.walk(block)}
    package = module.split(".") if source_is_package(module) else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from . import ast`
    return frozenset(found)


PACKAGES = frozenset(module_name(f) for folder in ("sycam_sygus", "backends") for f in ROOT.joinpath(folder).rglob("__init__.py"))


def source_is_package(module: str) -> bool:
    return module in PACKAGES


def layer_of(name: str) -> str | None:
    """The layer of a module of the package (`engine.port` apart from the engine); None outside it."""
    parts = name.split(".")
    if parts[0] != "sycam_sygus":
        return None
    if len(parts) == 1 or (len(parts) == 2 and parts[1] not in EVERY_LAYER and parts[1] != "__main__"):
        return "api"  # the package's top-level modules: the public Python API (explain, ExpressionCAM, ...)
    if parts[1] == "__main__":
        return "main"
    if parts[1:3] == ["engine", "port"]:
        return "engine.port"
    return parts[1] if parts[1] in EVERY_LAYER else None


def violations(sources: dict[str, str]) -> list[str]:
    """Every broken rule, one line each."""
    modules = set(sources)
    problems = []
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        mine = layer_of(module)
        names = imports(module, source)
        graph[module] = {n for n in names if n in modules and n != module}
        for name in sorted(names):
            theirs = layer_of(name)
            if mine == "engine" and name.split(".")[0] == "torch":
                problems.append(f"{module} imports torch")
            elif mine == "engine" and name.startswith("sycam_sygus.core.logic"):
                problems.append(f"{module} imports a CAM notion ({name})")
            elif theirs == "app" and mine not in ("app", "main"):
                problems.append(f"{module} imports the app layer ({name})")
            elif theirs is not None and theirs not in ALLOWED[mine]:
                problems.append(f"{module} ({mine}) imports {theirs} ({name})")
        if mine == "engine":
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CAM_WORDS:
                    problems.append(f"{module} names the CAM notion {node.value!r}")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles a depth-first walk meets (none when the graph is acyclic)."""
    found, seen, on_stack, stack = [], set(), set(), []

    def visit(node: str) -> None:
        seen.add(node)
        on_stack.add(node)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_stack:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in seen:
                visit(nxt)
        on_stack.discard(node)
        stack.pop()

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    return found


@pytest.fixture(scope="module")
def sources():
    return package_sources()


def test_the_package_follows_its_layers(sources):
    assert violations(sources) == []


@pytest.mark.parametrize("module, planted, expected", [
    ("sycam_sygus.engine.search", "import torch\n", "imports torch"),
    ("sycam_sygus.engine.search", "from ..frontend import parser\n", "(engine) imports frontend"),
    ("sycam_sygus.frontend.lower", "from ..engine import search\n", "(frontend) imports engine"),
    ("sycam_sygus.engine.search", "from ..core.logic import TERMINALS\n", "imports a CAM notion"),
    ("sycam_sygus.engine.search", "METRIC = 'deletion'\n", "names the CAM notion 'deletion'"),
    ("sycam_sygus.backends.torch_cam.backend", "from ...engine.search import solve\n", "(backends) imports engine"),
    ("sycam_sygus.ir.term", "from ..app import cli\n", "imports the app layer"),
    ("sycam_sygus.core.errors", "from ..ir import Term\n", "(core) imports ir"),
    ("sycam_sygus.ir.term", "from .problem import Problem\n", "import cycle"),
])
def test_the_rules_catch_a_deliberate_violation(sources, module, planted, expected):
    planted_sources = {**sources, module: planted + sources[module]}
    assert any(expected in problem for problem in violations(planted_sources)), violations(planted_sources)


def test_nothing_named_backends_is_importable_after_install():
    import importlib.util

    assert importlib.util.find_spec("sycam_sygus.backends.torch_cam") is not None
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"sycam_sygus.backends" = "backends"' in pyproject
    assert all(p.startswith("sycam_sygus") for p in __import__("tomllib").loads(pyproject)["tool"]["setuptools"]["packages"])


def test_the_fake_backend_is_written_against_the_port_alone():
    source = (ROOT / "tests" / "fake_backend.py").read_text()
    ours = {name for name in imports("fake_backend", source) if name.startswith("sycam_sygus")}
    assert ours and all(name.startswith("sycam_sygus.engine.port") for name in ours), ours
