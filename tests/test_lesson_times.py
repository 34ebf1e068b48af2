"""The docs' lesson times are the notebooks' own, and the 90-minute plan fits in 90 minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_docs_times_match_the_notebooks_and_every_plan_fits() -> None:
    """tools/lesson_times.py --check fails when a table is stale or a plan exceeds its limit."""
    done = subprocess.run([sys.executable, str(REPO / "tools" / "lesson_times.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_docs_hold_a_90_minute_and_a_half_day_plan() -> None:
    plan = (REPO / "docs" / "workshop-plan.md").read_text()
    assert "<!-- plan: core, 90 min -->" in plan and "<!-- plan: full, 210 min -->" in plan
    assert "<!-- lesson-times -->" in plan
