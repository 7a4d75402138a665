"""User text, deliberately: what is stored as given, removed or refused, on every surface.

Every write goes through the models (models/fields.py clean_text), so the API (form and
JSON bodies) and the admin forms agree; the pages, feeds and JSONP show what was stored.
"""

import json

import feedparser
import pytest

from tests.fixtures.admin_api import Admin, add_service, issue_token
from tests.fixtures.datastore import make_app, make_client
from tests.fixtures.sign_in import sign_in_locally
from tests.helpers import assert_json_error, board_state

ARABIC = "خدمة الدفع"
HEBREW = "שירות תשלומים"
EMOJI = "Deploys 👩🏽‍💻🔥"  # a ZWJ sequence with a skin tone: zero-width joiners must survive
CJK = "支付服务"
NAMES = [ARABIC, HEBREW, EMOJI, CJK, "Zahlungsdienst für Kunden"]
MESSAGE = "تأخير في الدفع — payments delayed 🐢\nעדכון הבא בעוד 30 דקות\tETA ⏱"
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


# Requests that are refused share one board per module (the service 'web-api' in 'core'): each
# still proves with board_state that nothing changed. Tests whose writes succeed keep a board each.
@pytest.fixture(scope="module")
def refusing(module_app):
    """The admin API on the module's board with the first service; for requests that are refused."""
    admin = Admin(make_client(module_app), issue_token(module_app))
    add_service(admin)
    return admin


@pytest.fixture(scope="module")
def refusing_form(emulator):
    """A client signed in through the local sign-in page on an empty board of the module's own,
    for admin forms that are refused."""
    client = make_client(make_app())
    sign_in_locally(client)
    return client


def send(admin, body, path, fields):
    """POST `fields` to the admin API as a form or as JSON."""
    if body == "json":
        return admin.post_json(path, fields)
    return admin.post(path, fields)


def post_raw_json(admin, path, raw):
    """POST `raw` (JSON text, or bytes) as the body, exactly as given."""
    headers = {**admin.headers, "Content-Type": "application/json"}
    return admin.client.post(admin.ROOT + path, raw, headers=headers, status="*")


def text_nodes_without_dir_auto(html, text):
    """The places in <main> where `text` is shown outside an element with dir="auto"."""
    main = html.find("main")
    found = main.find_all(string=lambda s: s and text in s)
    assert found, f"{text!r} is not shown"
    return [node for node in found if not any(p.get("dir") == "auto" for p in node.parents if p is not main)]


# --- stored as given -----------------------------------------------------------


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize("name", NAMES)
def test_names_in_any_script_and_emoji_are_stored_and_shown_as_given(client, admin, body, name):
    created = send(admin, body, "/services", {"name": name, "description": f"{name} — {MESSAGE}"})
    assert created.status_int == 201, created.text
    slug = created.json["id"]
    assert created.json["name"] == name
    assert client.get(f"/api/v1/services/{slug}").json["description"] == f"{name} — {MESSAGE}"
    page = client.get(f"/services/{slug}")
    assert page.html.find("h1").text == name
    assert text_nodes_without_dir_auto(page.html, name) == []
    assert page.html.select_one("p.description").text == f"{name} — {MESSAGE}"


@pytest.mark.parametrize("body", ["form", "json"])
def test_right_to_left_and_emoji_messages_are_stored_and_shown_in_their_own_direction(client, admin, service, body):
    send(admin, body, "/service-lists", {"name": HEBREW, "description": ARABIC})
    send(admin, body, "/services", {"name": ARABIC, "description": "x", "list": "shyrvt-tshlvmym"})
    posted = send(admin, body, "/services/khdm-ldf/events", {"message": MESSAGE, "status": "down"})
    assert posted.status_int == 201 and posted.json["message"] == MESSAGE
    for path in ("/", "/services/khdm-ldf", "/service-lists", "/service-lists/shyrvt-tshlvmym", "/summary"):
        html = client.get(path).html
        for text in (ARABIC, HEBREW, MESSAGE):
            if html.find("main").find(string=lambda s, t=text: s and t in s):
                assert text_nodes_without_dir_auto(html, text) == [], (path, text)
    assert text_nodes_without_dir_auto(client.get("/services/khdm-ldf").html, MESSAGE) == []


