"""Where the browser goes after signing in: only a path on this site, whatever `next` says."""

import pytest

from handlers.auth.views import safe_next

# Each of these, followed by a browser, would leave the site (browsers strip tabs and
# newlines, read a backslash as a slash) or run script; all must end at the admin home.
HOSTILE_NEXT = [
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "\t//evil.com",
    " //evil.com",
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\/evil.com",
    "\\\\evil.com",
    "/ /evil.com",
    "/\u3000/evil.com",
    "/\u200b/evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "https://evil.com/admin",
    "https:evil.com",
    "/admin\x00",
    "",
    None,
]


def test_safe_next_sends_every_off_site_value_to_the_admin_home(app):
    with app.test_request_context("/auth/sign-in"):
        for value in HOSTILE_NEXT:
            assert safe_next(value) == "/admin/", repr(value)


def test_safe_next_keeps_a_path_on_this_site(app):
    with app.test_request_context("/auth/sign-in"):
        for value in ["/admin/services", "/admin/incidents?page=2#top", "/admin/a:b"]:
            assert safe_next(value) == value


@pytest.mark.parametrize("next_url", ["/%09/evil.com", "/%0a/evil.com", "/%0d%0a/evil.com", "/%5C/evil.com"])
def test_sign_in_page_with_encoded_control_characters_never_fails(signed_in, next_url):
    # The raw query string, as an attacker's link would carry it.
    response = signed_in.get(f"/auth/sign-in?next={next_url}", status=302)
    assert response.headers["Location"].endswith("/admin/")


@pytest.mark.parametrize("next_url", ["/\t/evil.com", "//evil.com", "/\\evil.com", "javascript:alert(1)"])
def test_local_sign_in_never_redirects_off_site(client, next_url):
    form = client.get("/auth/local", {"next": next_url}).forms["local-sign-in"]
    form["email"] = "dev@example.com"
    form["admin"] = True
    form["next"] = next_url
    response = form.submit(status=302)
    assert response.headers["Location"].endswith("/admin/")


def test_sign_in_page_offers_only_a_safe_next(client):
    page = client.get("/auth/sign-in", {"next": "/\t/evil.com"})
    assert "evil.com" not in page.text
