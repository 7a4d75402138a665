"""axe-core finds no accessibility violations on the public pages of the seeded demo board, in
light and dark, in headless Chromium: the pages tests/test_browser_site.py loads, checked in a
module of their own so that the two run side by side on two workers."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.test_browser_site import PAGES, open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe_page(browser):
    """One page for the module's axe checks: a new page costs a renderer process, and each
    check sets its colour scheme and loads its path afresh anyway."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [p for p, _ in PAGES])
def test_axe_finds_no_accessibility_violations(axe_page, live_server, path, color_scheme):
    page = axe_page
    page.emulate_media(color_scheme=color_scheme)  # prefers-color-scheme, as new_context(color_scheme=) sets it
    open_page(page, live_server, path)
    assert page.evaluate(f"matchMedia('(prefers-color-scheme: {color_scheme})').matches")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
