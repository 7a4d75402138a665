"""Readers subscribe their own webhook, Slack, Teams or Discord: each is verified before anything else is
sent, then hears of incidents and status changes on the services it chose, in its chat's documented shape.

Deliveries go to real local HTTP servers (tests/fixtures/served.py's LocalServer) standing in for
the chats, which CHANNEL_HOSTS_ANY allows here only. Bodies are checked against JSON schemas
written from each chat's documentation (tests/schemas/). One board for the module: each test
signs up its own URLs from its own client address.
"""

import hashlib
import hmac
import json
import pathlib
import urllib.parse

import jsonschema
import pytest
import webtest

from tests.fixtures.datastore import make_app
from tests.fixtures.served import LocalServer

SCHEMAS = pathlib.Path(__file__).parent / "schemas"
PATHS = {"slack": "services/T0001/B0001/abcDEF123", "discord": "api/webhooks/123456/tok-EN_1",
         "teams": "workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x", "webhook": "hook"}


def schema(name):
    """A schema of tests/schemas/, checked to be a valid schema itself."""
    document = json.loads((SCHEMAS / f"{name}.json").read_text())
    jsonschema.validators.validator_for(document).check_schema(document)
    return document


def check_shape(kind, body):
    """Validate a body against its chat's documented shape (and what a schema cannot say)."""
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    if kind == "teams":
        jsonschema.validate(body, schema("teams-message"), format_checker=checker)
        for attachment in body["attachments"]:
            jsonschema.validate(attachment["content"], schema("adaptive-card"), format_checker=checker)
            assert float(attachment["content"]["version"]) >= 1.4
    elif kind == "discord":
        jsonschema.validate(body, schema("discord-webhook"), format_checker=checker)
        assert sum(len(e.get("title", "")) + len(e.get("description", "")) for e in body["embeds"]) <= 6000
        assert body["allowed_mentions"] == {"parse": []}
    elif kind == "slack":
        jsonschema.validate(body, schema("slack-webhook"), format_checker=checker)


@pytest.fixture(scope="module")
def board(empty_emulator):
    """The app, chats' hosts open to local servers, on a board with three services."""
    from handlers.context import ndb_context
    from models import Service

    app = make_app(CHANNEL_HOSTS_ANY=True, SITE_NAME="Acme *Status*")
    with app.app_context(), ndb_context(app):
        for name in ("Web API", "Email", "Search"):
            Service.create(name, f"The {name}.")
    return app


@pytest.fixture
def server():
    """A chat (or a reader's webhook) on 127.0.0.1 that answers 200."""
    local = LocalServer([200])
    yield local
    local.stop()


def reader(app, ip):
    """A browser from client address `ip` (its own cookies)."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com", "REMOTE_ADDR": ip})


def sign_up(client, kind, url, services=(), status=200):
    """Fill in and send the subscribe page's channel form."""
    form = client.get("/subscribe").forms[1]
    kinds = form.fields["channel-kind"]
    if kind in [option for option, _, _ in kinds[0].options]:
        form["channel-kind"] = kind
    else:  # what no browser would send
        kinds[0].force_value(kind)
    form["channel-url"] = url
    form["channel-scope"] = "chosen" if services else "all"
    for box in form.fields.get("channel-services", []):
        box.checked = box._value in services
    return form.submit(status=status)


