"""Fixed-window counters in the Datastore: how often one client or one address did something.

Kept in the Datastore rather than in each instance's memory so every instance counts the
same hits and no instance's memory grows with the number of clients: one small entity per
(what, who, window), keyed by a hash of who (no address or IP in clear), deleted by the
mail sweep once its window is over.
"""

import datetime
import hashlib
import math
import time

from google.cloud import ndb

from models.times import utcnow


class Hits(ndb.Model):
    """How many times `who` did `what` in one window."""

    count = ndb.IntegerProperty(default=0, indexed=False)
    expires = ndb.DateTimeProperty(required=True)

    @classmethod
    def take(cls, what, who, limit, window_seconds):
        """Count one more hit; answers 0 when it is within `limit`, else the seconds until the window ends."""
        now = time.time()
        window = int(now // window_seconds)
        retry_after = max(1, math.ceil((window + 1) * window_seconds - now))
        digest = hashlib.sha256(f"{what}\0{who}".encode()).hexdigest()[:32]
        key = ndb.Key(cls, f"{what}:{digest}:{window}")

        @ndb.transactional()
        def txn():
            hits = key.get() or cls(key=key, expires=utcnow() + datetime.timedelta(seconds=retry_after))
            if hits.count >= limit:
                return retry_after
            hits.count += 1
            hits.put()
            return 0

        return txn()

    @classmethod
    def sweep(cls, limit=500):
        """Delete counters whose window is over; answers how many."""
        keys = cls.query(cls.expires < utcnow()).fetch(limit, keys_only=True)
        ndb.delete_multi(keys)
        return len(keys)
