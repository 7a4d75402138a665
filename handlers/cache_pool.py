"""What the page cache keeps: stored answers, in pools capped in bytes and in number (handlers/cache.py)."""

import collections
import dataclasses
import datetime

# What one kept answer costs beyond its key, headers and body: the dictionary slot, the
# Entry and its tuples and strings. Generous, so the count errs high, never low.
ENTRY_OVERHEAD = 1024


@dataclasses.dataclass
class Entry:
    """A stored answer: status line, headers (no Server-Timing), body and its ETag."""

    status: str
    headers: list
    body: bytes
    etag: str | None
    tags: tuple
    versions: tuple
    rendered_at: datetime.datetime
    outage: bool = False  # a 503 because the Datastore is away
    cost: int = 0  # bytes counted against its pool's cap (`_cost`)


def _cost(key, entry):
    """The bytes a kept answer holds: its key, headers and body, plus the bookkeeping around them."""
    scheme, host, path, args, _locale = key  # the locale: one of a few shipped ones, counted in the overhead
    key_bytes = len(scheme or "") + len(host or "") + len(path) + sum(len(n) + len(v) for n, v in args)
    header_bytes = sum(len(name) + len(value) for name, value in entry.headers)
    return ENTRY_OVERHEAD + key_bytes + header_bytes + len(entry.body) + len(entry.status) + len(entry.etag or "")


class Pool:
    """Least recently used answers, capped both in counted bytes and in number (callers hold the lock)."""

    def __init__(self, max_bytes, max_entries):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.entries = collections.OrderedDict()
        self.size = 0

    def __len__(self):
        return len(self.entries)

    def get(self, key):
        """The kept answer for `key` (now the most recently used), or None."""
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def discard(self, key):
        """Forget `key`'s answer, if kept."""
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= old.cost

    def put(self, key, entry):
        """Keep `entry`, evicting the least recently used until both caps hold (one too big is not kept)."""
        self.discard(key)
        entry.cost = _cost(key, entry)
        if entry.cost > self.max_bytes or self.max_entries < 1:
            return
        self.entries[key] = entry
        self.size += entry.cost
        while self.size > self.max_bytes or len(self.entries) > self.max_entries:
            _, evicted = self.entries.popitem(last=False)
            self.size -= evicted.cost
