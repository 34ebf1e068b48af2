"""Strip what changes on every run from the committed lessons: saved widget state, timing metadata.

Run after re-executing a notebook: `.venv/bin/python tools/clean_notebooks.py notebooks/*.ipynb`.
tests/test_notebook_hygiene.py fails until it has been run.
"""

from __future__ import annotations

import sys

import nbformat

VOLATILE_CELL_KEYS = ("execution", "ExecuteTime")


def clean(path: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("widgets", None)
    for index, cell in enumerate(notebook.cells):
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        cell.id = f"cell-{index:02d}"
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for notebook_path in sys.argv[1:]:
        clean(notebook_path)
