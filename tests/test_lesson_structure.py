"""Lessons keep answers out of the run path: Run All never runs or shows a solution.

Each exercise is four cells: a "Try it" prompt that says how to load the solution,
the learner's cell (tag ``exercise``), a cell holding only a commented-out
``# %load solutions/NN_name.py`` (tag ``solution``), and a check (tag ``check``)
that prints what to do while the exercise is blank. The committed outputs show
the blank state, so no renderer (GitHub, nbviewer, VS Code, Colab) shows an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from .learner import NOTEBOOKS

LOADER = re.compile(r"\A(?:#[^\n]*\n)*# %load (solutions/[\w.]+\.py)\s*\Z")
NOT_ANSWERED = "Not answered yet"


@dataclass
class Exercise:
    prompt: int
    exercise: int
    solution: int
    check: int


def tagged(cell: nbformat.NotebookNode, tag: str) -> bool:
    return tag in cell.metadata.get("tags", [])


def exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """Each exercise's four cells, found from its ``exercise`` tag."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if tagged(cell, "exercise"):
            prompt = max(i for i in range(index) if notebook.cells[i].cell_type == "markdown")
            solution = next(i for i in range(index, len(notebook.cells)) if tagged(notebook.cells[i], "solution"))
            check = next(i for i in range(index, len(notebook.cells)) if tagged(notebook.cells[i], "check"))
            found.append(Exercise(prompt, index, solution, check))
    return found


def solution_file(loader_source: str, folder: Path = NOTEBOOKS[0].parent) -> Path:
    match = LOADER.match(loader_source)
    assert match, f"a solution cell holds only comments ending in '# %load solutions/NAME.py', not {loader_source!r}"
    return folder / match.group(1)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_holds_or_runs_a_solution(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        hidden = cell.metadata.get("jupyter", {})
        assert not hidden.get("source_hidden") and not hidden.get("outputs_hidden"), \
            f"cell {index} is hidden: renderers that ignore the collapse would show it; move it to solutions/"
        if tagged(cell, "solution"):
            assert solution_file(cell.source).is_file(), f"cell {index} loads a file that does not exist"
            assert not cell.get("outputs"), f"solution cell {index} has saved output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_says_how_to_load_its_solution_and_starts_blank(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    found = exercises(notebook)
    for exercise in found:
        assert exercise.exercise < exercise.solution < exercise.check, "order: exercise, solution loader, check"
        prompt = notebook.cells[exercise.prompt].source
        loader = solution_file(notebook.cells[exercise.solution].source)
        assert f"%load solutions/{loader.name}" in prompt, f"the prompt must say how to load {loader.name}"
        said = "".join(o.get("text", "") for o in notebook.cells[exercise.check].get("outputs", []))
        assert said.startswith(NOT_ANSWERED), f"the committed check must show the blank state, not {said!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_code_cell_brings_the_lesson_help(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "pubsub_kit.lesson" in first.source, \
        "import pubsub_kit.lesson in the first code cell: a skipped cell then names the cell to run"


def test_every_solution_file_belongs_to_an_exercise() -> None:
    folder = NOTEBOOKS[0].parent / "solutions"
    loaded = {solution_file(nbformat.read(p, as_version=4).cells[e.solution].source).name
              for p in NOTEBOOKS for e in exercises(nbformat.read(p, as_version=4))}
    assert {f.name for f in folder.glob("*.py")} == loaded
