"""A form's Cancel link goes back where the admin came from, but only on this site."""

import pytest


def cancel_href(page):
    return page.html.find("a", string="Cancel")["href"]


@pytest.mark.parametrize("referer", [
    "https://evil.example/admin/services",
    "//evil.example/admin/",
    "http://status.example.com.evil.example/admin/",
    "javascript:alert(1)",
    "http://status.example.com/\t/evil.example",
    "http://status.example.com:8080/admin/services",
    "not a url",
])
def test_cancel_never_leads_to_another_site(signed_in, referer):
    page = signed_in.get("/admin/services/new", headers={"Referer": referer})
    assert cancel_href(page) == "/admin/"


def test_cancel_goes_back_to_the_admin_page_it_came_from(signed_in):
    page = signed_in.get("/admin/services/new", headers={"Referer": "http://status.example.com/admin/lists?x=1"})
    assert cancel_href(page) == "/admin/lists?x=1"
