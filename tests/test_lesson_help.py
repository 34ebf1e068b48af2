"""A missing name names the cell that makes it: the lesson help's parts, without a kernel."""

from __future__ import annotations

import json
from pathlib import Path

from pubsub_kit.cellmap import bound_names, maker_of, read_cells
from pubsub_kit.lesson import RunFirst, missing_name_hint, need


def test_bound_names_sees_every_way_a_cell_makes_a_name() -> None:
    source = (
        "%matplotlib inline\nimport pandas as pd\nfrom x import y as z\nhub = connect()\na, (b, *c) = 1, (2, 3)\n"
        "for i in range(3):\n    total = i\nwith open('f') as handle:\n    pass\ndef helper():\n    inner = 1\n"
        "class Thing: pass\nif (n := 5):\n    flag = True\nsquares = [k * k for k in range(3)]\n"
    )
    assert bound_names(source) == {"pd", "z", "hub", "a", "b", "c", "i", "total", "handle", "helper", "Thing",
                                   "n", "flag", "squares"}


def test_bound_names_of_broken_code_is_empty() -> None:
    assert bound_names("def (:") == set()


def write_notebook(folder: Path, sources: list[tuple[str, str]]) -> Path:
    path = folder / "lesson.ipynb"
    cells = [{"id": f"cell-{i}", "cell_type": kind, "metadata": {}, "source": text,
              **({"outputs": [], "execution_count": None} if kind == "code" else {})}
             for i, (kind, text) in enumerate(sources)]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_the_nearest_cell_above_the_running_one_is_named(tmp_path: Path) -> None:
    path = write_notebook(tmp_path, [
        ("code", "hub = connect()"), ("markdown", "## 1. First\ntext"), ("code", "sub = hub.subscribe('a')"),
        ("markdown", "## 2. Second"), ("code", "sub = hub.subscribe('b')"), ("code", "sub.messages()"),
        ("code", "sub = 'made below'"),
    ])
    cells = read_cells(path)
    maker = maker_of("sub", cells, "sub.messages()")
    assert maker is not None and maker.heading == "2. Second" and maker.first_line == "sub = hub.subscribe('b')"
    assert maker_of("hub", cells, "sub.messages()").code_number == 1


def test_the_hint_says_what_to_run(tmp_path: Path, monkeypatch) -> None:
    path = write_notebook(tmp_path, [
        ("code", "hub = connect()"), ("markdown", "## 1. First"), ("code", "sub = hub.subscribe('a')"),
        ("code", "sub.messages()"),
    ])
    ns = {"__session__": str(path)}
    assert "the notebook's first code cell makes it" in missing_name_hint("hub", ns, "sub = hub.subscribe('a')")
    said = missing_name_hint("sub", ns, "sub.messages()")
    assert 'under "1. First" that starts `sub = hub.subscribe(\'a\')` makes it' in said and "Run that cell first" in said
    assert "check the spelling" in missing_name_hint("sbu", ns, "sub.messages()")
    assert "run the notebook from the top" in missing_name_hint("hub", {}, None)


def test_need_names_the_cell_to_run_first() -> None:
    need(True, "the setup cell")
    try:
        need(False, 'the cell under "2. The outage"')
    except RunFirst as err:
        assert str(err) == 'run the cell under "2. The outage" first, then this cell again'
    else:
        raise AssertionError("need(False, ...) must raise RunFirst")


def test_the_lesson_kernel_explains_a_restart_and_leaves_other_errors_alone(tmp_path: Path) -> None:
    """In the real lesson kernel: a name lost in a restart is explained; a library's own NameError is not."""
    from .learner import lesson_kernel

    (tmp_path / "buggy.py").write_text("def broken():\n    return undefined_in_library\n")
    path = write_notebook(tmp_path, [
        ("code", "import sys\nsys.path.insert(0, '.')\nhub = 'made here'"), ("markdown", "## 1. Later"),
        ("code", "hub.upper()"), ("code", "import buggy\nbuggy.broken()"),
    ])
    with lesson_kernel(path) as learner:
        assert learner.run(0) is None and learner.run(2) is None
        learner.restart()
        lost = learner.run(2)
        learner.run(0)
        library = learner.run(3)
    assert lost is not None and lost.friendly and "first code cell" in lost.evalue
    assert library is not None and library.evalue == "name 'undefined_in_library' is not defined"
