"""The board index: every service's board row, read in one lookup whatever the board's size.

The front page, the lists and /api/v1/services need every service with its current
status, newest event and day rollups. Each service's row is a document of its own, a
child of the service (BoardRow, written in the service's own transactions), and the
ids of the board's services are one more document (BoardMembers, written only when a
service is created or deleted). A read of the whole board is a lookup of keys it
knows: the members document with the rows of the members this process saw last, in
one batch (models/snapshot.py), and a second lookup only for rows it did not expect.

Why not the shared documents this replaced: every service's row used to live in one of
16 documents written in each event's transaction, so events of different services
collided on the same entity, and the Datastore serialises writes to one entity. Measured
through the models on the emulator (2 shared cores, load average 10 to 13 while measuring,
200 services, `Event.post` from threads with a context each):

                                  16 shared documents          a row per service
    200 posts at once             57.4 s; 187 failed after     23.7 s; none failed,
                                  973 retries                  no retry
    20 clients, 400 posts         3 posts/s; 64 failed,        15 posts/s, p50/p99 1.1/2.5 s;
                                  812 retries                  no retry
    200 posts one after another   12 posts/s (p50 63 ms)       10 posts/s (p50 70 ms)

(What is left is the emulator's own pace on a loaded machine: one client posting gets
nearly what twenty do.) The alternatives considered: a keys-only query of the services
instead of the members document costs the read time per service; rebuilding shared
documents off the write path (debounced) needs a worker and leaves the board behind its
writes. The members document costs nothing on an event's write and one key in the read.

With a row per service, an event's transaction writes only its service, its row, the
event, its audit entry and its outbox record: no two services share an entity, so
concurrent writes to different services never retry (tests/test_hotspot.py).
The services stay the truth: `flask rebuild-history` rewrites every row and the members.

A board written before these documents (16 shared `BoardShard` documents, or none: a
1.x migration not yet rebuilt) has no members document; it is read with a query of its
services (always right, slower) until the warmup request or a rebuild indexes it
(`index_board` in models/rebuild.py), which also deletes the old documents.
"""

import functools
import json

from google.cloud import ndb

from models import lookup

# Decoded rows kept in memory: a few versions of every row of a board of a few hundred services.
DECODED_KEPT = 2048
# The newest event ids a row lists: enough for a feed of the whole board (the newest
# 20 events of a board are among its services' newest 20 each).
ROW_RECENT = 20
# The documents of the index this one replaced (ids shard-0 … shard-15); the rebuild deletes them.
OLD_KIND, OLD_SHARDS = "BoardShard", 16
# {namespace: the member ids this process read last}: their rows go in the first lookup.
_known = {}


def row_of(service):
    """A service's board row: what the board shows of it, as JSON-ready values."""
    return {
        "name": service.name,
        "description": service.description or "",
        "list": service.service_list.id() if service.service_list else None,
        "status": service.current_status.id() if service.current_status else None,
        "latest": service.latest,
        "recent": (service.recent or [])[:ROW_RECENT],
        "days": service.days or {},
        "created": service.created.isoformat() if service.created else None,
        "only_show_if_degraded": bool(service.only_show_if_degraded),
        "showcase": service.showcase is not False,
    }


class Row(dict):
    """One decoded stored row.

    Every read of the same stored bytes answers the same Row, so readers must not change
    it; `card` keeps the board's card made from it (models/snapshot.py) for the next read.
    """

    __slots__ = ("card",)

    def __init__(self, row):
        super().__init__(row)
        self.card = None


@functools.lru_cache(maxsize=DECODED_KEPT)
def _decoded(data):
    return Row(json.loads(data))


class RowProperty(ndb.BlobProperty):
    """A row stored as compressed JSON, decoded once per distinct stored row rather than on
    every read: the board is read far more often than it changes."""

    def __init__(self):
        super().__init__(compressed=True)

    def _to_base_type(self, value):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    def _from_base_type(self, value):
        return _decoded(value)


