"""`make soak`'s storm phase: whether `/` shows every change within SHOWN_WITHIN (2 s) of its answer.

A watcher asks for `/` every POLL seconds, each time on a new connection (so that either gunicorn
worker may answer, as for any reader of the instance), and notes which of the storm's messages
each answer shows. Afterwards every answer is checked against the writes answered SHOWN_WITHIN or
more before it was asked for:

* an API client's event: each `/` shows it, or another write to its service that may have been
  committed after it (one answered after it began). Not checked while an alert delivery is being
  answered or applied: its events may then be committed after the client's (models/alert_inbox.py).
* a webhook's changes: until the next webhook, each `/` shows, for every service the answer said it
  changed, the webhook's event, or a client's event answered after the first webhook began (where
  a resolution finds a client's event has set the status back already, it posts none).

Printed: the answers of `/` read, the checks made, and those that did not show a write.
"""

import dataclasses
import http.client
import re
import threading
import time

SHOWN_WITHIN, POLL = 2.0, 0.2
MESSAGES = re.compile(r"(?:Resolved: )?Storm \d+ on storm-\d+|storm \d+-[0-9a-f]+")


@dataclasses.dataclass
class Write:
    """An API client's event, as its client saw it (time.monotonic() seconds)."""

    service: str
    message: str
    started: float
    answered: float


@dataclasses.dataclass
class Hook:
    """A webhook, as its sender saw it: its events' message but for the service id, and what it changed."""

    prefix: str
    started: float
    answered: float
    changed: list


class Watcher:
    """Reads `/` until stopped; `waiting()` answers how many alert deliveries wait to be applied."""

    def __init__(self, port, waiting):
        self.port, self.waiting = port, waiting
        self.answers = []  # (asked at, {messages shown}, deliveries waiting then)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join()

    def _watch(self):
        while not self.stopped.is_set():
            asked = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request("GET", "/")
                response = connection.getresponse()
                body = response.read().decode()
                if response.status == 200:
                    self.answers.append((asked, set(MESSAGES.findall(body)), self.waiting()))
            except OSError:
                pass
            finally:
                connection.close()
            self.stopped.wait(max(0.0, POLL - (time.monotonic() - asked)))


def busy(answers, hooks):
    """[(from, to)]: each webhook's time from its request until an answer of `/` asked after its
    answer found no delivery waiting (to the end, if none did)."""
    spans = []
    for hook in hooks:
        ends = [asked for asked, _, waiting in answers if asked >= hook.answered and waiting == 0]
        spans.append((hook.started, min(ends, default=float("inf"))))
    return spans


def misses(answers, writes, hooks):
    """(checks made, [how long after the write's answer, for each check whose `/` did not show it])."""
    by_service = {}
    for write in sorted(writes, key=lambda write: write.answered):
        by_service.setdefault(write.service, []).append(write)
    spans, first = busy(answers, hooks), hooks[0].started if hooks else float("inf")
    checks, late = 0, []
    for asked, shown, _ in answers:
        for listed in by_service.values():
            done = [write for write in listed if write.answered <= asked - SHOWN_WITHIN]
            if not done or any(start <= asked and end >= done[-1].started for start, end in spans):
                continue
            newest = done[-1]
            checks += 1
            if not shown & {w.message for w in listed if w is newest or newest.started < w.answered}:
                late.append(asked - newest.answered)
        for number, hook in enumerate(hooks):
            following = hooks[number + 1].started if number + 1 < len(hooks) else float("inf")
            if not hook.answered + SHOWN_WITHIN <= asked < following:
                continue
            for service in hook.changed:
                clients = {w.message for w in by_service.get(service, ()) if w.answered > first}
                checks += 1
                if not shown & (clients | {hook.prefix + service}):
                    late.append(asked - hook.answered)
    return checks, late
