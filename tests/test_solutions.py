"""Every exercise's solution passes its own check, on whatever server this run uses.

The notebooks hold no solutions: each exercise has a cell a learner turns into
``%load solutions/NN_name.py``. Here each such cell gets its file's code, as
``%load`` would put it there, and the whole lesson runs top to bottom.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .learner import NOTEBOOKS, lesson_kernel
from .test_lesson_structure import exercises, solution_file

WITH_EXERCISES = [path for path in NOTEBOOKS if exercises(nbformat.read(path, as_version=4))]
pytestmark = pytest.mark.lessons


def stdout_of(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_every_solution_passes_its_check(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    found = exercises(notebook)
    for exercise in found:
        loader = notebook.cells[exercise.solution]
        loader.source = f"# %load {solution_file(loader.source).relative_to(path.parent)}\n" + \
            solution_file(loader.source).read_text()
    with lesson_kernel(path, notebook) as learner:
        failures = [f for f in map(learner.run, learner.code_cells) if f is not None]
    assert not failures, f"with the solutions in place the lesson failed: {failures[0]}"
    for exercise in found:
        said = stdout_of(notebook.cells[exercise.check])
        assert said.startswith("Right"), f"the check after the solution said {said!r}, not 'Right: ...'"
