"""pubsub-kit lab FOLDER: the lessons copied into a learner's folder, theirs kept, JupyterLab opened there."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pubsub_kit import workspace
from pubsub_kit.local import free_port

REPO = Path(__file__).resolve().parents[1]


def shipped_files() -> set[str]:
    """What a copy must hold, from the checkout: every lesson file and doc."""
    lessons = {str(p.relative_to(REPO / "notebooks")) for pattern in workspace.LESSON_FILES
               for p in (REPO / "notebooks").glob(pattern)}
    return lessons | {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}


def test_in_a_checkout_the_lessons_come_from_its_notebooks_folder() -> None:
    assert workspace.lessons_source() == REPO / "notebooks"


def test_the_copy_holds_every_lesson_solution_and_doc(tmp_path: Path) -> None:
    copied = workspace.copy_lessons(tmp_path / "mine")
    on_disk = {str(p.relative_to(tmp_path / "mine")) for p in (tmp_path / "mine").rglob("*") if p.is_file()}
    assert on_disk == shipped_files() == set(copied.copied)
    assert "00_start_here.ipynb" in on_disk and "sanitize.cfg" in on_disk and "docs/cheat-sheet.md" in on_disk
    assert (tmp_path / "mine" / "01_first_message.ipynb").read_bytes() == \
        (REPO / "notebooks" / "01_first_message.ipynb").read_bytes()


def test_a_learners_changed_lesson_is_kept_and_named(tmp_path: Path) -> None:
    workspace.copy_lessons(tmp_path)
    mine = tmp_path / "01_first_message.ipynb"
    mine.write_text("my own notes")
    (tmp_path / "02_redis_py_pubsub.ipynb").unlink()
    again = workspace.copy_lessons(tmp_path)
    assert mine.read_text() == "my own notes", "never overwritten"
    assert again.kept == ["01_first_message.ipynb"] and again.copied == ["02_redis_py_pubsub.ipynb"]
    assert again.unchanged == len(shipped_files()) - 2
    assert "Kept your own version of 1 files" in str(again) and "01_first_message.ipynb" in str(again)


def test_opening_the_lessons_own_folder_copies_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert workspace.prepare_lab(REPO / "notebooks") == REPO / "notebooks"
    assert capsys.readouterr().out == ""


def test_preparing_the_lab_makes_this_environments_kernel_the_lesson_kernel() -> None:
    """So that right after a kernel restart an error still names the cell to run (pubsub_kit.lesson)."""
    from jupyter_client.kernelspec import KernelSpecManager

    workspace.prepare_lab(REPO / "notebooks")
    argv = KernelSpecManager().get_kernel_spec("python3").argv
    assert argv[0] == sys.executable and "--ext=pubsub_kit.lesson" in argv


def test_the_wheel_ships_what_the_copy_takes() -> None:
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert tuple(package_data["pubsub_kit.notebooks"]) == workspace.LESSON_FILES
    assert tuple(package_data["pubsub_kit.docs"]) == workspace.DOC_FILES


def test_pubsub_kit_lab_opens_jupyterlab_on_loopback_in_the_learners_folder(tmp_path: Path) -> None:
    scripts = Path(sys.executable).parent
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_lab.py"), "--expect", "00_start_here.ipynb", "--expect", "docs",
         "--", str(scripts / "pubsub-kit"), "lab", str(tmp_path / "lessons"), "--no-browser",
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "JupyterLab answered on 127.0.0.1:" in result.stdout
    assert (tmp_path / "lessons" / "00_start_here.ipynb").is_file()
