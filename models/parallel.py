"""Independent transactions run side by side: a batch of writes to different services that
would otherwise wait for one another, one commit after the next (an Alertmanager webhook
carrying an alert for each of 200 services).

Each call runs on a thread of a small pool, in an NDB context of its own that is like the
caller's (same client, namespace and cache settings; an NDB context is not to be shared
between threads) and acting as the caller's actor. Transactions over a few services each
(models/alerts.py) keep clear of one another (models/board_index.py); one over every service
would wait for, or be retried for, any write to any of them.
"""

import concurrent.futures

from google.cloud import ndb

from models import audit

# Enough to keep the Datastore's round trips overlapping; the work in Python holds the GIL anyway.
WORKERS = 16


def each(function, items, workers=WORKERS):
    """[function(item) for item in items], run concurrently, in order; the first error raised is re-raised
    once every call has finished (the others' writes stand: each call is its own transaction)."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    parent, actor = ndb.get_context(), audit.current_actor()

    def run(item):
        context = parent.client.context(
            namespace=parent.get_namespace(), cache_policy=parent.get_cache_policy(),
            global_cache=parent.global_cache, global_cache_policy=parent.get_global_cache_policy(),
            global_cache_timeout_policy=parent.get_global_cache_timeout_policy(), legacy_data=parent.legacy_data,
        )
        with context, audit.acting_as(actor):
            return function(item)

    with concurrent.futures.ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="each") as pool:
        futures = [pool.submit(run, item) for item in items]
        concurrent.futures.wait(futures)
    return [future.result() for future in futures]
