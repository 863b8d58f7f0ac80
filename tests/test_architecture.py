"""The layers of the package hold, and no import cycle runs inside ``tracker/``.

The layers and who may import whom are written once, as import-linter contracts in
``pyproject.toml`` (``[tool.importlinter]``), and drawn in ``docs/architecture.md``. The
cycle check is separate and stricter than the contracts: it reads every ``.py`` file under
``tracker/`` (the Alembic migrations too) and counts every import, at module level or inside
a function, because a function-level import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}
# Benchmark and test tooling: outside the product's layers, imported by no product module.
TOOLING = "bench"


def _module_files() -> dict[str, Path]:
    """Dotted name of every module under tracker/ -> its file."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _import_graph() -> nx.DiGraph:
    """importer -> imported, for every import of a tracker module by a tracker module.

    ``from X import name`` is an import of ``X.name`` when that is a module (as Python and
    import-linter resolve it), else of ``X``. Edges carry the line numbers of the imports.
    """
    modules = _module_files()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)

    def known(name: str | None) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for importer, path in modules.items():
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                           for a in node.names]
            for target in targets:
                imported = known(target) if target.split(".")[0] == "tracker" else None
                if imported and imported != importer:
                    lines = graph.get_edge_data(importer, imported, {}).get("lines", [])
                    graph.add_edge(importer, imported, lines=[*lines, node.lineno])
    return graph


def test_no_import_cycle_inside_tracker():
    graph = _import_graph()
    assert graph.number_of_edges() > 100  # the walker found the package's imports
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            loop = nx.find_cycle(graph.subgraph(component))
            chain = "".join(f"{a} -[l.{','.join(map(str, sorted(set(graph.edges[a, b]['lines']))))}]-> "
                            for a, b in loop)
            cycles.append(f"{chain}{loop[0][0]}\n    ({len(component)} modules entangled: "
                          f"{', '.join(sorted(component))})")
    assert not cycles, "import cycles inside tracker/:\n" + "\n".join(cycles)


def test_import_contracts_are_kept():
    """`lint-imports`: the layers, the tooling kept out of the product, independent screens."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([lint_imports, "--no-cache", "--no-logo", ROOT / "pyproject.toml"],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and f"Contracts: {len(CONTRACTS)} kept, 0 broken" in done.stdout


def test_every_module_has_a_layer_and_is_kept_from_the_tooling():
    """A new module of the product is named in the contracts, not silently outside them."""
    children = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    children |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    product = children - {TOOLING}

    layers = CONTRACTS["layers"]
    assert layers["containers"] == ["tracker"] and layers["exhaustive"] is True
    assert layers["exhaustive_ignores"] == [TOOLING]
    named = {name.strip() for layer in layers["layers"] for name in layer.replace(":", "|").split("|")}
    assert named == product

    forbidden = CONTRACTS["no-bench"]
    assert forbidden["forbidden_modules"] == [f"tracker.{TOOLING}"]
    assert set(forbidden["source_modules"]) == {f"tracker.{name}" for name in product}


def test_the_architecture_page_draws_the_contracted_layers():
    """docs/architecture.md shows the layers as `lint-imports` holds them, in order."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = page.split("## The layers", 1)[1].split("```", 2)[1]
    drawn: list[str] = []
    for line in block.splitlines()[1:]:
        if line[:1].isspace() and drawn:  # a layer continued on the next line
            drawn[-1] += " " + line
        elif line.strip():
            drawn.append(line)

    def shape(text: str) -> tuple[list[str], list[str]]:
        return re.findall(r"tracker\.(\w+)", text), re.findall(r"\s([|:])\s", text)

    contracted = [shape(" ".join(f"tracker.{part}" if part not in "|:" else part
                                 for part in layer.split())) for layer in CONTRACTS["layers"]["layers"]]
    assert [shape(line) for line in drawn] == contracted
