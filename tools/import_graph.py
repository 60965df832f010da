"""The import graph of kslab, every import counted (module level and inside functions).

    python tools/import_graph.py            # circles and imports that run upward, per the layer table
    python tools/import_graph.py --edges    # every edge, one per line

Imports under ``if TYPE_CHECKING:`` are left out: they never run. Why a script of our own next to import-linter: import-linter checks the contract in pyproject.toml;
this prints the circles themselves (strongly connected components of the module graph), which is
what one needs to untie them. Layers here are the same as in pyproject.toml's contract.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "kslab"

#: Bottom first; a module may import its own layer or lower ones. Mirrors [tool.importlinter].
LAYERS: list[list[str]] = [
    ["kslab.text"],
    ["kslab.errors", "kslab.settings", "kslab.data"],
    ["kslab.views", "kslab.course", "kslab.private", "kslab.programs"],
    ["kslab.pss"],
    ["kslab.manifests"],
    ["kslab.rbac", "kslab.audit", "kslab.pcap", "kslab.istio"],
    ["kslab.classroom", "kslab.mesh", "kslab.architecture", "kslab.modernize"],
    ["kslab.cluster", "kslab.sandbox"],
    ["kslab.doctor", "kslab.hack"],
    ["kslab.handson", "kslab.fidelity"],
    ["kslab.widgets", "kslab.exercises"],
    ["kslab.cli", "kslab.__main__"],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str) -> set[str]:
    """Every kslab module ``path`` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("kslab"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("kslab"):
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.add(sub if (PKG.parent / (sub.replace(".", "/") + ".py")).exists()
                        or (PKG.parent / sub.replace(".", "/")).is_dir() else mod)
    out.discard(name)
    return out


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (type checkers read them; Python never runs them)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skip]


def graph() -> dict[str, set[str]]:
    mods = {module_name(p): p for p in PKG.rglob("*.py")}
    g = {}
    for name, p in mods.items():
        g[name] = {m for m in imports_of(p, name) if m in mods}
    return g


def layer_of(mod: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if any(mod == top or mod.startswith(top + ".") for top in layer):
            return i
    return None


def package_of(mod: str) -> str:
    parts = mod.split(".")
    return ".".join(parts[:2])


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan) with more than one member, on the package graph
    (``kslab.x``), ignoring a package's imports of its own ``__init__``."""
    pg: dict[str, set[str]] = {}
    for a, bs in g.items():
        pa = package_of(a)
        pg.setdefault(pa, set())
        for b in bs:
            pb = package_of(b)
            if pb != pa:
                pg[pa].add(pb)
    return _scc(pg) + [c for c in _scc(g) if len({package_of(m) for m in c}) == 1]


def _scc(g: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", action="store_true")
    args = ap.parse_args(argv)
    g = graph()
    if args.edges:
        for a in sorted(g):
            for b in sorted(g[a]):
                print(a, "->", b)
        return 0
    up = [(a, b) for a in sorted(g) for b in sorted(g[a])
          if layer_of(a) is not None and layer_of(b) is not None and layer_of(b) > layer_of(a)]
    unplaced = sorted(m for m in g if layer_of(m) is None and m != "kslab")
    circles = cycles(g)
    print(f"{len(g)} modules, {sum(map(len, g.values()))} imports")
    print(f"{len(circles)} circles")
    for c in circles:
        print("  circle:", " <-> ".join(c))
    print(f"{len(up)} upward imports")
    for a, b in up:
        print(f"  {a} -> {b}")
    if unplaced:
        print("not in any layer:", ", ".join(unplaced))
    return 1 if circles or up else 0


if __name__ == "__main__":
    sys.exit(main())
