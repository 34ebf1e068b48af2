"""How long each lesson takes in a room, measured from the notebooks, written into the docs.

A lesson's time is its markdown words at 150 words a minute, 30 s for each code
cell, and 3 minutes for each exercise (its prompt's words count as words; its
own cells are in the 3 minutes). The *core* is every section except those whose
``##`` heading cell is tagged ``going-further``; *full* is everything.

The docs carry the numbers in marked blocks, which this tool rewrites:

- ``<!-- lesson-times -->`` ... ``<!-- /lesson-times -->``: the whole per-lesson table;
- ``<!-- plan: core, 90 min -->`` ... ``<!-- /plan -->``: a timetable whose ``time``
  column is recomputed: a row naming a lesson (in backticks) lasts that lesson's
  core (or ``full``) minutes rounded up; any other row says its length, e.g.
  ``welcome (5 min)``. The plan may not exceed its limit;
- ``<!-- lesson-columns -->`` ... ``<!-- /lesson-columns -->``: a table whose ``core``
  and ``full`` columns are filled in for the lesson each row names.

    python tools/lesson_times.py            # rewrite README.md and docs/*.md
    python tools/lesson_times.py --check    # exit 1 if they differ from the notebooks, or a plan is too long
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WORDS_PER_MIN = 150
CODE_CELL_MIN = 0.5
EXERCISE_MIN = 3.0
EXERCISE_TAGS = {"exercise", "check", "solution"}
WORD = re.compile(r"\w")
BLOCK = re.compile(r"(<!-- (lesson-times|lesson-columns|plan: (core|full), (\d+) min) -->\n)(.*?)(<!-- /\S+ -->)", re.S)
LESSON = re.compile(r"`(\d\d_[a-z_]+)`")
LENGTH = re.compile(r"\((\d+) min\)")


@dataclass
class Part:
    words: int = 0
    code_cells: int = 0
    exercises: int = 0

    @property
    def minutes(self) -> float:
        return self.words / WORDS_PER_MIN + self.code_cells * CODE_CELL_MIN + self.exercises * EXERCISE_MIN

    def add(self, other: "Part") -> "Part":
        return Part(self.words + other.words, self.code_cells + other.code_cells, self.exercises + other.exercises)


@dataclass
class Lesson:
    name: str
    core: Part
    further: Part

    @property
    def full(self) -> Part:
        return self.core.add(self.further)


def measure(path: Path) -> Lesson:
    """Split one notebook into its core and going-further parts, and count each."""
    core, further = Part(), Part()
    part = core
    for cell in nbformat.read(path, as_version=4).cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            if cell.source.startswith("## ") or cell.source.startswith("# "):
                part = further if "going-further" in tags else core
            part.words += sum(1 for token in cell.source.split() if WORD.search(token))
        elif cell.cell_type == "code":
            if "exercise" in tags:
                part.exercises += 1
            elif not tags & EXERCISE_TAGS:
                part.code_cells += 1
    return Lesson(path.stem, core, further)


def lessons() -> dict[str, Lesson]:
    return {path.stem: measure(path) for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}


def _minutes(value: float) -> str:
    return f"{value:.1f}"


def times_table(found: dict[str, Lesson]) -> str:
    rows = ["| lesson | core (min) | full (min) | words core / full | code cells core / full | exercises core / full |",
            "|---|---|---|---|---|---|"]
    for lesson in found.values():
        core, full = lesson.core, lesson.full
        rows.append(f"| `{lesson.name}` | {_minutes(core.minutes)} | {_minutes(full.minutes)} | "
                    f"{core.words} / {full.words} | {core.code_cells} / {full.code_cells} | "
                    f"{core.exercises} / {full.exercises} |")
    core_total = sum(lesson.core.minutes for lesson in found.values())
    full_total = sum(lesson.full.minutes for lesson in found.values())
    rows.append(f"| all | {_minutes(core_total)} | {_minutes(full_total)} | | | |")
    return "\n".join(rows) + "\n"


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def row_length(cells: list[str], found: dict[str, Lesson], which: str) -> int:
    """How many minutes a plan row lasts: its lesson's measured time, or the ``(N min)`` it states."""
    named = LESSON.search(cells[1])
    if named and named.group(1) in found:
        lesson = found[named.group(1)]
        return math.ceil((lesson.core if which == "core" else lesson.full).minutes)
    stated = LENGTH.search(cells[1])
    if stated is None:
        raise ValueError(f"plan row names no lesson and no '(N min)': {_row(cells)}")
    return int(stated.group(1))


def plan_table(body: str, found: dict[str, Lesson], which: str) -> tuple[str, int]:
    """The timetable with its ``time`` column recomputed; and its total minutes."""
    lines = body.rstrip("\n").split("\n")
    start, out = 0, lines[:2]
    for line in lines[2:]:
        cells = _cells(line)
        length = row_length(cells, found, which)
        cells[0] = f"{_clock(start)}–{_clock(start + length)}"
        start += length
        out.append(_row(cells))
    return "\n".join(out) + "\n", start


def column_table(body: str, found: dict[str, Lesson]) -> str:
    """Fill the ``core`` and ``full`` columns of each row that names a lesson."""
    lines = body.rstrip("\n").split("\n")
    header = _cells(lines[0])
    out = lines[:2]
    for line in lines[2:]:
        cells = _cells(line)
        named = next((m.group(1) for m in LESSON.finditer(line) if m.group(1) in found), None)
        if named is not None:
            for column, part in (("core", found[named].core), ("full", found[named].full)):
                if column in header:
                    cells[header.index(column)] = f"~{math.ceil(part.minutes)} min"
        out.append(_row(cells))
    return "\n".join(out) + "\n"


def rewrite(text: str, found: dict[str, Lesson], problems: list[str], source: str) -> str:
    def replace(match: re.Match) -> str:
        opening, kind, which, limit, body, closing = match.groups()
        if kind == "lesson-times":
            body = times_table(found)
        elif kind == "lesson-columns":
            body = column_table(body, found)
        else:
            body, total = plan_table(body, found, which)
            if total > int(limit):
                problems.append(f"{source}: the plan '{kind}' takes {total} min, more than its {limit}")
        return opening + body + closing

    return BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is stale or too long")
    args = parser.parse_args(argv)
    found = lessons()
    problems: list[str] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, found, problems, path.name)
        if new != text:
            if args.check:
                problems.append(f"{path.relative_to(ROOT)} differs from the notebooks: run python tools/lesson_times.py")
            else:
                path.write_text(new, encoding="utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
