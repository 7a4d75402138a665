"""Every v1 answer (both roots) and every /api/v2 answer on a fixed test board, byte for byte.

The board is built through the admin API on a stopped clock, so timestamps are the same
on every run. What the Datastore allocates (event sids, incident and maintenance ids) is
replaced by a placeholder named for the order it was created in, and only those exact
values, whole, are replaced: an answer that shows a different id, time or text still differs.

Re-record (only when an answer is meant to change): `RECORD_ANSWERS=1 pytest tests/test_api_recorded.py`.
"""

import datetime
import json
import os
import pathlib
import re
import types

import pytest

from models import times

RECORDING = pathlib.Path(__file__).parent / "recorded" / "api_answers.json"
START = datetime.datetime(2026, 3, 2, 9, 0, 0)
CRON = {"X-Appengine-Cron": "true"}
ROOTS = ("/api/v1", "/admin/api/v1")


class Clock:
    """The board's clock, stopped at START; only `tick` moves it."""

    def __init__(self):
        self.now = START

    def tick(self, **delta):
        """Move the clock on (default one second)."""
        self.now += datetime.timedelta(**(delta or {"seconds": 1}))


@pytest.fixture
def clock(monkeypatch):
    """models.times reads a stopped clock: every utcnow() of the board is under the test's control."""
    stopped = Clock()

    class Stopped(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return stopped.now.replace(tzinfo=tz)

    fake = types.SimpleNamespace(**{name: getattr(datetime, name) for name in dir(datetime)
                                    if not name.startswith("__")})
    fake.datetime = Stopped
    monkeypatch.setattr(times, "datetime", fake)
    return stopped


class Recorder:
    """Calls the app and keeps each answer as status, content type and body, with ids as placeholders."""

    def __init__(self, client, admin):
        self.client, self.admin = client, admin
        self.ids = {}  # an allocated id -> its placeholder
        self.answers = []

    def name(self, kind, value):
        """Give an allocated id its placeholder, `<kind N>` in creation order."""
        value = str(value)
        if value not in self.ids:
            count = sum(1 for held in self.ids.values() if held.startswith(f"<{kind} "))
            self.ids[value] = f"<{kind} {count + 1}>"
        return value

    def placeholders(self, text):
        """`text` with each allocated id (whole, not inside a longer number) as its placeholder."""
        for value, placeholder in sorted(self.ids.items(), key=lambda item: -len(item[0])):
            text = re.sub(rf"(?<![0-9]){re.escape(value)}(?![0-9])", placeholder, text)
        return text

    def keep(self, label, response):
        """Keep an answer; its ids become placeholders at the end (`recorded`), once all are named."""
        self.answers.append({
            "request": label,
            "status": response.status_int,
            "content_type": response.headers.get("Content-Type"),
            "body": response.body.decode("utf-8"),
        })
        return response

    def recorded(self):
        """The answers kept, with every allocated id as its placeholder.

        Events the board posts itself (an incident's status changes, a maintenance window's
        start) are named in the order their sids first appear in the answers.
        """
        for answer in self.answers:
            for sid in re.findall(r'"sid":"([0-9]+)"', answer["body"]):
                self.name("sid", sid)
        return [{**answer, "request": self.placeholders(answer["request"]), "body": self.placeholders(answer["body"])}
                for answer in self.answers]

    def get(self, path, **headers):
        """GET a path as anyone (or as the admin under /admin)."""
        if path.startswith("/admin/"):
            headers.update(self.admin.headers)
        return self.keep(f"GET {path}", self.client.get(path, headers=headers, status="*"))

    def write(self, method, path, fields=None, as_json=False, root="/admin/api/v1"):
        """A write under a root (the admin's by default), form-encoded or as JSON."""
        headers = dict(self.admin.headers) if root.startswith("/admin") else {}
        url = root + path
        if method == "DELETE":
            response = self.client.delete(url, headers=headers, status="*")
        elif as_json:
            response = self.client.post(url, json.dumps(fields), headers=headers, status="*",
                                        content_type="application/json")
        else:
            response = self.client.post(url, fields or {}, headers=headers, status="*")
        label = f"{method} {url} {json.dumps(fields, sort_keys=True) if fields is not None else ''}"
        return self.keep(label.strip() + (" (json)" if as_json else ""), response)


def build_board(rec, clock):
    """Lists, services with and without lists and events, custom statuses, notes, an incident
    with updates and three maintenance windows; each write (and each refused one) recorded."""
    w = rec.write
    w("POST", "/service-lists", {"name": "Core", "description": "The API & the <site>."})
    w("POST", "/service-lists", {"name": "Spare", "description": "Empty."})
    w("POST", "/service-lists", {"name": "Doomed", "description": "Goes away."})
    w("POST", "/service-lists", {"name": "Core", "description": "Again."})  # 409
    w("POST", "/service-lists", {"description": "No name."})  # 400
    w("POST", "/service-lists/spare", {"description": "Nothing in it yet."})
    w("POST", "/service-lists/spare", {})  # 400: nothing to change
    w("DELETE", "/service-lists/doomed")
    w("DELETE", "/service-lists/doomed")  # 404
    clock.tick()
    w("POST", "/statuses", {"name": "Planned", "description": "Planned work.", "image": "wrench", "level": "WARNING"})
    w("POST", "/statuses", {"name": "Degraded \u00e9", "description": "Slow.", "image": "exclamation"}, as_json=True)
    w("POST", "/statuses", {"name": "Nope", "description": "Bad image.", "image": "no-such-icon"})  # 400
    w("POST", "/statuses", {"name": "Nope", "description": "Bad level.", "image": "wrench", "level": "HUGE"})  # 400
    w("POST", "/statuses/planned", {"description": "Planned work, announced."})
    w("POST", "/statuses/up", {"default": "true"})
    w("DELETE", "/statuses/up")  # 409: the default
    w("DELETE", "/statuses/nope")  # 404
    clock.tick()
    w("POST", "/services", {"name": "Web API", "description": "The REST API.", "list": "core"})
    clock.tick()
    w("POST", "/services", {"name": "Email", "description": "Outbound email."}, as_json=True)
    clock.tick()
    w("POST", "/services", {"name": "Quiet", "description": "No events yet.", "list": "spare"})
    w("POST", "/services", {"name": "Search", "description": "Finds things."})
    w("POST", "/services", {"name": "Web API", "description": "Taken."})  # 409
    w("POST", "/services", {"name": "Ghost", "description": "Unknown list.", "list": "nowhere"})  # 400
    w("POST", "/services", {"name": 3, "description": ["not", "text"]}, as_json=True)  # 400
    w("POST", "/services", ["not", "an", "object"], as_json=True)  # 400
    w("POST", "/services/search", {"list": "core"})
    w("POST", "/services/search", {"list": ""})
    w("POST", "/services/ghost", {"name": "Ghost"})  # 404
    w("POST", "/services", {"name": "Readonly", "description": "Public root."}, root="/api/v1")  # 405
    clock.tick()
    for service, fields in (
        ("web-api", {"message": "All good.", "status": "up"}),
        ("web-api", {"message": "Payments <failing> & \"retrying\".", "status": "down"}),
        ("web-api", {"message": "A note while down.", "informational": "true"}),
        ("email", {"message": "Only a note.", "informational": True}),
        ("search", {"message": "Reindexing.", "status": "planned"}),
        ("search", {"message": "Keeps its status."}),
        ("search", {"message": "Slow today.", "status": "degraded-e"}),
    ):
        response = w("POST", f"/services/{service}/events", fields, as_json=isinstance(fields.get("informational"), bool))
        rec.name("sid", response.json["sid"])
        clock.tick(minutes=5)
    w("POST", "/services/web-api/events", {"message": "No such status.", "status": "nope"})  # 404
    w("POST", "/services/web-api/events", {"status": "up"})  # 400: no message
    w("POST", "/services/web-api/events", {"message": "x", "informational": "maybe"})  # 400
    w("POST", "/services/ghost/events", {"message": "Nobody."})  # 404
    doomed = w("POST", "/services/search/events", {"message": "Posted by mistake.", "status": "down"}).json["sid"]
    rec.name("sid", doomed)
    w("DELETE", f"/services/search/events/{doomed}")
    w("DELETE", f"/services/search/events/{doomed}")  # 404
    w("DELETE", "/statuses/planned")  # 409: in use
    clock.tick(minutes=5)
    w("POST", "/services", {"name": "Temporary", "description": "Deleted."})
    w("DELETE", "/services/temporary")
    clock.tick()

    opened = w("POST", "/incidents", {"title": "Payments <down>", "services": "web-api,email",
                                      "message": "Looking into it.", "statuses": "email=down"}).json
    rec.name("incident", opened["id"])
    clock.tick(minutes=10)
    w("POST", "/incidents", {"title": "No services", "services": "ghost", "message": "x"})  # 400
    w("POST", f"/incidents/{opened['id']}/updates", {"message": "Fix deployed.", "state": "monitoring",
                                                      "statuses": "email=up"})
    clock.tick(minutes=10)
    w("POST", f"/incidents/{opened['id']}/updates", {"message": "Bad state.", "state": "sleeping"})  # 400
    w("POST", f"/incidents/{opened['id']}", {"postmortem": "A full disk.", "impact": "major"})
    resolved = w("POST", "/incidents", {"title": "Search slow", "services": "search", "message": "Slow.",
                                        "impact": "minor"}).json
    rec.name("incident", resolved["id"])
    clock.tick(minutes=10)
    w("POST", f"/incidents/{resolved['id']}/updates", {"message": "Fine again.", "state": "resolved"}, as_json=True)
    mistake = w("POST", "/incidents", {"title": "Oops", "services": "quiet", "message": "Wrong board."}).json
    rec.name("incident", mistake["id"])
    w("DELETE", f"/incidents/{mistake['id']}")
    w("DELETE", "/incidents/12345")  # 404
    w("DELETE", "/incidents/not-a-number")  # 404
    clock.tick()

    def window(title, starts, minutes):
        begin = clock.now + datetime.timedelta(minutes=starts)
        fields = {"title": title, "message": f"{title}: writes pause.", "services": "web-api,quiet",
                  "starts": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "ends": (begin + datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        answer = w("POST", "/maintenances", fields).json
        rec.name("maintenance", answer["id"])
        return answer["id"]

    running = window("Database upgrade", 2, 60)
    window("Network move", 24 * 60, 30)
    cancelled = window("Called off", 48 * 60, 30)
    w("DELETE", f"/maintenances/{cancelled}")
    w("DELETE", f"/maintenances/{cancelled}")  # 409: already cancelled
    w("POST", "/maintenances", {"title": "Past", "message": "x", "services": "web-api",
                                "starts": "2001-01-01T00:00:00Z", "ends": "2001-01-01T01:00:00Z"})  # 400
    clock.tick(minutes=3)
    assert rec.client.get("/_tasks/maintenance", headers=CRON).json["moved"] == [{"id": running, "now": "started"}]
    clock.tick(minutes=1)


def read_everything(rec):
    """Every v1 read route on both roots (with JSONP, bounds and the errors), then every /api/v2 answer."""
    sids = [value for value, name in rec.ids.items() if name.startswith("<sid ")]
    incidents = [value for value, name in rec.ids.items() if name.startswith("<incident ")]
    windows = [value for value, name in rec.ids.items() if name.startswith("<maintenance ")]
    for root in ROOTS:
        g = lambda path, **headers: rec.get(root + path, **headers)  # noqa: E731
        g("/services")
        g("/services?callback=show.board")
        g("/services?callback=alert(1)")
        for service in ("web-api", "email", "quiet", "search", "ghost"):
            g(f"/services/{service}")
            g(f"/services/{service}/events")
            g(f"/services/{service}/events/current")
        g("/services/web-api/events?start=2026-03-02T09:10:00Z&end=2026-03-02")
        g("/services/web-api/events?start=2026-03-03")
        g("/services/web-api/events?end=Mon,%2002%20Mar%202026%2009:05:00%20GMT")
        g("/services/web-api/events?start=yesterday-ish")
        for sid in sids[:3]:
            g(f"/services/web-api/events/{sid}")
        g(f"/services/email/events/{sids[0]}")
        g("/services/web-api/events/not-a-sid")
        g("/statuses")
        g("/statuses?callback=cb")
        for status in ("up", "down", "planned", "degraded-e", "maintenance", "ghost"):
            g(f"/statuses/{status}")
        g("/service-lists")
        for service_list in ("core", "spare", "doomed"):
            g(f"/service-lists/{service_list}")
        g("/levels")
        g("/levels?callback=x")
        g("/status-images")
        g("/incidents")
        for incident in incidents + ["999", "abc"]:
            g(f"/incidents/{incident}")
        g("/maintenances")
        for window in windows + ["999"]:
            g(f"/maintenances/{window}")
        g("/nothing-here")
    rec.get("/api/v9/services")
    rec.get("/api")
    for path in ("/summary.json", "/status.json", "/components.json", "/incidents.json", "/incidents/unresolved.json",
                 "/scheduled-maintenances.json", "/scheduled-maintenances/upcoming.json",
                 "/scheduled-maintenances/active.json", "/summary.json?callback=sp"):
        rec.get("/api/v2" + path)


def test_every_api_answer_is_the_recorded_one(client, admin, clock):
    """A refactor of the API's code leaves every answer (status, content type, body) as recorded."""
    rec = Recorder(client, admin)
    build_board(rec, clock)
    read_everything(rec)
    answers = rec.recorded()
    if os.environ.get("RECORD_ANSWERS"):
        RECORDING.parent.mkdir(exist_ok=True)
        RECORDING.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
        pytest.skip(f"recorded {len(answers)} answers")
    recorded = json.loads(RECORDING.read_text())
    assert [a["request"] for a in answers] == [a["request"] for a in recorded]
    for answer, expected in zip(answers, recorded):
        assert answer == expected, answer["request"]
