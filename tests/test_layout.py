"""The package's shape: folders by stage, no import cycles, short modules."""
from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in ENGINE.rglob("*.py"):
        parts = list(path.relative_to(ENGINE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Engine modules that ``name`` imports, at the top or inside a function (a lazy import is still a dependency)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    skipped = set()
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` blocks are never run: not a dependency
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("engine"):
                found.add(target)
    return found


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # a package's __init__ importing its own submodules is not a cycle of concern
    for name in graph:
        graph[name] = {t for t in graph[name] if not (t.startswith(name + ".") or name.startswith(t + "."))}
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_modules_are_short():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: split them by concept: {long}"


def test_engine_modules_live_in_stage_folders():
    top = sorted(p.stem for p in ENGINE.glob("*.py"))
    assert set(top) <= {"__init__", "__main__", "api", "cli", "errors", "model", "_util"}, top


def test_package_does_not_shadow_its_submodules():
    import engine

    for name, path in _modules().items():
        if name.count(".") == 1:
            attr = getattr(engine, name.split(".")[1], None)
            assert attr is None or type(attr).__name__ == "module", f"engine.{name.split('.')[1]} is not the module"
