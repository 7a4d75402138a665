"""The board index: every service's board row, kept in a few fixed documents.

The front page, the lists and /api/v1/services need every service with its current
status, newest event and day rollups. A query for them costs the Datastore time per
service; these documents hold the same rows in SHARDS entities whose keys are known,
so the whole board is one lookup whatever its size. Each row is a projection of its
Service entity, written in the same transaction as the service (`write`); the
services stay the truth, and `flask rebuild-history` rebuilds the index from them.

Rows are spread over SHARDS documents so that writes to different services seldom
touch the same entity, and so that a document stays far below the Datastore's 1 MiB
entity limit (compressed, a row is a few hundred bytes to a few KB).
"""

import functools
import json
import zlib

from google.cloud import ndb

SHARDS = 16
# Decoded documents kept in memory: the current ones and a few older versions.
DECODED_KEPT = 4 * SHARDS
# The newest event ids a row lists: enough for a feed of the whole board (the newest
# 20 events of a board are among its services' newest 20 each).
ROW_RECENT = 20


def shard_of(service_id):
    """The document a service's row lives in (stable across processes, unlike hash())."""
    return zlib.crc32(service_id.encode()) % SHARDS


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
    }


class Rows(dict):
    """The decoded rows of one stored document: {service id: row}.

    Every read of the same stored bytes answers the same Rows, so readers must not change
    it; `cards` keeps the board's cards made from it (models/snapshot.py) for the next read.
    """

    __slots__ = ("cards",)

    def __init__(self, rows):
        super().__init__(rows)
        self.cards = None


@functools.lru_cache(maxsize=DECODED_KEPT)
def _decoded(data):
    return Rows(json.loads(data))


class RowsProperty(ndb.BlobProperty):
    """{service id: row} stored as compressed JSON (the bytes JsonProperty(compressed=True)
    writes), decoded once per distinct document rather than on every read: the board is
    read far more often than it changes, and decoding was most of what a read cost."""

    def __init__(self):
        super().__init__(compressed=True)

    def _to_base_type(self, value):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")

    def _from_base_type(self, value):
        return _decoded(value)


class BoardShard(ndb.Model):
    """One of the index's documents: {service id: row}."""

    rows = RowsProperty()

    @classmethod
    def keys(cls):
        """The keys of every document of the index."""
        return [ndb.Key(cls, f"shard-{n}") for n in range(SHARDS)]

    @classmethod
    def write(cls, services=(), removed=()):
        """Put the rows of `services` and drop those of `removed` ids, in the caller's transaction.

        One read and one write of just the documents concerned, whatever else the
        transaction changed (a list's deletion releases many services at once).
        """
        changes = {service.key.id(): row_of(service) for service in services}
        changes.update({service_id: None for service_id in removed})
        keys = sorted({cls.keys()[shard_of(service_id)] for service_id in changes}, key=lambda key: key.id())
        documents = [shard or cls(key=key, rows={}) for key, shard in zip(keys, ndb.get_multi(keys, retries=0))]
        for document in documents:
            rows = dict(document.rows or {})
            for service_id, row in changes.items():
                if cls.keys()[shard_of(service_id)] == document.key:
                    if row is None:
                        rows.pop(service_id, None)
                    else:
                        rows[service_id] = row
            document.rows = rows
        ndb.put_multi(documents)

    @classmethod
    def row(cls, service_id):
        """The stored row of one service (None if the index has none)."""
        document = cls.keys()[shard_of(service_id)].get()
        return (document.rows or {}).get(service_id) if document else None

    @classmethod
    def read_all_async(cls, *more_keys):
        """Every document (and `more_keys`) in one lookup, as futures in key order."""
        return ndb.get_multi_async(cls.keys() + list(more_keys))
