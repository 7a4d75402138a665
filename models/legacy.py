"""Upgrading in place from Stashboard 1.x: its entities, copied to this app's models.

Stashboard 1.x (App Engine's legacy `db` API) left these in the Datastore, all root
entities with automatic numeric ids:

* `Image` (`slug`, `icon_set`, `path`) and `List` (`slug`, `name`, `description`):
  kind names this app does not use (it has StatusImage and ServiceList);
* `Service` (`slug`, `name`, `description`, `list` → List key) and `Status` (`slug`,
  `name`, `description`, `image` such as `icons/fugue/cross-circle.png`, `default`,
  the deprecated `severity`): the same kind names as this app's, told apart by the key:
  theirs have numeric ids, ours the slug (a string) — see models/base.py;
* `Event` (`service` and `status` keys, `message`, `start`, `informational`): the same
  kind name again, told apart by the key's place: theirs are root entities, ours are
  children of their service. The old public sid was the key's URL-safe string; a
  migrated event keeps the old numeric id under its service, so that sid still finds it
  (models/event.py, `Event.key_for`);
* `Profile` (`owner` user, `token`, `secret`): an OAuth 1.0a access token, adopted as an
  API token that keeps working unchanged (models/credentials.py); its clear secret is then blanked.

The old entities are read with the low-level Datastore client (NDB maps a kind name to
one model class: Service, Status and Event are this app's) and left in place, unread.

Every step is idempotent: an old entity's new key is fixed (its slug, numeric id, token),
so a run leaves one it finds alone and an interrupted run is finished by the next. Each write
is an audited transaction; the run is recorded on the `LegacyMigration` entity (audited too).
"""

import dataclasses
import datetime
import functools
import re
import time

from google.cloud import datastore, ndb

from models import audit
from models.audit import AuditEntry, snapshot
from models.base import LARGEST_ID
from models.credentials import ApiToken
from models.errors import Conflict, InvalidInput
from models.event import Event
from models.fields import SLUG, slug_for
from models.install import DEFAULT_STATUSES
from models.service import Service
from models.service_list import ServiceList
from models.status import Installation, Status, _set_default
from models.status_image import OTHER_ICON_SETS, StatusImage, image_name
from models.times import utcnow

