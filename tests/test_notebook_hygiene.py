"""Committed lessons carry no saved widget state and nothing that changes on every run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_widget_state_timing_or_random_cell_ids(path: Path) -> None:
    notebook = json.loads(path.read_text())
    fix = "run `.venv/bin/python tools/clean_notebooks.py` on it"
    assert "widgets" not in notebook["metadata"], f"saved widget state: {fix}"
    for index, cell in enumerate(notebook["cells"]):
        assert "execution" not in cell.get("metadata", {}), f"cell {index} has timing metadata: {fix}"
        assert cell.get("id") == f"cell-{index:02d}", f"cell {index} has an unstable id: {fix}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_no_password(path: Path) -> None:
    shown = re.findall(r"rediss?://[^\s\"'\\]*@", path.read_text())
    # A room's join line is meant for the projector: its "password" is the room code, which only lets a laptop ask to join.
    secret = [url for url in shown if url.rsplit(":", 1)[-1] != "***@" and not url.startswith(("redis://lobby:", "rediss://lobby:"))]
    assert not secret, f"a URL with its password: {secret}"
