"""Drive a lesson the way a learner does: one cell at a time, in the lesson kernel, restarts included.

The kernel is the one learners get (``pubsub_kit.kernelspec``: ipykernel with the
lesson help loaded at start), told which notebook it runs as JupyterLab tells it
(``JPY_SESSION_NAME``), so an error names the cell to run exactly as in the browser.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync

from pubsub_kit.kernelspec import spec

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 90
# The only failures a learner may meet: each says which cell to run first.
FRIENDLY = ("RunFirst", "NameError", "HubClosedError")
ADVICE = ("Run that cell first", "run the notebook from the top")


@dataclass
class Failure:
    index: int
    ename: str
    evalue: str

    @property
    def friendly(self) -> bool:
        return self.ename in FRIENDLY and (self.ename == "RunFirst" or any(a in self.evalue for a in ADVICE))

    def __str__(self) -> str:
        return f"cell {self.index}: {self.ename}: {self.evalue}"


class Learner:
    """One notebook open in one kernel; ``run(i)`` is Shift+Enter on cell ``i``."""

    def __init__(self, notebook: nbformat.NotebookNode, client: NotebookClient) -> None:
        self.notebook = notebook
        self.client = client

    @property
    def code_cells(self) -> list[int]:
        return [i for i, cell in enumerate(self.notebook.cells) if cell.cell_type == "code"]

    def run(self, index: int) -> Failure | None:
        try:
            self.client.execute_cell(self.notebook.cells[index], index)
        except CellExecutionError as err:
            return Failure(index, err.ename, err.evalue)
        return None

    def restart(self) -> None:
        """Kernel ▸ Restart Kernel, as JupyterLab does it: every name is forgotten."""
        run_sync(self.client.km.restart_kernel)(now=False)
        run_sync(self.client.kc.wait_for_ready)(timeout=120)


@contextmanager
def lesson_kernel(path: Path, notebook: nbformat.NotebookNode | None = None) -> Iterator[Learner]:
    """A fresh lesson kernel on ``path`` (or on a changed copy of it, ``notebook``)."""
    notebook = notebook if notebook is not None else nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as jupyter_path:
        kernel = Path(jupyter_path) / "kernels" / "pubsub-kit-lesson"
        kernel.mkdir(parents=True)
        (kernel / "kernel.json").write_text(json.dumps(spec()))
        saved = {key: os.environ.get(key) for key in ("JUPYTER_PATH", "JPY_SESSION_NAME", "REDIS_URL")}
        os.environ.update(JUPYTER_PATH=jupyter_path, JPY_SESSION_NAME=str(path), REDIS_URL="")
        try:
            client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="pubsub-kit-lesson",
                                    allow_errors=False, resources={"metadata": {"path": str(path.parent)}})
            with client.setup_kernel():
                yield Learner(notebook, client)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