class BoardRow(ndb.Model):
    """One service's board row; key (Service, id, BoardRow, "row"), so it goes with its service."""

    row = RowProperty()

    @classmethod
    def key_for(cls, service_id):
        """The key of a service's row."""
        return ndb.Key("Service", service_id, cls, "row")

    @classmethod
    def write(cls, services):
        """Put the rows of `services`, in the caller's transaction: a blind write, no read,
        and nothing another service's write touches."""
        ndb.put_multi([cls(key=cls.key_for(service.key.id()), row=row_of(service)) for service in services])

    @classmethod
    def stored(cls, service_id):
        """The stored row of one service (None if it has none)."""
        document = cls.key_for(service_id).get()
        return document.row if document else None


class BoardMembers(ndb.Model):
    """The ids of every service of the board, in id order: which rows a read of the board looks up."""

    ids = ndb.JsonProperty(compressed=True)

    @classmethod
    def key_for(cls):
        """The one document's key."""
        return ndb.Key(cls, "members")

    @classmethod
    def change(cls, added=(), removed=()):
        """Add and remove service ids, in the caller's transaction (a service's creation or deletion).

        A board with no members document yet is read by query until it is indexed, so it
        gets none here: one holding only the new service would hide the others.
        """
        members = cls.key_for().get(retries=0)
        if members is None:
            return
        members.ids = sorted((set(members.ids or ()) | set(added)) - set(removed))
        members.put()

    @classmethod
    def put_ids(cls, ids):
        """Store exactly `ids` as the members (a new board: none)."""
        cls(key=cls.key_for(), ids=sorted(ids)).put()

    @classmethod
    def rebuild(cls, service_ids):
        """Store what `service_ids()` (a query of every service) answers as the members, once every
        service has its row; the old index's documents go.

        The query is made again after the members are stored, and what changed in between
        is applied: a service created before the members existed could not join them.
        """
        before = set(service_ids())
        cls.put_ids(before)
        after = set(service_ids())
        if after != before:
            ndb.transactional()(cls.change)(added=after - before, removed=before - after)
        ndb.delete_multi([ndb.Key(OLD_KIND, f"shard-{n}") for n in range(OLD_SHARDS)])


def read(*more_keys):
    """The board's rows and the entities of `more_keys`, in one lookup when nothing was added
    since this process's last read: ({id: Row or None}, [entity or None for more_keys]).

    The rows are None when the board has no members document yet (read its services
    instead); a member whose row is None has none stored (not yet indexed). Outside a
    transaction the lookups are models/lookup.py's, which cost a tenth of `ndb.get_multi`'s
    CPU for hundreds of rows.
    """
    namespace = ndb.get_context().get_namespace() or ""
    known = _known.get(namespace, ())
    read_rows = _rows if ndb.in_transaction() else _raw_rows
    members, more, documents = read_rows(known, more_keys, with_members=True)
    if members is None:
        return None, more
    missing = [service_id for service_id in members if service_id not in documents]
    if missing:
        documents.update(read_rows(missing, ())[2])
    _known[namespace] = tuple(members)
    return {service_id: documents[service_id] for service_id in members}, more


def _rows(ids, more_keys, with_members=False):
    """(Member ids or None, [entity or None for more_keys], {id: Row or None}) through NDB."""
    head = [BoardMembers.key_for()] if with_members else []
    found = ndb.get_multi([*head, *more_keys, *(BoardRow.key_for(i) for i in ids)])
    members = found[0].ids or [] if with_members and found[0] is not None else None
    more, rows = found[len(head):len(head) + len(more_keys)], found[len(head) + len(more_keys):]
    return members, more, {i: document.row if document else None for i, document in zip(ids, rows)}


def _raw_rows(ids, more_keys, with_members=False):
    """What `_rows` answers, in one raw lookup: each row decoded once per distinct stored row."""
    head = [BoardMembers.key_for()] if with_members else []
    found = lookup.lookup([*head, *more_keys, *(BoardRow.key_for(i) for i in ids)])
    members = None
    if with_members and found[0] is not None:
        members = json.loads(lookup.blob(found[0], "ids") or b"null") or []
    more = [lookup.model_of(entity) for entity in found[len(head):len(head) + len(more_keys)]]
    rows = {}
    for service_id, entity in zip(ids, found[len(head) + len(more_keys):]):
        data = lookup.blob(entity, "row")
        rows[service_id] = _decoded(data) if data is not None else None
    return members, more, rows
