"""The README's commands without make: CI runs them as written (tools/readme_commands.py reads them)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
spec = importlib.util.spec_from_file_location("readme_commands", REPO / "tools" / "readme_commands.py")
readme_commands = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_commands)


def test_the_readme_says_what_make_lab_does_in_three_commands() -> None:
    lines = readme_commands.commands((REPO / "README.md").read_text())
    assert lines == ["python3 -m venv .venv", ".venv/bin/pip install -e '.[lab]'", ".venv/bin/pubsub-kit lab notebooks"]


def test_make_lab_runs_the_same_last_command() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "$(BIN)/pubsub-kit lab notebooks --port $(PORT)" in makefile
    assert "$(BIN)/python -m pip install -q -e '.[lab]'" in makefile
