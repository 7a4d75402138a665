"""The board's own look, set on the settings page: on every public page, audited, its addresses
https only and allowed by the pages' CSP by origin, its colour through /theme.css, never inline."""

import pytest

from models.look import Look
from tests.fixtures.sign_in import sign_in_locally

LOOK = {
    "name": "Acme Cloud", "logo_url": "https://cdn.acme.test/logo.png", "favicon_url": "https://cdn.acme.test/fav.ico",
    "accent": "#12AB9f", "stylesheet_url": "https://styles.acme.test:8443/board.css",
    "header_text": "<b>Planned work</b> on Sunday", "footer_text": "© Acme & co",
}


def save(client, **values):
    form = client.get("/admin/settings").forms["look-form"]
    for name, value in values.items():
        form[name] = value
    return form.submit(status="*")


def test_the_look_is_on_every_public_page_with_a_csp_that_allows_just_its_origins(client, ndb_context):
    sign_in_locally(client)
    assert save(client, **LOOK).status_int == 302
    for path in ("/", "/documentation", "/services/nope"):
        page = client.get(path, status="*")
        html = page.html
        assert "Acme Cloud" in html.title.text and "Stashboard" not in html.title.text, path
        assert html.select_one("a.logo img")["src"] == LOOK["logo_url"] and html.select_one("a.logo img")["alt"]
        assert html.select_one('link[rel="icon"]')["href"] == LOOK["favicon_url"]
        assert html.select_one(f'link[rel="stylesheet"][href="{LOOK["stylesheet_url"]}"]') is not None
        assert html.select_one('link[rel="stylesheet"][href^="/theme.css"]') is not None
        assert html.select_one(".board-header-text").text == LOOK["header_text"]  # text, not markup
        assert "© Acme &amp; co" in page.text and not html.select("[style], style, script:not([src])")
        csp = page.headers["Content-Security-Policy"]
        assert "img-src 'self' https://cdn.acme.test;" in csp and "style-src 'self' https://styles.acme.test:8443;" in csp
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    theme = client.get("/theme.css")
    assert theme.content_type == "text/css" and theme.text == ":root{--accent:#12ab9f}\n"
    audit = client.get("/admin/audit").text
    assert "Look" in audit and "Acme Cloud" in audit
    assert save(client, name="", logo_url="", favicon_url="", accent="", stylesheet_url="").status_int == 302
    plain = client.get("/")
    assert "Acme Cloud" not in plain.html.title.text and "cdn.acme.test" not in plain.headers["Content-Security-Policy"]
    assert plain.html.select_one('link[href^="/theme.css"]') is None


@pytest.mark.parametrize("field, value, message", [
    ("logo_url", "http://cdn.acme.test/logo.png", "https://"),
    ("stylesheet_url", "https://a.test;script-src", "https://"),
    ("favicon_url", "javascript:alert(1)", "https://"),
    ("accent", "red", "#rrggbb"),
    ("header_text", "two\nlines", "one line"),
])
def test_a_bad_value_is_refused_on_the_form_and_nothing_changes(client, ndb_context, field, value, message):
    sign_in_locally(client)
    save(client, name="Kept")
    refused = save(client, **{"name": "Changed", field: value})
    assert refused.status_int == 400 and message in refused.text
    assert Look.current().name == "Kept"