def test_surrogate_pairs_in_json_are_characters(admin):
    # json.dumps writes 🔥 as the pair \ud83d\udd25, as many clients do.
    created = admin.post_json("/services", {"name": "Fire 🔥", "description": "x"}, status=201)
    assert created.json["name"] == "Fire 🔥"


# --- lengths count characters (code points) --------------------------------------

LIMITS = [
    ("/services", "name", 100, {"description": "x"}),
    ("/services", "description", 2000, {"name": "Long description"}),
    ("/services/web-api/events", "message", 5000, {}),
]


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize(("path", "field", "limit", "others"), LIMITS, ids=[f for _, f, _, _ in LIMITS])
def test_lengths_count_characters_so_emoji_fit_as_many_as_letters(admin, service, body, path, field, limit, others):
    # 🔥 is one character, two UTF-16 units and four UTF-8 bytes: the limit counts characters.
    fits = "a" + "🔥" * (limit - 1)
    response = send(admin, body, path, {**others, field: fits})
    assert response.status_int == 201, response.text
    assert response.json[field] == fits


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize(("path", "field", "limit", "others"), LIMITS, ids=[f for _, f, _, _ in LIMITS])
def test_one_character_over_the_limit_is_a_400_saying_how_it_counts(refusing, body, path, field, limit, others):
    client, admin = refusing.client, refusing
    before = board_state(client)
    response = send(admin, body, path, {**others, field: "a" + "🔥" * limit})
    assert_json_error(response, 400)
    assert response.json["message"] == (
        f"'{field}' must be at most {limit} characters (Unicode code points); it has {limit + 1}."
    )
    assert board_state(client) == before


def test_line_breaks_are_stored_as_one_character(admin, service):
    message = "\r\n".join(["x" * 9] * 500)  # 4,999 characters once CR LF is LF; 5,498 as sent
    response = admin.post("/services/web-api/events", {"message": message}, status=201)
    assert response.json["message"] == message.replace("\r\n", "\n")


# --- NUL and unpaired surrogates are refused --------------------------------------

REFUSED = [
    ("/services", {"name": "Web\x00", "description": "x"}),
    ("/services", {"name": "Web", "description": "x\x00"}),
    ("/services/web-api/events", {"message": "Down\x00"}),
    ("/service-lists", {"name": "Core\x00", "description": "x"}),
    ("/statuses", {"name": "Slow\x00", "description": "d", "image": "clock"}),
]


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize(("path", "fields"), REFUSED, ids=[repr(f)[:60] for _, f in REFUSED])
def test_nul_is_refused_everywhere(refusing, body, path, fields):
    client, admin = refusing.client, refusing
    before = board_state(client)
    response = send(admin, body, path, fields)
    assert_json_error(response, 400)
    assert "NUL" in response.json["message"]
    assert board_state(client) == before


@pytest.mark.parametrize("surrogate", ["Web\\ud800", "\\udfffWeb", "x\\udc00x", "x\\ud83d"])
@pytest.mark.parametrize(("path", "field", "others"), [
    ("/services", "name", '"description": "x"'),
    ("/services", "description", '"name": "Web 2"'),
    ("/services/web-api/events", "message", '"status": "down"'),
    ("/service-lists", "name", '"description": "x"'),
    ("/statuses", "image", '"name": "Slow", "description": "d"'),
])
def test_an_unpaired_surrogate_in_json_is_a_400_not_a_500(refusing, surrogate, path, field, others):
    client, admin = refusing.client, refusing
    before = board_state(client)
    response = post_raw_json(admin, path, f'{{"{field}": "{surrogate}", {others}}}')
    assert_json_error(response, 400)
    assert "unpaired surrogate" in response.json["message"]
    assert board_state(client) == before


@pytest.mark.parametrize("fields", [
    '{"name": "Web", "description": "x", "list": "\\ud800"}',
    '{"message": "x", "status": "\\ud800"}',
    '{"message": "x", "informational": "\\ud800"}',
])
def test_an_unpaired_surrogate_anywhere_else_is_a_4xx_too(refusing, fields):
    admin = refusing
    path = "/services" if '"list"' in fields else "/services/web-api/events"
    response = post_raw_json(admin, path, fields)
    assert response.status_int in (400, 404), response.text
    assert response.content_type == "application/json"


