"""Lessons survive what learners do: run a cell twice, restart the kernel halfway, carry on.

Every failure a learner can meet that way must say which cell to run first
(``RunFirst``, or a missing name explained by ``pubsub_kit.lesson``), never a
bare ``NameError`` or an assert that blames Redis for a skipped step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .learner import NOTEBOOKS, lesson_kernel

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_runs_twice_in_a_row_or_says_what_to_run_first(path: Path) -> None:
    with lesson_kernel(path) as learner:
        failures = [failure for index in learner.code_cells
                    for failure in (learner.run(index), learner.run(index)) if failure is not None]
    unclear = [str(f) for f in failures if not f.friendly]
    assert not unclear, "a second run failed without saying what to run first:\n" + "\n".join(unclear)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_after_a_restart_halfway_every_failure_names_what_to_run(path: Path) -> None:
    with lesson_kernel(path) as learner:
        cells = learner.code_cells
        half = len(cells) // 2
        early = [f for f in map(learner.run, cells[:half]) if f is not None]
        learner.restart()
        late = [f for f in map(learner.run, cells[half:]) if f is not None]
    assert not early, f"the first half failed before any restart: {early[0]}"
    unclear = [str(f) for f in late if not f.friendly]
    assert not unclear, "after a restart, failures that do not say what to run:\n" + "\n".join(unclear)
