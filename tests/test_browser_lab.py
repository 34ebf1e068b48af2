"""JupyterLab in a real headless Chromium: a lesson runs, and its widgets answer clicks.

Skipped, with the reason, when no Chromium is found. Saves a screenshot to
test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from pubsub_kit.local import free_port

from .chromium import ARGS, ARTIFACTS, CHROMIUM, REPO, require_chromium
from .conftest import wait_until

sync_api = require_chromium()

pytestmark = pytest.mark.browser


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    """A private JupyterLab on a copy of the notebooks (autosave never touches the repo)."""
    work = Path(tempfile.mkdtemp(prefix="pubsub_kit-lab-"))
    shutil.copytree(REPO / "notebooks", work / "notebooks")
    settings = work / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = free_port()
    env = {**os.environ, "REDIS_URL": "", "JUPYTER_RUNTIME_DIR": str(work / "runtime")}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={work / 'notebooks'}",
         f"--LabApp.user_settings_dir={work / 'settings'}", "--LabApp.expose_app_in_browser=True", "--allow-root"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: _answers(f"{base}/api/status"), timeout=60), "JupyterLab did not start"
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        _get_json(url)
        return True
    except OSError:
        return False


def _kernel_ready(base: str) -> bool:
    try:
        kernels = _get_json(f"{base}/api/kernels")
    except OSError:
        return False
    return any(k["execution_state"] == "idle" and k.get("connections", 0) >= 1 for k in kernels)


def open_and_run(page, lab: str, notebook: str) -> None:
    """Open a lesson and run every cell but the teardown, so its hub stays alive to click on.

    Through Lab's command registry (the Run menu's own command). Outputs are
    cleared first so a run that never started (the command reached Lab before
    the kernel's websocket) is told apart from a slow one; only that is retried.
    """
    page.goto(f"{lab}/lab/tree/{notebook}?reset", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    assert wait_until(lambda: _kernel_ready(lab), timeout=60), "the kernel never connected"
    commands = "(name) => window.jupyterapp.commands.execute(name)"
    page.evaluate(commands, "notebook:clear-all-cell-outputs")
    # Lab renders cells lazily, so the last cell in the DOM need not be the last cell.
    page.evaluate("""() => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        notebook.activeCellIndex = notebook.widgets.length - 1;
    }""")
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    for _ in range(3):
        page.evaluate(commands, "notebook:run-all-above")
        if wait_until(lambda: any(p.strip() not in ("[ ]:", "") for p in prompts.all_inner_texts()), timeout=20):
            return


@contextmanager
def lab_page(failure_shot: str) -> Iterator:
    """A fresh headless Chromium page; on failure, a full-page screenshot for a human."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            yield page
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / failure_shot), full_page=True)
            raise
        finally:
            browser.close()


def test_lesson_01_runs_in_jupyterlab_and_its_button_publishes(lab: str) -> None:
    with lab_page("lesson01-failure.png") as page:
        open_and_run(page, lab, "01_first_message.ipynb")
        page.wait_for_selector(".received-counter input", state="attached", timeout=60_000)
        counter = page.locator(".received-counter input")
        assert wait_until(lambda: counter.input_value() == "2", timeout=90), "the self-check cell clicks twice"
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        for _ in range(3):
            page.locator(".publish-button").click()
        assert wait_until(lambda: counter.input_value() == "5", timeout=10), counter.input_value()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
        page.locator(".publish-button").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "lesson01-publish-button.png"))


def kernel_value(page, expression: str) -> object:
    """Evaluate ``expression`` in the open notebook's kernel, quietly, and return its value.

    The request travels the kernel's shell channel behind every widget update the page
    sent before it, so once this returns a widget's new value, a click sent now sees it.
    """
    text = page.evaluate("""async (expression) => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const reply = await kernel.requestExecute(
            {code: "", silent: true, store_history: false, user_expressions: {value: expression}}).done;
        const value = reply.content.user_expressions.value;
        return value.status === "ok" ? value.data["text/plain"] : `error: ${value.ename}: ${value.evalue}`;
    }""", expression)
    assert not text.startswith("error: "), text
    return ast.literal_eval(text)


def fill_synced(page, field, value: str, attribute: str, expected: object) -> None:
    """Type into a dashboard field, leave it (a number field syncs then), and wait until the kernel has it."""
    field.fill(value)
    field.blur()
    assert wait_until(lambda: kernel_value(page, f"dash.{attribute}.value") == expected, timeout=15), \
        f"dash.{attribute} never reached {expected!r} in the kernel"


