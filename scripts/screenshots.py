"""Screenshots of the chat page's main states for the README, taken from the real app in Chromium.

    .venv/bin/python scripts/screenshots.py            # uses the project's index (`make index`)
    .venv/bin/python scripts/screenshots.py --out docs/screenshots

Writes patient-case.png (branch card and patient panel), factual-answer-citation.png (a cited answer
with one citation open), abstention.png ("not found in the five sources") and lookup.png (ranked
passages for an ad-hoc literature search).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT_ROOT), str(PROJECT_ROOT / "tests" / "ui")]

from playwright.sync_api import Page  # noqa: E402
from ui_browser import (  # noqa: E402 - the helpers live beside the browser test that shares them
    CHROMIUM,
    launch_chromium,
    open_app,
    send_message,
    serve_app,
    settings_env,
    wait_for_reply,
    wait_idle,
)

CASE = (
    "68-year-old man, IgG kappa. VRd x4 then ASCT, then lenalidomide maintenance 10 mg. Now progressing "
    "on R maintenance 30 months after ASCT: M-spike 0.3 -> 1.4 g/dL, new lytic lesion. Daratumumab-naive, "
    "no neuropathy, CrCl 55. What next?"
)
FACTUAL = "What did the CANDOR trial show for progression-free survival?"
UNANSWERABLE = "What antiviral prophylaxis against herpes zoster is recommended with daratumumab?"
LOOKUP = "CANDOR daratumumab carfilzomib lenalidomide-refractory"
VIEWPORT = {"width": 1440, "height": 1200}


def scroll_to_top(page: Page) -> None:
    """Streamlit scrolls a chat to its newest message; the screenshots start at the title instead."""
    # A wheel event, as a user would scroll: Streamlit's stick-to-bottom container ignores scrollTop.
    page.mouse.move(VIEWPORT["width"] * 0.5, VIEWPORT["height"] * 0.5)
    main = page.get_by_test_id("stAppScrollToBottomContainer")
    for _ in range(40):
        page.mouse.wheel(0, -1500)
        page.wait_for_timeout(100)
        if main.evaluate("e => e.scrollTop") == 0:
            break
    page.wait_for_timeout(300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is missing; run `make browser`", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from assistant.settings import get_settings

    args.out.mkdir(parents=True, exist_ok=True)
    log = PROJECT_ROOT / "test-results" / "screenshots-streamlit.log"
    with serve_app(settings_env(get_settings()), log) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
            open_app(page, url)

            send_message(page, CASE)
            wait_for_reply(page, 0)
            scroll_to_top(page)
            page.screenshot(path=str(args.out / "patient-case.png"))

            page.get_by_role("button", name="New patient").click()
            page.wait_for_timeout(500)
            send_message(page, FACTUAL)
            reply = wait_for_reply(page, 0)
            citation = reply.get_by_test_id("stExpander").filter(has_text="[1]").first
            citation.locator("summary").click()
            citation.locator(".rrmm-passage").wait_for()
            wait_idle(page)
            # Taller window, scrolled to the open citation, so the passage and its highlight are in view.
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 1500})
            citation.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out / "factual-answer-citation.png"))
            page.set_viewport_size(VIEWPORT)

            page.get_by_role("button", name="New patient").click()
            page.wait_for_timeout(500)
            send_message(page, UNANSWERABLE)
            wait_for_reply(page, 0)
            scroll_to_top(page)
            page.screenshot(path=str(args.out / "abstention.png"))

            page.get_by_text("Literature lookup", exact=True).click()
            query = page.get_by_label("Search the five reviews")
            query.fill(LOOKUP)
            page.get_by_role("button", name="Search").click()
            page.get_by_test_id("stMain").get_by_test_id("stExpander").first.wait_for()
            wait_idle(page)
            page.screenshot(path=str(args.out / "lookup.png"))
        finally:
            browser.close()
    for name in ("patient-case.png", "factual-answer-citation.png", "abstention.png", "lookup.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