def sweep(app, what):
    """Run a worker as the cron would: "outbox" (deliveries) or "channels" (verifications)."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "status.example.com"}).get(f"/_tasks/{what}/sweep").json


def incident(app, services, title="Checkout <502> & *bold* @everyone", message="Looking <!channel> into _it_."):
    """Open an incident on `services`, then send what the outbox holds."""
    from handlers.context import ndb_context
    from models import Incident

    with app.app_context(), ndb_context(app):
        Incident.open(title, services, message)
    sweep(app, "outbox")


def bodies(server):
    """The JSON bodies the server received, oldest first."""
    return [json.loads(request["body"]) for request in server.requests]


def verify(secret, request):
    """Whether a received request carries a valid X-Stashboard-Signature for its body."""
    fields = dict(part.split("=", 1) for part in request["headers"]["X-Stashboard-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def channels(app):
    """The stored channels."""
    from handlers.context import ndb_context
    from models.channels import Channel

    with ndb_context(app):
        return Channel.query().fetch()


@pytest.mark.parametrize("kind", ["slack", "teams", "discord"])
def test_a_chat_gets_nothing_but_its_first_message_until_that_succeeds_then_incidents_on_its_services(
        board, server, kind):
    client = reader(board, f"10.1.0.{len(kind)}")
    page = sign_up(client, kind, server.url + PATHS[kind], ("web-api",))
    assert "Check your channel" in page.text
    incident(board, ["web-api"])  # before the channel is verified
    assert server.requests == []

    assert sweep(board, "channels")["verified"] == 1
    (first,) = bodies(server)
    check_shape(kind, first)
    assert "You subscribed this channel to Acme" in json.dumps(first) and "/subscriptions/channel/" in json.dumps(first)
    incident(board, ["web-api"])
    assert len(server.requests) == 2
    second = bodies(server)[1]
    check_shape(kind, second)
    text = json.dumps(second)
    if kind == "slack":
        assert "Checkout &lt;502&gt; &amp;" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    elif kind == "discord":
        assert r"Checkout \\<502\\> & \\*bold\\* \\@everyone" in text and "/incidents/" in second["embeds"][0]["url"]
    else:  # an Adaptive Card's TextRun is never markdown: the text goes as it is
        runs = [run["text"] for block in second["attachments"][0]["content"]["body"] for run in block["inlines"]]
        assert "Looking <!channel> into _it_." in runs

    incident(board, ["search"])  # a service it did not choose
    sweep(board, "channels")
    assert len(server.requests) == 2


def test_a_webhook_gets_its_confirm_link_first_and_signed_json_once_it_is_followed(board, server):
    client = reader(board, "10.1.1.1")
    sign_up(client, "webhook", server.url + "hook", ("email",))
    sweep(board, "channels")
    incident(board, ["email"])
    (request,) = server.requests  # the verification alone, though the channel "answered" 200
    first = json.loads(request["body"])
    jsonschema.validate(first, schema("webhook-verification"))
    assert verify(first["signing_secret"], request)

    confirm = client.get(urllib.parse.urlsplit(first["confirm_url"]).path)  # the link alone changes nothing
    incident(board, ["email"])
    assert len(server.requests) == 1
    assert "Your webhook is subscribed" in confirm.forms[0].submit().text

    incident(board, ["email"])
    assert len(server.requests) == 2
    body = json.loads(server.requests[1]["body"])
    assert verify(first["signing_secret"], server.requests[1])
    assert (body["kind"], body["incident"]["services"]) == ("incident", ["email"])
    assert "/subscriptions/channel/" in body["manage_url"]
    incident(board, ["web-api"])
    assert len(server.requests) == 2

    manage = client.get(urllib.parse.urlsplit(first["manage_url"]).path)
    assert "This channel is unsubscribed" in manage.forms[1].submit().text
    incident(board, ["email"])
    assert len(server.requests) == 2


def test_a_chat_whose_first_message_fails_is_sent_nothing_else_and_expires(board):
    from handlers.context import ndb_context
    from models import utcnow
    from models.channels import Channel

    refusing = LocalServer([404])
    try:
        sign_up(reader(board, "10.1.2.1"), "discord", refusing.url + PATHS["discord"])
        incident(board, ["web-api"])
        for _ in range(4):
            assert sweep(board, "channels")["verified"] == 0
        incident(board, ["web-api"])
        assert len(refusing.requests) == 3  # VERIFY_TRIES verifications; no incident ever
        assert all("You subscribed this channel" in r["body"].decode() for r in refusing.requests)
        with ndb_context(board):
            (channel,) = [c for c in Channel.query().fetch() if c.url.startswith(refusing.url)]
            assert channel.state == "pending" and "404" in channel.verify_error
            channel.expires = utcnow()
            channel.put()
        assert sweep(board, "channels")["expired"] >= 1
        assert not [c for c in channels(board) if c.url.startswith(refusing.url)]
    finally:
        refusing.stop()


@pytest.mark.parametrize("kind, url, says, local", [
    ("slack", "https://hooks.slack.com.evil.example/services/T1/B1/x", "not a Slack webhook URL", False),
    ("slack", "http://hooks.slack.com/services/T1/B1/x", "https://", False),
    ("slack", "https://hooks.slack.com/workflows/T1", "not a Slack webhook URL", False),
    ("slack", "https://127.0.0.1:9/services/T1/B1/x", "not a Slack webhook URL", False),
    ("slack", "http://127.0.0.1:9/hooks/x", "not a Slack webhook URL", True),
    ("discord", "https://hooks.slack.com/services/T1/B1/x", "not a Discord webhook URL", False),
    ("discord", "https://discord.com/api/webhooks/abc/tok", "not a Discord webhook URL", False),
    ("teams", "https://example.com/workflows/ab/triggers/manual/paths/invoke", "not a Microsoft Teams", False),
    ("webhook", "https://127.0.0.1/hook", "public host", False),
    ("webhook", "https://localhost/hook", "public host", False),
    ("webhook", "https://169.254.169.254/computeMetadata/v1/", "public host", False),
    ("webhook", "ftp://example.com/hook", "http", False),
    ("webhook", "https://user:pw@example.com/hook", "user name", False),
    ("fax", "https://example.com/hook", "Choose where to send", True),
])
def test_a_bad_url_gets_a_clear_error_and_changes_nothing(board, kind, url, says, local):
    before = len(channels(board))
    # CHANNEL_HOSTS_ANY is honoured under the local development server only: off it, chats' hosts hold.
    board.config["LOCAL_DEVELOPMENT"] = local
    try:
        page = sign_up(reader(board, f"10.1.3.{len(url)}"), kind, url, status=400)
    finally:
        board.config["LOCAL_DEVELOPMENT"] = True
    assert "text/html" in page.content_type and says in page.text
    assert len(channels(board)) == before


def test_sign_ups_of_one_url_are_limited_per_day(board, server):
    url = server.url + PATHS["slack"]
    for n in range(3):
        sign_up(reader(board, f"10.1.4.{n}"), "slack", url)
    refused = sign_up(reader(board, "10.1.4.9"), "slack", url, status=429)
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert len([c for c in channels(board) if c.url == url]) == 1


def test_the_fan_out_to_channels_is_a_bounded_page_per_run_and_reaches_each_once(board, server, monkeypatch):
    from google.cloud import ndb

    from handlers.context import ndb_context
    from models import outbox, utcnow
    from models.channels import Channel, channel_id

    monkeypatch.setattr(outbox, "FAN_OUT_PAGE", 2)
    with ndb_context(board):
        now = utcnow()
        seeded = []
        for n in range(5):
            url = f"{server.url}services/T{n}/B{n}/fan"
            seeded.append(Channel(id=channel_id("slack", url), kind="slack", url=url, secret="s" * 32, state="active",
                                  nonce=f"n{n}", created=now, confirmed=now, services=["search"], everything=False))
        ndb.put_multi(seeded)
    incident(board, ["search"])
    # One page of active channels a run: the module's other channels may fill the first (their
    # ids, and so their order, follow the server's port).
    assert len(server.requests) <= 2
    for _ in range(10):
        sweep(board, "outbox")
    assert sorted(r["path"] for r in server.requests) == sorted(f"/services/T{n}/B{n}/fan" for n in range(5))


def test_an_admin_subscriber_with_chosen_services_hears_only_of_those(board, server):
    from handlers.context import ndb_context
    from models.subscribers import Subscriber

    with board.app_context(), ndb_context(board):
        Subscriber.create("Search team", server.url + "admin-hook", services=["search"])
    incident(board, ["web-api"])
    assert server.requests == []
    incident(board, ["search"])
    assert [json.loads(r["body"])["incident"]["services"] for r in server.requests] == [["search"]]


@pytest.mark.parametrize("kind", ["slack", "teams", "discord"])
def test_the_longest_title_and_message_stay_within_each_chats_limits_escaped(kind):
    from models.fields import MESSAGE_MAX
    from models.incident import TITLE_MAX
    from workers import formats

    title, text = ("*_<@&>" * TITLE_MAX)[:TITLE_MAX], ("@everyone <!here> **x** \\" * MESSAGE_MAX)[:MESSAGE_MAX]
    links = [("View the incident", "https://status.example.com/incidents/1"),
             ("Change services or unsubscribe", "https://status.example.com/subscriptions/channel/t")]
    body = formats.chat(kind, "Acme <Status>", title, text, "down", links)
    check_shape(kind, body)
    flat = json.dumps(body)
    if kind == "slack":
        assert "<!here>" not in flat and "<@" not in flat and body["text"].endswith("…")
    elif kind == "discord":
        embed = body["embeds"][0]
        assert embed["description"].endswith(")") and "https://status.example.com/subscriptions/channel/t" in flat
        assert "\\*\\_\\<\\@&\\>" in embed["title"] and not embed["title"].endswith("\\…")
    else:
        runs = [run["text"] for block in body["attachments"][0]["content"]["body"] for run in block["inlines"]]
        assert runs == ["Acme <Status> status", title, text]


def test_a_channel_downloads_its_own_data_and_deletes_it_with_its_deliveries(board, server):
    import re

    from handlers.context import ndb_context
    from google.cloud import ndb

    from models.channels import Channel, channel_id
    from models.outbox import Delivery

    client = reader(board, "10.1.9.1")
    sign_up(client, "slack", server.url + PATHS["slack"], ("search",))
    sweep(board, "channels")
    incident(board, ["search"])
    manage = re.search(r"/subscriptions/channel/[A-Za-z0-9._-]+", json.dumps(bodies(server)[0])).group(0)
    page = client.get(manage)
    data = client.get(page.html.find("a", download=True)["href"]).json
    assert (data["subscription"], data["state"], data["services"]) == ("slack", "active", ["search"])
    assert [sent["kind"] for sent in data["sent"]] == ["incident"]
    assert server.url not in json.dumps(data)  # its URL is a secret: never in a file a browser keeps
    with ndb_context(board):
        key = ndb.Key(Channel, channel_id("slack", server.url + PATHS["slack"]))
        assert len(Delivery.query(Delivery.subscriber == key).fetch()) == 1  # the incident

    assert "Your data is deleted" in client.get(manage).forms[2].submit().text
    with ndb_context(board):
        assert key.get() is None and Delivery.query(Delivery.subscriber == key).fetch() == []
    client.get(manage, status=404)
