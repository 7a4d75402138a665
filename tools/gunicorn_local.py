"""gunicorn's settings for `make run` (tools/run_local.py): Ctrl-C stops the app at once
(run_local.py ends whatever is left after a moment).

App Engine runs gunicorn with its own settings (app.yaml's entrypoint); these are only
for the local run, where nothing is lost by not waiting: every write is in the Datastore
emulator before its answer is sent, and a notification not yet sent waits in the outbox
for the next sweep.
"""

import os
import sys

# Without this the master would wait 30 s for a worker still in a request, then kill it
# with "Worker … was sent SIGKILL! Perhaps out of memory?".
graceful_timeout = 1
# The control socket's server takes 2 s to stop, and a local run never uses it.
control_socket_disable = True


def worker_int(worker):
    """Ctrl-C in the worker: leave now, without waiting for requests in flight or threads.

    A thread still in a request (a delivery waiting on a slow subscriber, a read the
    emulator has not answered) would otherwise keep the worker alive past the grace.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
