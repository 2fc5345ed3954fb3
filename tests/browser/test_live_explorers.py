"""Live slides with working explorers: `make live-slides` (Voila's reveal template).

Opens the welcome notebook as slides served by scripts/live_slides.py, with no network:
the maths slide is typeset, the explorer's slide shows its sliders, and dragging the
`length N` slider with the mouse redraws the picture on the slide. The page must log no
error and request nothing it cannot have (every file comes from the local server).
Screenshots in browser-artifacts/.
"""

import time

TIMEOUT_MS = 180_000


def current_slide(page):
    return page.locator(".reveal .slides > section.present")


def step_to(page, heading, limit=30):
    """Press the right arrow until the slide with this heading is shown (headings are
    shown in capitals, so compare case-blind)."""
    for _ in range(limit):
        if heading.lower() in current_slide(page).inner_text()[:300].lower():
            return
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(400)
    raise AssertionError(f"no slide titled {heading!r} within {limit} steps")


def test_explorer_slider_redraws_on_a_live_slide(chromium, live_slides, artifacts):
    page = chromium.new_page(viewport={"width": 1280, "height": 860})
    errors, outside = [], []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("request", lambda req: None if req.url.startswith((live_slides, "data:", "blob:"))
            else outside.append(req.url))
    started = time.monotonic()
    try:
        page.goto(f"{live_slides}/", timeout=TIMEOUT_MS)  # the notebook runs, then the deck shows
        page.wait_for_selector(".reveal .slides > section.present", timeout=TIMEOUT_MS)
        assert "welcome" in current_slide(page).inner_text().lower()

        step_to(page, "A proof cell")  # display maths, typeset
        current_slide(page).locator("mjx-container").first.wait_for(timeout=60_000)
        assert "$$" not in current_slide(page).inner_text()

        step_to(page, "An explorer")
        slider = current_slide(page).locator(".widget-slider", has=page.locator("label", has_text="length N"))
        slider.wait_for(timeout=60_000)
        picture = current_slide(page).locator(".widget-output img").first
        picture.wait_for(timeout=60_000)
        before_src = picture.get_attribute("src")
        before = slider.locator(".widget-readout").inner_text().strip()
        page.screenshot(path=str(artifacts / "live_slides_explorer.png"))

        # Drag the handle to the left, as a presenter would (the arrow keys move slides).
        box = slider.locator(".noUi-handle").first.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 15, y, steps=5)
        page.mouse.up()
        page.wait_for_function(
            "(old) => { const img = document.querySelector("
            "'.reveal .slides > section.present .widget-output img');"
            " return img !== null && img.getAttribute('src') !== old; }",
            arg=before_src, timeout=60_000)
        after = slider.locator(".widget-readout").inner_text().strip()
        assert int(after) < int(before), f"length N went {before} -> {after}"
        assert "An explorer".lower() in current_slide(page).inner_text()[:300].lower()
        page.screenshot(path=str(artifacts / "live_slides_explorer_after.png"))
        assert not errors, errors
        assert not outside, f"requests that need the network: {outside}"
        print(f"\nlive slides with explorers: {time.monotonic() - started:.1f} s "
              f"(length N {before} -> {after})", flush=True)
    finally:
        page.close()