def chart_drawn(chart, channel: str) -> bool:
    """The chart has the channel's label and bars, at full width. The refresher may swap the SVG
    between two reads (then its box is None for a moment), so this is polled, never read once."""
    try:
        box = chart.bounding_box(timeout=1_000) if chart.count() == 1 else None
    except sync_api.TimeoutError:
        return False
    return (box is not None and box["width"] > 100 and chart.locator("rect.bar.delivered").count() >= 1
            and chart.locator("text", has_text=channel).count() == 1)


WATCHER = "(lambda c: (c['received'], c['handled'], c['dropped'], c['queue_peak']))" \
          "(hub.get_subscription('watcher').counters())"


def test_dashboard_shows_a_new_pattern_subscriber_and_a_loss(lab: str) -> None:
    with lab_page("dashboard-failure.png") as page:
        open_and_run(page, lab, "07_dashboard.ipynb")
        dash = page.locator(".pubsub-kit-dashboard")
        dash.wait_for(timeout=90_000)
        assert wait_until(lambda: page.locator(".pubsub-kit-panel").count() >= 4, timeout=90)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)

        fill_synced(page, dash.locator(".dash-sub-name input"), "watcher", "sub_name", "watcher")
        dash.locator(".dash-sub-kind select").select_option("pattern")
        assert wait_until(lambda: kernel_value(page, "dash.sub_kind.value") == "pattern", timeout=15)
        fill_synced(page, dash.locator(".dash-sub-targets input"), "chat:*", "sub_targets", "chat:*")
        dash.locator(".dash-subscribe").click()
        watcher = page.locator(".pubsub-kit-panel").filter(has_text="watcher")
        assert wait_until(lambda: watcher.count() == 1, timeout=10)
        fill_synced(page, dash.locator(".dash-channel input"), "chat:lobby", "channel", "chat:lobby")
        fill_synced(page, dash.locator(".dash-copies input"), "3", "copies", 3)
        dash.locator(".dash-publish").click()
        assert wait_until(lambda: watcher.locator("li").count() == 3, timeout=10)
        table = dash.locator(".dash-table")
        row = table.locator("tr").filter(has_text="chat:lobby").locator("td")
        # Each refresh renders one snapshot; one taken while the reader was still accounting the
        # three messages shows them in flight, so wait for the table to settle.
        assert wait_until(lambda: row.all_inner_texts() == ["chat:lobby", "3", "3", "3", "0"], timeout=10), \
            row.all_inner_texts()
        chart = dash.locator(".dash-chart svg")
        assert wait_until(lambda: chart_drawn(chart, "chat:lobby"), timeout=10), "the chart shows chat:lobby's bars"

        watcher.locator("button", has_text="Offline").click()
        assert wait_until(lambda: "offline" in watcher.inner_text(), timeout=10)
        fill_synced(page, dash.locator(".dash-copies input"), "1", "copies", 1)
        dash.locator(".dash-publish").click()
        assert wait_until(lambda: "· live" in watcher.inner_text(), timeout=15)
        dash.locator(".dash-publish").click()
        assert wait_until(lambda: "gaps 1" in watcher.inner_text(), timeout=10), watcher.inner_text()

        # A slow callback: end states only (what arrived, what was handled, the queue's peak),
        # never a queue length that lasts under a second.
        watcher.locator("button", has_text="Slow callback").click()
        received, *_ = kernel_value(page, WATCHER)
        fill_synced(page, dash.locator(".dash-copies input"), "10", "copies", 10)
        dash.locator(".dash-publish").click()
        counters = watcher.locator(".dash-counters")
        assert wait_until(lambda: f"received {received + 10} · handled {received + 10} ·" in counters.inner_text(),
                          timeout=30), counters.inner_text()
        total, handled, dropped, peak = kernel_value(page, WATCHER)
        assert (total, handled, dropped) == (received + 10, received + 10, 0) and peak >= 5, (total, peak)
        fill_synced(page, dash.locator(".dash-copies input"), "20", "copies", 20)
        dash.locator(".dash-publish").click()
        assert wait_until(lambda: f"received {received + 30} · handled {received + 30} ·" in counters.inner_text(),
                          timeout=45), counters.inner_text()
        total, handled, dropped, peak = kernel_value(page, WATCHER)
        assert (total, handled, dropped) == (received + 30, received + 30, 0) and peak >= 15, (total, peak)
        watcher.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
