"""Group commit: events posted to one service by one process while another post to it is being
written are written together, in one transaction, when their turn comes.

Posts to one service take turns in a process (models/audit.py, `turn`): a collision in the
Datastore would make the loser retry after a backoff. Under a storm of writes the turn is
the queue: with 6 services and 50 clients (`make soak`), each post waited for the posts
ahead of it, one transaction each, and the write p99 reached 1.5–11 s (11 s with every
write on one service). Instead, the post that gets the turn writes every post waiting for
it: one read of the service, each event appended and audited in order, one commit. So a
service's queue in a process is at most one transaction long, however many posts join it.

A grouped transaction that fails writes nothing; its posts are then written one by one,
so one post's refusal (an `at` before the service's newest event) is that post's alone.
"""

import dataclasses
import threading

from models import audit

# The most posts one transaction writes (each writes a handful of entities; a commit takes 500).
MOST = 25


@dataclasses.dataclass(eq=False)
class _Post:
    apply: object  # audit.change's `apply`
    entry_keys: list  # its audit entries' keys, allocated beforehand
    actor: audit.Actor  # whom its audit entries name, whichever request writes it
    done: bool = False
    error: BaseException | None = None


_waiting = {}  # (namespace, key path): [_Post], in arrival order
_lock = threading.Lock()


def change_together(key, label, apply, entry_keys):
    """`audit.change(key, label, apply)` with its entries keyed from `entry_keys`, written with
    whatever other changes of `key` this process has waiting; raises what the change raised."""
    post, queue = _Post(apply, list(entry_keys), audit.current_actor()), (key.namespace(), key.flat())
    with _lock:
        _waiting.setdefault(queue, []).append(post)
    with audit.turn(key):
        while not post.done:  # nobody took it along (yet): this post writes the queue
            with _lock:
                group = _waiting[queue][:MOST]
                _waiting[queue] = _waiting[queue][len(group):]
                if not _waiting[queue]:
                    del _waiting[queue]
            _write(key, label, group)
    if post.error is not None:
        raise post.error


def _write(key, label, group):
    """Write `group` in one transaction, else each post alone; every post ends done."""
    try:
        audit.change_in_turn(key, label, [(post.apply, post.entry_keys, post.actor) for post in group])
    except Exception as error:  # noqa: BLE001 (handed to the posts' own requests)
        if len(group) == 1:
            group[0].error = error
        else:
            for post in group:
                try:
                    audit.change_in_turn(key, label, [(post.apply, post.entry_keys, post.actor)])
                except Exception as alone:  # noqa: BLE001
                    post.error = alone
    finally:
        for post in group:
            post.done = True