def test_bytes_that_are_not_utf8_are_never_a_500(admin, service):
    as_json = post_raw_json(admin, "/services", b'{"name": "\xff\xfe", "description": "x"}')
    assert_json_error(as_json, 400)
    as_form = admin.client.post(admin.ROOT + "/services", b"name=Web%ED%A0%80%FF&description=x",
                                headers={**admin.headers, "Content-Type": "application/x-www-form-urlencoded"},
                                status="*")
    # Werkzeug's form decoder keeps bytes that are not UTF-8 as the %XX escapes they came as.
    assert as_form.status_int == 201
    assert as_form.json["name"] == "Web%ED%A0%80%FF"


# --- other control characters are removed ------------------------------------------


@pytest.mark.parametrize("body", ["form", "json"])
def test_control_characters_are_removed_keeping_tabs_and_line_breaks_in_prose(admin, service, body):
    message = "Line one\r\nLine two\twith a tab\x1b[31m red\x07\x0c\x7f\x85\x9f\rLine three"
    posted = send(admin, body, "/services/web-api/events", {"message": message})
    assert posted.status_int == 201
    assert posted.json["message"] == "Line one\nLine two\twith a tab[31m red\nLine three"
    updated = send(admin, body, "/services/web-api", {"name": "Web\tAPI\r\nv2\x01\x9b", "description": "a\x08b\n\tc"})
    assert (updated.json["name"], updated.json["description"]) == ("Web API v2", "ab\n\tc")


@pytest.mark.parametrize("body", ["form", "json"])
def test_text_of_control_characters_only_is_empty(refusing, body):
    client, admin = refusing.client, refusing
    before = board_state(client)
    response = send(admin, body, "/services/web-api/events", {"message": "\x1b\x07\r\n\t"})
    assert_json_error(response, 400)
    assert response.json["message"] == "'message' must not be empty."
    assert board_state(client) == before


def test_invisible_characters_that_are_not_controls_are_kept(admin, service):
    # Joiners shape Arabic and emoji; marks set direction without overriding it.
    message = "\u0644\u200c\u0627 \u200f(RTL mark) 👨\u200d👩\u200d👧 \u00adsoft hyphen"
    assert admin.post("/services/web-api/events", {"message": message}, status=201).json["message"] == message


# --- direction controls: refused in names, kept in prose ----------------------------