# The deprecated `severity` of 1.x statuses, as its API mapped it to a level.
SEVERITY_LEVELS = {30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
IMAGE_PATH = re.compile(r"^icons/([A-Za-z0-9_-]+)/([A-Za-z0-9_.-]+)\.png$")
# Events written per transaction (a commit holds at most 500 mutations).
EVENT_BATCH = 200


@dataclasses.dataclass
class Report:
    """What a run found and did, per kind: found, created, existing (already migrated), skipped."""

    dry_run: bool
    counts: dict = dataclasses.field(default_factory=dict)
    problems: list = dataclasses.field(default_factory=list)
    finished: bool = True

    def count(self, kind, outcome, n=1):
        """Add `n` to one outcome of one kind (found, created, existing, skipped)."""
        self.counts.setdefault(kind, {"found": 0, "created": 0, "existing": 0, "skipped": 0})[outcome] += n

    def problem(self, message):
        """Note something an operator should know about (once)."""
        if message not in self.problems:
            self.problems.append(message)

    def to_json(self):
        """The report as plain values (the CLI's --json, the audit entry)."""
        return {"dry_run": self.dry_run, "finished": self.finished, "counts": self.counts, "problems": self.problems}


class LegacyMigration(ndb.Model):
    """The record of migrations from 1.x: when the last run started and ended, and its report."""

    started = ndb.DateTimeProperty()
    finished = ndb.DateTimeProperty()
    report = ndb.JsonProperty()

    @classmethod
    def key_for(cls):
        """The one record's key."""
        return ndb.Key(cls, "stashboard-1x")

    @classmethod
    def load(cls):
        """The stored record (None before any run)."""
        return cls.key_for().get()


@functools.lru_cache(maxsize=8)
def _client(project, namespace):
    return datastore.Client(project=project, namespace=namespace)


def _datastore():
    """The low-level client, on NDB's project and namespace."""
    context = ndb.get_context()
    return _client(context.client.project, context.get_namespace() or None)


def _old_entities(kind, **filters):
    """The 1.x entities of `kind` in key order: root keys with numeric ids, which sort before
    any named key of the same kind and before every child key (our events)."""
    client = _datastore()
    query = client.query(kind=kind)
    query.add_filter(filter=datastore.query.PropertyFilter("__key__", "<=", client.key(kind, LARGEST_ID)))
    for name, value in filters.items():
        query.add_filter(filter=datastore.query.PropertyFilter(name, "=", value))
    return [entity for entity in query.fetch() if entity.key.parent is None and entity.key.id is not None]


def _naive_utc(moment):
    """A stored datetime as this app keeps them: naive, in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


class Migration:
    """One run over the 1.x entities; `run()` answers its Report. `dry_run` writes nothing.

    `deadline` (seconds) stops a run between steps (an App Engine request's limit): the
    report then says it is not finished, and the next run carries on.
    """

    def __init__(self, dry_run=False, deadline=None, image_exists=None, box=None):
        self.report = Report(dry_run)
        self.dry_run = dry_run
        self.box = box  # seals adopted OAuth secrets (models/oauth1.py)
        self.stop_at = time.monotonic() + deadline if deadline else None
        self.image_exists = image_exists
        self.status_slugs = {}  # old key id -> our status slug
        self.service_slugs = {}  # old key id -> our service slug

    def run(self):
        """Migrate images, statuses, lists, services, events and OAuth tokens, in that order."""
        if not self.dry_run:
            self._record(start=True)
        lists = self._lists()
        for step in (self._images, self._statuses, lambda: self._services(lists), self._events, self._profiles):
            if self.stop_at and time.monotonic() > self.stop_at:
                self.report.finished = False
                break
            step()
        if not self.dry_run:
            self._record(start=False)
        return self.report

    # --- images and statuses --------------------------------------------------

    def _image(self, icon_set, file_name, what):
        """Our image id for an old icon, created if missing (`what` names who needs it)."""
        if icon_set != "fugue" and icon_set not in OTHER_ICON_SETS:
            self.report.problem(f"{what}: icon set {icon_set!r} is unknown here; it shows 'question' instead.")
            icon_set, file_name = "fugue", "question"
        name = image_name(file_name, icon_set)
        if self.image_exists and not self.image_exists(icon_set, file_name):
            self.report.problem(f"{what}: the icon icons/{icon_set}/{file_name}.png is not shipped with this app; "
                                f"add it under static/images/icons/{icon_set}/ or choose another image.")
        if StatusImage.named(name) is not None:
            return name, "existing"
        if not self.dry_run:
            try:
                audit.insert(StatusImage(id=name, icon_set=icon_set), "status image")
            except Conflict:  # made meanwhile: the same outcome
                return name, "existing"
        return name, "created"

    def _images(self):
        for old in _old_entities("Image"):
            self.report.count("images", "found")
            match = IMAGE_PATH.match(old.get("path") or "")
            if not match:
                self.report.problem(f"Image {old.get('slug')!r}: unreadable path {old.get('path')!r}; skipped.")
                self.report.count("images", "skipped")
                continue
            _, outcome = self._image(match.group(1), match.group(2), f"Image {old.get('slug')!r}")
            self.report.count("images", outcome)

    def _statuses(self):
        default_slug = None
        for old in _old_entities("Status"):
            self.report.count("statuses", "found")
            slug = self._slug(old, "Status")
            if slug is None or slug in self.status_slugs.values():
                self.report.count("statuses", "skipped")
                if slug is not None:
                    self.report.problem(f"Status {slug!r} appears twice; its events use the first.")
                    self.status_slugs[old.key.id] = slug
                continue
            self.status_slugs[old.key.id] = slug
            match = IMAGE_PATH.match(old.get("image") or "")
            icon_set, file_name = match.groups() if match else ("fugue", "question")
            if not match:
                self.report.problem(f"Status {slug!r}: unreadable image {old.get('image')!r}; it shows 'question'.")
            image, _ = self._image(icon_set, file_name, f"Status {slug!r}")
            fields = {"name": (old.get("name") or slug)[:100], "description": old.get("description") or "",
                      "image": image, "level": SEVERITY_LEVELS.get(old.get("severity"), "NORMAL")}
            outcome = self._put_status(slug, fields)
            self.report.count("statuses", outcome)
            if old.get("default") and default_slug is None:
                default_slug = slug
        if default_slug and not self.dry_run:
            self._make_default(default_slug)

    def _put_status(self, slug, fields):
        """Create the status, or give an installed default (untouched since) the old one's values."""
        existing = Status.get_by_id(slug)
        if existing is not None and not _untouched_default(existing):
            return "existing"
        if self.dry_run:
            return "created"
        if existing is None:
            audit.insert(Status(id=slug, **fields), "status")
        else:
            existing.modify(fields)
        return "created"

    def _make_default(self, slug):
        """Make the old default the default, unless an admin chose another one since installation."""

        board = Installation.load()
        if board.default_status in (None, ndb.Key(Status, "up")) and board.default_status != ndb.Key(Status, slug):
            ndb.transaction(lambda: _set_default(Installation.load(), ndb.Key(Status, slug)),
                            retries=audit.TRANSACTION_RETRIES)

    # --- lists and services ---------------------------------------------------

    def _lists(self):
        """{old key id: our list slug}, creating the lists (counted under "lists")."""
        slugs = {}
        for old in _old_entities("List"):
            self.report.count("lists", "found")
            slug = self._slug(old, "List")
            if slug is None:
                self.report.count("lists", "skipped")
                continue
            slugs[old.key.id] = slug
            if ServiceList.get_by_id(slug) is not None:
                self.report.count("lists", "existing")
                continue
            if not self.dry_run:
                audit.insert(ServiceList(id=slug, name=old.get("name") or slug,
                                         description=old.get("description") or ""), "service list")
            self.report.count("lists", "created")
        return slugs

    def _services(self, lists):
        for old in _old_entities("Service"):
            self.report.count("services", "found")
            slug = self._slug(old, "Service")
            if slug is None:
                self.report.count("services", "skipped")
                continue
            if slug in self.service_slugs.values():
                self.report.problem(f"Service {slug!r} appears twice; the events of both are merged into one.")
            self.service_slugs[old.key.id] = slug
            if Service.get_by_id(slug) is not None:
                self.report.count("services", "existing")
                continue
            list_key = old.get("list")
            list_slug = lists.get(list_key.id) if list_key is not None else None
            if list_key is not None and list_slug is None:
                self.report.problem(f"Service {slug!r}: its list no longer exists; it is migrated without one.")
            if not self.dry_run:
                now = utcnow()
                service = Service(id=slug, name=(old.get("name") or slug)[:100], description=old.get("description"),
                                  service_list=ndb.Key(ServiceList, list_slug) if list_slug else None,
                                  created=now, updated=now)
                audit.insert(service, "service", then=Service.join_board)
            self.report.count("services", "created")

    def _slug(self, old, kind):
        """Our slug for an old entity: its own when it is one we accept, else one made from it."""
        slug = old.get("slug") or ""
        if SLUG.match(slug) and len(slug) <= 100:
            return slug
        try:
            fixed = slug_for(slug.replace("_", "-") or old.get("name") or "")
        except InvalidInput:  # nothing to make a slug of
            self.report.problem(f"{kind} {old.key.id}: no usable slug or name; skipped.")
            return None
        self.report.problem(f"{kind} {slug!r} is now {fixed!r} (ids here are lower-case words joined by '-').")
        return fixed

    # --- events ---------------------------------------------------------------

    def _events(self):
        known = set()
        for old_id, slug in sorted(self.service_slugs.items()):
            if self.stop_at and time.monotonic() > self.stop_at:  # between services, too: they can be big
                self.report.finished = False
                return
            olds = _old_entities("Event", service=_datastore().key("Service", old_id))
            known.update(event.key.id for event in olds)
            self._service_events(slug, olds)
        orphans = [event for event in _old_entities("Event") if event.key.id not in known]
        if orphans:
            self.report.count("events", "found", len(orphans))
            self.report.count("events", "skipped", len(orphans))
            self.report.problem(f"{len(orphans)} events belong to services that no longer exist; skipped.")

    def _service_events(self, slug, olds):
        """Copy one service's old events under it (batches of EVENT_BATCH), then rebuild its history."""
        self.report.count("events", "found", len(olds))
        service_key = ndb.Key(Service, slug)
        wanted = []
        for old in olds:
            status_key = old.get("status")
            status_slug = self.status_slugs.get(status_key.id) if status_key is not None else None
            if status_slug is None or not old.get("start"):
                self.report.problem(f"Event {old.key.id} of {slug!r}: its status or time is missing; skipped.")
                self.report.count("events", "skipped")
                continue
            wanted.append(Event(key=ndb.Key(Event, old.key.id, parent=service_key), timestamp=_naive_utc(old["start"]),
                                message=old.get("message") or "", status=ndb.Key(Status, status_slug),
                                informational=bool(old.get("informational"))))
        created = 0
        for start in range(0, len(wanted), EVENT_BATCH):
            created += self._put_events(slug, wanted[start:start + EVENT_BATCH])
        self.report.count("events", "created", created)
        self.report.count("events", "existing", len(wanted) - created)
        if not self.dry_run and wanted:
            # Idempotent (a service already right is only read): also finishes a run cut short here.
            Event.rebuild(service_key)

    def _put_events(self, slug, events):
        """Store those of `events` not stored yet, in one audited transaction; answers how many."""
        if self.dry_run:
            return sum(1 for event in ndb.get_multi([e.key for e in events]) if event is None)

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            stored = ndb.get_multi([event.key for event in events], retries=0)
            missing = [event for event, found in zip(events, stored) if found is None]
            if missing:
                ndb.put_multi(missing)
                record = LegacyMigration.key_for().get(retries=0) or LegacyMigration(key=LegacyMigration.key_for())
                before = snapshot(record)
                record.put()
                AuditEntry.record("update", record.key, before=before, after={
                    **snapshot(record), "step": "events", "service": slug,
                    "events_created": [event.sid for event in missing]})
            return len(missing)

        return txn()

    def _profiles(self):
        for old in _old_entities("Profile"):  # each token adopted, then the clear secret blanked
            self.report.count("tokens", "found")
            owner, token, secret = old.get("owner"), old.get("token"), old.get("secret")
            email = owner.get("email") if isinstance(owner, dict) else None
            adopted = bool(token) and ApiToken.adopted(token) is not None
            if not adopted and not (email and token and secret):
                self.report.problem(f"Profile {old.key.id}: no owner email, token or secret; skipped.")
                self.report.count("tokens", "skipped")
                continue
            if not adopted and not self.dry_run:
                if self.box is None:
                    raise InvalidInput("Migrating 1.x OAuth tokens needs TOKEN_SECRETS_KEY (or SECRET_KEY) set.")
                ApiToken.adopt_oauth(email, token, secret, "Stashboard 1.x credentials", self.box)
            self.report.count("tokens", "existing" if adopted else "created")
            if secret and not self.dry_run:  # adopted (committed) by now: the clear copy can go
                old["secret"] = ""
                _datastore().put(old)

    def _record(self, start):
        """Note the run's start, and its end with its report, on the LegacyMigration record (audited)."""

        @ndb.transactional(retries=audit.TRANSACTION_RETRIES)
        def txn():
            key = LegacyMigration.key_for()
            record = key.get(retries=0)
            before = snapshot(record)
            record = record or LegacyMigration(key=key)
            if start:
                record.started, record.finished = utcnow(), None
            else:
                record.finished, record.report = utcnow(), self.report.to_json()
            record.put()
            AuditEntry.record("update" if before else "create", key, before=before, after=snapshot(record))

        txn()


def _untouched_default(status):
    """Whether `status` is one of the installed defaults, exactly as installed."""
    for slug, name, description, level, image in DEFAULT_STATUSES:
        if status.slug == slug:
            return (status.name, status.description, status.level, status.image) == (name, description, level, image)
    return False
