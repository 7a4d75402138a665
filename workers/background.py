"""Work a process takes up after answering, on a few daemon threads of its own.

A local run (and App Engine, for what must not wait for the cron) sets work going once a
write commits: a notification to send, a mail run, an alert delivery to apply. A thread per
commit, as each dispatcher first started, made an Alertmanager webhook over 200 services start
400 threads at once (a send and a mail run per status change), each with its own NDB context
and Datastore RPCs: the process and the Datastore spent seconds on them while the webhook, and
every client posting beside it, waited. Here each dispatcher has a fixed number of threads
taking its work in the order it came; a run that sweeps everything due is queued once however
often it is asked for meanwhile (`submit(..., coalesce=True)`).

Threads are daemons: a process that ends drops what it had not taken up, which the cron sweep of
each kind of work finishes (nothing is lost: each kind's work is stored before it is set going).
"""

import logging
import queue
import sys
import threading

from handlers.context import DATASTORE_ERRORS

log = logging.getLogger(__name__)


class Background:
    """A FIFO of calls run by `threads` daemon threads, started on the first call."""

    def __init__(self, name, threads=1):
        self.name, self.threads = name, threads
        self.calls = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.started = 0
        self.waiting = set()  # the coalesced functions queued and not yet taken up

    def submit(self, function, *args, coalesce=False):
        """Queue `function(*args)`; with `coalesce`, not when a call of it is queued already (never raises)."""
        with self.lock:
            if coalesce:
                if function in self.waiting:
                    return
                self.waiting.add(function)
            while self.started < self.threads:
                self.started += 1
                threading.Thread(target=self._work, name=f"{self.name}-{self.started}", daemon=True).start()
        self.calls.put((function, args, coalesce))

    def _work(self):
        while True:
            function, args, coalesced = self.calls.get()
            if coalesced:
                with self.lock:
                    self.waiting.discard(function)
            try:
                function(*args)
            except Exception:  # the cron sweep finishes what failed; the thread goes on
                failed(log, "%s: %s failed; the sweep will go on", self.name, getattr(function, "__name__", function))


def failed(logger, message, *args):
    """Log, from inside its `except`, the failure of work the sweep finishes: one line when the
    Datastore was away, failing or contended (a run and a sweep writing one notification at once,
    as in `make run`'s first second), the traceback for anything else."""
    error = sys.exc_info()[1]
    if isinstance(error, DATASTORE_ERRORS):
        logger.warning(f"{message} ({type(error).__name__}: %s)", *args, error)
    else:
        logger.exception(message, *args)
