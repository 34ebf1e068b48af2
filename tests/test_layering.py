"""The package imports one way: no module, even for type hints only, imports one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pubsub_kit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kit_imports(path: Path) -> set[str]:
    """Every pubsub_kit module ``path`` imports, TYPE_CHECKING blocks included (``ast.walk`` sees them all)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            submodules = {f"{target}.{alias.name}" for alias in node.names}
            known = {name for name in submodules if name in MODULES}
            found |= known or {target}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("pubsub_kit.")}
    return found - {module_name(path)}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_no_module_imports_one_that_imports_it_back() -> None:
    # The package's __init__ is its public face: it imports everything, and nothing inside imports it.
    graph = {name: kit_imports(path) - {"pubsub_kit"} for name, path in MODULES.items() if name != "pubsub_kit"}
    assert not any("pubsub_kit" in kit_imports(p) for n, p in MODULES.items() if n != "pubsub_kit")
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        assert name not in visiting, f"import cycle: {' -> '.join(visiting[visiting.index(name):] + [name])}"
        visiting.append(name)
        for dependency in sorted(graph.get(name, ())):
            visit(dependency)
        visiting.pop()
        order.append(name)

    for name in sorted(graph):
        visit(name)


def test_reader_and_reconnect_know_only_the_endpoint_protocol() -> None:
    for name in ("reader", "reconnect", "wire"):
        assert "pubsub_kit.subscription" not in kit_imports(PACKAGE / f"{name}.py"), name
        assert "Subscription" not in {
            alias.name for node in ast.walk(ast.parse((PACKAGE / f"{name}.py").read_text()))
            if isinstance(node, ast.ImportFrom) for alias in node.names}

