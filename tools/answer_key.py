"""The facilitators' answer key, written from the lessons themselves: each exercise's task and solution.

Learners load a solution with ``%load solutions/NN_name.py``; facilitators and
helpers want all of them on one page, next to the task they answer. This tool
writes ``docs/answer-key.md`` from the notebooks' "Try it" prompts and the
solution files, so the key can never drift from what learners see.

    python tools/answer_key.py            # rewrite docs/answer-key.md
    python tools/answer_key.py --check    # exit 1 if it differs from the notebooks
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KEY = ROOT / "docs" / "answer-key.md"
LOADER = re.compile(r"# %load (solutions/[\w.]+\.py)")
HEADER = """# Answer key

For facilitators and helpers: every exercise's task, as the learner reads it, and the
solution a learner gets with `%load`. Written by `tools/answer_key.py` from the notebooks
and `notebooks/solutions/`; a test fails when it is out of date, so do not edit it by hand.

A learner's own answer can differ and still be right: each exercise's check cell tests
the result, not the code. When a learner is stuck, show them how to load the solution
(delete the `# ` in front of `%load …` in the cell under theirs, run it twice) rather
than reading this page to them.
"""


def _task(prompt: str) -> str:
    """The prompt without its "Stuck?" paragraph, which is the same everywhere."""
    body = prompt.split("\n", 1)[1] if prompt.startswith("### ") else prompt
    kept = [part for part in body.strip().split("\n\n") if not part.startswith("Stuck?")]
    return "\n\n".join(kept)


def key() -> str:
    sections = [HEADER]
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for index, cell in enumerate(cells):
            if "solution" not in cell.metadata.get("tags", []):
                continue
            loader = LOADER.search(cell.source)
            prompt = next(c.source for c in reversed(cells[:index]) if c.cell_type == "markdown")
            solution = (NOTEBOOKS / loader.group(1)).read_text().strip()
            sections.append(f"## `{path.stem}`\n\n{_task(prompt)}\n\n`notebooks/{loader.group(1)}`:\n\n"
                            f"```python\n{solution}\n```\n")
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if docs/answer-key.md is stale")
    args = parser.parse_args(argv)
    text = key()
    if args.check:
        if not KEY.is_file() or KEY.read_text(encoding="utf-8") != text:
            print("docs/answer-key.md differs from the notebooks: run python tools/answer_key.py", file=sys.stderr)
            return 1
        return 0
    KEY.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
