"""Which cell of a notebook makes a name: what a learner must run when a cell says a name is missing.

A learner who skipped a cell, or restarted the kernel halfway, gets a bare
``NameError`` from Python. The notebook itself knows better: some cell above
binds that name. This module reads a notebook's cells (as saved on disk) and
finds the nearest cell above the failing one that binds it, so the error can
say "run the cell under '2. PUBLISH counts deliveries' that starts `sub = ...`".
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

_transform = TransformerManager().transform_cell


@dataclass(frozen=True)
class Cell:
    """One code cell as a learner sees it: its place, the heading above it and its first line."""

    index: int          # 0-based among all cells
    code_number: int    # 1-based among code cells, as a learner counts them
    heading: str | None
    first_line: str
    source: str

    def describe(self) -> str:
        where = f' under "{self.heading}"' if self.heading else ""
        return f"the code cell{where} that starts `{self.first_line}`"


def bound_names(source: str) -> set[str]:
    """Names a cell binds at the notebook's top level (assignments, imports, defs, loops, with-as)."""
    try:
        tree = ast.parse(_transform(source))
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _top_level(body: list[ast.stmt]):
    """Every node at module scope, descending into if/for/with/try but not into functions or classes."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue  # their loop variables do not leak out
        stack.extend(ast.iter_child_nodes(node))


def _first_line(source: str) -> str:
    for line in source.splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            return text if len(text) <= 60 else text[:57] + "..."
    return "(a comment)"


def _heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


def read_cells(path: str | Path) -> list[Cell]:
    """The code cells of a saved notebook, each with the heading it sits under."""
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    cells, heading, number = [], None, 0
    for index, cell in enumerate(notebook.get("cells", [])):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            heading = _heading(source) or heading
        elif cell.get("cell_type") == "code":
            number += 1
            cells.append(Cell(index, number, heading, _first_line(source), source))
    return cells


def maker_of(name: str, cells: list[Cell], running: str | None) -> Cell | None:
    """The nearest cell above the running one that binds ``name`` (any cell, if the running one is not found)."""
    above = cells
    if running is not None:
        for position, cell in enumerate(cells):
            if cell.source.strip() == running.strip():
                above = cells[:position]
                break
    for cell in reversed(above):
        if name in bound_names(cell.source):
            return cell
    return None