@pytest.mark.parametrize("body", ["form", "json"])
@pytest.mark.parametrize("control", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_direction_controls_in_a_name_are_refused(refusing, body, control):
    client, admin = refusing.client, refusing
    before = board_state(client)
    response = send(admin, body, "/services", {"name": f"Pay{control}stnemy", "description": "x"})
    assert_json_error(response, 400)
    assert "bidirectional controls" in response.json["message"]
    for path, fields in [("/services/web-api", {"name": f"Web{control}API"}),
                         ("/service-lists", {"name": f"Core{control}", "description": "x"}),
                         ("/statuses", {"name": f"Slow{control}", "description": "d", "image": "clock"})]:
        assert_json_error(send(admin, body, path, fields), 400)
    assert board_state(client) == before


def test_direction_controls_in_prose_are_stored_as_given(client, admin, service):
    message = "Error in \u2067مزود الدفع\u2069 since 10:00; \u202eesrever\u202c"
    assert admin.post("/services/web-api/events", {"message": message}, status=201).json["message"] == message
    description = "Payments \u2066(API)\u2069"
    assert admin.post("/services/web-api", {"description": description}).json["description"] == description
    page = client.get("/services/web-api").html
    assert page.select_one("p.message").text == message
    assert page.select_one("p.message")["dir"] == "auto"


# --- the admin forms ----------------------------------------------------------------


def test_admin_form_stores_right_to_left_names_and_types_them_in_their_direction(signed_in, client):
    form = signed_in.get("/admin/services/new").forms["edit-form"]
    assert form.html.select_one("#name")["dir"] == "auto"
    assert form.html.select_one("#description")["dir"] == "auto"
    form["name"], form["description"] = ARABIC, f"{HEBREW}\r\n{EMOJI}"
    form.submit(status=302)
    stored = client.get("/api/v1/services/khdm-ldf").json
    assert (stored["name"], stored["description"]) == (ARABIC, f"{HEBREW}\n{EMOJI}")
    page = signed_in.get("/admin/")
    assert page.html.find("a", string=ARABIC)["dir"] == "auto"
    message_field = page.forms["incident-form"].html.select_one("#message")
    assert message_field["dir"] == "auto"


@pytest.mark.parametrize(("field", "value", "error"), [
    ("name", "a" + "🔥" * 100, "At most 100 characters (Unicode code points); this has 101."),
    ("description", "🔥" * 2001, "At most 2000 characters (Unicode code points); this has 2001."),
    ("name", "Pay\u202estnemy", "bidirectional controls"),
    ("name", "Web\x00", "must not contain NUL characters"),
    ("name", "\x07\x1b", "must not be empty."),
])
def test_admin_form_refuses_what_the_api_refuses_keeping_the_input(refusing_form, field, value, error):
    signed_in = client = refusing_form
    form = signed_in.get("/admin/services/new").forms["edit-form"]
    form["name"], form["description"] = "Web API", "The API"
    form[field] = value
    page = form.submit(status=400)
    assert error in page.text
    assert page.forms["edit-form"][field].value == value
    assert client.get("/api/v1/services").json["services"] == []


def test_admin_form_counts_a_browsers_line_breaks_once(signed_in, client, admin, service):
    form = signed_in.get("/admin/services/web-api").forms["event-form"]
    message = "\r\n".join(["x" * 9] * 500)  # 4,999 characters as stored; over 5,000 as browsers send them
    form["message"] = message
    form.submit(status=302)
    assert client.get("/api/v1/services/web-api/events").json["events"][0]["message"] == message.replace("\r\n", "\n")


def test_admin_form_removes_control_characters_like_the_api(signed_in, client, admin, service):
    form = signed_in.get("/admin/").forms["incident-form"]
    form["service"], form["message"] = "web-api", "Deploy\x1b[0m failed\x07"
    form.submit(status=302)
    assert client.get("/api/v1/services/web-api/events/current").json["message"] == "Deploy[0m failed"


def test_an_email_with_invisible_characters_is_not_an_email(signed_in):
    form = signed_in.get("/admin/admins").forms["admin-form"]
    form["email"] = "some\x01one@example.com"
    page = form.submit(status="*")
    assert page.status_int == 400
    assert "is not an email address" in page.text
    assert "some\\x01one@example.com" in page.text


# --- feeds and JSONP carry what was stored -------------------------------------------


@pytest.mark.parametrize("path", ["/rss", "/atom"])
def test_feeds_stay_well_formed_xml_with_any_text(client, admin, service, path):
    hostile = 'Fix <b>"now"</b> & \u202eesrever\u202c \x1b[1m\x0c' + MESSAGE
    admin.post("/services", {"name": ARABIC, "description": "x"}, status=201)
    admin.post("/services/khdm-ldf/events", {"message": hostile, "status": "down"}, status=201)
    admin.post("/services/web-api/events", {"message": MESSAGE, "status": "up"}, status=201)
    feed = feedparser.parse(client.get(path).body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    stored = 'Fix <b>"now"</b> & \u202eesrever\u202c [1m' + MESSAGE
    titles = [entry.title for entry in feed.entries]
    assert f"[Web API - Up] {MESSAGE}" in titles
    assert f"[{ARABIC} - Down] {stored}" in titles


def test_jsonp_carries_any_text_intact_and_inert(client, admin, service):
    message = f"</script><script>alert(1)</script> {MESSAGE} \u2028 and \u2029 too"
    admin.post("/services/web-api/events", {"message": message}, status=201)
    response = client.get("/api/v1/services/web-api/events/current?callback=show")
    assert "<" not in response.text and ">" not in response.text
    assert "\u2028" not in response.text and "\u2029" not in response.text  # line breaks to old JS parsers
    assert json.loads(response.text.removeprefix("show(").removesuffix(");"))["message"] == message
