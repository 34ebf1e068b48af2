"""The learner's own copy of the lessons, and JupyterLab opened on it.

``pubsub-kit lab FOLDER``, ``make lab`` and the README's commands without make all call
``start_lab``, so preparing a learner's JupyterLab happens in this one place. The lessons
come from the wheel (``pubsub_kit/notebooks``, ``pubsub_kit/docs``: package data) or, in a
checkout, from ``notebooks/`` and ``docs/`` beside the package.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

# What a lesson folder holds: keep in step with pyproject.toml's package-data (a test checks it).
LESSON_FILES = ("*.ipynb", "sanitize.cfg", "solutions/*.py")
DOC_FILES = ("*.md",)
DEFAULT_FOLDER = "pubsub-kit-lessons"
DEFAULT_PORT = 8888
LOOPBACK = "127.0.0.1"

__all__ = ["Copied", "copy_lessons", "lab_command", "lessons_source", "prepare_lab", "start_lab"]


def _shipped(name: str) -> Path:
    """``pubsub_kit/NAME`` in an installed wheel, else ``NAME/`` beside the package in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the kit's {name} are missing from {package}: reinstall it with "
                            "pip install --force-reinstall 'redis-pubsub-kit[lab]'")


def lessons_source() -> Path:
    """The folder the lessons are copied from."""
    return _shipped("notebooks")


@dataclass
class Copied:
    """What ``copy_lessons`` did: new files, the learner's own versions it left alone, and unchanged ones."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unchanged: int = 0

    def __str__(self) -> str:
        lines = [f"Lessons in {self.folder}: {len(self.copied)} files copied, {self.unchanged} already there."]
        if self.kept:
            lines.append(f"Kept your own version of {len(self.kept)} files (they differ from this kit's): "
                         + ", ".join(self.kept) + ". For the originals, move yours away or pick another folder.")
        return "\n".join(lines)


def copy_lessons(folder: str | os.PathLike[str]) -> Copied:
    """Copy the lessons (notebooks, solutions/, sanitize.cfg) and docs/ into ``folder``.

    A file already there is never overwritten: a learner's edited notebook is theirs.
    """
    target = Path(folder).expanduser().resolve()
    result = Copied(target)
    for source_root, patterns, destination in ((lessons_source(), LESSON_FILES, target),
                                               (_shipped("docs"), DOC_FILES, target / "docs")):
        for pattern in patterns:
            for source in sorted(source_root.glob(pattern)):
                name = source.relative_to(source_root)
                copy = destination / name
                if not copy.exists():
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
                    result.copied.append(str(copy.relative_to(target)))
                elif copy.read_bytes() == source.read_bytes():
                    result.unchanged += 1
                else:
                    result.kept.append(str(copy.relative_to(target)))
    return result


def lab_command(folder: Path, port: int = DEFAULT_PORT, open_browser: bool = True) -> list[str]:
    """JupyterLab in this Python, on loopback only, with ``folder`` as its root."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={LOOPBACK}", f"--ServerApp.port={port}",
               f"--ServerApp.root_dir={folder}"]
    if not open_browser:
        command.append("--ServerApp.open_browser=False")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines run as root; Jupyter refuses unless told
    return command


def install_lesson_kernel() -> None:
    """Make this environment's ``python3`` kernel the lesson kernel (kernelspec.py), so that even right
    after a kernel restart an error names the cell to run. A system Python's kernels are left alone."""
    if sys.prefix == sys.base_prefix and not os.access(sys.prefix, os.W_OK):
        return
    from .kernelspec import install

    install()


def prepare_lab(folder: str | os.PathLike[str]) -> Path:
    """Everything a learner's JupyterLab needs before it starts; returns the folder it opens.

    The lessons are copied into ``folder``, unless it is the folder they come from, and the
    environment's kernel becomes the lesson kernel.
    """
    target = Path(folder).expanduser().resolve()
    if target != lessons_source().resolve():
        print(copy_lessons(target), flush=True)
    install_lesson_kernel()
    return target


def start_lab(folder: str | os.PathLike[str], port: int = DEFAULT_PORT, open_browser: bool = True) -> NoReturn:
    """Prepare ``folder``, then run JupyterLab there in place of this process."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise SystemExit(f"JupyterLab is not installed in this Python ({sys.executable}): "
                         "pip install 'redis-pubsub-kit[lab]'")
    target = prepare_lab(folder)
    print(f"Starting JupyterLab on {LOOPBACK} in {target}: open the address it prints, then "
          "00_start_here.ipynb. Ctrl-C stops it.", flush=True)
    command = lab_command(target, port, open_browser)
    os.execv(command[0], command)
