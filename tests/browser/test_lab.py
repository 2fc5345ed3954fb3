"""The welcome notebook in a real JupyterLab, in headless Chromium.

Runs every cell through the Run menu, waits for the kernel, checks that no cell shows an
error, then moves the explorer's `length N` slider with the keyboard and checks that the
heatmap really was redrawn: the picture inside the explorer's Output changes and the
readout shows the new length. Screenshots go to browser-artifacts/.
"""

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

NOTEBOOK = "00_welcome.ipynb"
TIMEOUT_MS = 180_000


def wait_for_kernel_idle(page, timeout_ms=TIMEOUT_MS):
    """Every code cell has run (no '[*]' prompt, no empty prompt) and the kernel is idle."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const idle = !status || status.getAttribute('data-status') === 'idle';
            return prompts.length > 0 && idle
                && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
        }""",
        timeout=timeout_ms, polling=500)


def menu(page, top, item):
    """Click a menu of JupyterLab's menu bar, then one of its items."""
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel", has_text=item).first.click()


def run_all_cells(page, tries=3):
    """Run > Run All Cells, clicked again if no cell has started 30 s later (on a cold
    machine, the first Chromium after an install once swallowed the click)."""
    for _ in range(tries):
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(
                r"""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                         .some(p => /\[(\*|\d+)\]/.test(p.textContent))""",
                timeout=30_000, polling=200)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")  # close any menu left open, then try again
    raise AssertionError(f"Run All Cells started no cell in {tries} tries")


def cell_errors(page):
    """Texts of outputs that show an error (tracebacks in stderr, or error outputs)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
              + '.jp-OutputArea-output.jp-mod-error, .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')]
              .map(e => e.textContent)
              .filter(t => /Traceback|Error:/.test(t))""")


@pytest.fixture
def page(chromium, artifacts):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.screenshot(path=str(artifacts / "last_state.png"))  # what the page showed at the end
    page.close()


def test_welcome_explorer_redraws_in_jupyterlab(page, lab, artifacts):
    base, token, folder = lab
    started = time.monotonic()
    console_errors = []
    page.on("pageerror", lambda err: console_errors.append(str(err)))
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=TIMEOUT_MS)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=TIMEOUT_MS)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT_MS)

    # Edit > Clear Outputs of All Cells (so that nothing stored can pass for a result),
    # then Run > Run All Cells, as a learner would.
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                 .every(p => !/\\d/.test(p.textContent))""", timeout=30_000, polling=100)
    assert page.locator(".widget-slider").count() == 0
    run_all_cells(page)
    wait_for_kernel_idle(page)
    errors = cell_errors(page)
    assert not errors, f"cells show errors in the browser: {errors}"

    # The explorer: its `length N` slider, readout and picture.
    slider = page.locator(".widget-slider", has=page.locator("label", has_text="length N")).last
    slider.wait_for(timeout=60_000)
    explorer = page.locator(".widget-vbox", has=slider).last
    picture = explorer.locator(".widget-output img").first
    readout = explorer.locator(".widget-html").first
    picture.wait_for(timeout=60_000)
    assert "N = 9" in readout.inner_text()
    explorer.scroll_into_view_if_needed()
    before = picture.get_attribute("src")
    page.screenshot(path=str(artifacts / "explorer_before.png"))
    explorer.screenshot(path=str(artifacts / "explorer_before_widget.png"))

    handle = slider.locator(".noUi-handle").first
    handle.focus()
    handle.press("ArrowLeft")  # 9 -> 8; the slider reports on release, as a key press is
    deadline, after = time.monotonic() + 60, before
    while after == before and time.monotonic() < deadline:  # a new <img> replaces the old
        page.wait_for_timeout(100)
        after = picture.get_attribute("src") if picture.count() else before
    page.wait_for_function("(el) => el.textContent.includes('N = 8')",
                           arg=readout.element_handle(), timeout=30_000)
    page.screenshot(path=str(artifacts / "explorer_after.png"))
    explorer.screenshot(path=str(artifacts / "explorer_after_widget.png"))

    assert after and before and after != before, "the heatmap was not redrawn"
    assert slider.locator(".widget-readout").inner_text().strip() == "8"
    assert "N = 8" in readout.inner_text()
    assert explorer.locator(".widget-output img").count() == 1, "the old figure was not replaced"
    assert not cell_errors(page)
    assert not console_errors, f"page errors: {console_errors}"
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s in JupyterLab; "
          f"screenshots in {artifacts}", flush=True)


if __name__ == "__main__":
    pytest.main([__file__, "-s"])
