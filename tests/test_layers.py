"""The one-way layers of docs/DESIGN.md hold: ``cli → web | review → sparql | store → shacl → graph → vocab | formats | syntax | config``.

import-linter's layers contract (in pyproject.toml) counts every import, lazy ones inside functions
and ``TYPE_CHECKING`` ones included; a back edge or an import between siblings fails here and in
``make lint``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports is not None, "import-linter is a test dependency"
    done = subprocess.run(
        [lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_every_module_sits_in_a_layer() -> None:
    """A new top-level module would escape the contract: only the layer entry points live at the top."""
    top = {p.stem for p in (REPO / "src" / "ftgraph").glob("*.py")} - {"__init__"}
    assert top == {"cli", "config", "formats", "syntax", "vocab"}


def test_no_two_modules_import_each_other() -> None:
    """No import cycle of any length between modules of ftgraph, lazy imports included (Tarjan's SCCs)."""
    import grimp

    graph = grimp.build_graph("ftgraph", cache_dir=None)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in imports[module]:
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            component = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in order:
            visit(module)
    assert cycles == []


def test_no_module_is_over_500_lines() -> None:
    """Issue 10's bound: a module past it mixes concerns; split it by subject."""
    long = {
        p.relative_to(REPO / "src").as_posix(): n
        for p in sorted((REPO / "src" / "ftgraph").rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert long == {}
